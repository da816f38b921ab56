import type { AttributeStart, Vocabulary } from './vocabulary.ts';

/** A token together with the code page it lives on. */
export interface PagedToken {
  readonly page: number;
  readonly token: number;
}

/** A value prefix an ATTRSTART carries ('' for a bare `name=`), with its tokens on every page. */
export interface PrefixStart {
  readonly prefix: string;
  readonly tokens: readonly PagedToken[];
}

/** The ATTRSTART tokens of one attribute name. */
export interface AttributeNameTokens {
  /** exact value -> tokens (a value-carrying ATTRSTART that equals the whole value). */
  readonly exact: ReadonlyMap<string, readonly PagedToken[]>;
  /** value prefixes, longest first, ending with the bare name ('') when it has a token. */
  readonly prefixes: readonly PrefixStart[];
  /** tokens of the bare `name=` ATTRSTART, if there is one. */
  readonly bare: readonly PagedToken[] | undefined;
  /** the value is a %Datetime (docs/protocol.md §8.3). */
  readonly datetime: boolean;
}

/** A value fragment that may stand anywhere in a value (substring matching). */
export interface ValueFragment {
  readonly text: string;
  readonly token: PagedToken;
}

/**
 * Lookup structures derived once from a Vocabulary (at module load for the built-in ones, on first use
 * for others), so neither the encoder nor the decoder searches the tables per call.
 */
export interface CompiledVocabulary {
  readonly vocabulary: Vocabulary;
  // Decoding: page -> token -> entry (arrays of 256 for direct indexing).
  readonly tagNames: ReadonlyMap<number, ReadonlyArray<string | undefined>>;
  readonly attributeStarts: ReadonlyMap<number, ReadonlyArray<AttributeStart | undefined>>;
  readonly attributeValues: ReadonlyMap<number, ReadonlyArray<string | undefined>>;
  readonly datetimeAttributes: ReadonlySet<string>;
  // Encoding: candidates sorted by page, decode-only tokens left out.
  readonly tagTokens: ReadonlyMap<string, readonly PagedToken[]>;
  /** attribute name -> its ATTRSTART tokens (one lookup per attribute in the encoder's hot path). */
  readonly attributeNames: ReadonlyMap<string, AttributeNameTokens>;
  /** value -> tokens, for whole-value matching. */
  readonly wholeValues: ReadonlyMap<string, readonly PagedToken[]>;
  /** fragments longest first, for substring matching. */
  readonly valueFragments: readonly ValueFragment[];
  /** char codes value fragments can start with (a quick filter for substring matching). */
  readonly fragmentFirstChars: ReadonlySet<number>;
  readonly stringOnlyNames: ReadonlySet<string>;
}

const compiledCache = new WeakMap<Vocabulary, CompiledVocabulary>();

export function compileVocabulary(vocabulary: Vocabulary): CompiledVocabulary {
  let compiled = compiledCache.get(vocabulary);
  if (!compiled) {
    compiled = build(vocabulary);
    compiledCache.set(vocabulary, compiled);
  }
  return compiled;
}

function pagesOf<T>(
  table: Readonly<Record<number, Readonly<Record<number, T>>>>,
): Array<[number, Array<[number, T]>]> {
  return Object.keys(table)
    .map(Number)
    .sort((a, b) => a - b)
    .map((page) => [
      page,
      Object.keys(table[page])
        .map(Number)
        .sort((a, b) => a - b)
        .map((token) => [token, table[page][token]] as [number, T]),
    ]);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function build(vocabulary: Vocabulary): CompiledVocabulary {
  const tagNames = new Map<number, Array<string | undefined>>();
  const tagTokens = new Map<string, PagedToken[]>();
  for (const [page, entries] of pagesOf(vocabulary.tags)) {
    const byToken = new Array<string | undefined>(256);
    for (const [token, name] of entries) {
      byToken[token] = name;
      pushTo(tagTokens, name, { page, token });
    }
    tagNames.set(page, byToken);
  }

  const attributeStarts = new Map<number, Array<AttributeStart | undefined>>();
  // attribute name -> value ('' = bare) -> tokens
  const startTokens = new Map<string, Map<string, PagedToken[]>>();
  for (const [page, entries] of pagesOf(vocabulary.attributeStarts)) {
    const byToken = new Array<AttributeStart | undefined>(256);
    for (const [token, start] of entries) {
      byToken[token] = start;
      let byValue = startTokens.get(start.name);
      if (!byValue) startTokens.set(start.name, (byValue = new Map()));
      pushTo(byValue, start.value ?? '', { page, token });
    }
    attributeStarts.set(page, byToken);
  }
  const datetimeAttributes = new Set(vocabulary.datetimeAttributes);
  const attributeNames = new Map<string, AttributeNameTokens>();
  for (const [name, byValue] of startTokens) {
    const prefixes = [...byValue].map(([prefix, tokens]) => ({ prefix, tokens }));
    prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
    attributeNames.set(name, {
      exact: new Map([...byValue].filter(([value]) => value !== '')),
      prefixes,
      bare: byValue.get(''),
      datetime: datetimeAttributes.has(name),
    });
  }

  const decodeOnly = vocabulary.decodeOnly?.attributeValues ?? {};
  const attributeValues = new Map<number, Array<string | undefined>>();
  const wholeValues = new Map<string, PagedToken[]>();
  const valueFragments: ValueFragment[] = [];
  for (const [page, entries] of pagesOf(vocabulary.attributeValues)) {
    const byToken = new Array<string | undefined>(256);
    for (const [token, text] of entries) {
      byToken[token] = text;
      if (decodeOnly[page]?.includes(token)) continue;
      pushTo(wholeValues, text, { page, token });
      valueFragments.push({ text, token: { page, token } });
    }
    attributeValues.set(page, byToken);
  }
  valueFragments.sort((a, b) => b.text.length - a.text.length);

  return {
    vocabulary,
    tagNames,
    attributeStarts,
    attributeValues,
    datetimeAttributes,
    tagTokens,
    attributeNames,
    wholeValues,
    valueFragments,
    fragmentFirstChars: new Set(valueFragments.map((f) => f.text.charCodeAt(0))),
    stringOnlyNames: new Set(vocabulary.stringOnlyValues?.names ?? []),
  };
}

/** The candidate on the current page if there is one (no SWITCH_PAGE needed), else the lowest page's. */
export function pickToken(candidates: readonly PagedToken[], currentPage: number): PagedToken {
  for (let i = 0; i < candidates.length; i++) if (candidates[i].page === currentPage) return candidates[i];
  return candidates[0];
}
