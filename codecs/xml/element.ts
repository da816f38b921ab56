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
