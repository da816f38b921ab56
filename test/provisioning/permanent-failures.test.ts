/**
 * Issue #15 item 6: a failure that comes out the same on every attempt (a profile that cannot be rendered
 * for the device, an unsupported handset) ends the provisioning on the first attempt instead of being
 * retried `provisioning.attempts` times with backoff.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProfile } from '../../src/profiles/repository.ts';
import { jobIdFor } from '../../src/provisioning/service.ts';
import type { Actor } from '../../src/provisioning/types.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK: Actor = { name: 'hlr-1', role: 'network' };
const CARE: Actor = { name: 'agent-7', role: 'care' };

describeEachStore('permanent failures are not retried', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    // six attempts with backoff would take seconds: one attempt is what is asserted
    h = await startHarness(kind, { provisioning: { attempts: 6, backoffMs: 300 } });
  }, 30_000);
  afterAll(async () => h?.close());

  /** A subscriber whose handset is known (its first-use push delivered or refused). */
  async function subscriberIn(tac: string, serial: number): Promise<{ msisdn: string }> {
    const subscriber = uniqueSubscriber();
    const first = await h.service.requestFirstUse({ ...subscriber, imei: imeiWith(tac, serial) }, NETWORK);
    if (first.provisioningId) await h.waitForState(first.provisioningId, FINAL);
    return subscriber;
  }

  async function attemptsOf(idempotencyKey: string): Promise<number | undefined> {
    const job = await h.queue.queue.getJob(jobIdFor(idempotencyKey));
    return job?.attemptsMade;
  }

  it('fails a profile the device cannot render (raw OMA CP to a Nokia OTA handset) on its first attempt', async () => {
    const subscriber = await subscriberIn(TAC.nokia6610, 6101);
    const { profile } = await createProfile(h.store.db, {
      name: `raw-${randomUUID()}`,
      parameters: {
        name: 'Raw',
        rawOmaCp:
          '<wap-provisioningdoc version="1.0"><characteristic type="BOOTSTRAP">' +
          '<parm name="NAME" value="Raw"/></characteristic></wap-provisioningdoc>',
      },
      createdBy: 'test',
    });
    const started = Date.now();
    const key = `test.${randomUUID()}`;
    const requested = await h.service.request({
      msisdn: subscriber.msisdn,
      profileId: profile.id,
      reason: 'raw settings',
      source: 'care',
      actor: CARE,
      idempotencyKey: key,
    });
    const view = await h.waitForState(requested.id, FINAL);
    expect(view.state).toBe('failed');
    expect(view.failureCode).toBe('COMPOSE_FAILED');
    expect(view.failureReason).toMatch(/raw OMA CP/);
    // the first attempt failed it: no backoff was waited for, the job ran once
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await attemptsOf(key)).toBe(1);
    const failedEvent = view.events.find((event) => event.toState === 'failed');
    expect(failedEvent?.cause).toBe('compose-failed');
    expect(failedEvent?.details).toMatchObject({ code: 'COMPOSE_FAILED', error: 'RAW_CP_NOT_RENDERABLE' });
  });

  it('fails a request for an unsupported handset on its first attempt, nothing sent', async () => {
    const subscriber = await subscriberIn(TAC.nokia3310, 3101);
    const key = `test.${randomUUID()}`;
    const requested = await h.service.request({
      msisdn: subscriber.msisdn,
      reason: 'settings again',
      source: 'care',
      actor: CARE,
      idempotencyKey: key,
    });
    const view = await h.waitForState(requested.id, FINAL);
    expect([view.state, view.failureCode]).toEqual(['failed', 'UNSUPPORTED_DEVICE']);
    expect(await attemptsOf(key)).toBe(1);
    expect(h.sim.submitted().some((segment) => segment.destinationAddr === subscriber.msisdn)).toBe(false);
  });
});
