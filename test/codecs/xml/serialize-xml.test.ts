import { describe, expect, it } from 'vitest';
import { el } from '../../../codecs/xml/element.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { serializeXml } from '../../../codecs/xml/serialize-xml.ts';

describe('serializeXml', () => {
  it('writes a compact document by default', () => {
    const root = el('wap-provisioningdoc', { version: '1.0' }, [
      el('characteristic', { type: 'NAPDEF' }, [el('parm', { name: 'NAPID', value: 'NAP1' })]),
    ]);
    expect(serializeXml(root)).toBe(
      '<wap-provisioningdoc version="1.0"><characteristic type="NAPDEF"><parm name="NAPID" value="NAP1"/>' +
        '</characteristic></wap-provisioningdoc>',
    );
  });

  it('writes an XML declaration and indents when asked', () => {
    const root = el('si', [], [el('indication', { href: 'http://a/' }, ['Hello']), el('info')]);
    expect(serializeXml(root, { pretty: true, declaration: true })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<si>\n' +
        '  <indication href="http://a/">Hello</indication>\n' +
        '  <info/>\n' +
        '</si>\n',
    );
  });

  it('escapes & < > " and keeps non-ASCII as is', () => {
    const root = el('p', { a: `x&y<z>"q"'é` }, [`1 < 2 & 3 > "0" é日`]);
    expect(serializeXml(root)).toBe(
      `<p a="x&amp;y&lt;z&gt;&quot;q&quot;'é">1 &lt; 2 &amp; 3 &gt; "0" é日</p>`,
    );
  });

  it('writes tab, newline and CR in attributes as references so they survive re-parsing', () => {
    const root = el('p', { a: 'x\ty\nz\r' }, ['line1\nline2\r']);
    const text = serializeXml(root);
    expect(text).toBe('<p a="x&#9;y&#10;z&#13;">line1\nline2&#13;</p>');
    expect(parseXml(text)).toMatchObject({ attributes: [['a', 'x\ty\nz\r']], children: ['line1\nline2\r'] });
  });

  it('round-trips through parseXml, including <x></x> and astral characters', () => {
    const text = '<a x="1 &amp; 2"><b></b><c/><d>𝄞 text</d></a>';
    expect(serializeXml(parseXml(text))).toBe(text);
  });

  it('keeps an element holding text on one line when pretty printing', () => {
    const root = el('a', [], [el('b', [], ['t ', el('c')])]);
    expect(serializeXml(root, { pretty: true })).toBe('<a>\n  <b>t <c/></b>\n</a>\n');
  });

  it.each([
    ['a C0 control character', '\u0001'],
    ['NUL', '\u0000'],
    ['a lone surrogate', '\ud800x'],
    ['U+FFFE', '\ufffe'],
  ])('refuses %s with XML_UNREPRESENTABLE_CHARACTER', (_what, text) => {
    expect(() => serializeXml(el('p', [], [text]))).toThrow(
      expect.objectContaining({ code: 'XML_UNREPRESENTABLE_CHARACTER' }),
    );
  });

  it('refuses trees nested deeper than 1024 with XML_TOO_DEEP instead of exhausting the stack', () => {
    let deep = el('a');
    for (let i = 0; i < 100_000; i++) deep = el('a', [], [deep]);
    expect(() => serializeXml(deep)).toThrow(expect.objectContaining({ code: 'XML_TOO_DEEP' }));
    expect(() => serializeXml(deep, { pretty: true })).toThrow(
      expect.objectContaining({ code: 'XML_TOO_DEEP' }),
    );
  });
});
