/**
 * The document tree every codec speaks: what XML text parses to, what WBXML decodes to.
 * Attributes keep their order (the order is part of the byte-exact encoding).
 */
export interface XmlElement {
  name: string;
  attributes: Array<[name: string, value: string]>;
  children: XmlNode[];
  /** 1-based line in the source XML text, when the element came from text. */
  line?: number;
}

export type XmlNode = XmlElement | string;

/** Build an element: `el('parm', { name: 'NAPID', value: 'NAP1' })`. */
export function el(
  name: string,
  attributes: Record<string, string> | Array<[string, string]> = [],
  children: XmlNode[] = [],
): XmlElement {
  return { name, attributes: Array.isArray(attributes) ? attributes : Object.entries(attributes), children };
}

export function attribute(element: XmlElement, name: string): string | undefined {
  for (const [key, value] of element.attributes) if (key === name) return value;
  return undefined;
}

export const isElement = (node: XmlNode): node is XmlElement => typeof node !== 'string';

/**
 * Elements without children that were written with a start and an end tag (`<x></x>`, or in WBXML with
 * the content flag and an immediate END, e.g. `C6 5B 01 01`) rather than as `<x/>` / `86 5B 01`.
 * The difference is not part of the tree's shape, but keeping it lets a document round-trip byte for byte
 * (the ProvCont Appendix C sample and the empty CP document `45 01` of docs/protocol.md §4.7 use the long form).
 * parseXml and decodeWbxml record it; encodeWbxml and serializeXml honour it; trees built in code
 * default to the short form.
 */
const writtenWithEndTag = new WeakSet<XmlElement>();

export function markWrittenWithEndTag(element: XmlElement): void {
  writtenWithEndTag.add(element);
}

export function isWrittenWithEndTag(element: XmlElement): boolean {
  return writtenWithEndTag.has(element);
}
