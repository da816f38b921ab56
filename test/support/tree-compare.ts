/**
 * Semantic comparison of element trees: what "the same document" means for round-trip and cross-check
 * tests. Ignored: whitespace-only text, how text is split into adjacent pieces, attribute order and the
 * source line numbers. Everything else (names, attribute values, text, element order) must match exactly.
 */
import type { XmlElement, XmlNode } from '../../codecs/xml/element.ts';

export interface NormalElement {
  name: string;
  /** sorted by name */
  attributes: Array<[string, string]>;
  children: NormalNode[];
}
export type NormalNode = NormalElement | string;

export interface NormaliseOptions {
  /** Rewrite an attribute value before comparing (for documented quirks of another implementation). */
  attributeValue?: (value: string, attributeName: string, element: XmlElement) => string;
  /** Rewrite a text node (after merging adjacent pieces) before comparing. */
  text?: (value: string, parent: XmlElement) => string;
}

const isWhitespaceOnly = (text: string): boolean => /^[ \t\r\n]*$/.test(text);

export function normaliseTree(root: XmlElement, options: NormaliseOptions = {}): NormalElement {
  const attributes = root.attributes
    .map(([name, value]): [string, string] => [
      name,
      options.attributeValue ? options.attributeValue(value, name, root) : value,
    ])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const children: NormalNode[] = [];
  let pendingText = '';
  const flushText = (): void => {
    if (pendingText !== '' && !isWhitespaceOnly(pendingText)) {
      children.push(options.text ? options.text(pendingText, root) : pendingText);
    }
    pendingText = '';
  };
  for (const child of root.children as XmlNode[]) {
    if (typeof child === 'string') {
      pendingText += child;
      continue;
    }
    flushText();
    children.push(normaliseTree(child, options));
  }
  flushText();
  return { name: root.name, attributes, children };
}

/**
 * The first difference between two trees after normalisation, as a readable path
 * (`/wap-provisioningdoc/characteristic[3]/parm[0] @value: expected "a", got "b"`), or undefined.
 */
export function treeDifference(
  expected: XmlElement,
  actual: XmlElement,
  options: NormaliseOptions = {},
): string | undefined {
  return normalDifference(
    normaliseTree(expected, options),
    normaliseTree(actual, options),
    `/${expected.name}`,
  );
}

function normalDifference(expected: NormalElement, actual: NormalElement, path: string): string | undefined {
  if (expected.name !== actual.name)
    return `${path}: expected element <${expected.name}>, got <${actual.name}>`;
  const expectedAttributes = JSON.stringify(expected.attributes);
  const actualAttributes = JSON.stringify(actual.attributes);
  if (expectedAttributes !== actualAttributes) {
    // Sorted by name (stably), so equal positions hold the same attribute unless one is missing or renamed.
    const length = Math.max(expected.attributes.length, actual.attributes.length);
    for (let i = 0; i < length; i++) {
      const [name, value] = expected.attributes[i] ?? [];
      const [otherName, otherValue] = actual.attributes[i] ?? [];
      if (name === undefined)
        return `${path} @${otherName}: unexpected (value ${JSON.stringify(otherValue)})`;
      if (otherName !== name)
        return `${path} @${name}: missing (expected ${JSON.stringify(value)}); attributes ${actualAttributes}`;
      if (otherValue !== value)
        return `${path} @${name}: expected ${JSON.stringify(value)}, got ${JSON.stringify(otherValue)}`;
    }
  }
  const count = Math.max(expected.children.length, actual.children.length);
  for (let i = 0; i < count; i++) {
    const want = expected.children[i];
    const got = actual.children[i];
    const here = `${path}/[${i}]`;
    if (want === undefined) return `${here}: unexpected extra child ${describe(got)}`;
    if (got === undefined) return `${here}: missing child ${describe(want)}`;
    if (typeof want === 'string' || typeof got === 'string') {
      if (want !== got) return `${here}: expected ${describe(want)}, got ${describe(got)}`;
      continue;
    }
    const difference = normalDifference(want, got, `${path}/${want.name}[${i}]`);
    if (difference) return difference;
  }
  return undefined;
}

function describe(node: NormalNode): string {
  return typeof node === 'string' ? `text ${JSON.stringify(node)}` : `<${node.name}>`;
}
