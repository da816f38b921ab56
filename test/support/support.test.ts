/** The test helpers themselves: a property test is only as good as its generator and its comparison. */
import { describe, expect, it } from 'vitest';
import { el } from '../../codecs/xml/element.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { documentCorpus } from './document-corpus.ts';
import { GENERATED_DOCUMENT_TYPES, randomDocument } from './random-documents.ts';
import { SeededRandom } from './seeded-random.ts';
import { normaliseTree, treeDifference } from './tree-compare.ts';
import { toXmlText } from './xml-text.ts';

describe('SeededRandom', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const draw = (random: SeededRandom): number[] =>
      Array.from({ length: 20 }, () => random.int(0, 1_000_000));
    const first = draw(a);
    expect(draw(b)).toEqual(first);
    expect(draw(c)).not.toEqual(first);
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const random = new SeededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(random.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = new SeededRandom(1).shuffle(items);
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
  });
});

describe('treeDifference', () => {
  const base = el(
    'a',
    [
      ['x', '1'],
      ['y', '2'],
    ],
    [el('b', [], ['text']), '  ', el('c')],
  );

  it('ignores attribute order, whitespace-only text, text splitting and line numbers', () => {
    const same = {
      ...el(
        'a',
        [
          ['y', '2'],
          ['x', '1'],
        ],
        [el('b', [], ['te', 'xt']), el('c')],
      ),
      line: 9,
    };
    expect(treeDifference(base, same)).toBeUndefined();
    expect(normaliseTree(base)).toEqual(normaliseTree(same));
  });

  it('reports a changed attribute value with its path', () => {
    const other = el(
      'a',
      [
        ['x', '1'],
        ['y', '3'],
      ],
      [el('b', [], ['text']), el('c')],
    );
    expect(treeDifference(base, other)).toBe('/a @y: expected "2", got "3"');
  });

  it('reports missing children, extra children, renamed elements and changed text', () => {
    expect(
      treeDifference(
        base,
        el(
          'a',
          [
            ['x', '1'],
            ['y', '2'],
          ],
          [el('b', [], ['text'])],
        ),
      ),
    ).toMatch(/missing child <c>/);
    expect(
      treeDifference(
        base,
        el(
          'a',
          [
            ['x', '1'],
            ['y', '2'],
          ],
          [el('b', [], ['text']), el('c'), el('d')],
        ),
      ),
    ).toMatch(/unexpected extra child <d>/);
    expect(
      treeDifference(
        base,
        el(
          'a',
          [
            ['x', '1'],
            ['y', '2'],
          ],
          [el('b', [], ['text']), el('e')],
        ),
      ),
    ).toMatch(/expected element <c>, got <e>/);
    expect(
      treeDifference(
        base,
        el(
          'a',
          [
            ['x', '1'],
            ['y', '2'],
          ],
          [el('b', [], ['Text']), el('c')],
        ),
      ),
    ).toMatch(/expected text "text", got text "Text"/);
  });

  it('treats leading/trailing spaces in text and attribute values as content', () => {
    expect(treeDifference(el('a', [['x', ' 1']]), el('a', [['x', '1']]))).toBeDefined();
    expect(treeDifference(el('a', [], [' t ']), el('a', [], ['t']))).toBeDefined();
  });
});

describe('toXmlText', () => {
  it('writes what parseXml reads back unchanged, XML-special characters and whitespace included', () => {
    const tree = el(
      'si',
      [],
      [el('indication', [['href', `a&b<c>"d"'e'\tf\ng\rh`]], [`x & y < z > "q" 'r' \r end`])],
    );
    const back = parseXml(toXmlText(tree, { declaration: true, doctype: true, indent: true }));
    expect(treeDifference(tree, back)).toBeUndefined();
    expect(back.children[0]).toMatchObject({ attributes: [['href', `a&b<c>"d"'e'\tf\ng\rh`]] });
  });
});

describe('random documents', () => {
  it.each(GENERATED_DOCUMENT_TYPES)('are the same for the same seed (%s)', (type) => {
    expect(randomDocument(new SeededRandom(5), type)).toEqual(randomDocument(new SeededRandom(5), type));
  });

  it.each(GENERATED_DOCUMENT_TYPES)('are well-formed XML once written (%s)', (type) => {
    const random = new SeededRandom(11);
    for (let i = 0; i < 100; i++) {
      const root = randomDocument(random, type, { richText: 1, longValues: 0.5 });
      expect(treeDifference(root, parseXml(toXmlText(root)))).toBeUndefined();
    }
  });

  it('cover both OMA CP attribute code pages, valueless parms, literals and non-ASCII text', () => {
    const random = new SeededRandom(3);
    const texts = Array.from({ length: 100 }, () =>
      toXmlText(randomDocument(random, 'prov', { richText: 0.5 })),
    );
    const share = (pattern: RegExp): number =>
      texts.filter((text) => pattern.test(text)).length / texts.length;
    expect(share(/type="APPLICATION"/)).toBeGreaterThan(0.5);
    expect(share(/type="(APPADDR|APPAUTH|RESOURCE)"/)).toBeGreaterThan(0.3);
    expect(share(/<parm name="(T-BIT|INTERNET|STARTPAGE|INIT|TRUST|MASTER)"\/>/)).toBeGreaterThan(0.3);
    expect(share(/name="(ROLE|FROM|INIT|BROWSER-MODE|X-SETTING|CACHE-SIZE)"/)).toBeGreaterThan(0.1);
    // eslint-disable-next-line no-control-regex
    expect(share(/[^\x00-\x7f]/)).toBeGreaterThan(0.3);
    expect(share(/&amp;|&lt;|&quot;|&apos;/)).toBeGreaterThan(0.2);
  });

  it('make a corpus with unique names', () => {
    const names = documentCorpus({ randomPerType: 5 }).map((doc) => doc.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
