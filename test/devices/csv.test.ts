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

  it('keeps a stray quote inside a field as text, as spreadsheets do', () => {
    const { records, issues } = parseCsv('a,b\nx,y"z\n"a"b,c\n');
    expect(issues).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x', 'y"z'] },
      { line: 3, fields: ['"a"b', 'c'] },
    ]);
  });

  it("skips a spreadsheet's empty row (nothing but commas and spaces)", () => {
    expect(parseCsv('a,b\n,,\n , \nc,d\n').records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 4, fields: ['c', 'd'] },
    ]);
  });

  it('counts a line break inside quotes once, CRLF or LF, and keeps a lone CR as text', () => {
    expect(parseCsv('"a\r\nb",c\r\nd\re,f\r\n"g\nh",i\nj,k').records).toEqual([
      { line: 1, fields: ['a\r\nb', 'c'] },
      { line: 3, fields: ['d\re', 'f'] },
      { line: 4, fields: ['g\nh', 'i'] },
      { line: 6, fields: ['j', 'k'] },
    ]);
  });

  it('numbers lines by the text, whatever the characters (offsets are bytes inside the parser)', () => {
    expect(parseCsv('\uFEFFé,€\n"😀\n😀",x\ny,z').records).toEqual([
      { line: 1, fields: ['é', '€'] },
      { line: 2, fields: ['😀\n😀', 'x'] },
      { line: 4, fields: ['y', 'z'] },
    ]);
  });

  it('reports a quote never closed at the line where its record starts, after the records before it', () => {
    const { records, issues } = parseCsv('a,b\n# note\n\n , \nc,"never\nclosed,x\n');
    expect(records).toEqual([{ line: 1, fields: ['a', 'b'] }]);
    expect(issues).toEqual([{ line: 5, code: 'CSV_UNTERMINATED_QUOTE', message: expect.any(String) }]);
    expect(parseCsv('"open\n').issues).toMatchObject([{ line: 1, code: 'CSV_UNTERMINATED_QUOTE' }]);
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
      // A row of blank fields only is an empty spreadsheet row, which the reader skips, quoted or not.
      const hasText = (row: string[]): boolean => row.some((field) => field.trim() !== '');
      const rowsWithText = rows.filter(hasText);
      let line = 1;
      const startLines: number[] = [];
      for (const row of rows) {
        if (hasText(row)) startLines.push(line);
        line += row.join('').split('\n').length; // its line breaks, and the CRLF after it
      }
      expect(
        records.map((record) => record.line),
        `seed ${random.seed} round ${round}`,
      ).toEqual(startLines);
      expect(
        records.map((record) => record.fields),
        `seed ${random.seed} round ${round}`,
      ).toEqual(rowsWithText);
    }
  });
});
