import { CodecError } from '../../codecs/errors.ts';
import { unpackWsp } from '../../codecs/ota/unpack.ts';
import { SegmentAssembler, type SegmentInput } from '../../codecs/sms/reassemble.ts';
import { decodeUdh, type ConcatElement } from '../../codecs/sms/udh.ts';
import type { SecurityCredentials } from '../../codecs/ota/security.ts';
import { attribute, isElement, type XmlElement } from '../../codecs/xml/element.ts';

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
  /** the MAC verified with a PIN the handset read in a text it received (USER* methods), as a user types it */
  pinFromText: boolean;
  /** an SI or SL push as the phone reads it (docs/protocol.md §8); null for other pushes */
  service: HandsetServiceMessage | null;
}

/**
 * What a phone's push inbox shows of a Service Indication (a text and a link) or does with a Service
 * Loading (loads or caches the link). Absent attributes are null: the handset's defaults apply.
 */
export interface HandsetServiceMessage {
  kind: 'si' | 'sl';
  href: string | null;
  action: string | null;
  /** SI only: si-id, created, si-expires (%Datetime, docs/protocol.md §8.3) and the indication's text */
  siId: string | null;
  created: string | null;
  expires: string | null;
  text: string | null;
}

/** A plain-text SMS as the phone shows it, its parts joined. */
export interface HandsetText {
  receivedAt: string;
  /** source_addr: who the phone would answer */
  from: string;
  text: string;
  /** how many SMS carried it (concatenated parts) */
  segments: number;
}

export interface HandsetInbox {
  readonly msisdn: string;
  /** Plain texts received so far (concatenated ones once complete), oldest first. */
  texts(): HandsetText[];
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

/** The fields of an accepted text submit the handset needs (a SubmittedSegment satisfies it). */
export interface HandsetTextSegment {
  receivedAt: number;
  sourceAddr: string;
  destinationAddr: string;
  text: string | null;
  /** UDHL and its elements, when the text carries a UDH */
  udh: Uint8Array | null;
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
const MAX_TEXTS_PER_HANDSET = 100;
/** A user reads the PIN (4 digits; a USERPINMAC code is longer, docs/protocol.md §3.4, §3.6) off a text. */
const PIN_IN_TEXT = /\d{4,16}/g;
/** SEC methods whose key has a PIN the user enters (docs/protocol.md §3.4–3.6). */
const USER_PIN_METHODS = new Set(['USERPIN', 'USERNETWPIN', 'USERPINMAC']);
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

/** The parts of a concatenated text that arrived so far. */
interface PartialText {
  firstAt: number;
  total: number;
  parts: Array<string | undefined>;
}

class Handset {
  readonly assembler = new SegmentAssembler({ maxPendingMessages: MAX_PARTIALS_PER_HANDSET });
  readonly partialIds = new Map<string, PartialIds>();
  readonly partialTexts = new Map<string, PartialText>();
  texts: HandsetText[] = [];
  received: ReceivedPush[] = [];
  receivedCount = 0;
  discardedSegments = 0;
  waiters: Waiter[] = [];

  constructor(readonly msisdn: string) {}
}

export type PushListener = (msisdn: string, wsp: Uint8Array, decoded: () => HandsetPush) => void;

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
  private pushListener: PushListener | null = null;

  /** Told of every complete push (the DM handsets, dm-handset.ts); `decoded` decodes it on demand. */
  onPush(listener: PushListener | null): void {
    this.pushListener = listener;
  }

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

  /**
   * Takes one accepted plain-text segment: concatenated parts (8- or 16-bit reference) are joined once all
   * arrived; a complete text may carry the PIN of a USER*-signed push, so pushes are read again.
   */
  feedText(segment: HandsetTextSegment): void {
    if (this.closed || segment.text === null) return;
    const handset = this.handsetFor(normaliseMsisdn(segment.destinationAddr));
    let concat: ConcatElement | undefined;
    if (segment.udh !== null) {
      try {
        concat = decodeUdh(segment.udh).elements.find(
          (element): element is ConcatElement => element.type === 'concat8' || element.type === 'concat16',
        );
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        handset.discardedSegments++;
        return;
      }
    }
    const text = concat && concat.total > 1 ? joinTextPart(handset, segment, concat) : segment.text;
    if (text === undefined) return;
    handset.texts.push({
      receivedAt: new Date(segment.receivedAt).toISOString(),
      from: segment.sourceAddr,
      text,
      segments: concat?.total ?? 1,
    });
    if (handset.texts.length > MAX_TEXTS_PER_HANDSET) handset.texts.shift();
    for (const push of handset.received) if (push.decoded?.status !== 'accepted') push.decoded = undefined;
  }

  inbox(msisdn: string): HandsetInbox {
    const key = normaliseMsisdn(msisdn);
    const current = () => this.handsets.get(key);
    return {
      msisdn: key,
      texts: () => [...(current()?.texts ?? [])],
      pushes: () => {
        const handset = current();
        return handset ? handset.received.map((push) => this.decode(key, push)) : [];
      },
      count: () => current()?.receivedCount ?? 0,
      waitFor: (count, timeoutMs = DEFAULT_WAIT_MS) => this.waitFor(key, count, timeoutMs),
      clear: () => {
        const handset = current();
        if (handset) {
          handset.received = [];
          handset.texts = [];
        }
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
    this.pushListener?.(handset.msisdn, push.wsp, () => this.decode(handset.msisdn, push));
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
      const credentials = this.subscribers.get(msisdn) ?? {};
      let unpacked = unpackWsp(push.wsp, credentials);
      let pinFromText = false;
      if (unpacked.sec !== null && USER_PIN_METHODS.has(unpacked.sec) && unpacked.macValid !== true) {
        const verified = this.verifyWithTextPins(msisdn, push.wsp, credentials);
        if (verified) [unpacked, pinFromText] = [verified, true];
      }
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
        pinFromText,
        service: serviceMessageOf(unpacked.documentType, unpacked.root),
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
        pinFromText: false,
        service: null,
      };
    }
    push.decoded = decoded;
    return decoded;
  }

  /**
   * What a user does when the phone asks for the PIN: types the number of the PIN text. Every number in
   * the texts received (newest first) is tried; the push decodes with the first one that verifies.
   */
  private verifyWithTextPins(
    msisdn: string,
    wsp: Uint8Array,
    credentials: SubscriberCredentials,
  ): ReturnType<typeof unpackWsp> | undefined {
    const texts = this.handsets.get(msisdn)?.texts ?? [];
    for (let i = texts.length - 1; i >= 0; i--) {
      for (const [pin] of texts[i].text.matchAll(PIN_IN_TEXT)) {
        const attempt: SecurityCredentials = { ...credentials, pin };
        const unpacked = unpackWsp(wsp, attempt);
        if (unpacked.macValid === true) return unpacked;
      }
    }
    return undefined;
  }
}

/** An SI's indication or an SL's attributes (docs/protocol.md §8.1, §8.2); null for other documents. */
function serviceMessageOf(documentType: string, root: XmlElement): HandsetServiceMessage | null {
  if (documentType !== 'si' && documentType !== 'sl') return null;
  const element =
    documentType === 'sl'
      ? root
      : root.children.filter(isElement).find((child) => child.name === 'indication');
  const read = (name: string): string | null => (element ? (attribute(element, name) ?? null) : null);
  const text = element?.children.filter((child): child is string => typeof child === 'string').join('') ?? '';
  return {
    kind: documentType,
    href: read('href'),
    action: read('action'),
    siId: read('si-id'),
    created: read('created'),
    expires: read('si-expires'),
    text: documentType === 'si' && text !== '' ? text : null,
  };
}

/** Keeps one part of a concatenated text; the whole text once every part arrived, else undefined. */
function joinTextPart(
  handset: Handset,
  segment: HandsetTextSegment,
  concat: ConcatElement,
): string | undefined {
  const key = `${segment.sourceAddr}|${concat.type}|${concat.reference}`;
  let partial = handset.partialTexts.get(key);
  // a phone gives up on parts that stop coming, and on a new message reusing the reference
  if (
    partial &&
    (partial.total !== concat.total || segment.receivedAt - partial.firstAt > PARTIAL_TIMEOUT_MS)
  ) {
    handset.partialTexts.delete(key);
    partial = undefined;
  }
  if (!partial) {
    if (handset.partialTexts.size >= MAX_PARTIALS_PER_HANDSET) {
      handset.partialTexts.delete(handset.partialTexts.keys().next().value as string);
    }
    partial = {
      firstAt: segment.receivedAt,
      total: concat.total,
      parts: Array.from({ length: concat.total }, () => undefined),
    };
    handset.partialTexts.set(key, partial);
  }
  if (concat.index < 1 || concat.index > concat.total) {
    handset.discardedSegments++;
    return undefined;
  }
  partial.parts[concat.index - 1] = segment.text ?? '';
  if (partial.parts.some((part) => part === undefined)) return undefined;
  handset.partialTexts.delete(key);
  return partial.parts.join('');
}
