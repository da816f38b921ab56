import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCatalogueCsv } from '../../src/devices/catalogue-csv.ts';

const HEADER = 'tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes';

function issuesOf(text: string): Array<[number, string]> {
  return parseCatalogueCsv(text).issues.map((issue) => [issue.line, issue.code]);
}

describe('parseCatalogueCsv', () => {
  it('reads a model with its TACs, format, methods, segments, capabilities and notes', () => {
    const result = parseCatalogueCsv(
      `${HEADER}\n35216700;35216701,Nokia,6230i,OMA-CP,netwpin;USERPIN,6,data;MMS,"S40, 3rd edition"\n`,
    );
    expect(result).toEqual({
      entries: [
        {
          manufacturer: 'Nokia',
          model: '6230i',
          tacs: ['35216700', '35216701'],
          format: 'oma-cp',
          securityMethods: ['NETWPIN', 'USERPIN'],
          maxSegments: 6,
          capabilities: ['data', 'mms'],
          notes: 'S40, 3rd edition',
          line: 2,
        },
      ],
      issues: [],
      lines: 1,
      fatal: false,
    });
  });

  it('leaves empty cells null, to be inherited', () => {
    const [entry] = parseCatalogueCsv(`${HEADER}\n35487201,Nokia,6233,,,,,\n`).entries;
    expect(entry).toMatchObject({
      format: null,
      securityMethods: null,
      maxSegments: null,
      capabilities: null,
      notes: null,
    });
  });

  it('takes the columns in any order and any case, and only the required ones', () => {
    const result = parseCatalogueCsv('Model,MANUFACTURER,Format\nK750i,Sony Ericsson,oma-cp\n');
    expect(result.issues).toEqual([]);
    expect(result.entries[0]).toMatchObject({
      manufacturer: 'Sony Ericsson',
      model: 'K750i',
      format: 'oma-cp',
      tacs: [],
    });
  });

  it('reads a manufacturer default (model *) and refuses TACs on it', () => {
    expect(parseCatalogueCsv(`${HEADER}\n,Nokia,*,oma-cp,,6,,\n`).entries[0]).toMatchObject({ model: '*' });
    expect(issuesOf(`${HEADER}\n35216700,Nokia,*,oma-cp,,6,,\n`)).toEqual([[2, 'TAC_ON_DEFAULT']]);
  });

  it('gathers the TACs of a model spread over several lines', () => {
    const result = parseCatalogueCsv(
      `${HEADER}\n35467800,Sony Ericsson,K750i,oma-cp,,8,,\n35467801,Sony Ericsson,K750i,oma-cp,,8,,\n`,
    );
    expect(result.issues).toEqual([]);
    expect(result.entries).toHaveLength(1);
    expect(result.entries[0].tacs).toEqual(['35467800', '35467801']);
  });

  it('names every bad line with its line number and a stable code', () => {
    const text = [
      '# a comment line counts',
      HEADER,
      '35216700,Nokia,6230i,oma-cp,,6,,', // 3: fine
      '3521670,Nokia,6300,oma-cp,,6,,', // 4: TAC of 7 digits
      '35671801,Nokia,6300,wap,,6,,', // 5: unknown format
      '35671802,Nokia,6301,oma-cp,SECRET,6,,', // 6: unknown method
      '35671803,Nokia,6302,oma-cp,,300,,', // 7: too many segments
      '35671804,Nokia,6303,oma-cp,,6,Data Sync,', // 8: capability not a token ('Data' ok, 'Sync' ok) -> fine
      '35671805,Nokia,6304,oma-cp,,6,data!,', // 9: bad capability
      '35671806,,6305,oma-cp,,6,,', // 10: no manufacturer
      '35671807,Nokia,,oma-cp,,6,,', // 11: no model
      '35671808,Nokia,6306,oma-cp,,6', // 12: too few fields
      '35671809,Nokia,6307,oma-cp,,6,,,extra', // 13: too many fields
      '35216700,Nokia,6308,oma-cp,,6,,', // 14: TAC already on 6230i
      '35216701,Nokia,6230i,nokia-ota,,6,,', // 15: 6230i said differently on line 3
      '35671810,Nokia,6309,"oma-cp,,6,,', // 16: quote never closed
    ].join('\n');
    expect(issuesOf(text)).toEqual([
      [4, 'TAC_INVALID'],
      [5, 'FORMAT_INVALID'],
      [6, 'SECURITY_METHOD_INVALID'],
      [7, 'MAX_SEGMENTS_INVALID'],
      [9, 'CAPABILITY_INVALID'],
      [10, 'MANUFACTURER_MISSING'],
      [11, 'MODEL_MISSING'],
      [12, 'FIELD_COUNT'],
      [13, 'FIELD_COUNT'],
      [14, 'TAC_CONFLICT'],
      [15, 'MODEL_CONFLICT'],
      [16, 'CSV_UNTERMINATED_QUOTE'],
    ]);
    const result = parseCatalogueCsv(text);
    expect(result.entries.map((entry) => entry.model)).toEqual(['6230i', '6303']);
    expect(result.issues.find((issue) => issue.line === 14)?.message).toMatch(/line 3/);
  });

  it('reports a header problem as fatal and reads no line', () => {
    expect(parseCatalogueCsv('tac,maker,model\n1,2,3\n')).toMatchObject({
      fatal: true,
      entries: [],
      issues: [
        { line: 1, code: 'HEADER_UNKNOWN_COLUMN' },
        { line: 1, code: 'HEADER_REQUIRED_COLUMN' },
      ],
    });
    expect(parseCatalogueCsv('tac,model\n')).toMatchObject({
      fatal: true,
      issues: [{ code: 'HEADER_REQUIRED_COLUMN' }],
    });
    expect(parseCatalogueCsv('model,manufacturer,model\n')).toMatchObject({
      fatal: true,
      issues: [{ code: 'HEADER_DUPLICATE_COLUMN' }],
    });
    expect(parseCatalogueCsv('# only a comment\n')).toMatchObject({
      fatal: true,
      issues: [{ code: 'HEADER_MISSING' }],
    });
  });

  it('reads the sample catalogue in config/ without a single issue', () => {
    const text = readFileSync(new URL('../../config/devices.csv', import.meta.url), 'utf8');
    const result = parseCatalogueCsv(text);
    expect(result.issues).toEqual([]);
    expect(result.entries.length).toBeGreaterThanOrEqual(30);
    const formats = new Set(result.entries.map((entry) => entry.format));
    expect(formats).toEqual(new Set(['oma-cp', 'nokia-ota', 'none']));
    expect(result.entries.some((entry) => entry.tacs.some((tac) => tac.length === 6))).toBe(true);
  });
});
