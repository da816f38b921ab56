import { CodecError } from '../../codecs/errors.ts';
import { unpackWsp } from '../../codecs/ota/unpack.ts';
import { SegmentAssembler, type SegmentInput } from '../../codecs/sms/reassemble.ts';
import { decodeUdh } from '../../codecs/sms/udh.ts';

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
  /** parts a phone would drop: malformed UDH, or contradicting the parts already held */
  discardedSegments: number;
  /** concatenated messages still waiting for parts */
  incomplete: number;
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

const MAX_PUSHES_PER_HANDSET = 100;
const MAX_PARTIALS_PER_HANDSET = 64;
/** A phone gives up on a concatenated message whose parts stop coming. */
const PARTIAL_TIMEOUT_MS = 10 * 60_000;
const MAX_HANDSETS = 10_000;
const DEFAULT_WAIT_MS = 5_000;

/** Which concatenated message a part belongs to, and where it goes in it. */
interface PartPosition {
  key: string;
  reference: number;
  total: number;
  index: number;
}

/** Message ids of the parts of one incomplete message (the assembler keeps the bytes). */
interface PartialIds {
  firstAt: number;
  origin: string;
  reference: number;
  messageIds: string[];
}

interface ReceivedPush {
  receivedAt: number;
  segments: number;
  wsp: Uint8Array;
  messageIds: string[];
  sourceAddr: string;
  destinationPort: number | null;
  sourcePort: number | null;
  decoded?: HandsetPush;
}

interface Waiter {
  count: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

class Handset {
  readonly assembler = new SegmentAssembler({ maxPendingMessages: MAX_PARTIALS_PER_HANDSET });
  readonly partialIds = new Map<string, PartialIds>();
  received: ReceivedPush[] = [];
  receivedCount = 0;
  discardedSegments = 0;
  waiters: Waiter[] = [];

  constructor(readonly msisdn: string) {}
}

/** `+447700900123` and `447700900123` are the same handset. */
export function normaliseMsisdn(msisdn: string): string {
  return msisdn.startsWith('+') ? msisdn.slice(1) : msisdn;
}

/**
 * The phones at the far end of the simulator: they reassemble WAP-push segments per destination
 * (codecs/sms SegmentAssembler, UDH or SMPP TLV parts) and decode them with codecs/ota as a phone would.
 * Decoding is deferred until someone looks, so a benchmark pushing thousands of segments a second pays
 * only for the reassembly.
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

  /**
   * Takes one accepted segment. Only port-addressed messages reach a phone's push client; the rest (plain
   * text SMS) are ignored here.
   */
  feed(segment: HandsetSegment, hasUdh: boolean): void {
    if (this.closed || segment.shortMessage === null) return;
    const origin = segment.sourceAddr;
    let input: SegmentInput;
    let position: PartPosition | null;
    if (hasUdh) {
      let elements;
      try {
        elements = decodeUdh(segment.shortMessage).elements;
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        this.handsetFor(normaliseMsisdn(segment.destinationAddr)).discardedSegments++;
        return;
      }
      if (!elements.some((element) => element.type === 'ports8' || element.type === 'ports16')) return;
      position = null;
      for (const element of elements) {
        if (element.type === 'concat8' || element.type === 'concat16') {
          position = {
            key: `${origin}|${element.type}|${element.reference}`,
            reference: element.reference,
            total: element.total,
            index: element.index,
          };
        }
      }
      input = segment.shortMessage;
    } else if (segment.destinationPort !== undefined) {
      // TLV mode: the SMSC would build the UDH from the port and SAR parameters (docs/protocol.md §5.4)
      input = {
        payload: segment.shortMessage,
        tlv: {
          destinationPort: segment.destinationPort,
          sourcePort: segment.sourcePort ?? 0,
          sarMsgRefNum: segment.sarMsgRefNum,
          sarTotalSegments: segment.sarTotalSegments,
          sarSegmentSeqnum: segment.sarSegmentSeqnum,
        },
      };
      position =
        segment.sarMsgRefNum === undefined
          ? null
          : {
              key: `${origin}|sar|${segment.sarMsgRefNum}`,
              reference: segment.sarMsgRefNum,
              total: segment.sarTotalSegments ?? 1,
              index: segment.sarSegmentSeqnum ?? 1,
            };
    } else {
      return;
    }

    const handset = this.handsetFor(normaliseMsisdn(segment.destinationAddr));
    const concatenated = position !== null && position.total > 1;
    if (concatenated) this.notePart(handset, origin, position as PartPosition, segment);
    let datagram;
    try {
      datagram = handset.assembler.accept(origin, input);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      handset.discardedSegments++;
      return;
    }
    if (!datagram) return;
    let messageIds = [segment.messageId];
    if (concatenated) {
      const key = (position as PartPosition).key;
      messageIds = handset.partialIds.get(key)?.messageIds ?? messageIds;
      handset.partialIds.delete(key);
    }
    this.complete(handset, {
      receivedAt: segment.receivedAt,
      segments: concatenated ? (position as PartPosition).total : 1,
      wsp: datagram.payload,
      messageIds,
      sourceAddr: origin,
      destinationPort: datagram.destinationPort ?? null,
      sourcePort: datagram.sourcePort ?? null,
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
        if (handset) handset.received = [];
      },
    };
  }

  summaries(): HandsetSummary[] {
    const result: HandsetSummary[] = [];
    for (const [msisdn, handset] of this.handsets) {
      const last = handset.received[handset.received.length - 1];
      result.push({
        msisdn,
        received: handset.receivedCount,
        accepted: handset.received.filter((push) => this.decode(msisdn, push).accepted).length,
        discardedSegments: handset.discardedSegments,
        incomplete: handset.assembler.pendingMessages,
        lastReceivedAt: last ? new Date(last.receivedAt).toISOString() : null,
        subscriberKnown: this.subscribers.has(msisdn),
      });
    }
    return result;
  }

  close(): void {
    this.closed = true;
    for (const handset of this.handsets.values()) {
      for (const waiter of handset.waiters)
        waiter.reject(new Error(`handset ${handset.msisdn}: simulator closed`));
      handset.waiters = [];
    }
  }

  private notePart(handset: Handset, origin: string, position: PartPosition, segment: HandsetSegment): void {
    let partial = handset.partialIds.get(position.key);
    if (!partial) {
      this.expirePartials(handset, segment.receivedAt);
      partial = { firstAt: segment.receivedAt, origin, reference: position.reference, messageIds: [] };
      handset.partialIds.set(position.key, partial);
    }
    if (position.index >= 1 && position.index <= position.total) {
      partial.messageIds[position.index - 1] = segment.messageId;
    }
  }

  /** Drops messages whose parts stopped coming, as a phone's reassembly timer would. */
  private expirePartials(handset: Handset, now: number): void {
    for (const [key, partial] of handset.partialIds) {
      if (now - partial.firstAt > PARTIAL_TIMEOUT_MS || handset.partialIds.size > MAX_PARTIALS_PER_HANDSET) {
        handset.partialIds.delete(key);
        handset.assembler.discard(partial.origin, partial.reference);
      }
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
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        handset.waiters = handset.waiters.filter((other) => other !== waiter);
        reject(
          new Error(
            `handset ${msisdn}: ${handset.receivedCount} of ${count} pushes after ${timeoutMs} ms ` +
              `(${handset.assembler.pendingMessages} incomplete)`,
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
      segments: push.segments,
      messageIds: push.messageIds,
      sourceAddr: push.sourceAddr,
      destinationPort: push.destinationPort,
      sourcePort: push.sourcePort,
    };
    let decoded: HandsetPush;
    try {
      const unpacked = unpackWsp(push.wsp, this.subscribers.get(msisdn) ?? {});
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
      if (!(error instanceof CodecError)) throw error;
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
        errorCode: error.code,
        errorMessage: error.message,
      };
    }
    push.decoded = decoded;
    return decoded;
  }
}
