/**
 * The types the rest of the gateway speaks to reach an SMSC. Nothing here knows what a PDU is
 * (DESIGN "Two boundaries"): a push goes out as segments, per-segment results come back, receipts and
 * MO messages come out as events.
 */

/** One SMS of a push as codecs/sms `segmentDatagram` makes it, in the SMSC's segment mode (udh or tlv). */
export type { SmsSegment } from '../../codecs/sms/segment.ts';
import type { SmsSegment } from '../../codecs/sms/segment.ts';
export type { TextAlphabet } from '../../codecs/sms/text.ts';
import type { TextAlphabet } from '../../codecs/sms/text.ts';

export type SegmentMode = 'udh' | 'tlv';

/**
 * What a push carries. The SMSC connector turns it, with the SMSC's own settings, into data_coding and
 * esm_class (smpp/submit-sm.ts):
 * - `wap-push`: binary WDP datagram segments (codecs/sms `segmentDatagram`), sent with the data coding
 *   configured for the SMSC (`dataCoding`, `dcs=` in SMSC_URL; default 0x04, 8-bit) and in its segment mode
 * - `text`: plain text (codecs/sms `segmentText`) in the push's `alphabet`: GSM 7-bit, one septet per octet
 *   (data_coding 0x00), or UCS-2 (0x08); one segment without a UDH, or concatenated parts whose UDH
 *   (8-bit concatenation element) the connector flags with UDHI; never port-addressed, so sent as it is
 *   whatever the SMSC's segment mode
 */
export type PushKind = 'wap-push' | 'text';

/**
 * Which segments ask the SMSC for a delivery receipt: `each-segment`: every one, the way the SMSC is
 * configured to be asked (`registeredDelivery`, `dlr=` in SMSC_URL; default 1, final outcome; an SMSC
 * configured with 0 is never asked); `none`: no segment.
 */
export type ReceiptRequest = 'each-segment' | 'none';

export interface OutboundPush {
  /** the caller's id for the push; receipts matched to its segments carry it back */
  id: string;
  /** MSISDN as the SMSC expects it (digits, international without '+') */
  destination: string;
  /** what the segments carry (default `wap-push`); the connector picks the SMPP fields for it */
  kind?: PushKind;
  segments: SmsSegment[];
  /** default `each-segment` */
  receipts?: ReceiptRequest;
  validityMinutes?: number;
  /** kind `text`: the alphabet of its segments (default `gsm7`) */
  alphabet?: TextAlphabet;
  /** the sender address the handset sees and replies to (a short code); default: the SMSC's `sourceAddr` */
  source?: string;
  /**
   * kind `text`, one segment: the answer to a USSD request. An SMSC configured with `ussd` gets it in the
   * subscriber's USSD session (ussd_service_op pssr-response); any other sends it as an SMS.
   */
  ussdAnswer?: boolean;
  /**
   * Told of each segment the SMSC accepted, as its submit_sm_resp comes (before the whole push is
   * answered), so that the caller can store its message id at once: a job killed mid-push then resends
   * only the segments without one (issue #15).
   */
  onAccepted?: (result: Extract<SegmentResult, { ok: true }>) => void;
}

/**
 * The outcome of one segment.
 * - `permanent`: the SMSC refused it; sending it again will fail again
 * - `transient`: not accepted, but may be later (also: never sent at all); safe to resend
 * - `unknown`: sent, no answer (response timeout or link loss); the SMSC may have accepted it — the
 *   caller decides whether to risk a duplicate
 * - `local-bug`: the SMSC could not parse what we sent (generic_nack); do not blindly resend
 */
export type SegmentOutcome = 'permanent' | 'transient' | 'unknown' | 'local-bug';

export type SegmentResult =
  | {
      index: number;
      ok: true;
      /** normalised per the SMSC's message-id base (see smpp/message-id.ts): what receipts are matched on */
      messageId: string;
      /** the id exactly as the SMSC sent it in submit_sm_resp; absent: the same as messageId */
      rawMessageId?: string;
      smscId: string;
      bindId: string;
    }
  | {
      index: number;
      ok: false;
      outcome: SegmentOutcome;
      /** SMPP command_status when the SMSC answered */
      status?: number;
      statusName?: string;
      message: string;
      smscId?: string;
      bindId?: string;
    };

export type DeliveryState =
  'delivered' | 'failed' | 'expired' | 'rejected' | 'deleted' | 'unknown' | 'enroute' | 'accepted';

export interface DeliveryReport {
  smscId: string;
  /** normalised per the SMSC's receipt message-id base; equal to SegmentResult.messageId when they match */
  messageId: string;
  /** the id as the SMSC wrote it in the receipt */
  rawMessageId: string;
  state: DeliveryState;
  /** the `stat:` word when the receipt had text */
  stat?: string;
  /** the `err:` field when the receipt had text */
  error?: string;
  networkErrorCode?: number;
  /** the SMSC's `submit date` / `done date` (receipt text; minute precision, its clock, read in its timeZone) */
  submittedAt?: Date;
  doneAt?: Date;
  /** when this gateway received the receipt (our clock): the segment's receipt time */
  receivedAt?: Date;
  /** where the id and state came from: TLVs or the receipt text, or a query_sm answer (issue #15 item 2) */
  source: 'tlv' | 'text' | 'query';
  /** the handset address the receipt is about */
  destination?: string;
  bindId?: string;
  /** filled when the receipt was matched to a segment this process submitted */
  pushId?: string;
  segmentIndex?: number;
}

export interface MoMessage {
  smscId: string;
  bindId?: string;
  from: string;
  to: string;
  /** decoded text ('' for binary content) */
  text: string;
  /** user data without the UDH */
  bytes: Uint8Array;
  udh?: Uint8Array;
  dataCoding: number;
  /** present when the SMSC marked the message as USSD (ussd_service_op TLV) */
  ussd?: { serviceOp: number };
}

export type BindMode = 'trx' | 'tx' | 'rx';

export type BindState =
  | 'idle'
  | 'connecting'
  | 'binding'
  | 'bound'
  | 'unbinding'
  | 'reconnect-wait'
  /** waiting for one of the SMSC account's bind leases (maxBinds): other workers hold them all */
  | 'standby'
  | 'stopped'
  /** refused for good (wrong credentials); needs an operator */
  | 'failed';

export interface BindStatus {
  smscId: string;
  bindId: string;
  mode: BindMode;
  state: BindState;
  /** last error, e.g. `bind refused: ESME_RINVPASWD` or `connection lost` */
  lastError?: string;
  boundSince?: Date;
  reconnects: number;
  windowUsed: number;
  windowSize: number;
  /** allowed submit_sm per second right now (Infinity = not limited) */
  currentTps: number;
  /** submit_sm actually sent per second, over the last second */
  sentPerSecond: number;
  /**
   * submit_sm -> submit_sm_resp round trip in ms: smoothed (EWMA, RFC 6298's 1/8 gain) and the last one;
   * undefined before the first answer
   */
  rttMs?: { smoothed: number; last: number };
  submitted: number;
  throttled: number;
}

/**
 * Handed with each receipt and MO message: a listener that stores it passes the promise of that write, and
 * the SMSC's deliver_sm_resp waits for it (issue #15 item 1). Stored: answered ESME_ROK; failed or past the
 * SMSC's `ackTimeoutMs`: answered with an error, so the SMSC sends it again (duplicates are dropped). No
 * listener holding it: answered at once.
 */
export interface Acknowledgement {
  waitFor(stored: Promise<unknown>): void;
}

/** A message the gateway asks its SMSC about (query_sm): the id as submit_sm_resp gave it. */
export interface StatusQuery {
  smscId: string;
  /** the id exactly as the SMSC sent it (segments.message_id) */
  rawMessageId: string;
}

/**
 * The SMSC's answer to a query_sm: the message's state (final or not; docs/protocol.md §6.6 states),
 * `unknown-message` (ESME_RQUERYFAIL: it does not know the id), or `no-answer` (not bound, refused,
 * timed out).
 */
export type StatusAnswer =
  | { outcome: 'state'; state: DeliveryState; final: boolean; errorCode?: number; finalDate?: Date }
  | { outcome: 'unknown-message' }
  | { outcome: 'no-answer'; reason: string };

export interface SmscConnectorEvents {
  receipt: [report: DeliveryReport, ack: Acknowledgement];
  mo: [message: MoMessage, ack: Acknowledgement];
  'bind-state': [status: BindStatus];
}

export interface SmscConnector {
  readonly id: string;
  start(): Promise<void>;
  /** graceful: lets outstanding submits finish (bounded), then unbinds */
  stop(): Promise<void>;
  /** one result per segment, in segment order; never rejects for SMSC failures */
  submit(push: OutboundPush): Promise<SegmentResult[]>;
  status(): BindStatus[];
  /** true when at least one bind that can submit is bound */
  isAvailable(): boolean;
  /**
   * How segments for this destination must be made (codecs/sms `segmentDatagram` mode): with the UDH
   * in the payload, or with port/SAR TLVs for the SMSC to build it. undefined: no SMSC takes it.
   */
  segmentModeFor(destination: string): SegmentMode | undefined;
  /**
   * The SMSCs that answer query_sm, with how long after a submit a segment without its final receipt is
   * asked about (statusQueryAfterMs). Absent or empty: no status queries.
   */
  statusQueries?(): Array<{ smscId: string; afterMs: number }>;
  /** Asks the SMSC about a message (query_sm). */
  queryStatus?(query: StatusQuery): Promise<StatusAnswer>;
  on<E extends keyof SmscConnectorEvents>(
    event: E,
    listener: (...args: SmscConnectorEvents[E]) => void,
  ): this;
  off<E extends keyof SmscConnectorEvents>(
    event: E,
    listener: (...args: SmscConnectorEvents[E]) => void,
  ): this;
}
