/**
 * A deliberately independent XML writer for test inputs: corpora are written as text with this, not with
 * codecs/xml/serialize-xml.ts, so a serializer bug cannot hide a codec bug (or the other way round).
 */
import type { XmlElement } from '../../codecs/xml/element.ts';

/** DOCTYPE lines a real sender puts in front of each document type (ProvCont, SI, SL; Nokia OTA has none). */
export const DOCTYPES: Record<string, string> = {
  'wap-provisioningdoc':
    '<!DOCTYPE wap-provisioningdoc PUBLIC "-//WAPFORUM//DTD PROV 1.0//EN" "http://www.wapforum.org/DTD/prov.dtd">',
  si: '<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">',
  sl: '<!DOCTYPE sl PUBLIC "-//WAPFORUM//DTD SL 1.0//EN" "http://www.wapforum.org/DTD/sl.dtd">',
};

export interface XmlTextOptions {
  declaration?: boolean;
  doctype?: boolean;
  /** Newline + two-space indent between elements (never inside elements that hold text). */
  indent?: boolean;
}

const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

const escapeAttribute = (value: string): string =>
  value.replace(/[&<>"'\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]);
const escapeText = (value: string): string => value.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]);

export function toXmlText(root: XmlElement, options: XmlTextOptions = {}): string {
  const parts: string[] = [];
  if (options.declaration) parts.push('<?xml version="1.0" encoding="UTF-8"?>\n');
  if (options.doctype && DOCTYPES[root.name]) parts.push(DOCTYPES[root.name], '\n');
  write(root, 0, options.indent ?? false, parts);
  return parts.join('');
}

function write(element: XmlElement, depth: number, indent: boolean, parts: string[]): void {
  const pad = indent ? '  '.repeat(depth) : '';
  parts.push(pad, '<', element.name);
  for (const [name, value] of element.attributes) parts.push(' ', name, '="', escapeAttribute(value), '"');
  if (element.children.length === 0) {
    parts.push('/>', indent ? '\n' : '');
    return;
  }
  const holdsText = element.children.some((child) => typeof child === 'string');
  parts.push('>');
  if (indent && !holdsText) parts.push('\n');
  for (const child of element.children) {
    if (typeof child === 'string') parts.push(escapeText(child));
    else write(child, depth + 1, indent && !holdsText, parts);
  }
  parts.push(indent && !holdsText ? pad : '', '</', element.name, '>', indent ? '\n' : '');
}
