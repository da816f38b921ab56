import { CodecError } from '../errors.ts';
import { isWrittenWithEndTag } from './element.ts';
import type { XmlElement, XmlNode } from './element.ts';

export interface SerializeXmlOptions {
  /** One element per line, two-space indent (elements holding text stay on one line). Default false. */
  pretty?: boolean;
  /** Start with `<?xml version="1.0" encoding="UTF-8"?>`. Default false. */
  declaration?: boolean;
}

/** Deepest nesting written (parseXml accepts 256, the WBXML codec 64; a code-built tree could be deeper). */
export const MAX_SERIALIZE_DEPTH = 1024;

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const INDENT = '  ';

/**
 * Writes an element tree as XML text. `& < > "` are escaped; in attribute values TAB/LF/CR are written as
 * character references so they survive attribute-value normalisation on re-parse. Non-ASCII characters
 * are written as they are (the text is meant to be stored/sent as UTF-8). A character XML 1.0 cannot
 * carry at all (C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE/U+FFFF) throws
 * CodecError('XML_UNREPRESENTABLE_CHARACTER'). Trees nested deeper than MAX_SERIALIZE_DEPTH throw
 * CodecError('XML_TOO_DEEP') rather than exhausting the stack.
 */
export function serializeXml(root: XmlElement, options: SerializeXmlOptions = {}): string {
  const out: string[] = [];
  if (options.declaration) out.push(XML_DECLARATION, options.pretty ? '\n' : '');
  if (options.pretty) writePretty(root, 0, out);
  else writeCompact(root, 0, out);
  return out.join('');
}

function writeStartTag(element: XmlElement, out: string[]): void {
  out.push('<', element.name);
  for (const [name, value] of element.attributes) out.push(' ', name, '="', escapeAttribute(value), '"');
}

function writeCompact(element: XmlElement, depth: number, out: string[]): void {
  if (depth >= MAX_SERIALIZE_DEPTH) {
    throw new CodecError(
      'XML_TOO_DEEP',
      `elements nest deeper than ${MAX_SERIALIZE_DEPTH}`,
      -1,
      element.line,
    );
  }
  writeStartTag(element, out);
  if (element.children.length === 0) {
    out.push(isWrittenWithEndTag(element) ? `></${element.name}>` : '/>');
    return;
  }
  out.push('>');
  for (const child of element.children) {
    if (typeof child === 'string') out.push(escapeText(child));
    else writeCompact(child, depth + 1, out);
  }
  out.push('</', element.name, '>');
}

function writePretty(element: XmlElement, depth: number, out: string[]): void {
  if (depth >= MAX_SERIALIZE_DEPTH) tooDeep(element);
  const indent = INDENT.repeat(depth);
  out.push(indent);
  // Indenting inside an element that holds text would change the text, so such elements go on one line.
  if (element.children.length === 0 || element.children.some(isText)) {
    writeCompact(element, depth, out);
    out.push('\n');
    return;
  }
  writeStartTag(element, out);
  out.push('>\n');
  for (const child of element.children) writePretty(child as XmlElement, depth + 1, out);
  out.push(indent, '</', element.name, '>\n');
}

const isText = (node: XmlNode): node is string => typeof node === 'string';

function escapeText(text: string): string {
  return escape(text, false);
}

function escapeAttribute(text: string): string {
  return escape(text, true);
}

function escape(text: string, inAttribute: boolean): string {
  let result = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let replacement: string | undefined;
    if (code === 0x26) replacement = '&amp;';
    else if (code === 0x3c) replacement = '&lt;';
    else if (code === 0x3e) replacement = '&gt;';
    else if (code === 0x22 && inAttribute) replacement = '&quot;';
    else if (code === 0x0d)
      replacement = '&#13;'; // a raw CR would be normalised to LF on re-parse
    else if ((code === 0x09 || code === 0x0a) && inAttribute) replacement = code === 0x09 ? '&#9;' : '&#10;';
    else if (code < 0x20 && code !== 0x09 && code !== 0x0a) unrepresentable(code);
    else if (code >= 0xd800 && code <= 0xdfff) {
      const pairsWithNext =
        code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (!pairsWithNext) unrepresentable(code);
      i++;
    } else if (code === 0xfffe || code === 0xffff) unrepresentable(code);
    if (replacement !== undefined) {
      result += text.slice(start, i) + replacement;
      start = i + 1;
    }
  }
  return start === 0 ? text : result + text.slice(start);
}

function tooDeep(element: XmlElement): never {
  throw new CodecError('XML_TOO_DEEP', `elements nest deeper than ${MAX_SERIALIZE_DEPTH}`, -1, element.line);
}

function unrepresentable(code: number): never {
  throw new CodecError(
    'XML_UNREPRESENTABLE_CHARACTER',
    `U+${code.toString(16).toUpperCase().padStart(4, '0')} cannot be written in XML 1.0`,
  );
}
