/**
 * SyncML messages as XML text (docs/protocol-dm.md §1, §5.1): root namespace `SYNCML:SYNCML1.2`
 * (`SYNCML:SYNCML1.1` when VerDTD is 1.1), the MetInf elements with `xmlns='syncml:metinf'`, no XML
 * declaration (libdmclient writes none; every reader accepts both).
 */
import { CodecError } from '../errors.ts';
import { metInfTags } from '../wbxml/vocabularies/syncml.ts';
import { SaxesParser } from 'saxes';
import { MAX_XML_DEPTH } from '../xml/parse-xml.ts';
import { serializeXml } from '../xml/serialize-xml.ts';
import type { XmlElement, XmlNode } from '../xml/element.ts';
import { METINF_NAMESPACE, SYNCML_NAMESPACE_1_1, SYNCML_NAMESPACE_1_2 } from './constants.ts';
import { treeToMessage } from './from-tree.ts';
import type { SyncMlMessage } from './model.ts';
import { messageToTree } from './to-tree.ts';
import { isNode } from './tree.ts';
import type { SyncMlNode } from './tree.ts';

const METINF_NAMES: ReadonlySet<string> = new Set(Object.values(metInfTags));

/** A SyncML message as XML text. CodecError for what the model cannot say (see to-tree.ts). */
export function encodeSyncMlXml(message: SyncMlMessage): string {
  const root = toXmlElement(messageToTree(message, 'xml'), false);
  root.attributes.push([
    'xmlns',
    message.header.verDtd === '1.1' ? SYNCML_NAMESPACE_1_1 : SYNCML_NAMESPACE_1_2,
  ]);
  return serializeXml(root);
}

function toXmlElement(element: SyncMlNode, parentIsMetInf: boolean): XmlElement {
  const isMetInf = METINF_NAMES.has(element.name);
  // The namespace is declared where the MetInf elements start (inside Meta), as libdmclient writes it.
  const attributes: Array<[string, string]> =
    isMetInf && !parentIsMetInf ? [['xmlns', METINF_NAMESPACE]] : [];
  const children: XmlNode[] = element.children.map((child) => {
    if (isNode(child)) return toXmlElement(child, isMetInf);
    return typeof child === 'string' ? child : Buffer.from(child).toString('base64');
  });
  return { name: element.name, attributes, children };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * XML text, or its UTF-8 octets, to a message. Namespace prefixes are dropped (`<mi:Format>` is
 * Format); markup inside Data (a TNDS or DevInf document) is kept as XML text; the text of Data is
 * kept verbatim, whitespace included. Malformed input throws CodecError: XML_MALFORMED, XML_TOO_DEEP,
 * SYNCML_INVALID_TEXT (octets not UTF-8) and the SYNCML_* codes of the model (from-tree.ts).
 */
export function decodeSyncMlXml(input: string | Uint8Array): SyncMlMessage {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = strictUtf8.decode(input);
    } catch {
      throw new CodecError('SYNCML_INVALID_TEXT', 'the XML message is not valid UTF-8');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return treeToMessage(new SyncMlTreeBuilder().parse(text));
  } catch (error) {
    if (error instanceof CodecError) throw error;
    // Defensive, as decodeWbxml: hostile text must only ever produce CodecError.
    throw new CodecError(
      'XML_MALFORMED',
      `undecodable SyncML XML: ${String((error as Error)?.message ?? error)}`,
    );
  }
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/**
 * Builds the SyncML tree straight from saxes. Unlike codecs/xml's parseXml it keeps whitespace-only
 * text inside Data (an Item value of spaces is a value), drops it elsewhere (formatting), and collects
 * any markup inside Data as an XmlElement tree to write back as text.
 */
class SyncMlTreeBuilder {
  private readonly parser = new SaxesParser({ position: true });
  private readonly open: SyncMlNode[] = [];
  /** Elements open inside a Data element (embedded markup), outermost first. */
  private readonly embedded: XmlElement[] = [];
  private attributes: Array<[string, string]> = [];
  private root: SyncMlNode | undefined;

  constructor() {
    const parser = this.parser;
    parser.on('error', (error) => {
      throw new CodecError('XML_MALFORMED', error.message, -1, parser.line);
    });
    parser.on('opentagstart', () => (this.attributes = []));
    parser.on('attribute', (attribute) => this.attributes.push([attribute.name, attribute.value]));
    parser.on('opentag', (tag) => this.openTag(tag.name));
    parser.on('closetag', () => this.closeTag());
    parser.on('text', (content) => this.text(content));
    parser.on('cdata', (content) => this.text(content));
  }

  parse(text: string): SyncMlNode {
    this.parser.write(text).close();
    if (!this.root)
      throw new CodecError('XML_MALFORMED', 'document has no root element', -1, this.parser.line);
    return this.root;
  }

  private get data(): SyncMlNode | undefined {
    const current = this.open[this.open.length - 1];
    return current?.name === 'Data' ? current : undefined;
  }

  private openTag(name: string): void {
    if (this.open.length + this.embedded.length >= MAX_XML_DEPTH) {
      throw new CodecError(
        'XML_TOO_DEEP',
        `elements nest deeper than ${MAX_XML_DEPTH}`,
        -1,
        this.parser.line,
      );
    }
    if (this.data || this.embedded.length > 0) {
      const element: XmlElement = { name, attributes: this.attributes, children: [] };
      const parent = this.embedded[this.embedded.length - 1];
      if (parent) parent.children.push(element);
      this.embedded.push(element);
      return;
    }
    const node: SyncMlNode = { name: localName(name), children: [] };
    const parent = this.open[this.open.length - 1];
    if (parent) parent.children.push(node);
    else this.root = node;
    this.open.push(node);
  }

  private closeTag(): void {
    const element = this.embedded.pop();
    if (!element) {
      this.open.pop();
      return;
    }
    // The outermost embedded element is done: it joins its Data as XML text.
    if (this.embedded.length === 0) appendText(this.data!, serializeXml(element));
  }

  private text(content: string): void {
    const inner = this.embedded[this.embedded.length - 1];
    if (inner) {
      inner.children.push(content);
      return;
    }
    const data = this.data;
    if (data) appendText(data, content);
    else if (this.open.length > 0 && !isWhitespaceOnly(content))
      appendText(this.open[this.open.length - 1], content);
  }
}

function appendText(node: SyncMlNode, text: string): void {
  const children = node.children;
  const last = children.length - 1;
  if (last >= 0 && typeof children[last] === 'string') children[last] += text;
  else children.push(text);
}

function isWhitespaceOnly(text: string): boolean {
  return /^[ \t\r\n]*$/.test(text);
}
