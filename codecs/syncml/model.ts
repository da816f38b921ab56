/**
 * The SyncML DM 1.2 message model: what decodeSyncMlXml / decodeSyncMlWbxml return and what
 * encodeSyncMlXml / encodeSyncMlWbxml take. One shape for both representations
 * (docs/protocol-dm.md §1, §5).
 *
 * Identifiers (SessionID, MsgID, CmdID, MsgRef, CmdRef) are kept as the text the peer sent: the DTD makes
 * them PCDATA, and a server that answers with `MsgRef`/`CmdRef` must echo them exactly
 * (docs/protocol-dm.md §1 "Numbering"). Sizes are numbers: they are compared, never echoed.
 */

/** A Target or Source: the URI, and the optional display name (the user name in MR 5.1.3.1). */
export interface SyncMlLocation {
  locUri: string;
  locName?: string;
}

/**
 * Meta (MetInf, code page 1, namespace `syncml:metinf`). Only the fields a DM server or client uses
 * (docs/protocol-dm.md §5.4 "bold" tags, plus Version); others are read and dropped.
 */
export interface SyncMlMeta {
  /** `chr`, `int`, `bool`, `bin`, `b64`, `node`, … (docs/protocol-dm.md §5.6). */
  format?: string;
  /** A MIME type, an MO identifier or an auth type such as `syncml:auth-md5`. */
  type?: string;
  /** Generic Alert severity (docs/protocol-dm.md §2.6). */
  mark?: string;
  /** Total size of a large object, in its first chunk (docs/protocol-dm.md §2.8). */
  size?: number;
  maxMsgSize?: number;
  maxObjSize?: number;
  /** The nonce as sent: base64 text (docs/protocol-dm.md §4.2). */
  nextNonce?: string;
  version?: string;
}

/** Cred: Meta (Type/Format) and the credential text (docs/protocol-dm.md §4.1). */
export interface SyncMlCred {
  meta?: SyncMlMeta;
  data: string;
}

/** Chal: the auth type and format asked for, and NextNonce for md5/MAC (docs/protocol-dm.md §4.2). */
export interface SyncMlChal {
  meta: SyncMlMeta;
}

/**
 * Item Data. Text stays a string — base64 under Format `b64` too, as the wire has it (dataOctets in
 * message.ts decodes it). A Uint8Array comes out of the WBXML decoder when OPAQUE carries Format `bin`
 * or is not UTF-8 (embedded WBXML such as TNDS). The encoders write a Uint8Array as base64 text under
 * Format `b64`; under `bin` as raw OPAQUE in WBXML, as base64 with Format `b64` in XML
 * (docs/protocol-dm.md §5.6); under any other Format it is a CodecError('SYNCML_BINARY_DATA_FORMAT').
 */
export type SyncMlData = string | Uint8Array;

export interface SyncMlItem {
  target?: SyncMlLocation;
  source?: SyncMlLocation;
  meta?: SyncMlMeta;
  data?: SyncMlData;
  /** More chunks of this object follow (docs/protocol-dm.md §2.8). */
  moreData?: boolean;
}

interface CommandBase {
  cmdId: string;
}

/** Status (docs/protocol-dm.md §1 "Status children", §3). */
export interface SyncMlStatus extends CommandBase {
  kind: 'Status';
  msgRef: string;
  /** `0` for the Status of a SyncHdr. */
  cmdRef: string;
  /** The element name of the command answered: `SyncHdr`, `Get`, `Alert`, … */
  cmd: string;
  targetRefs?: string[];
  sourceRefs?: string[];
  cred?: SyncMlCred;
  chal?: SyncMlChal;
  /** The status code, e.g. `200`, `212`, `401` (text, as the DTD has it). */
  data: string;
  items?: SyncMlItem[];
}

/** Alert: the code in Data (docs/protocol-dm.md §2.5), Correlator for Generic Alerts (§2.6). */
export interface SyncMlAlert extends CommandBase {
  kind: 'Alert';
  noResp?: boolean;
  data: string;
  correlator?: string;
  items?: SyncMlItem[];
}

/** The commands that carry Items and nothing else of their own (docs/protocol-dm.md §2.4). */
export interface SyncMlItemCommand extends CommandBase {
  kind: 'Get' | 'Replace' | 'Add' | 'Delete' | 'Copy';
  noResp?: boolean;
  meta?: SyncMlMeta;
  items: SyncMlItem[];
}

/** Exec: exactly one Item, the node to run; Correlator echoed in a later Generic Alert (§2.4, §6.4). */
export interface SyncMlExec extends CommandBase {
  kind: 'Exec';
  noResp?: boolean;
  meta?: SyncMlMeta;
  correlator?: string;
  items: [SyncMlItem];
}

/** Results: the answer to a Get (docs/protocol-dm.md §2.1 pkg 3). */
export interface SyncMlResults extends CommandBase {
  kind: 'Results';
  msgRef?: string;
  cmdRef: string;
  meta?: SyncMlMeta;
  targetRefs?: string[];
  sourceRefs?: string[];
  items: SyncMlItem[];
}

/** Atomic / Sequence: nested commands (docs/protocol-dm.md §2.4). */
export interface SyncMlContainer extends CommandBase {
  kind: 'Atomic' | 'Sequence';
  noResp?: boolean;
  meta?: SyncMlMeta;
  commands: SyncMlNestedCommand[];
}

/**
 * A SyncBody element the codec knows but DM does not use (Map, Put, Sync, Search, Move …,
 * docs/protocol-dm.md §2.4 last row): decoded so the server can answer it with a Status (406/501) instead
 * of refusing the message; never encoded.
 */
export interface SyncMlUnsupported extends CommandBase {
  kind: 'Unsupported';
  /** The element name, e.g. `Sync`. */
  element: string;
}

export type SyncMlNestedCommand =
  SyncMlItemCommand | SyncMlExec | SyncMlAlert | SyncMlContainer | SyncMlUnsupported;

export type SyncMlCommand = SyncMlStatus | SyncMlResults | SyncMlNestedCommand;

export type SyncMlCommandKind = SyncMlCommand['kind'];

/** SyncHdr, children in the order docs/protocol-dm.md §1 gives. */
export interface SyncMlHeader {
  /** `1.2` (or `1.1` for DM 1.1 handsets, docs/protocol-dm.md §5.1). */
  verDtd: string;
  /** `DM/1.2`. */
  verProto: string;
  sessionId: string;
  msgId: string;
  /** The receiver. */
  target: SyncMlLocation;
  /** The sender. */
  source: SyncMlLocation;
  respUri?: string;
  noResp?: boolean;
  cred?: SyncMlCred;
  /** MaxMsgSize / MaxObjSize of the sender (docs/protocol-dm.md §2.7, §2.8). */
  meta?: SyncMlMeta;
}

export interface SyncMlBody {
  /** In message order; Status and commands may interleave. */
  commands: SyncMlCommand[];
  /** `<Final/>`: the last message of a package (docs/protocol-dm.md §2.7). */
  final: boolean;
}

export interface SyncMlMessage {
  header: SyncMlHeader;
  body: SyncMlBody;
}
