import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/devices/csv.ts';
import { SeededRandom } from '../support/seeded-random.ts';

describe('parseCsv', () => {
  it('splits records on LF and CRLF and fields on commas', () => {
    expect(parseCsv('a,b,c\r\n1,2,3\n4,5,6').records).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', '2', '3'] },
      { line: 3, fields: ['4', '5', '6'] },
    ]);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(parseCsv('a,,c,\n').records).toEqual([{ line: 1, fields: ['a', '', 'c', ''] }]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks (RFC 4180 §2.5-2.7)', () => {
    const { records, issues } = parseCsv('"x, y","say ""hi""","two\nlines"\nnext,row,here\n');
    expect(issues).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 3, fields: ['next', 'row', 'here'] },
    ]);
  });

  it('skips blank and whitespace-only lines, comment lines and a byte order mark', () => {
    expect(parseCsv('\uFEFF# a comment\n\na,b\n  \t\r\n# another\nc,d\n').records).toEqual([
      { line: 3, fields: ['a', 'b'] },
      { line: 6, fields: ['c', 'd'] },
    ]);
  });

  it('treats # inside a record as text', () => {
    expect(parseCsv('a,#b\n"#c",d').records).toEqual([
      { line: 1, fields: ['a', '#b'] },
      { line: 2, fields: ['#c', 'd'] },
    ]);
  });

  it('reports a quote inside an unquoted field with its line and reads on', () => {
    const { records, issues } = parseCsv('a,b\nx,y"z\nc,d\n');
    expect(issues).toEqual([{ line: 2, code: 'CSV_QUOTE_IN_UNQUOTED_FIELD', message: expect.any(String) }]);
    expect(records.map((record) => record.line)).toEqual([1, 3]);
  });

  it('reports text after a closing quote with its line and reads on', () => {
    const { records, issues } = parseCsv('"a"b,c\nd,e\n');
    expect(issues).toMatchObject([{ line: 1, code: 'CSV_TEXT_AFTER_QUOTE' }]);
    expect(records).toEqual([{ line: 2, fields: ['d', 'e'] }]);
  });

  it('reports a quote never closed at the line where its record starts', () => {
    const { records, issues } = parseCsv('a,b\nc,"never\nclosed,x\n');
    expect(records).toEqual([{ line: 1, fields: ['a', 'b'] }]);
    expect(issues).toMatchObject([{ line: 2, code: 'CSV_UNTERMINATED_QUOTE' }]);
  });

  it('reads back what a quoting writer wrote, for random fields', () => {
    const random = new SeededRandom(4180);
    const alphabet = ['a', 'b', ',', '"', '\n', '\r\n', ' ', '#', 'é'];
    const quote = (field: string): string => `"${field.replace(/"/g, '""')}"`;
    for (let round = 0; round < 200; round++) {
      const rows = Array.from({ length: random.int(1, 4) }, () =>
        Array.from({ length: random.int(1, 4) }, () =>
          Array.from({ length: random.int(1, 6) }, () => alphabet[random.int(0, alphabet.length - 1)]).join(
            '',
          ),
        ),
      );
      const text = rows.map((row) => row.map(quote).join(',')).join('\r\n');
      const { records, issues } = parseCsv(text);
      expect(issues, `seed ${random.seed} round ${round}`).toEqual([]);
      expect(
        records.map((record) => record.fields),
        `seed ${random.seed} round ${round}`,
      ).toEqual(rows);
    }
  });
});
