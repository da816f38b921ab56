/**
 * TP-User-Data-Header (TS 23.040 §9.2.3.24): UDHL then information elements `IEI IEDL data`
 * (docs/protocol.md §5.1). The element table below is walked by both encodeUdh and decodeUdh; elements with an
 * IEI not in the table are kept raw.
 */
import { CodecError } from '../errors.ts';
import { MAX_TP_UD_OCTETS } from './data-coding.ts';

export interface Concat8Element {
  type: 'concat8';
  reference: number;
  total: number;
  /** This part, 1-based. */
  index: number;
}

export interface Concat16Element {
  type: 'concat16';
  reference: number;
  total: number;
  index: number;
}

export interface Ports8Element {
  type: 'ports8';
  destinationPort: number;
  sourcePort: number;
}

export interface Ports16Element {
  type: 'ports16';
  destinationPort: number;
  sourcePort: number;
}

/** An element this codec does not interpret: IEI and data as received. */
export interface RawElement {
  type: 'raw';
  iei: number;
  data: Uint8Array;
}

export type UdhElement = Concat8Element | Concat16Element | Ports8Element | Ports16Element | RawElement;
export type ConcatElement = Concat8Element | Concat16Element;
export type PortsElement = Ports8Element | Ports16Element;

export interface DecodedUdh {
  elements: UdhElement[];
  /** Octets of the header including the UDHL octet: the payload starts here. */
  headerLength: number;
  payload: Uint8Array;
}

/** IEI values, TS 23.040 §9.2.3.24 (docs/protocol.md §5.1). */
export const IEI_CONCAT_8BIT = 0x00;
export const IEI_PORTS_8BIT = 0x04;
export const IEI_PORTS_16BIT = 0x05;
export const IEI_CONCAT_16BIT = 0x08;

/** UDHL octet + IEI + IEDL: the fixed overhead around element data. */
export const UDHL_OCTETS = 1;
export const IE_HEADER_OCTETS = 2;
const OCTET_MAX = 0xff;
const PORT_16_MAX = 0xffff;

interface ElementDefinition<T extends Exclude<UdhElement, RawElement>> {
  iei: number;
  type: T['type'];
  dataLength: number;
  encode(element: T): number[];
  decode(data: Uint8Array): T;
}

function checkRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CodecError('SMS_BAD_UDH_ELEMENT', `${what} must be ${min}-${max}: ${value}`);
  }
}

function checkConcat(element: ConcatElement, referenceMax: number): void {
  checkRange(element.reference, 0, referenceMax, 'concatenation reference');
  checkRange(element.total, 1, OCTET_MAX, 'number of parts');
  checkRange(element.index, 1, element.total, 'part number');
}

const CONCAT_8BIT: ElementDefinition<Concat8Element> = {
  iei: IEI_CONCAT_8BIT,
  type: 'concat8',
  dataLength: 3, // reference, total, index
  encode(element) {
    checkConcat(element, OCTET_MAX);
    return [element.reference, element.total, element.index];
  },
  decode: (data) => ({ type: 'concat8', reference: data[0], total: data[1], index: data[2] }),
};

const CONCAT_16BIT: ElementDefinition<Concat16Element> = {
  iei: IEI_CONCAT_16BIT,
  type: 'concat16',
  dataLength: 4, // reference (2), total, index
  encode(element) {
    checkConcat(element, PORT_16_MAX);
    return [element.reference >> 8, element.reference & OCTET_MAX, element.total, element.index];
  },
  decode: (data) => ({
    type: 'concat16',
    reference: (data[0] << 8) | data[1],
    total: data[2],
    index: data[3],
  }),
};

const PORTS_8BIT: ElementDefinition<Ports8Element> = {
  iei: IEI_PORTS_8BIT,
  type: 'ports8',
  dataLength: 2, // destination, source
  encode(element) {
    checkRange(element.destinationPort, 0, OCTET_MAX, 'destination port');
    checkRange(element.sourcePort, 0, OCTET_MAX, 'source port');
    return [element.destinationPort, element.sourcePort];
  },
  decode: (data) => ({ type: 'ports8', destinationPort: data[0], sourcePort: data[1] }),
};

const PORTS_16BIT: ElementDefinition<Ports16Element> = {
  iei: IEI_PORTS_16BIT,
  type: 'ports16',
  dataLength: 4, // destination (2), source (2)
  encode(element) {
    checkRange(element.destinationPort, 0, PORT_16_MAX, 'destination port');
    checkRange(element.sourcePort, 0, PORT_16_MAX, 'source port');
    const { destinationPort: destination, sourcePort: source } = element;
    return [destination >> 8, destination & OCTET_MAX, source >> 8, source & OCTET_MAX];
  },
  decode: (data) => ({
    type: 'ports16',
    destinationPort: (data[0] << 8) | data[1],
    sourcePort: (data[2] << 8) | data[3],
  }),
};

type AnyDefinition = ElementDefinition<Exclude<UdhElement, RawElement>>;

export const UDH_ELEMENTS: readonly AnyDefinition[] = [
  CONCAT_8BIT as AnyDefinition,
  PORTS_8BIT as AnyDefinition,
  PORTS_16BIT as AnyDefinition,
  CONCAT_16BIT as AnyDefinition,
];

const definitionByIei = new Map(UDH_ELEMENTS.map((definition) => [definition.iei, definition]));
const definitionByType = new Map(UDH_ELEMENTS.map((definition) => [definition.type, definition]));

/** Octets an element takes in the header, IEI and IEDL included. */
export function udhElementSize(element: UdhElement): number {
  const dataLength =
    element.type === 'raw' ? element.data.length : definitionByType.get(element.type)!.dataLength;
  return IE_HEADER_OCTETS + dataLength;
}

/** UDHL + elements. Encode the TP-UD as `encodeUdh(elements)` followed by the payload. */
export function encodeUdh(elements: readonly UdhElement[]): Uint8Array {
  const octets: number[] = [0];
  for (const element of elements) {
    if (element.type === 'raw') {
      checkRange(element.iei, 0, OCTET_MAX, 'IEI');
      if (element.data.length > OCTET_MAX) {
        throw new CodecError('SMS_BAD_UDH_ELEMENT', `IE 0x${element.iei.toString(16)} data is too long`);
      }
      octets.push(element.iei, element.data.length, ...element.data);
      continue;
    }
    const definition = definitionByType.get(element.type);
    if (!definition)
      throw new CodecError('SMS_BAD_UDH_ELEMENT', `unknown UDH element type ${String(element.type)}`);
    octets.push(definition.iei, definition.dataLength, ...definition.encode(element));
  }
  if (octets.length > MAX_TP_UD_OCTETS) {
    throw new CodecError(
      'SMS_UDH_TOO_LONG',
      `the UDH takes ${octets.length} octets; TP-UD holds ${MAX_TP_UD_OCTETS}`,
    );
  }
  octets[0] = octets.length - UDHL_OCTETS;
  return Uint8Array.from(octets);
}

/** Reads the UDH at the start of a TP-UD (UDHI set). Throws SMS_BAD_UDH_LENGTH / SMS_BAD_IE_LENGTH / TRUNCATED. */
export function decodeUdh(tpud: Uint8Array): DecodedUdh {
  if (tpud.length < UDHL_OCTETS) throw new CodecError('TRUNCATED', 'TP-UD is empty: no UDHL', 0);
  const udhl = tpud[0];
  const headerLength = UDHL_OCTETS + udhl;
  if (headerLength > tpud.length) {
    throw new CodecError(
      'SMS_BAD_UDH_LENGTH',
      `UDHL ${udhl} exceeds the ${tpud.length - 1} octets after it`,
      0,
    );
  }
  const elements: UdhElement[] = [];
  let offset = UDHL_OCTETS;
  while (offset < headerLength) {
    if (offset + IE_HEADER_OCTETS > headerLength) {
      throw new CodecError('SMS_BAD_IE_LENGTH', 'an information element header runs past UDHL', offset);
    }
    const iei = tpud[offset];
    const dataLength = tpud[offset + 1];
    const dataStart = offset + IE_HEADER_OCTETS;
    if (dataStart + dataLength > headerLength) {
      throw new CodecError(
        'SMS_BAD_IE_LENGTH',
        `IE 0x${iei.toString(16)} length ${dataLength} runs past UDHL`,
        offset,
      );
    }
    const data = tpud.subarray(dataStart, dataStart + dataLength);
    const definition = definitionByIei.get(iei);
    if (definition) {
      if (dataLength !== definition.dataLength) {
        throw new CodecError(
          'SMS_BAD_IE_LENGTH',
          `IE 0x${iei.toString(16)} (${definition.type}) must have ${definition.dataLength} data octets, has ${dataLength}`,
          offset,
        );
      }
      elements.push(definition.decode(data));
    } else {
      elements.push({ type: 'raw', iei, data: data.slice() });
    }
    offset = dataStart + dataLength;
  }
  return { elements, headerLength, payload: tpud.subarray(headerLength) };
}
