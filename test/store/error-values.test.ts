/**
 * Issue 15 #13: a failed statement's values (IMSIs, reasons) never reach a log. PGlite puts them on its
 * errors as `params`, PostgreSQL quotes the row in `detail`; what the logger writes of either has the
 * SQL, the code and a count, never the values.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { storeSafeError } from '../../src/observability/logger.ts';
import { describeEachStore, openTestStore, type TestStore } from '../support/stores.ts';

const IMSI = '262019988776655';

describeEachStore('store errors without parameter values (%s store)', (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(kind);
    await store.db.query('INSERT INTO subscribers (imsi, msisdn) VALUES ($1, $2)', [IMSI, '491709988776']);
  });
  afterAll(async () => {
    await store?.dispose();
  });

  async function failure(): Promise<unknown> {
    try {
      await store.db.query('INSERT INTO subscribers (imsi, msisdn) VALUES ($1, $2)', [IMSI, '491709988777']);
    } catch (error) {
      return error;
    }
    throw new Error('the duplicate IMSI was accepted');
  }

  it('the error itself holds no values (PGlite: params dropped, their count kept)', async () => {
    const error = (await failure()) as Record<string, unknown>;
    expect(error.params).toBeUndefined();
    if (kind === 'pglite') expect(error.paramCount).toBe(2);
    expect(String(error.code)).toBe('23505');
  });

  it('what the logger writes of it names the SQL and the code, never the IMSI', async () => {
    const error = await failure();
    expect(JSON.stringify(storeSafeError(error))).not.toContain(IMSI);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ serializers: { err: storeSafeError } }, sink);
    logger.error({ err: error }, 'store failed');
    const line = lines.join('');
    expect(line).toContain('23505');
    expect(line).not.toContain(IMSI);
  });
});
