/**
 * The element tree between the message model and the two representations. Unlike codecs/xml's
 * XmlElement it holds binary content (WBXML OPAQUE) and has no attributes (SyncML has none; its only
 * XML attributes are the namespace declarations, which the code page stands for in WBXML).
 */
import { CodecError } from '../errors.ts';

export interface SyncMlNode {
  name: string;
  children: SyncMlContent[];
  /** WBXML: send this element's text as OPAQUE instead of STR_I (Item Data of Add/Replace, §5.5). */
  opaque?: boolean;
}

export type SyncMlContent = SyncMlNode | string | Uint8Array;

export const isNode = (content: SyncMlContent): content is SyncMlNode =>
  typeof content === 'object' && !(content instanceof Uint8Array);

export function node(name: string, children: SyncMlContent[] = []): SyncMlNode {
  return { name, children };
}

/**
 * An element holding one text (none when the text is empty: `<Data/>`). A model built outside the
 * type checker (JSON, JavaScript) may hand anything: that is CodecError('SYNCML_INVALID_MODEL').
 */
export function leaf(name: string, text: string | Uint8Array): SyncMlNode {
  if (typeof text !== 'string' && !(text instanceof Uint8Array)) {
    throw new CodecError(
      'SYNCML_INVALID_MODEL',
      `<${name}> needs text, not ${text === null ? 'null' : typeof text}`,
    );
  }
  return { name, children: text.length === 0 ? [] : [text] };
}
