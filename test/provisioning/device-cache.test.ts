import { beforeAll, expect, it } from 'vitest';
import { luhnCheckDigit } from '../../src/devices/imei.ts';
import { importDeviceCatalogue } from '../../src/devices/import-catalogue.ts';
import { DeviceCache } from '../../src/provisioning/device-cache.ts';
import type { Db } from '../../src/store/db.ts';
import { forEachStore } from '../support/stores.ts';

const TAC = '35111100';
const CATALOGUE = `tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes
${TAC},Cachetest,One,oma-cp,NETWPIN;USERPIN,6,data;browser,
`;

function imeiWithTac(tac: string, serial: string): string {
  const body = `${tac}${serial}`;
  return `${body}${luhnCheckDigit(body)}`;
}

/** The store as the cache sees it, counting the statements it is asked to run. */
function countingDb(db: Db): { db: Db; statements: () => number } {
  let statements = 0;
  const counted = new Proxy(db, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === 'query' || property === 'one') && typeof value === 'function') {
        return (...args: unknown[]) => {
          statements += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
  return { db: counted, statements: () => statements };
}

/** A handle whose every statement fails, as an aborted transaction's would. */
function failingDb(db: Db): Db {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'query' || property === 'one') {
        return () => Promise.reject(new Error('current transaction is aborted'));
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

forEachStore(({ db }) => {
  beforeAll(async () => {
    const report = await importDeviceCatalogue(db(), CATALOGUE, { actor: 'test', source: 'cache.csv' });
    expect(report.issues).toEqual([]);
  });

  it('two concurrent resolves of one TAC make the queries of one, and both get its answer', async () => {
    const alone = countingDb(db());
    const single = await new DeviceCache(null).resolve(alone.db, imeiWithTac(TAC, '000001'));
    expect(single).toMatchObject({ outcome: 'supported', device: { model: 'One', matchedBy: 'tac' } });
    expect(alone.statements()).toBeGreaterThan(0);

    const shared = countingDb(db());
    const cache = new DeviceCache(null);
    const [first, second] = await Promise.all([
      cache.resolve(shared.db, imeiWithTac(TAC, '000002')),
      cache.resolve(shared.db, imeiWithTac(TAC, '000003')),
    ]);
    expect(shared.statements()).toBe(alone.statements());
    expect(second).toBe(first);
    expect(first).toEqual(single);
  });

  it("a resolve that waited on another caller's failed lookup asks on its own handle", async () => {
    const cache = new DeviceCache(null);
    const own = countingDb(db());
    const [failed, answered] = await Promise.allSettled([
      cache.resolve(failingDb(db()), imeiWithTac(TAC, '000004')),
      cache.resolve(own.db, imeiWithTac(TAC, '000005')),
    ]);
    expect(failed).toMatchObject({
      status: 'rejected',
      reason: { message: 'current transaction is aborted' },
    });
    expect(answered).toMatchObject({ status: 'fulfilled', value: { outcome: 'supported' } });
    expect(own.statements()).toBeGreaterThan(0);
  });

  it('a lookup under way when the cache is cleared is not kept: the next resolve asks again', async () => {
    const cache = new DeviceCache(null);
    const counted = countingDb(db());
    const underWay = cache.resolve(counted.db, imeiWithTac(TAC, '000006'));
    cache.clear();
    await underWay;
    const before = counted.statements();
    await cache.resolve(counted.db, imeiWithTac(TAC, '000007'));
    expect(counted.statements()).toBeGreaterThan(before);
  });
});
