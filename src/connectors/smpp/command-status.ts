/**
 * SMPP command_status values: names and what the gateway does about each.
 * Names and values: SMPP v3.4 §5.1.3 (the list as carried by Kannel `smpp_pdu.h`, Wireshark `packet-smpp.c`
 * and node-smpp `defs.js`), plus the SMPP 5.0 additions 0x100–0x112 (docs/protocol.md §6.8).
 * Classification: Kannel `smpp_status_to_smscconn_failure_reason` (docs/protocol.md §6.8) with two refinements: the
 * two congestion codes are retried by the connector itself after slowing down, and ESME_RINVBNDSTS means
 * "rebind, then resubmit".
 */

export const ESME_ROK = 0x00; // SMPP 3.4 §5.1.3
export const ESME_RINVCMDLEN = 0x02; // invalid command length
export const ESME_RINVCMDID = 0x03; // invalid command id
export const ESME_RINVBNDSTS = 0x04; // incorrect bind status
export const ESME_RALYBND = 0x05; // already bound — Kannel treats it as success (docs/protocol.md §6.2)
export const ESME_RSYSERR = 0x08;
export const ESME_RBINDFAIL = 0x0d; // bind failed
export const ESME_RINVPASWD = 0x0e;
export const ESME_RINVSYSID = 0x0f;
export const ESME_RMSGQFUL = 0x14;
export const ESME_RINVSYSTYP = 0x53;
export const ESME_RTHROTTLED = 0x58;
export const ESME_RX_T_APPN = 0x64;
export const ESME_RQUERYFAIL = 0x67; // query_sm failed: the SMSC does not know the message

/** code -> SMPP name. SMPP 3.4 §5.1.3; 0x100+ from SMPP 5.0 §4.7.6 (names as in node-smpp defs.js). */
const STATUS_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x0000, 'ESME_ROK'],
  [0x0001, 'ESME_RINVMSGLEN'],
  [0x0002, 'ESME_RINVCMDLEN'],
  [0x0003, 'ESME_RINVCMDID'],
  [0x0004, 'ESME_RINVBNDSTS'],
  [0x0005, 'ESME_RALYBND'],
  [0x0006, 'ESME_RINVPRTFLG'],
  [0x0007, 'ESME_RINVREGDLVFLG'],
  [0x0008, 'ESME_RSYSERR'],
  [0x000a, 'ESME_RINVSRCADR'],
  [0x000b, 'ESME_RINVDSTADR'],
  [0x000c, 'ESME_RINVMSGID'],
  [0x000d, 'ESME_RBINDFAIL'],
  [0x000e, 'ESME_RINVPASWD'],
  [0x000f, 'ESME_RINVSYSID'],
  [0x0011, 'ESME_RCANCELFAIL'],
  [0x0013, 'ESME_RREPLACEFAIL'],
  [0x0014, 'ESME_RMSGQFUL'],
  [0x0015, 'ESME_RINVSERTYP'],
  [0x0033, 'ESME_RINVNUMDESTS'],
  [0x0034, 'ESME_RINVDLNAME'],
  [0x0040, 'ESME_RINVDESTFLAG'],
  [0x0042, 'ESME_RINVSUBREP'],
  [0x0043, 'ESME_RINVESMCLASS'],
  [0x0044, 'ESME_RCNTSUBDL'],
  [0x0045, 'ESME_RSUBMITFAIL'],
  [0x0048, 'ESME_RINVSRCTON'],
  [0x0049, 'ESME_RINVSRCNPI'],
  [0x0050, 'ESME_RINVDSTTON'],
  [0x0051, 'ESME_RINVDSTNPI'],
  [0x0053, 'ESME_RINVSYSTYP'],
  [0x0054, 'ESME_RINVREPFLAG'],
  [0x0055, 'ESME_RINVNUMMSGS'],
  [0x0058, 'ESME_RTHROTTLED'],
  [0x0061, 'ESME_RINVSCHED'],
  [0x0062, 'ESME_RINVEXPIRY'],
  [0x0063, 'ESME_RINVDFTMSGID'],
  [0x0064, 'ESME_RX_T_APPN'],
  [0x0065, 'ESME_RX_P_APPN'],
  [0x0066, 'ESME_RX_R_APPN'],
  [0x0067, 'ESME_RQUERYFAIL'],
  [0x00c0, 'ESME_RINVOPTPARSTREAM'],
  [0x00c1, 'ESME_ROPTPARNOTALLWD'],
  [0x00c2, 'ESME_RINVPARLEN'],
  [0x00c3, 'ESME_RMISSINGOPTPARAM'],
  [0x00c4, 'ESME_RINVOPTPARAMVAL'],
  [0x00fe, 'ESME_RDELIVERYFAILURE'],
  [0x00ff, 'ESME_RUNKNOWNERR'],
  [0x0100, 'ESME_RSERTYPUNAUTH'],
  [0x0101, 'ESME_RPROHIBITED'],
  [0x0102, 'ESME_RSERTYPUNAVAIL'],
  [0x0103, 'ESME_RSERTYPDENIED'],
  [0x0104, 'ESME_RINVDCS'],
  [0x0105, 'ESME_RINVSRCADDRSUBUNIT'],
  [0x0106, 'ESME_RINVDSTADDRSUBUNIT'],
  [0x0107, 'ESME_RINVBCASTFREQINT'],
  [0x0108, 'ESME_RINVBCASTALIAS_NAME'],
  [0x0109, 'ESME_RINVBCASTAREAFMT'],
  [0x010a, 'ESME_RINVNUMBCAST_AREAS'],
  [0x010b, 'ESME_RINVBCASTCNTTYPE'],
  [0x010c, 'ESME_RINVBCASTMSGCLASS'],
  [0x010d, 'ESME_RBCASTFAIL'],
  [0x010e, 'ESME_RBCASTQUERYFAIL'],
  [0x010f, 'ESME_RBCASTCANCELFAIL'],
  [0x0110, 'ESME_RINVBCAST_REP'],
  [0x0111, 'ESME_RINVBCASTSRVGRP'],
  [0x0112, 'ESME_RINVBCASTCHANIND'],
];

/**
 * SMPP 5.0 §4.7.6 renamed the optional-parameter statuses after TLVs (node-smpp defs.js uses these names);
 * accepted when reading a name, never written.
 */
const SMPP_50_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x00c0, 'ESME_RINVTLVSTREAM'],
  [0x00c1, 'ESME_RTLVNOTALLWD'],
  [0x00c2, 'ESME_RINVTLVLEN'],
  [0x00c3, 'ESME_RMISSINGTLV'],
  [0x00c4, 'ESME_RINVTLVVAL'],
];

const NAME_BY_CODE = new Map<number, string>(STATUS_NAMES);
const CODE_BY_NAME = new Map<string, number>(
  [...STATUS_NAMES, ...SMPP_50_NAMES].map(([code, name]) => [name, code]),
);

/** SMPP 3.4 §5.1.3: 0x400–0x4FF are reserved for SMSC vendor specific errors. */
const VENDOR_SPECIFIC_FIRST = 0x400;
const VENDOR_SPECIFIC_LAST = 0x4ff;

/** `ESME_RINVDSTADR` for 0x0B; vendor codes as `ESME_VENDOR_0x0401`, others as `ESME_0x0099`. */
export function commandStatusName(status: number): string {
  const known = NAME_BY_CODE.get(status);
  if (known) return known;
  const hex = '0x' + status.toString(16).toUpperCase().padStart(4, '0');
  if (status >= VENDOR_SPECIFIC_FIRST && status <= VENDOR_SPECIFIC_LAST) return `ESME_VENDOR_${hex}`;
  return `ESME_${hex}`;
}

/** Accepts `ESME_RTHROTTLED`, `RTHROTTLED`, `0x58` or `88`; undefined when it is none of these. */
export function commandStatusCode(nameOrNumber: string): number | undefined {
  const text = nameOrNumber.trim();
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return parseInt(text, 10);
  const upper = text.toUpperCase();
  return CODE_BY_NAME.get(upper) ?? CODE_BY_NAME.get('ESME_' + upper);
}

/**
 * What a submit_sm_resp status means for the segment:
 * - `ok`: accepted, the response carries the SMSC message id
 * - `throttle`: congestion; slow the bind down and send the segment again (connector retries)
 * - `rebind`: the SMSC thinks we are not bound; rebind and resubmit (docs/protocol.md §6.8)
 * - `transient`: a temporary SMSC failure; the caller may resubmit later
 * - `permanent`: rejected; resubmitting the same segment will fail again
 */
export type SubmitStatusClass = 'ok' | 'throttle' | 'rebind' | 'transient' | 'permanent';

export type StatusOverrides = Readonly<Record<number, Exclude<SubmitStatusClass, 'ok'>>>;

export function classifySubmitStatus(status: number, overrides: StatusOverrides = {}): SubmitStatusClass {
  const override = overrides[status];
  if (override) return override;
  switch (status) {
    case ESME_ROK:
      return 'ok';
    case ESME_RTHROTTLED:
    case ESME_RMSGQFUL:
      return 'throttle';
    case ESME_RINVBNDSTS:
      return 'rebind';
    case ESME_RSYSERR:
    case ESME_RX_T_APPN:
      return 'transient';
    default:
      return 'permanent';
  }
}

/**
 * What a bind response status means: `bound` (ESME_RALYBND counts, as in Kannel), `fatal` for credentials
 * that will not get better by retrying (stop and report; docs/protocol.md §6.2), `retry` for everything else.
 */
export type BindStatusClass = 'bound' | 'fatal' | 'retry';

export function classifyBindStatus(status: number): BindStatusClass {
  switch (status) {
    case ESME_ROK:
    case ESME_RALYBND:
      return 'bound';
    case ESME_RINVPASWD:
    case ESME_RINVSYSID:
    case ESME_RINVSYSTYP:
      return 'fatal';
    default:
      return 'retry';
  }
}
