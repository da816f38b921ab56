/**
 * Issue #15 item 1: receipts (and MO messages) are acknowledged only once stored. deliver_sm_resp goes out
 * after the receipt's batch commits; a worker killed in between never answered it, so the SMSC sends it
 * again and nothing is lost. A receipt the store does not take is answered with an error (the SMSC resends).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiptMatcher } from '../../src/connectors/smpp/receipt-matcher.ts';
import { createSmscConnectors } from '../../src/connectors/index.ts';
import type { DeliveryReport } from '../../src/connectors/types.ts';
import { simulatorRouting } from '../../src/main.ts';
import { startProvisioningWorker } from '../../src/provisioning/runtime.ts';
import { workerConnection } from '../../src/queues/connection.ts';
import { openDb } from '../../src/store/open-db.ts';
import type { Actor } from '../../src/provisioning/types.ts';
import { describeEachStore, PG_ENABLED } from '../support/stores.ts';
import {
  FINAL,
  imeiWith,
  startHarness,
  TAC,
  TEST_REDIS_URL,
  uniqueSubscriber,
  type Harness,
} from './harness.ts';

const NETWORK: Actor = { name: 'hlr-1', role: 'network' };

describe('ReceiptMatcher and a receipt not stored', () => {
  it('takes the resend of a receipt the store did not take, and answers a copy with the first one', () => {
    const settles: Array<(stored: boolean) => void> = [];
    const emitted: DeliveryReport[] = [];
    const matcher = new ReceiptMatcher(
      { parkMs: 1000, trackMs: 60_000, trackMax: 100 },
      (report, settled) => {
        emitted.push(report);
        settles.push(settled);
      },
    );
    const report: DeliveryReport = {
      smscId: 's',
      messageId: '9',
      rawMessageId: '9',
      state: 'delivered',
      source: 'tlv',
    };
    const answers: boolean[] = [];
    matcher.register('9', { pushId: 'p', segmentIndex: 1, destination: '49', bindId: 's/0' }, 0);
    matcher.receive(report, 1, (stored) => answers.push(stored));
    matcher.receive(report, 2, (stored) => answers.push(stored)); // a copy while the first is being stored
    settles[0](false);
    expect(answers).toEqual([false, false]);
    matcher.receive(report, 3, (stored) => answers.push(stored)); // the SMSC's resend
    expect(emitted).toHaveLength(2);
    settles[1](true);
    matcher.receive(report, 4, (stored) => answers.push(stored)); // a late duplicate
    expect(answers).toEqual([false, false, true, true]);
    expect(emitted).toHaveLength(2);
  });
});

describeEachStore('MO messages acknowledged once handled', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, {
      groups: {
        default: { confirmation: 'automatic' },
        corporate: {},
        prepaid: {},
        postpaid: {},
        askfirst: { confirmation: 'ask-first' },
      },
    });
  }, 30_000);
  afterAll(async () => h?.close());

  it("answers a subscriber's YES only after the answer is recorded", async () => {
    const subscriber = uniqueSubscriber();
    await h.store.db.query(`INSERT INTO subscribers (imsi, msisdn, group_name) VALUES ($1, $2, 'askfirst')`, [
      subscriber.imsi,
      subscriber.msisdn,
    ]);
    const asked = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 5151) },
      NETWORK,
    );
    expect(asked.outcome).toBe('awaiting-confirmation');
    // injectMo resolves on deliver_sm_resp: by then the YES has moved the provisioning on
    await h.sim.injectMo({ from: subscriber.msisdn, to: '1234', text: 'YES' });
    const view = await h.service.get(asked.provisioningId!);
    expect(view?.state).not.toBe('awaiting-confirmation');
    expect(view?.events.map((event) => event.cause)).toContain('confirmed');
  });
});

describe.skipIf(!PG_ENABLED)('a worker killed between receipt and store (PostgreSQL)', () => {
  let h: Harness;
  beforeAll(async () => {
    // the receipt comes a while after the submit, so the test can hold the store up in between
    h = await startHarness('pg', {
      behaviour: { receiptDelayMs: 600, receiptResendMs: 1_000 },
      // the resent receipt comes on a bind that did not submit it: not parked for long before it is stored
      smsc: { receiptParkMs: 300 },
    });
  }, 30_000);
  afterAll(async () => h?.close());

  it('loses nothing: the SMSC sends the unanswered receipt again and another worker stores it', async () => {
    // worker A, with its own connector and store connections, is the only one taking jobs
    await h.workers[0].close();
    const routing = simulatorRouting('127.0.0.1', h.sim.port);
    const connectorA = createSmscConnectors({
      ...routing,
      smscs: routing.smscs.map((smsc) => ({ ...smsc, reconnectMinMs: 50, reconnectMaxMs: 200 })),
    });
    await connectorA.start();
    const dbA = await openDb(h.store.options);
    const connectionA = workerConnection({ url: TEST_REDIS_URL });
    connectionA.on('error', () => undefined);
    const workerA = startProvisioningWorker({ ...h.deps, db: dbA }, connectorA, h.service, {
      connection: connectionA,
      prefix: h.prefix,
      sweeps: false,
    });

    const subscriber = uniqueSubscriber();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 6161) },
      NETWORK,
    );
    const id = result.provisioningId!;
    await h.waitForState(id, ['submitted', ...FINAL]);

    // hold the provisioning's row: worker A's receipt batch waits on it, its deliver_sm_resp unsent
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let lockerPid = 0;
    const locking = h.store.db.transaction(async (tx) => {
      lockerPid = (await tx.one<{ pid: number }>(`SELECT pg_backend_pid() AS pid`))!.pid;
      await tx.query(`SELECT id FROM provisionings WHERE id = $1 FOR UPDATE`, [id]);
      await released;
    });
    const deadline = Date.now() + 10_000;
    let blocked: Array<{ pid: number }> = [];
    while (blocked.length === 0) {
      if (Date.now() > deadline) throw new Error("worker A's receipt never reached the store");
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (lockerPid === 0) continue;
      blocked = await h.store.db.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`,
        [lockerPid],
      );
    }
    const sent = h.sim.counters().receipts.sent;
    expect(sent).toBeGreaterThan(h.sim.counters().deliverSmResps);

    // worker B on the other connector is ready for what the SMSC sends again
    h.startWorker();
    // the kill: A's binds and jobs are gone, its transaction dies with it (cancelled)
    await workerA.kill();
    await connectorA.stop();
    for (const { pid } of blocked) await h.store.db.query(`SELECT pg_cancel_backend($1)`, [pid]);
    release();
    await locking;

    // the SMSC sends the receipt again, B stores it
    const view = await h.waitForState(id, FINAL, 15_000);
    expect(view.state).toBe('delivered');
    expect(h.sim.counters().receipts.redelivered).toBeGreaterThan(0);
    await dbA.close().catch(() => undefined);
    connectionA.disconnect();
  }, 40_000);
});
