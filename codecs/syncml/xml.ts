/**
 * SyncML messages as XML text (docs/protocol-dm.md §1, §5.1): root namespace `SYNCML:SYNCML1.2`
 * (`SYNCML:SYNCML1.1` when VerDTD is 1.1), the MetInf elements with `xmlns='syncml:metinf'`, no XML
 * declaration (libdmclient writes none; every reader accepts both).
 */
import { CodecError } from '../errors.ts';
import { metInfTags } from '../wbxml/vocabularies/syncml.ts';
import { parseXml } from '../xml/parse-xml.ts';
import { serializeXml } from '../xml/serialize-xml.ts';
import type { XmlElement, XmlNode } from '../xml/element.ts';
import { METINF_NAMESPACE, SYNCML_NAMESPACE_1_1, SYNCML_NAMESPACE_1_2 } from './constants.ts';
import { treeToMessage } from './from-tree.ts';
import type { SyncMlMessage } from './model.ts';
import { messageToTree } from './to-tree.ts';
import { isNode } from './tree.ts';
import type { SyncMlContent, SyncMlNode } from './tree.ts';

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
 * Format); markup inside an Item's Data (a TNDS or DevInf document) is kept as XML text. Malformed input
 * throws CodecError: XML_MALFORMED, XML_TOO_DEEP, SYNCML_INVALID_TEXT (octets not UTF-8) and the
 * SYNCML_* codes of the model (from-tree.ts).
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
    return treeToMessage(fromXmlElement(parseXml(text)));
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

function fromXmlElement(element: XmlElement): SyncMlNode {
  const name = localName(element.name);
  if (name === 'Data' && element.children.some((child) => typeof child !== 'string')) {
    // Embedded markup stays a document of its own: Data is its text (docs/protocol-dm.md §5.5).
    const text = element.children
      .map((child) => (typeof child === 'string' ? child : serializeXml(child)))
      .join('');
    return { name, children: [text] };
  }
  const children: SyncMlContent[] = element.children.map((child) =>
    typeof child === 'string' ? child : fromXmlElement(child),
  );
  return { name, children };
}
