import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../codecs/errors.ts';
import { el, isWrittenWithEndTag } from '../../../codecs/xml/element.ts';
import type { XmlElement } from '../../../codecs/xml/element.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';

function codecErrorOf(run: () => unknown): CodecError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    return error as CodecError;
  }
  throw new Error('expected a CodecError');
}

/** Drops `line` so trees can be compared by shape. */
function shape(element: XmlElement): XmlElement {
  return el(
    element.name,
    element.attributes,
    element.children.map((child) => (typeof child === 'string' ? child : shape(child))),
  );
}

describe('parseXml', () => {
  it('builds the element tree with attributes in document order', () => {
    const root = parseXml('<parm value="v" name="NAPID"/>');
    expect(root.name).toBe('parm');
    expect(root.attributes).toEqual([
      ['value', 'v'],
      ['name', 'NAPID'],
    ]);
    expect(root.children).toEqual([]);
  });

  it('accepts an XML declaration and a DOCTYPE and ignores them', () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<!DOCTYPE wap-provisioningdoc PUBLIC "-//WAPFORUM//DTD PROV 1.0//EN"\n' +
        '  "http://www.wapforum.org/DTD/prov.dtd">\n' +
        '<wap-provisioningdoc version="1.0"/>',
    );
    expect(shape(root)).toEqual(el('wap-provisioningdoc', { version: '1.0' }));
  });

  it('records the line each element starts on', () => {
    const root = parseXml('<?xml version="1.0"?>\n<a>\n  <b/>\n\n  <c\n     x="1"/>\n</a>');
    expect(root.line).toBe(2);
    const [b, c] = root.children as XmlElement[];
    expect(b.line).toBe(3);
    expect(c.line).toBe(5);
  });

  it('drops whitespace-only text and keeps other text verbatim', () => {
    const root = parseXml('<si>\n  <indication href="x">  Hello\n world </indication>\n</si>');
    expect(shape(root)).toEqual(el('si', [], [el('indication', { href: 'x' }, ['  Hello\n world '])]));
  });

  it('decodes entity and character references in text and attributes', () => {
    const root = parseXml('<p a="&amp;&lt;&gt;&quot;&apos;&#233;&#xE9;">x &amp; y &#x65E5;</p>');
    expect(root.attributes).toEqual([['a', `&<>"'éé`]]);
    expect(root.children).toEqual(['x & y 日']);
  });

  it('merges CDATA with neighbouring text', () => {
    expect(parseXml('<p>a<![CDATA[<b>]]>c</p>').children).toEqual(['a<b>c']);
  });

  it('ignores comments and processing instructions', () => {
    const root = parseXml('<!-- c --><a><!-- inner --><?pi x?><b/></a>');
    expect(shape(root)).toEqual(el('a', [], [el('b')]));
  });

  it('keeps non-ASCII characters', () => {
    expect(parseXml('<p n="Ωmega 日本">ü</p>')).toMatchObject({
      attributes: [['n', 'Ωmega 日本']],
      children: ['ü'],
    });
  });

  it('tells an element written <x></x> apart from <x/>', () => {
    const root = parseXml('<a><b></b><c/><d> </d></a>');
    const [b, c, d] = root.children as XmlElement[];
    expect(isWrittenWithEndTag(b)).toBe(true);
    expect(isWrittenWithEndTag(c)).toBe(false);
    expect(isWrittenWithEndTag(d)).toBe(true); // whitespace-only content is dropped
  });

  it('parses each document independently after a malformed one', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(CodecError);
    expect(shape(parseXml('<a><b/></a>'))).toEqual(el('a', [], [el('b')]));
  });

  it('accepts 256 levels of nesting and rejects deeper documents with XML_TOO_DEEP and the line', () => {
    const nested = (depth: number) => `${'<a>\n'.repeat(depth)}${'</a>'.repeat(depth)}`;
    expect(parseXml(nested(256)).name).toBe('a');
    expect(codecErrorOf(() => parseXml(nested(257)))).toMatchObject({ code: 'XML_TOO_DEEP', line: 257 });
    expect(codecErrorOf(() => parseXml(nested(50_000))).code).toBe('XML_TOO_DEEP');
  });

  describe('rejects malformed XML with XML_MALFORMED and the line', () => {
    it.each([
      ['a mismatched end tag', '<a>\n<b>\n</a>', 3],
      ['an unclosed root', '<a>\n<b/>\n', 3],
      ['an unquoted attribute', '<a>\n\n<b x=1/></a>', 3],
      ['a duplicate attribute', '<a x="1"\n x="2"/>', 2],
      ['an undefined entity', '<a>\n&nbsp;</a>', 2],
      ['text after the root', '<a/>\nstray', 2],
      ['two roots', '<a/>\n<b/>', 2],
      ['an empty document', '', 1],
      ['a bare ampersand', '<a t="x & y"/>', 1],
    ])('%s', (_what, text, line) => {
      const error = codecErrorOf(() => parseXml(text));
      expect(error.code).toBe('XML_MALFORMED');
      expect(error.line).toBe(line);
      expect(error.offset).toBe(-1);
    });
  });
});
