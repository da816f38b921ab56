/**
 * What the SMSC operators' page says instead of codes: bind states as the page lists them, and SMPP
 * command statuses and receipt stats in plain words. Names and codes stay SMPP's own
 * (src/connectors/smpp/command-status.ts); only the words are added here.
 */
import { commandStatusCode, commandStatusName } from '../../connectors/smpp/command-status.ts';
import type { BindState } from '../../connectors/types.ts';

/**
 * A bind's state as text. `reconnect-wait` is the connector's name for the pause before it dials again
 * after a lost or refused bind: the operator sees `reconnecting` (issue #13 names it so).
 */
export const BIND_STATE_TEXTS: Readonly<Record<BindState, string>> = {
  idle: 'idle',
  connecting: 'connecting',
  binding: 'binding',
  bound: 'bound',
  unbinding: 'unbinding',
  'reconnect-wait': 'reconnecting',
  standby: 'standby',
  stopped: 'stopped',
  failed: 'failed',
};

/** What each state means to the operator, for the bind's title. */
const BIND_STATE_MEANING: Readonly<Record<BindState, string>> = {
  idle: 'not started yet',
  connecting: 'opening the connection to the SMSC',
  binding: 'connected, waiting for the bind response',
  bound: 'bound: segments go out through it',
  unbinding: 'closing: outstanding submits finish first',
  'reconnect-wait': 'the connection or the bind was lost: it dials again shortly',
  standby: "waiting for one of the account's binds: other workers hold them all (maxBinds)",
  stopped: 'stopped by the gateway',
  failed: 'refused for good (wrong credentials?): needs an operator',
};

function isBindState(state: string): state is BindState {
  return Object.hasOwn(BIND_STATE_TEXTS, state);
}

/** `bound`, `reconnecting`, ...; a state this version does not know is shown as it came. */
export function bindStateText(state: string): string {
  return isBindState(state) ? BIND_STATE_TEXTS[state] : state;
}

export function bindStateMeaning(state: string): string {
  return isBindState(state) ? BIND_STATE_MEANING[state] : 'unknown state';
}

/**
 * submit_sm_resp statuses in plain words: those docs/protocol.md §6.8 names as common, the congestion
 * and bind ones, and the SMPP 5.0 data coding one. Keyed by SMPP 3.4 §5.1.3 name.
 */
const COMMAND_STATUS_WORDS: Readonly<Record<string, string>> = {
  ESME_RINVMSGLEN: 'message too long',
  ESME_RINVCMDLEN: 'the SMSC could not read the PDU length',
  ESME_RINVCMDID: 'the SMSC does not know the command',
  ESME_RINVBNDSTS: 'the SMSC thinks the bind is not bound: rebind, then resend',
  ESME_RSYSERR: 'SMSC system error: resent later',
  ESME_RINVSRCADR: 'the sender address is refused',
  ESME_RINVDSTADR: 'the destination number is refused',
  ESME_RINVMSGID: 'unknown message id',
  ESME_RMSGQFUL: 'the SMSC queue is full: slowing down',
  ESME_RINVSERTYP: 'the service type is refused',
  ESME_RINVESMCLASS: 'the message class (esm_class) is refused',
  ESME_RSUBMITFAIL: 'the SMSC could not take the message',
  ESME_RINVSRCTON: 'the sender number type is refused',
  ESME_RINVSRCNPI: 'the sender numbering plan is refused',
  ESME_RINVDSTTON: 'the destination number type is refused',
  ESME_RINVDSTNPI: 'the destination numbering plan is refused',
  ESME_RTHROTTLED: 'throttled: sending faster than the account allows',
  ESME_RINVSCHED: 'the delivery time is refused',
  ESME_RINVEXPIRY: 'the validity period is refused',
  ESME_RX_T_APPN: 'temporary failure at the SMSC: resent later',
  ESME_RX_P_APPN: 'permanent failure at the SMSC',
  ESME_RX_R_APPN: 'refused by the SMSC',
  ESME_RINVOPTPARSTREAM: 'the optional parameters could not be read',
  ESME_ROPTPARNOTALLWD: 'an optional parameter is not allowed',
  ESME_RINVPARLEN: 'an optional parameter has a wrong length',
  ESME_RMISSINGOPTPARAM: 'a required optional parameter is missing',
  ESME_RINVOPTPARAMVAL: 'an optional parameter has a wrong value',
  ESME_RDELIVERYFAILURE: 'delivery failed',
  ESME_RUNKNOWNERR: 'unknown error at the SMSC',
  ESME_RINVDCS: 'the data coding is refused',
};

/**
 * Submit errors the connector records without a command status (src/connectors/types.ts SegmentOutcome):
 * the SMSC did not answer, or answered generic_nack.
 */
const OUTCOME_WORDS: Readonly<Record<string, string>> = {
  transient: 'not accepted yet (no bind free, or the SMSC busy): tried again later',
  unknown: 'no answer from the SMSC (timeout or lost connection): it may have been accepted',
  'local-bug': 'generic_nack: the SMSC could not read what we sent',
  permanent: 'refused by the SMSC',
};

/** How commandStatusName spells a code it has no name for (`ESME_VENDOR_0x0401`, `ESME_0x0099`). */
const NAMED_BY_CODE = /^ESME_(?:VENDOR_)?(0x[0-9a-f]+)$/i;

/**
 * A recorded submit error in plain words: `ESME_RTHROTTLED (0x58): throttled: ...`. Vendor codes
 * (0x400-0x4FF, SMPP 3.4 §5.1.3) and unknown names keep their name and code.
 */
export function submitErrorWords(error: string): string {
  const outcome = OUTCOME_WORDS[error];
  if (outcome) return outcome;
  const code = commandStatusCode(NAMED_BY_CODE.exec(error)?.[1] ?? error);
  if (code === undefined) return error;
  const name = commandStatusName(code);
  if (name.startsWith('ESME_VENDOR_')) return `${name}: an error of the SMSC vendor's own`;
  const hex = '0x' + code.toString(16).toUpperCase().padStart(2, '0');
  const words = COMMAND_STATUS_WORDS[name];
  return words ? `${name} (${hex}): ${words}` : `${name} (${hex})`;
}

/** The names the table has words for (a test checks each is an SMPP name). */
export const COMMAND_STATUSES_IN_WORDS: readonly string[] = Object.keys(COMMAND_STATUS_WORDS);

/**
 * Receipt stats (docs/protocol.md §6.6, SMPP 3.4 Appendix B) in plain words, with the non-standard
 * words some SMSCs use.
 */
const RECEIPT_STAT_WORDS: Readonly<Record<string, string>> = {
  DELIVRD: 'delivered to the handset',
  UNDELIV: 'handset out of coverage or memory full',
  EXPIRED: 'not delivered within the validity period',
  DELETED: 'deleted at the SMSC before delivery',
  REJECTD: 'rejected by the SMSC or the network',
  UNKNOWN: 'the SMSC does not know what became of it',
  ACCEPTD: 'accepted by the SMSC, not delivered yet',
  ENROUTE: 'on its way',
  ACKED: 'acknowledged',
  BUFFRED: 'waiting at the SMSC',
  BUFFERD: 'waiting at the SMSC',
};

/** `UNDELIV: handset out of coverage or memory full`; an unknown stat as it came. */
export function receiptStatWords(stat: string): string {
  const words = RECEIPT_STAT_WORDS[stat.toUpperCase()];
  return words ? `${stat}: ${words}` : stat;
}

/**
 * The gateway's receipt states (DeliveryReport state, the live events' `state`) in plain words for the
 * live tail.
 */
const DELIVERY_STATE_WORDS: Readonly<Record<string, string>> = {
  delivered: 'delivered',
  failed: 'undeliverable',
  expired: 'expired',
  rejected: 'rejected',
  deleted: 'deleted',
  unknown: 'outcome unknown',
  enroute: 'on its way',
  accepted: 'accepted',
};

export function deliveryStateWords(state: string): string {
  return DELIVERY_STATE_WORDS[state] ?? state;
}
