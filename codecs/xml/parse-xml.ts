import { SaxesParser } from 'saxes';
import { CodecError } from '../errors.ts';
import { markWrittenWithEndTag } from './element.ts';
import type { XmlElement } from './element.ts';

/**
 * Parses XML text into an element tree (strict, non-validating; saxes underneath).
 *
 * - Malformed XML throws CodecError('XML_MALFORMED', message, -1, line).
 * - Attribute order is kept (it is part of a byte-exact WBXML encoding).
 * - Every element gets the 1-based `line` its start tag begins on.
 * - Whitespace-only text nodes are dropped (they are formatting, never content, in the provisioning
 *   vocabularies); other text is kept verbatim, adjacent text/CDATA pieces merged into one string.
 * - `<x></x>` is told apart from `<x/>` (see markWrittenWithEndTag in element.ts).
 * - An XML declaration and a DOCTYPE are accepted and ignored: the root element decides the document type.
 * - Elements nested deeper than MAX_XML_DEPTH throw CodecError('XML_TOO_DEEP', …, line): no provisioning
 *   document comes close, and every consumer of the tree recurses over it.
 * - Entity and character references (&amp; &#233; &#xE9;) are decoded.
 */
export function parseXml(text: string): XmlElement {
  // A fresh parser per document: reusing a saxes parser measured slower, and a failed one is left dirty.
  return new TreeBuilder().parse(text);
}

class TreeBuilder {
  private readonly parser = new SaxesParser({ position: true });
  private readonly open: XmlElement[] = [];
  private root: XmlElement | undefined;
  private attributes: Array<[string, string]> = [];
  private line = 1;

  constructor() {
    const parser = this.parser;
    parser.on('error', this.onError.bind(this));
    parser.on('opentagstart', this.onOpenTagStart.bind(this));
    parser.on('attribute', this.onAttribute.bind(this));
    parser.on('opentag', this.onOpenTag.bind(this));
    parser.on('closetag', this.onCloseTag.bind(this));
    parser.on('text', this.onText.bind(this));
    parser.on('cdata', this.onText.bind(this));
  }

  parse(text: string): XmlElement {
    try {
      this.parser.write(text).close();
    } catch (error) {
      if (error instanceof CodecError) throw error;
      throw new CodecError('XML_MALFORMED', String((error as Error)?.message ?? error), -1, this.parser.line);
    }
    const root = this.root;
    if (!root) throw new CodecError('XML_MALFORMED', 'document has no root element', -1, this.parser.line);
    return root;
  }

  private onError(error: Error): void {
    throw new CodecError('XML_MALFORMED', error.message, -1, this.parser.line);
  }

  private onOpenTagStart(): void {
    this.attributes = [];
    // saxes reports this after reading the character that ends the name; when that was a newline the
    // parser is already at column 0 of the next line.
    const parser = this.parser;
    this.line = parser.column === 0 ? parser.line - 1 : parser.line;
  }

  private onAttribute(attribute: { name: string; value: string }): void {
    this.attributes.push([attribute.name, attribute.value]);
  }

  private onOpenTag(tag: { name: string }): void {
    const element: XmlElement = {
      name: tag.name,
      attributes: this.attributes,
      children: [],
      line: this.line,
    };
    const open = this.open;
    if (open.length >= MAX_XML_DEPTH) {
      throw new CodecError('XML_TOO_DEEP', `elements nest deeper than ${MAX_XML_DEPTH}`, -1, this.line);
    }
    if (open.length > 0) open[open.length - 1].children.push(element);
    else this.root = element;
    open.push(element);
  }

  private onCloseTag(tag: { isSelfClosing: boolean }): void {
    const element = this.open.pop();
    if (element && element.children.length === 0 && !tag.isSelfClosing) markWrittenWithEndTag(element);
  }

  private onText(content: string): void {
    const open = this.open;
    // Text outside the root is whitespace here: saxes itself rejects anything else.
    if (open.length === 0 || isWhitespaceOnly(content)) return;
    const children = open[open.length - 1].children;
    const last = children.length - 1;
    if (last >= 0 && typeof children[last] === 'string') children[last] += content;
    else children.push(content);
  }
}

/** Deepest element nesting parseXml accepts (the WBXML codec itself stops at 64). */
export const MAX_XML_DEPTH = 256;

/** XML's whitespace set (S production): space, tab, CR, LF. */
function isWhitespaceOnly(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return false;
  }
  return true;
}
