import { CodecError } from '../../codecs/errors.ts';
import type { unpackSegments } from '../../codecs/ota/unpack.ts';

// TEMPORARY until codecs/sms lands: the decoder is loaded lazily so the rest of the simulator runs.
let unpack: typeof unpackSegments | null = null;
export async function loadHandsetDecoder(): Promise<void> {
  try {
    unpack = (await import('../../codecs/ota/unpack.ts')).unpackSegments;
  } catch {
    unpack = null;
  }
}
import { ByteReader } from '../../codecs/bytes/reader.ts';

export interface SubscriberCredentials {
  imsi?: string;
  pin?: string;
}

/**
 * What a phone would do with a push:
 * - accepted: decoded, MAC verified with the subscriber's IMSI/PIN;
 * - needs-user-confirmation: decoded, unsigned (a phone asks the user before installing; counts as accepted);
 * - needs-credentials: signed, but the simulator does not know the IMSI/PIN to check it with;
 * - mac-invalid: the MAC does not verify (a phone silently discards it);
 * - undecodable: the bytes do not decode (errorCode says why).
 */
export type HandsetVerdict =
  'accepted' | 'needs-user-confirmation' | 'needs-credentials' | 'mac-invalid' | 'undecodable';

export interface HandsetPush {
  receivedAt: string;
  segments: number;
  /** SMSC message numbers (decimal) of the segments, in segment order. */
  messageIds: string[];
  /** source_addr of the segments (the gateway's sender address). */
  sourceAddr: string;
  destinationPort: number | null;
  sourcePort: number | null;
  contentType: string | null;
  documentType: string | null;
  sec: string | null;
  mac: string | null;
  macValid: boolean | null;
  accepted: boolean;
  status: HandsetVerdict;
  xml: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface HandsetInbox {
  readonly msisdn: string;
  /** Pushes received so far (decoded on first read), oldest first. */
  pushes(): HandsetPush[];
  /** How many complete pushes arrived (including any dropped from the list by its size limit). */
  count(): number;
  /** Resolves with pushes() once at least `count` pushes arrived; rejects after timeoutMs. */
  waitFor(count: number, timeoutMs?: number): Promise<HandsetPush[]>;
  clear(): void;
}

export interface HandsetSummary {
  msisdn: string;
  received: number;
  accepted: number;
  lastReceivedAt: string | null;
  subscriberKnown: boolean;
}

/** The fields of an accepted submit the handset needs (a SubmittedSegment satisfies it). */
export interface HandsetSegment {
  messageId: string;
  receivedAt: number;
  sourceAddr: string;
  destinationAddr: string;
  shortMessage: Uint8Array | null;
  sourcePort?: number;
  destinationPort?: number;
  sarMsgRefNum?: number;
  sarTotalSegments?: number;
  sarSegmentSeqnum?: number;
}

/** UDH information element identifiers (3GPP TS 23.040 §9.2.3.24; DIGEST §5.1). */
const IEI_CONCAT_8BIT_REF = 0x00;
const IEI_PORT_8BIT = 0x04;
const IEI_PORT_16BIT = 0x05;
const IEI_CONCAT_16BIT_REF = 0x08;
const CONCAT_16BIT_LENGTH = 4;
const PORT_16BIT_LENGTH = 4;

const MAX_PUSHES_PER_HANDSET = 100;
const MAX_PARTIALS_PER_HANDSET = 64;
/** A phone gives up on a concatenated message whose parts stop coming. */
const PARTIAL_TIMEOUT_MS = 10 * 60_000;
const MAX_HANDSETS = 10_000;
const DEFAULT_WAIT_MS = 5_000;

interface SegmentHeader {
  reference: number | null;
  total: number;
  sequence: number;
  destinationPort: number | null;
  sourcePort: number | null;
}

interface Partial {
  total: number;
  parts: Array<Uint8Array | undefined>;
  messageIds: string[];
  have: number;
  firstAt: number;
  destinationPort: number | null;
  sourcePort: number | null;
}

interface ReceivedPush {
  receivedAt: number;
  tpuds: Uint8Array[];
  messageIds: string[];
  sourceAddr: string;
  destinationPort: number | null;
  sourcePort: number | null;
  decoded?: HandsetPush;
}

interface Waiter {
  count: number;
  resolve: () => void;
}

class Handset {
  readonly partials = new Map<string, Partial>();
  received: ReceivedPush[] = [];
  receivedCount = 0;
  waiters: Waiter[] = [];

  constructor(readonly msisdn: string) {}
}

/** `+447700900123` and `447700900123` are the same handset. */
export function normaliseMsisdn(msisdn: string): string {
  return msisdn.startsWith('+') ? msisdn.slice(1) : msisdn;
}

/**
 * The phones at the far end of the simulator: they reassemble WAP-push segments per destination and
 * decode them with codecs/ as a phone would. Decoding is deferred until someone looks, so a benchmark
 * pushing thousands of segments a second pays only for the reassembly bookkeeping.
 */
export class VirtualHandsets {
  private readonly handsets = new Map<string, Handset>();
  private readonly subscribers = new Map<string, SubscriberCredentials>();
  private closed = false;

  registerSubscriber(msisdn: string, credentials: SubscriberCredentials): void {
    const key = normaliseMsisdn(msisdn);
    this.subscribers.set(key, { ...credentials });
    // verdicts depend on the credentials: decode again on the next read
    const handset = this.handsets.get(key);
    if (handset) for (const push of handset.received) push.decoded = undefined;
  }

  /** Takes one accepted segment; ignores it unless it is port-addressed (what a phone routes to its push client). */
  feed(segment: HandsetSegment, hasUdh: boolean): void {
    if (this.closed || segment.shortMessage === null) return;
    let tpud = segment.shortMessage;
    let header: SegmentHeader | null;
    if (hasUdh) {
      header = readSegmentHeader(tpud);
    } else if (segment.destinationPort !== undefined) {
      // TLV mode: the SMSC builds the UDH from the port and SAR parameters (DIGEST §5.4), and so do we
      header = headerFromTlvs(segment);
      tpud = withUdh(tpud, header);
    } else {
      return;
    }
    if (header === null || header.destinationPort === null) return;

    const handset = this.handsetFor(normaliseMsisdn(segment.destinationAddr));
    if (header.reference === null || header.total <= 1) {
      this.complete(handset, {
        receivedAt: segment.receivedAt,
        tpuds: [tpud],
        messageIds: [segment.messageId],
        sourceAddr: segment.sourceAddr,
        destinationPort: header.destinationPort,
        sourcePort: header.sourcePort,
      });
      return;
    }
    if (header.sequence < 1 || header.sequence > header.total) return; // a phone drops such a part
    const key = `${segment.sourceAddr}|${header.reference}|${header.total}`;
    let partial = handset.partials.get(key);
    if (!partial) {
      this.expirePartials(handset, segment.receivedAt);
      partial = {
        total: header.total,
        parts: new Array(header.total),
        messageIds: new Array(header.total),
        have: 0,
        firstAt: segment.receivedAt,
        destinationPort: header.destinationPort,
        sourcePort: header.sourcePort,
      };
      handset.partials.set(key, partial);
    }
    const index = header.sequence - 1;
    if (partial.parts[index] === undefined) partial.have++;
    partial.parts[index] = tpud; // a repeated part replaces the earlier copy
    partial.messageIds[index] = segment.messageId;
    if (partial.have < partial.total) return;
    handset.partials.delete(key);
    this.complete(handset, {
      receivedAt: segment.receivedAt,
      tpuds: partial.parts as Uint8Array[],
      messageIds: partial.messageIds,
      sourceAddr: segment.sourceAddr,
      destinationPort: partial.destinationPort,
      sourcePort: partial.sourcePort,
    });
  }

  inbox(msisdn: string): HandsetInbox {
    const key = normaliseMsisdn(msisdn);
    const current = () => this.handsets.get(key);
    return {
      msisdn: key,
      pushes: () => {
        const handset = current();
        return handset ? handset.received.map((push) => this.decode(key, push)) : [];
      },
      count: () => current()?.receivedCount ?? 0,
      waitFor: (count, timeoutMs = DEFAULT_WAIT_MS) => this.waitFor(key, count, timeoutMs),
      clear: () => {
        const handset = current();
        if (!handset) return;
        handset.received = [];
        handset.partials.clear();
      },
    };
  }

  summaries(): HandsetSummary[] {
    const result: HandsetSummary[] = [];
    for (const [msisdn, handset] of this.handsets) {
      const pushes = handset.received.map((push) => this.decode(msisdn, push));
      const last = handset.received[handset.received.length - 1];
      result.push({
        msisdn,
        received: handset.receivedCount,
        accepted: pushes.filter((push) => push.accepted).length,
        lastReceivedAt: last ? new Date(last.receivedAt).toISOString() : null,
        subscriberKnown: this.subscribers.has(msisdn),
      });
    }
    return result;
  }

  close(): void {
    this.closed = true;
    for (const handset of this.handsets.values()) {
      for (const waiter of handset.waiters) waiter.resolve();
      handset.waiters = [];
    }
  }

  private handsetFor(msisdn: string): Handset {
    let handset = this.handsets.get(msisdn);
    if (!handset) {
      if (this.handsets.size >= MAX_HANDSETS) {
        for (const [oldest, candidate] of this.handsets) {
          if (candidate.waiters.length === 0) {
            this.handsets.delete(oldest);
            break;
          }
        }
      }
      handset = new Handset(msisdn);
      this.handsets.set(msisdn, handset);
    }
    return handset;
  }

  private complete(handset: Handset, push: ReceivedPush): void {
    handset.received.push(push);
    if (handset.received.length > MAX_PUSHES_PER_HANDSET) handset.received.shift();
    handset.receivedCount++;
    if (handset.waiters.length > 0) {
      const waiting = handset.waiters;
      handset.waiters = waiting.filter((waiter) => waiter.count > handset.receivedCount);
      for (const waiter of waiting) if (waiter.count <= handset.receivedCount) waiter.resolve();
    }
  }

  private expirePartials(handset: Handset, now: number): void {
    for (const [key, partial] of handset.partials) {
      if (now - partial.firstAt > PARTIAL_TIMEOUT_MS || handset.partials.size >= MAX_PARTIALS_PER_HANDSET) {
        handset.partials.delete(key);
      }
    }
  }

  private waitFor(msisdn: string, count: number, timeoutMs: number): Promise<HandsetPush[]> {
    const handset = this.handsetFor(msisdn);
    const result = () => handset.received.map((push) => this.decode(msisdn, push));
    if (handset.receivedCount >= count) return Promise.resolve(result());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(result());
        },
      };
      const timer = setTimeout(() => {
        handset.waiters = handset.waiters.filter((other) => other !== waiter);
        reject(
          new Error(
            `handset ${msisdn}: ${handset.receivedCount} of ${count} pushes after ${timeoutMs} ms ` +
              `(${handset.partials.size} incomplete)`,
          ),
        );
      }, timeoutMs);
      handset.waiters.push(waiter);
    });
  }

  private decode(msisdn: string, push: ReceivedPush): HandsetPush {
    if (push.decoded) return push.decoded;
    const base = {
      receivedAt: new Date(push.receivedAt).toISOString(),
      segments: push.tpuds.length,
      messageIds: push.messageIds,
      sourceAddr: push.sourceAddr,
      destinationPort: push.destinationPort,
      sourcePort: push.sourcePort,
    };
    let decoded: HandsetPush;
    try {
      if (!unpack) throw new CodecError('DECODER_UNAVAILABLE', 'codecs/ota/unpack.ts did not load');
      const unpacked = unpack(push.tpuds, this.subscribers.get(msisdn) ?? {});
      const status: HandsetVerdict =
        unpacked.sec === null
          ? 'needs-user-confirmation'
          : unpacked.macValid === true
            ? 'accepted'
            : unpacked.macValid === false
              ? 'mac-invalid'
              : 'needs-credentials';
      decoded = {
        ...base,
        contentType: unpacked.contentType,
        documentType: unpacked.documentType,
        sec: unpacked.sec,
        mac: unpacked.mac,
        macValid: unpacked.macValid,
        accepted: status === 'accepted' || status === 'needs-user-confirmation',
        status,
        xml: unpacked.xml,
        errorCode: null,
        errorMessage: null,
      };
    } catch (error) {
      decoded = {
        ...base,
        contentType: null,
        documentType: null,
        sec: null,
        mac: null,
        macValid: null,
        accepted: false,
        status: 'undecodable',
        xml: null,
        errorCode: error instanceof CodecError ? error.code : 'INTERNAL_ERROR',
        errorMessage: error instanceof Error ? error.message : String(error),
      };
    }
    push.decoded = decoded;
    return decoded;
  }
}

/** Concatenation and port IEs of a TP-UD with UDH; null when the UDH is malformed. */
function readSegmentHeader(tpud: Uint8Array): SegmentHeader | null {
  const header: SegmentHeader = {
    reference: null,
    total: 1,
    sequence: 1,
    destinationPort: null,
    sourcePort: null,
  };
  try {
    const reader = new ByteReader(tpud);
    const udhLength = reader.u8('UDHL');
    const udh = new ByteReader(reader.take(udhLength, 'the UDH'));
    while (!udh.atEnd) {
      const iei = udh.u8('an IEI');
      const data = new ByteReader(udh.take(udh.u8('an IEDL'), 'an information element'));
      if (iei === IEI_CONCAT_8BIT_REF && data.remaining === 3) {
        header.reference = data.u8();
        header.total = data.u8();
        header.sequence = data.u8();
      } else if (iei === IEI_CONCAT_16BIT_REF && data.remaining === 4) {
        header.reference = data.u16();
        header.total = data.u8();
        header.sequence = data.u8();
      } else if (iei === IEI_PORT_8BIT && data.remaining === 2) {
        header.destinationPort = data.u8();
        header.sourcePort = data.u8();
      } else if (iei === IEI_PORT_16BIT && data.remaining === 4) {
        header.destinationPort = data.u16();
        header.sourcePort = data.u16();
      }
    }
  } catch (error) {
    if (error instanceof CodecError) return null;
    throw error;
  }
  return header;
}

function headerFromTlvs(segment: HandsetSegment): SegmentHeader {
  const concatenated = segment.sarMsgRefNum !== undefined && (segment.sarTotalSegments ?? 1) > 1;
  return {
    reference: concatenated ? (segment.sarMsgRefNum as number) : null,
    total: concatenated ? (segment.sarTotalSegments as number) : 1,
    sequence: concatenated ? (segment.sarSegmentSeqnum ?? 1) : 1,
    destinationPort: segment.destinationPort ?? null,
    sourcePort: segment.sourcePort ?? 0,
  };
}

/** The TP-UD a handset receives when the SMSC turns port and SAR TLVs into a UDH (DIGEST §5.1, §5.4). */
function withUdh(payload: Uint8Array, header: SegmentHeader): Uint8Array {
  const elements: number[] = [
    IEI_PORT_16BIT,
    PORT_16BIT_LENGTH,
    (header.destinationPort ?? 0) >> 8,
    (header.destinationPort ?? 0) & 0xff,
    (header.sourcePort ?? 0) >> 8,
    (header.sourcePort ?? 0) & 0xff,
  ];
  if (header.reference !== null) {
    elements.push(
      IEI_CONCAT_16BIT_REF,
      CONCAT_16BIT_LENGTH,
      header.reference >> 8,
      header.reference & 0xff,
      header.total,
      header.sequence,
    );
  }
  const tpud = new Uint8Array(1 + elements.length + payload.length);
  tpud[0] = elements.length;
  tpud.set(elements, 1);
  tpud.set(payload, 1 + elements.length);
  return tpud;
}
