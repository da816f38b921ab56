import { afterEach, expect, it } from 'vitest';
import type { OutboundPush, SegmentResult, SmscConnector } from '../../src/connectors/types.ts';
import { jobIdFor } from '../../src/provisioning/service.ts';
import { recoverLostJobs } from '../../src/provisioning/sweeps.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  FINAL,
  imeiWith,
  startHarness,
  TAC,
  uniqueSubscriber,
  type Harness,
} from '../provisioning/harness.ts';

const NETWORK = { name: 'hlr-probe', role: 'network' };

/** An SMSC link that takes the submit and never answers: the worker holding it is stuck mid-job. */
class SilentSmsc implements SmscConnector {
  readonly id = 'silent';
  submits = 0;
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  submit(push: OutboundPush): Promise<SegmentResult[]> {
    void push;
    this.submits += 1;
    return new Promise(() => undefined);
  }
  status() {
    return [];
  }
  isAvailable(): boolean {
    return true;
  }
  segmentModeFor(): 'udh' {
    return 'udh';
  }
  on(): this {
    return this;
  }
  off(): this {
    return this;
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachStore('nothing accepted is lost (%s store)', (kind) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('a worker killed mid-job: its stalled job is taken over by another worker and completes', async () => {
    h = await startHarness(kind, { workers: 0 });
    const silent = new SilentSmsc();
    const doomed = h.startWorker(silent);
    const subscriber = uniqueSubscriber();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 1101) },
      NETWORK,
    );
    await until(() => silent.submits > 0);
    expect((await h.service.get(result.provisioningId!))?.state).toBe('submitting');
    await doomed.kill();

    h.startWorker();
    const view = await h.waitForState(result.provisioningId!, FINAL, 20_000);
    expect(view.state).toBe('delivered');
    expect(view.events.map((event) => event.cause)).toContain('resubmit-after-unknown-outcome');
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
  }, 30_000);

  it('the SMSC drops every connection mid-run: every provisioning still ends delivered', async () => {
    h = await startHarness(kind, { behaviour: { responseDelayMs: 20 } });
    const started = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        h!.service.requestFirstUse(
          { ...uniqueSubscriber(), imei: imeiWith(TAC.nokiaN95, 1200 + i) },
          NETWORK,
        ),
      ),
    );
    await until(() => h!.sim.submitted().length > 0);
    h.sim.dropConnections();
    const views = await Promise.all(
      started.map((result) => h!.waitForState(result.provisioningId!, FINAL, 20_000)),
    );
    expect(views.map((view) => view.state)).toEqual(views.map(() => 'delivered'));
  }, 30_000);

  it('a job lost from Redis is re-enqueued by the recovery sweep and completes', async () => {
    h = await startHarness(kind, { workers: 0 });
    const subscriber = uniqueSubscriber();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 1301) },
      NETWORK,
    );
    const before = await h.service.get(result.provisioningId!);
    const job = await h.queue.queue.getJob(jobIdFor(before!.idempotencyKey!));
    await job!.remove();
    await h.store.db.query(`UPDATE provisionings SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
      result.provisioningId,
    ]);
    expect(await recoverLostJobs(h.deps)).toBe(1);
    h.startWorker();
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.events.map((event) => event.cause)).toContain('recovered');
  });

  it('retries a push refused with a transient error (ESME_RSYSERR) and delivers it', async () => {
    h = await startHarness(kind, {});
    const subscriber = uniqueSubscriber();
    h.sim.setBehaviour({ destinationErrors: [{ prefix: subscriber.msisdn, status: 'ESME_RSYSERR' }] });
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 1401) },
      NETWORK,
    );
    await until(async () =>
      ((await h!.service.get(result.provisioningId!))?.events ?? []).some(
        (event) => event.cause === 'submit-incomplete',
      ),
    );
    h.sim.setBehaviour({ destinationErrors: [] });
    const view = await h.waitForState(result.provisioningId!, FINAL, 15_000);
    expect(view.state).toBe('delivered');
  }, 30_000);

  it('a permanent SMSC refusal fails the provisioning with the status name', async () => {
    h = await startHarness(kind, {});
    const subscriber = uniqueSubscriber();
    h.sim.setBehaviour({ destinationErrors: [{ prefix: subscriber.msisdn, status: 'ESME_RINVDSTADR' }] });
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 1501) },
      NETWORK,
    );
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('failed');
    expect(view.failureCode).toBe('SMSC_ESME_RINVDSTADR');
  });
});
