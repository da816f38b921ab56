/**
 * Splitting a WDP datagram (a WSP push) into binary SMS (docs/protocol.md §5.2, §5.4).
 *
 * UDH mode: a datagram that fits one TP-UD next to the 16-bit port element goes alone; a longer one is
 * cut into parts that each carry the port element and a concatenation element (Kannel and Gammu
 * practice). TLV mode: no UDH at all; ports and SAR values go to the SMPP optional parameters.
 */
import { CodecError } from '../errors.ts';
import { MAX_TP_UD_OCTETS } from './data-coding.ts';
import { encodeUdh, udhElementSize, UDHL_OCTETS, type ConcatElement, type Ports16Element } from './udh.ts';

/** Port and SAR values for SMPP optional parameters (SMPP 3.4 §5.3.2, docs/protocol.md §5.4). */
export interface SmsSegmentTlv {
  sourcePort: number;
  destinationPort: number;
  /** Concatenation reference (sar_msg_ref_num, 16 bits); only when there is more than one part. */
  sarMsgRefNum?: number;
  sarTotalSegments?: number;
  /** 1-based. */
  sarSegmentSeqnum?: number;
}

export interface SmsSegment {
  /** 1-based. */
  index: number;
  total: number;
  reference: number;
  /** TP-UD: UDH included in udh mode; the payload alone in tlv mode. */
  tpud: Uint8Array;
  /** Whether TP-UDHI / esm_class UDHI must be set. */
  udhi: boolean;
  tlv?: SmsSegmentTlv;
}

export interface SegmentOptions {
  destinationPort: number;
  sourcePort: number;
  /** Concatenation reference: one value per message, unique per destination among messages in flight. */
  reference: number;
  /** Concatenation element with an 8-bit (default) or 16-bit reference; udh mode only. */
  referenceBits?: 8 | 16;
  mode?: 'udh' | 'tlv';
}

/** The concatenation element numbers parts in one octet (docs/protocol.md §5.2). */
export const MAX_SEGMENTS = 255;
const PORT_MAX = 0xffff;
const REFERENCE_8BIT_MAX = 0xff;
const REFERENCE_16BIT_MAX = 0xffff;

const PORTS_ELEMENT_SIZE = udhElementSize({ type: 'ports16', destinationPort: 0, sourcePort: 0 });
const CONCAT8_ELEMENT_SIZE = udhElementSize({ type: 'concat8', reference: 0, total: 1, index: 1 });
const CONCAT16_ELEMENT_SIZE = udhElementSize({ type: 'concat16', reference: 0, total: 1, index: 1 });

/** Payload octets per SMS beside the port element alone: 133 (docs/protocol.md §5.2). */
export const SINGLE_PAYLOAD_OCTETS = MAX_TP_UD_OCTETS - UDHL_OCTETS - PORTS_ELEMENT_SIZE;
/** Payload octets per part beside port + 8-bit concatenation elements: 128 (docs/protocol.md §5.2). */
export const PART_PAYLOAD_OCTETS_8BIT_REFERENCE = SINGLE_PAYLOAD_OCTETS - CONCAT8_ELEMENT_SIZE;
/** Payload octets per part beside port + 16-bit concatenation elements: 127 (docs/protocol.md §5.2). */
export const PART_PAYLOAD_OCTETS_16BIT_REFERENCE = SINGLE_PAYLOAD_OCTETS - CONCAT16_ELEMENT_SIZE;
/**
 * TLV mode: the SMSC builds the UDH from source/destination_port and sar_* (docs/protocol.md §5.4), and that UDH
 * counts against the 140-octet TP-UD on the air exactly as in UDH mode (§5.2). A single part therefore
 * carries 133 octets; a multi-part one 127, since sar_msg_ref_num is 16 bits and an SMSC is free to turn
 * it into the 16-bit concatenation element (the larger one).
 */
export const TLV_SINGLE_PAYLOAD_OCTETS = SINGLE_PAYLOAD_OCTETS;
export const TLV_PART_PAYLOAD_OCTETS = PART_PAYLOAD_OCTETS_16BIT_REFERENCE;

function checkOption(value: number, max: number, code: string, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new CodecError(code, `${what} must be 0-${max}: ${value}`);
}

function partCount(length: number, perPart: number): number {
  const total = Math.max(1, Math.ceil(length / perPart));
  if (total > MAX_SEGMENTS) {
    throw new CodecError(
      'SMS_TOO_MANY_SEGMENTS',
      `${length} octets need ${total} parts of ${perPart}; at most ${MAX_SEGMENTS} can be concatenated`,
    );
  }
  return total;
}

function withUdh(udh: Uint8Array, payload: Uint8Array): Uint8Array {
  const tpud = new Uint8Array(udh.length + payload.length);
  tpud.set(udh, 0);
  tpud.set(payload, udh.length);
  return tpud;
}

function segmentWithUdh(payload: Uint8Array, options: SegmentOptions, referenceBits: 8 | 16): SmsSegment[] {
  const ports: Ports16Element = {
    type: 'ports16',
    destinationPort: options.destinationPort,
    sourcePort: options.sourcePort,
  };
  const { reference } = options;
  if (payload.length <= SINGLE_PAYLOAD_OCTETS) {
    return [{ index: 1, total: 1, reference, tpud: withUdh(encodeUdh([ports]), payload), udhi: true }];
  }
  const perPart =
    referenceBits === 16 ? PART_PAYLOAD_OCTETS_16BIT_REFERENCE : PART_PAYLOAD_OCTETS_8BIT_REFERENCE;
  const total = partCount(payload.length, perPart);
  // Port element first, then concatenation, in every part (Kannel `prepend_catenation_udh`, docs/protocol.md §5.2).
  // The header differs between parts only in the part number, the last octet of the concatenation element.
  const concat: ConcatElement = {
    type: referenceBits === 16 ? 'concat16' : 'concat8',
    reference,
    total,
    index: 1,
  };
  const udh = encodeUdh([ports, concat]);
  const partNumberOffset = udh.length - 1;
  // One backing buffer for all parts (each tpud is its own non-overlapping view): fewer allocations.
  const backing = new Uint8Array(total * udh.length + payload.length);
  const segments: SmsSegment[] = [];
  let offset = 0;
  for (let index = 1; index <= total; index++) {
    const chunk = payload.subarray((index - 1) * perPart, index * perPart);
    const tpud = backing.subarray(offset, offset + udh.length + chunk.length);
    tpud.set(udh, 0);
    tpud[partNumberOffset] = index;
    tpud.set(chunk, udh.length);
    offset += tpud.length;
    segments.push({ index, total, reference, tpud, udhi: true });
  }
  return segments;
}

function segmentWithTlv(payload: Uint8Array, options: SegmentOptions): SmsSegment[] {
  const { reference, sourcePort, destinationPort } = options;
  const perPart =
    payload.length <= TLV_SINGLE_PAYLOAD_OCTETS ? TLV_SINGLE_PAYLOAD_OCTETS : TLV_PART_PAYLOAD_OCTETS;
  const total = partCount(payload.length, perPart);
  const segments: SmsSegment[] = [];
  for (let index = 1; index <= total; index++) {
    const tlv: SmsSegmentTlv = { sourcePort, destinationPort };
    if (total > 1) {
      tlv.sarMsgRefNum = reference;
      tlv.sarTotalSegments = total;
      tlv.sarSegmentSeqnum = index;
    }
    const chunk = payload.slice((index - 1) * perPart, index * perPart);
    segments.push({ index, total, reference, tpud: chunk, udhi: false, tlv });
  }
  return segments;
}

/** Split a datagram into SMS segments; throws SMS_TOO_MANY_SEGMENTS, SMS_BAD_PORT, SMS_BAD_REFERENCE. */
export function segmentDatagram(payload: Uint8Array, options: SegmentOptions): SmsSegment[] {
  const mode = options.mode ?? 'udh';
  const referenceBits = options.referenceBits ?? 8;
  checkOption(options.destinationPort, PORT_MAX, 'SMS_BAD_PORT', 'destination port');
  checkOption(options.sourcePort, PORT_MAX, 'SMS_BAD_PORT', 'source port');
  if (referenceBits !== 8 && referenceBits !== 16) {
    throw new CodecError('SMS_BAD_REFERENCE', `referenceBits must be 8 or 16: ${String(referenceBits)}`);
  }
  // sar_msg_ref_num is always 16 bits; in udh mode the element decides.
  const referenceMax = mode === 'tlv' || referenceBits === 16 ? REFERENCE_16BIT_MAX : REFERENCE_8BIT_MAX;
  checkOption(options.reference, referenceMax, 'SMS_BAD_REFERENCE', 'concatenation reference');
  if (mode === 'tlv') return segmentWithTlv(payload, options);
  if (mode !== 'udh') throw new CodecError('SMS_BAD_MODE', `mode must be 'udh' or 'tlv': ${String(mode)}`);
  return segmentWithUdh(payload, options, referenceBits);
}
