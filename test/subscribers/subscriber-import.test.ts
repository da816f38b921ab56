import { beforeAll, describe, expect, it } from 'vitest';
import { saveGroup } from '../../src/store/repositories/groups.ts';
import { DEFAULT_GROUP_POLICY } from '../../src/subscribers/policy.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { importSubscribers } from '../../src/subscribers/import.ts';
import { findSubscriber, listSubscriberHandsets } from '../../src/subscribers/repository.ts';
import { parseSubscriberCsv } from '../../src/subscribers/subscriber-csv.ts';
import { forEachStore } from '../support/stores.ts';

// 35209900 + serial + Luhn digit (test/http/support/api-harness.ts testImei)
const IMEI_A = '352099000000014';
const IMEI_B = '352099000000022';

describe('parseSubscriberCsv: the subscriber base as CSV (pure)', () => {
  it('reads columns in any order and case, optional imei, spreadsheet spellings of numbers', () => {
    const parsed = linesOf(
      'MSISDN,Group,IMSI,imei',
      '+49 170 1000001,prepaid,262010000000001,',
      '49-170-1000002,default,262010000000002,' + IMEI_A,
    );
    expect(parsed.issues).toEqual([]);
    expect(parsed.entries).toEqual([
      { imsi: '262010000000001', msisdn: '491701000001', group: 'prepaid', imei: undefined, line: 2 },
      { imsi: '262010000000002', msisdn: '491701000002', group: 'default', imei: IMEI_A, line: 3 },
    ]);
  });

  it('names every bad line by number and code, and never puts an IMSI into a message', () => {
    const parsed = linesOf(
      'imsi,msisdn,group',
      '262010000000001,491701000001,default',
      '# a comment line is skipped',
      '12,491701000002,default',
      '262010000000003,0170,default',
      '262010000000004,491701000004,',
      '262010000000001,491701000005,default',
      '262010000000006,491701000001,default',
      '262010000000007,491701000007',
    );
    expect(parsed.issues.map((issue) => [issue.line, issue.code])).toEqual([
      [4, 'IMSI_INVALID'],
      [5, 'MSISDN_INVALID'],
      [6, 'GROUP_MISSING'],
      [7, 'IMSI_DUPLICATE'],
      [8, 'MSISDN_DUPLICATE'],
      [9, 'FIELD_COUNT'],
    ]);
    expect(parsed.issues.find((issue) => issue.line === 7)?.message).toMatch(/line 2/);
    expect(JSON.stringify(parsed.issues)).not.toContain('262010000000001');
    expect(parsed.lines).toBe(7);
    expect(parsed.entries.map((entry) => entry.line)).toEqual([2]);
  });

  it('refuses a file without a usable header as a whole', () => {
    expect(linesOf('imsi,msisdn').issues).toMatchObject([{ line: 1, code: 'HEADER_REQUIRED_COLUMN' }]);
    expect(linesOf('imsi,msisdn,group,colour').fatal).toBe(true);
    expect(parseSubscriberCsv('').issues[0].code).toBe('HEADER_MISSING');
    const group = linesOf('imsi,msisdn,group', '262010000000001,491701000001,Gold Plan');
    expect(group.issues[0]).toMatchObject({ line: 2, code: 'GROUP_INVALID' });
    const imei = linesOf(
      'imsi,msisdn,group,imei',
      `262010000000001,491701000001,default,${IMEI_A.slice(0, 14)}9`,
    );
    expect(imei.issues[0]).toMatchObject({ line: 2, code: 'IMEI_INVALID' });
  });
});

function linesOf(...lines: string[]) {
  return parseSubscriberCsv(lines.join('\n') + '\n');
}

const csv = (...lines: string[]) => ['imsi,msisdn,group,imei', ...lines].join('\n') + '\n';
const options = { actor: 'test-admin', role: 'admin', source: 'base.csv' };

describe('importSubscribers: the catalogue import rules for the subscriber base', () => {
  forEachStore(({ db }) => {
    beforeAll(async () => {
      for (const name of ['prepaid', 'postpaid'])
        await saveGroup(db(), name, { description: null, policy: DEFAULT_GROUP_POLICY });
    });

    it('adds new SIMs, moves known ones to the file number and group, leaves the same ones alone; audited', async () => {
      const first = await importSubscribers(
        db(),
        csv('262050000000001,491750000001,prepaid,' + IMEI_A, '262050000000002,491750000002,default,'),
        options,
      );
      expect(first).toMatchObject({
        outcome: 'applied',
        lines: 2,
        subscribers: { added: 2, updated: 0, unchanged: 0 },
      });
      const withHandset = (await findSubscriber(db(), { imsi: '262050000000001' }))!;
      expect(withHandset).toMatchObject({
        msisdn: '491750000001',
        groupName: 'prepaid',
        currentImei: IMEI_A,
      });
      expect((await listSubscriberHandsets(db(), withHandset.id)).map((h) => h.imei)).toEqual([IMEI_A]);

      const second = await importSubscribers(
        db(),
        csv('262050000000001,491750000001,prepaid,' + IMEI_B, '262050000000002,491750000099,postpaid,'),
        options,
      );
      expect(second.subscribers).toEqual({ added: 0, updated: 1, unchanged: 1 });
      // The handset a trigger or an earlier import recorded wins over the file's.
      expect((await findSubscriber(db(), { imsi: '262050000000001' }))!.currentImei).toBe(IMEI_A);
      expect(await findSubscriber(db(), { imsi: '262050000000002' })).toMatchObject({
        msisdn: '491750000099',
        groupName: 'postpaid',
      });
      const audit = await listAudit(db(), { action: 'subscribers.import' });
      expect(audit[0]).toMatchObject({ actor: 'test-admin', subjectId: 'base.csv' });
      expect(audit[0].details).toMatchObject({
        lines: 2,
        subscribers: { added: 0, updated: 1, unchanged: 1 },
      });
    });

    it('refuses the whole file for one bad line (the store checks included), with line numbers', async () => {
      const file = csv(
        '262050000000010,491750000010,default,',
        '262050000000011,491750000011,nonesuch,',
        '262050000000012,491750000099,default,', // the number 262050000000002 has
        'not-an-imsi,491750000013,default,',
      );
      const refused = await importSubscribers(db(), file, options);
      expect(refused.outcome).toBe('refused');
      expect(refused.subscribers).toEqual({ added: 0, updated: 0, unchanged: 0 });
      expect(refused.issues.map((issue) => [issue.line, issue.code])).toEqual([[5, 'IMSI_INVALID']]);
      const withoutTheBadImsi = csv(...file.split('\n').slice(1, 4));
      const storeRefused = await importSubscribers(db(), withoutTheBadImsi, options);
      expect(storeRefused.outcome).toBe('refused');
      expect(storeRefused.issues.map((issue) => [issue.line, issue.code])).toEqual([
        [3, 'GROUP_UNKNOWN'],
        [4, 'MSISDN_TAKEN'],
      ]);
      expect(await findSubscriber(db(), { imsi: '262050000000010' })).toBeUndefined();
    });

    it('imports the good lines with skipInvalid and reports the bad ones', async () => {
      const report = await importSubscribers(
        db(),
        csv('262050000000020,491750000020,default,', '262050000000021,491750000021,nonesuch,', 'x,y,z,'),
        { ...options, skipInvalid: true },
      );
      expect(report.outcome).toBe('applied');
      expect(report.subscribers.added).toBe(1);
      expect(report.issues.map((issue) => issue.line)).toEqual([3, 4, 4]);
      expect(await findSubscriber(db(), { imsi: '262050000000020' })).toBeDefined();
      expect(await findSubscriber(db(), { imsi: '262050000000021' })).toBeUndefined();
    });

    it('works out a dry run and stores nothing', async () => {
      const before = (await listAudit(db(), { action: 'subscribers.import' })).length;
      const report = await importSubscribers(db(), csv('262050000000030,491750000030,default,'), {
        ...options,
        dryRun: true,
      });
      expect(report).toMatchObject({ outcome: 'dry-run', subscribers: { added: 1 } });
      expect(await findSubscriber(db(), { imsi: '262050000000030' })).toBeUndefined();
      expect((await listAudit(db(), { action: 'subscribers.import' })).length).toBe(before);
    });
  });
});
