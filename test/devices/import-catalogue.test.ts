import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { importDeviceCatalogue } from '../../src/devices/import-catalogue.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { findDeviceModel, findModelByTac, listDeviceModels } from '../../src/store/repositories/devices.ts';
import { forEachStore } from '../support/stores.ts';

const HEADER = 'tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes';
const options = { actor: 'test', source: 'test.csv' };

/** Each test uses its own manufacturer, so tests sharing a store never touch each other's rows. */
function catalogue(maker: string, ...lines: string[]): string {
  return [HEADER, ...lines.map((line) => line.replaceAll('MAKER', maker))].join('\n') + '\n';
}

forEachStore(({ db }) => {
  it('imports models and TACs from a good file and reports what it added', async () => {
    const report = await importDeviceCatalogue(
      db(),
      catalogue(
        'Acme',
        ',MAKER,*,oma-cp,NETWPIN;USERPIN,6,data;browser,',
        '11100001;11100002,MAKER,A1,oma-cp,,8,,"first, and best"',
        '111003,MAKER,A0,nokia-ota,none,3,,',
      ),
      options,
    );
    expect(report).toEqual({
      lines: 3,
      models: { added: 3, updated: 0, unchanged: 0 },
      tacs: { added: 3, moved: 0, unchanged: 0 },
      issues: [],
      outcome: 'applied',
    });
    expect(await findDeviceModel(db(), 'acme', 'a1')).toMatchObject({
      manufacturer: 'Acme',
      model: 'A1',
      format: 'oma-cp',
      securityMethods: null,
      maxSegments: 8,
      capabilities: null,
      notes: 'first, and best',
    });
    expect(await findModelByTac(db(), '111003')).toMatchObject({ model: 'A0', securityMethods: ['none'] });
    const listed = await listDeviceModels(db(), { manufacturer: 'ACME' });
    expect(listed.map((model) => [model.model, model.tacs])).toEqual([
      ['*', []],
      ['A0', ['111003']],
      ['A1', ['11100001', '11100002']],
    ]);
  });

  it('changes nothing when the same file is imported again', async () => {
    const text = catalogue('Again', '22200001,MAKER,B1,oma-cp,USERPIN,4,mms,', ',MAKER,*,none,,,,');
    await importDeviceCatalogue(db(), text, options);
    const report = await importDeviceCatalogue(db(), text, options);
    expect(report.models).toEqual({ added: 0, updated: 0, unchanged: 2 });
    expect(report.tacs).toEqual({ added: 0, moved: 0, unchanged: 1 });
  });

  it('updates a model in place, moves a TAC to another model and keeps what the file leaves out', async () => {
    await importDeviceCatalogue(
      db(),
      catalogue(
        'Mover',
        '33300001,MAKER,C1,oma-cp,,4,,',
        '33300002,MAKER,C2,oma-cp,,4,,',
        '33300003,MAKER,C3,oma-cp,,4,,',
      ),
      options,
    );
    const before = await findDeviceModel(db(), 'Mover', 'C1');
    const report = await importDeviceCatalogue(
      db(),
      catalogue('MOVER', '33300001;33300002,MAKER,c1,oma-cp,,9,,now nine segments'),
      options,
    );
    expect(report.models).toEqual({ added: 0, updated: 1, unchanged: 0 });
    expect(report.tacs).toEqual({ added: 0, moved: 1, unchanged: 1 });
    const after = await findDeviceModel(db(), 'mover', 'C1');
    expect(after).toMatchObject({ id: before!.id, manufacturer: 'MOVER', model: 'c1', maxSegments: 9 });
    expect(await findModelByTac(db(), '33300002')).toMatchObject({ id: before!.id });
    // Not in the second file: still there.
    expect(await findModelByTac(db(), '33300003')).toMatchObject({ model: 'C3' });
  });

  it('imports nothing when a line is bad, and lists every bad line', async () => {
    const report = await importDeviceCatalogue(
      db(),
      catalogue(
        'Refused',
        '44400001,MAKER,D1,oma-cp,,4,,',
        '4440000X,MAKER,D2,oma-cp,,4,,',
        '44400003,MAKER,D3,wap,,4,,',
      ),
      options,
    );
    expect(report.outcome).toBe('refused');
    expect(report.issues.map((issue) => [issue.line, issue.code])).toEqual([
      [3, 'TAC_INVALID'],
      [4, 'FORMAT_INVALID'],
    ]);
    expect(report.models).toEqual({ added: 0, updated: 0, unchanged: 0 });
    expect(await findDeviceModel(db(), 'Refused', 'D1')).toBeUndefined();
  });

  it('imports the good lines with skipInvalid and still reports the bad ones', async () => {
    const report = await importDeviceCatalogue(
      db(),
      catalogue('Skipper', '55500001,MAKER,E1,oma-cp,,4,,', '55500002,MAKER,E2,oma-cp,,0,,'),
      { ...options, skipInvalid: true },
    );
    expect(report.outcome).toBe('applied');
    expect(report.models.added).toBe(1);
    expect(report.issues.map((issue) => [issue.line, issue.code])).toEqual([[3, 'MAX_SEGMENTS_INVALID']]);
    expect(await findDeviceModel(db(), 'Skipper', 'E1')).toBeDefined();
    expect(await findDeviceModel(db(), 'Skipper', 'E2')).toBeUndefined();
  });

  it('works out a dry run in full and stores none of it', async () => {
    const report = await importDeviceCatalogue(db(), catalogue('Dry', '66600001,MAKER,F1,oma-cp,,4,,'), {
      ...options,
      dryRun: true,
    });
    expect(report).toMatchObject({
      outcome: 'dry-run',
      models: { added: 1, updated: 0, unchanged: 0 },
      tacs: { added: 1, moved: 0, unchanged: 0 },
    });
    expect(await findDeviceModel(db(), 'Dry', 'F1')).toBeUndefined();
  });

  it('writes the import to the audit log', async () => {
    await importDeviceCatalogue(db(), catalogue('Audited', '77700001,MAKER,G1,oma-cp,,4,,'), {
      actor: 'alice',
      role: 'admin',
      source: 'audited.csv',
    });
    const [entry] = await listAudit(db(), { subjectType: 'device-catalogue', subjectId: 'audited.csv' });
    expect(entry).toMatchObject({
      actor: 'alice',
      role: 'admin',
      action: 'device-catalogue.import',
      outcome: 'ok',
      details: { lines: 1, models: { added: 1, updated: 0, unchanged: 0 } },
    });
  });

  it('imports the sample catalogue in config/ cleanly', async () => {
    const text = readFileSync(new URL('../../config/devices.csv', import.meta.url), 'utf8');
    const report = await importDeviceCatalogue(db(), text, { ...options, source: 'devices.csv' });
    expect(report.outcome).toBe('applied');
    expect(report.issues).toEqual([]);
    expect(report.models.added).toBeGreaterThanOrEqual(30);
    expect(await findModelByTac(db(), '35216700')).toMatchObject({ manufacturer: 'Nokia', model: '6230i' });
  });
});
