import { CodecError } from '../errors.ts';
import type { XmlElement } from './element.ts';

/** The document kinds the gateway speaks; each has one WBXML vocabulary (codecs/wbxml/vocabularies). */
export type DocumentType = 'prov' | 'si' | 'sl' | 'nokia-ota';

/** Root element name -> document type (docs/protocol.md §2 OMA CP, §8.1 SI, §8.2 SL, §7 Nokia OTA 7.0). */
const DOCUMENT_TYPE_BY_ROOT: ReadonlyMap<string, DocumentType> = new Map([
  ['wap-provisioningdoc', 'prov'],
  ['si', 'si'],
  ['sl', 'sl'],
  ['CHARACTERISTIC-LIST', 'nokia-ota'],
]);

/** The document type of a tree, decided by its root element; any other root: CodecError('XML_UNKNOWN_ROOT'). */
export function documentTypeOf(root: XmlElement): DocumentType {
  const type = DOCUMENT_TYPE_BY_ROOT.get(root.name);
  if (type === undefined) {
    const known = [...DOCUMENT_TYPE_BY_ROOT.keys()].join(', ');
    throw new CodecError(
      'XML_UNKNOWN_ROOT',
      `root element <${root.name}> is not a known document type (expected one of: ${known})`,
      -1,
      root.line,
    );
  }
  return type;
}
