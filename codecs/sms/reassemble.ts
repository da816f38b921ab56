/**
 * Putting concatenated SMS back together (TS 23.040 §9.2.3.24.1, docs/protocol.md §5.2, §5.4): in one go from a
 * complete set (`reassembleSegments`), or part by part as a handset receives them (`SegmentAssembler`).
 */
import { CodecError } from '../errors.ts';
import type { SmsSegmentTlv } from './segment.ts';
import { decodeUdh, type ConcatElement, type PortsElement } from './udh.ts';

/** What a handset hands to the application behind the destination port. */
export interface ReassembledDatagram {
  destinationPort?: number;
  sourcePort?: number;
  /** The concatenation reference, when the datagram came in more than one part. */
  reference?: number;
  payload: Uint8Array;
}

/**
 * One received part: a TP-UD that starts with a UDH (UDHI set); an `SmsSegment`-shaped object
 * (`tpud` + `udhi`, plus `tlv` in tlv mode); or a TLV-mode part given as payload + SMPP values.
 */
export type SegmentInput =
  | Uint8Array
  | { tpud: Uint8Array; udhi: boolean; tlv?: SmsSegmentTlv }
  | { payload: Uint8Array; tlv?: SmsSegmentTlv };

interface ParsedPart {
  /** Kind and value of the reference: 8-bit and 16-bit elements never belong together. */
  concat?: { kind: 'concat8' | 'concat16' | 'sar'; reference: number; total: number; index: number };
  ports?: { destinationPort: number; sourcePort: number };
  payload: Uint8Array;
}

function portsFromTlv(tlv: SmsSegmentTlv | undefined): ParsedPart['ports'] {
  if (!tlv) return undefined;
  return { destinationPort: tlv.destinationPort, sourcePort: tlv.sourcePort };
}

function parseTlvPart(payload: Uint8Array, tlv: SmsSegmentTlv | undefined): ParsedPart {
  const part: ParsedPart = { payload, ports: portsFromTlv(tlv) };
  if (!tlv) return part;
  const sar = [tlv.sarMsgRefNum, tlv.sarTotalSegments, tlv.sarSegmentSeqnum];
  const given = sar.filter((value) => value !== undefined).length;
  if (given === 0) return part;
  if (given !== sar.length) {
    throw new CodecError(
      'SMS_INCOMPLETE_SAR',
      'sar_msg_ref_num, sar_total_segments and sar_segment_seqnum go together',
    );
  }
  part.concat = {
    kind: 'sar',
    reference: tlv.sarMsgRefNum!,
    total: tlv.sarTotalSegments!,
    index: tlv.sarSegmentSeqnum!,
  };
  return part;
}

function parsePart(input: SegmentInput): ParsedPart {
  if (input instanceof Uint8Array) return parseUdhPart(input);
  if ('tpud' in input) return input.udhi ? parseUdhPart(input.tpud) : parseTlvPart(input.tpud, input.tlv);
  return parseTlvPart(input.payload, input.tlv);
}

function parseUdhPart(tpud: Uint8Array): ParsedPart {
  const udh = decodeUdh(tpud);
  // A repeated element: the last occurrence counts (TS 23.040 §9.2.3.24).
  let concat: ConcatElement | undefined;
  let ports: PortsElement | undefined;
  for (const element of udh.elements) {
    if (element.type === 'concat8' || element.type === 'concat16') concat = element;
    else if (element.type === 'ports8' || element.type === 'ports16') ports = element;
  }
  const part: ParsedPart = { payload: udh.payload };
  if (concat)
    part.concat = {
      kind: concat.type,
      reference: concat.reference,
      total: concat.total,
      index: concat.index,
    };
  if (ports) part.ports = { destinationPort: ports.destinationPort, sourcePort: ports.sourcePort };
  return part;
}

function checkIndex(concat: NonNullable<ParsedPart['concat']>): void {
  if (concat.total < 1 || concat.index < 1 || concat.index > concat.total) {
    throw new CodecError('SMS_PART_OUT_OF_RANGE', `part ${concat.index} of ${concat.total} is out of range`);
  }
}

function samePorts(a: ParsedPart['ports'], b: ParsedPart['ports']): boolean {
  return !a || !b || (a.destinationPort === b.destinationPort && a.sourcePort === b.sourcePort);
}

function concatenate(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const payload = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    payload.set(chunk, offset);
    offset += chunk.length;
  }
  return payload;
}

function datagram(ports: ParsedPart['ports'], payload: Uint8Array, reference?: number): ReassembledDatagram {
  const result: ReassembledDatagram = { payload };
  if (ports) {
    result.destinationPort = ports.destinationPort;
    result.sourcePort = ports.sourcePort;
  }
  if (reference !== undefined) result.reference = reference;
  return result;
}

/**
 * Reassemble a complete set of parts given in any order. Throws CodecError: SMS_NO_PARTS,
 * SMS_NO_UDH (several parts, one without concatenation), SMS_MIXED_REFERENCES, SMS_MIXED_TOTALS,
 * SMS_PART_OUT_OF_RANGE, SMS_DUPLICATE_PART, SMS_MISSING_PART, SMS_MIXED_PORTS, or a UDH error.
 */
export function reassembleSegments(parts: readonly SegmentInput[]): ReassembledDatagram {
  if (parts.length === 0) throw new CodecError('SMS_NO_PARTS', 'nothing to reassemble');
  const parsed = parts.map(parsePart);
  const first = parsed[0];
  if (parsed.length === 1 && !first.concat) return datagram(first.ports, first.payload.slice());

  const missingConcat = parsed.findIndex((part) => !part.concat);
  if (missingConcat >= 0) {
    throw new CodecError(
      'SMS_NO_UDH',
      `part ${missingConcat + 1} of the set carries no concatenation information`,
    );
  }
  const reference = first.concat!;
  const chunks: Uint8Array[] = new Array(reference.total);
  let ports = first.ports;
  for (const part of parsed) {
    const concat = part.concat!;
    if (concat.kind !== reference.kind || concat.reference !== reference.reference) {
      throw new CodecError(
        'SMS_MIXED_REFERENCES',
        `parts of different messages (references ${reference.reference}, ${concat.reference})`,
      );
    }
    if (concat.total !== reference.total) {
      throw new CodecError(
        'SMS_MIXED_TOTALS',
        `parts disagree on the number of parts (${reference.total}, ${concat.total})`,
      );
    }
    checkIndex(concat);
    if (chunks[concat.index - 1] !== undefined)
      throw new CodecError('SMS_DUPLICATE_PART', `part ${concat.index} appears twice`);
    if (!samePorts(ports, part.ports))
      throw new CodecError('SMS_MIXED_PORTS', 'parts carry different port numbers');
    ports ??= part.ports;
    chunks[concat.index - 1] = part.payload;
  }
  for (let index = 0; index < reference.total; index++) {
    if (chunks[index] === undefined) {
      throw new CodecError('SMS_MISSING_PART', `part ${index + 1} of ${reference.total} is missing`);
    }
  }
  return datagram(ports, concatenate(chunks), reference.reference);
}

interface PendingMessage {
  total: number;
  reference: number;
  chunks: Array<Uint8Array | undefined>;
  received: number;
  ports: ParsedPart['ports'];
}

export interface SegmentAssemblerOptions {
  /** Incomplete messages kept at once; the oldest is dropped beyond this (default 1024). */
  maxPendingMessages?: number;
}

const DEFAULT_MAX_PENDING_MESSAGES = 1024;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Receives parts one at a time, as a handset does, and hands back each datagram once its last part has
 * arrived. Messages are told apart by (origin key, reference kind, reference); the origin key is the
 * caller's (e.g. the originating address). No clock here: callers drop stale messages with `discard`,
 * and the oldest incomplete message goes when `maxPendingMessages` is exceeded.
 */
export class SegmentAssembler {
  private readonly pending = new Map<string, PendingMessage>();
  private readonly maxPendingMessages: number;

  constructor(options: SegmentAssemblerOptions = {}) {
    this.maxPendingMessages = options.maxPendingMessages ?? DEFAULT_MAX_PENDING_MESSAGES;
  }

  /** Incomplete messages held. */
  get pendingMessages(): number {
    return this.pending.size;
  }

  /**
   * Take one part. Returns the datagram when this part completes it, else undefined. A repeated part
   * with the same bytes is ignored (SMSC retransmission); throws SMS_DUPLICATE_PART when its bytes
   * differ, SMS_MIXED_TOTALS / SMS_MIXED_PORTS when it contradicts the parts already held (which are
   * kept), SMS_PART_OUT_OF_RANGE, or a UDH error.
   */
  accept(originKey: string, input: SegmentInput): ReassembledDatagram | undefined {
    const part = parsePart(input);
    const concat = part.concat;
    if (!concat) return datagram(part.ports, part.payload.slice());
    checkIndex(concat);
    if (concat.total === 1) return datagram(part.ports, part.payload.slice(), concat.reference);

    const key = `${originKey}\u0000${concat.kind}:${concat.reference}`;
    let message = this.pending.get(key);
    if (!message) {
      message = {
        total: concat.total,
        reference: concat.reference,
        chunks: new Array(concat.total),
        received: 0,
        ports: part.ports,
      };
      this.pending.set(key, message);
      this.evictBeyondLimit();
    } else {
      if (message.total !== concat.total) {
        throw new CodecError(
          'SMS_MIXED_TOTALS',
          `message ${concat.reference} has ${message.total} parts, this part says ${concat.total}`,
        );
      }
      if (!samePorts(message.ports, part.ports)) {
        throw new CodecError(
          'SMS_MIXED_PORTS',
          `message ${concat.reference}: this part carries different ports`,
        );
      }
      message.ports ??= part.ports;
    }
    const held = message.chunks[concat.index - 1];
    if (held !== undefined) {
      if (sameBytes(held, part.payload)) return undefined;
      throw new CodecError(
        'SMS_DUPLICATE_PART',
        `message ${concat.reference}: part ${concat.index} arrived twice with different data`,
      );
    }
    message.chunks[concat.index - 1] = part.payload.slice();
    message.received += 1;
    if (message.received < message.total) return undefined;
    this.pending.delete(key);
    return datagram(message.ports, concatenate(message.chunks as Uint8Array[]), message.reference);
  }

  /** Drop the incomplete messages from one origin (all references, or one). Returns how many went. */
  discard(originKey: string, reference?: number): number {
    let dropped = 0;
    const prefix = `${originKey}\u0000`;
    for (const [key, message] of this.pending) {
      if (key.startsWith(prefix) && (reference === undefined || message.reference === reference)) {
        this.pending.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  private evictBeyondLimit(): void {
    while (this.pending.size > this.maxPendingMessages) {
      const oldest = this.pending.keys().next().value as string;
      this.pending.delete(oldest);
    }
  }
}
