import { afterAll, beforeAll, expect, it } from 'vitest';
import { unpackSegments } from '../../codecs/ota/unpack.ts';
import { jobIdFor } from '../../src/provisioning/service.ts';
import { seedGroups } from '../../src/provisioning/seeds.ts';
import { expireOverdue } from '../../src/provisioning/sweeps.ts';
import { parseGroupPolicy } from '../../src/subscribers/policy.ts';
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

/** A quiet window around now, in UTC, so the test does not depend on the time it runs. */
function quietAroundNow(): { start: string; end: string; timeZone: string } {
  const hour = new Date().getUTCHours();
  const pad = (h: number): string => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  return { start: pad(hour - 1), end: pad(hour + 2), timeZone: 'UTC' };
}

describeEachStore('group policies (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, {
      groups: {
        default: { confirmation: 'automatic' },
        askfirst: { confirmation: 'ask-first', confirmationTimeoutMinutes: 60 },
        quiet: { quietHours: quietAroundNow() },
        corporate: { securityMethod: 'USERPIN', priority: 5 },
        // dailyCapAction 'defer' (the default) is in test/provisioning/decisions.test.ts
        capped: { dailyCap: 1, dailyCapAction: 'fail' },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function subscriberIn(group: string): Promise<{ imsi: string; msisdn: string }> {
    const subscriber = uniqueSubscriber();
    await h.store.db.query(`INSERT INTO subscribers (imsi, msisdn, group_name) VALUES ($1, $2, $3)`, [
      subscriber.imsi,
      subscriber.msisdn,
      group,
    ]);
    return subscriber;
  }

  it('applies the policy stored for a group (as PUT /v1/groups writes it), not only config/groups.yaml', async () => {
    await seedGroups(h.store.db, { edited: parseGroupPolicy({ confirmation: 'ask-first' }) });
    const subscriber = await subscriberIn('edited');
    const asked = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 7100) },
      NETWORK,
    );
    expect(asked.outcome).toBe('awaiting-confirmation');
    await h.store.db.query(`UPDATE groups SET policy = $1::jsonb WHERE name = 'edited'`, [
      JSON.stringify({ confirmation: 'automatic' }),
    ]);
    const other = await subscriberIn('edited');
    const queued = await h.service.requestFirstUse({ ...other, imei: imeiWith(TAC.nokiaN95, 7101) }, NETWORK);
    expect(queued.outcome).toBe('queued');
  });

  it('ask-first: texts the subscriber, waits, and pushes after YES', async () => {
    const subscriber = await subscriberIn('askfirst');
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 7007) },
      NETWORK,
    );
    expect(result.outcome).toBe('awaiting-confirmation');
    const deadline = Date.now() + 5_000;
    while (!h.sim.submitted().some((segment) => segment.destinationAddr === subscriber.msisdn)) {
      if (Date.now() > deadline) throw new Error('no confirmation text');
      await new Promise((r) => setTimeout(r, 20));
    }
    const question = h.sim.submitted().find((segment) => segment.destinationAddr === subscriber.msisdn)!;
    expect(question.text ?? Buffer.from(question.shortMessage ?? []).toString('latin1')).toMatch(/YES/);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(0);
    expect((await h.service.get(result.provisioningId!))?.state).toBe('awaiting-confirmation');

    await h.sim.injectMo({ from: subscriber.msisdn, to: '1234', text: 'yes' });
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.events.map((event) => event.cause)).toContain('confirmed');
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
  });

  it('ask-first: NO cancels, another keyword is ignored, and no answer in time expires', async () => {
    const declining = await subscriberIn('askfirst');
    const declined = await h.service.requestFirstUse(
      { ...declining, imei: imeiWith(TAC.nokiaN95, 7101) },
      NETWORK,
    );
    expect(await h.service.confirm(declining.msisdn, 'BALANCE', { name: 'subscriber' })).toBeUndefined();
    expect((await h.service.get(declined.provisioningId!))?.state).toBe('awaiting-confirmation');
    await h.service.confirm(declining.msisdn, 'NO', { name: 'subscriber' });
    expect((await h.service.get(declined.provisioningId!))?.state).toBe('cancelled');

    const silent = await subscriberIn('askfirst');
    const waiting = await h.service.requestFirstUse(
      { ...silent, imei: imeiWith(TAC.nokiaN95, 7102) },
      NETWORK,
    );
    await h.store.db.query(
      `UPDATE provisionings SET confirm_by = now() - interval '1 second' WHERE id = $1`,
      [waiting.provisioningId],
    );
    await expireOverdue(h.deps);
    const view = await h.service.get(waiting.provisioningId!);
    expect(view?.state).toBe('expired');
    expect(view?.failureCode).toBe('CONFIRMATION_TIMEOUT');
  });

  it('quiet hours: the job is delayed into the allowed window and nothing is sent', async () => {
    const subscriber = await subscriberIn('quiet');
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 8008) },
      NETWORK,
    );
    expect(result.outcome).toBe('queued');
    const deadline = Date.now() + 5_000;
    for (;;) {
      const view = await h.service.get(result.provisioningId!);
      if (view?.notBefore) {
        expect(view.state).toBe('queued');
        expect(view.notBefore.getTime()).toBeGreaterThan(Date.now());
        expect(view.events.at(-1)?.cause).toBe('quiet-hours');
        break;
      }
      if (Date.now() > deadline) throw new Error('not delayed');
      await new Promise((r) => setTimeout(r, 20));
    }
    const view = await h.service.get(result.provisioningId!);
    const job = await h.queue.queue.getJob(jobIdFor(view!.idempotencyKey!));
    expect(await job?.getState()).toBe('delayed');
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(0);
  });

  it('USERPIN: the push is signed with a PIN that travels in a separate text', async () => {
    const subscriber = await subscriberIn('corporate');
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 9009) },
      NETWORK,
    );
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.securityMethod).toBe('USERPIN');
    const deadline = Date.now() + 5_000;
    let sent = h.sim.submitted().filter((segment) => segment.destinationAddr === subscriber.msisdn);
    while (sent.length <= view.segmentCount!) {
      if (Date.now() > deadline) throw new Error('no PIN text');
      await new Promise((r) => setTimeout(r, 20));
      sent = h.sim.submitted().filter((segment) => segment.destinationAddr === subscriber.msisdn);
    }
    const pinText = sent.find((segment) => segment.dataCoding === 0)!;
    const textOf = pinText.text ?? Buffer.from(pinText.shortMessage ?? []).toString('latin1');
    const pin = /(\d{4,})/.exec(textOf)?.[1];
    expect(pin).toBeDefined();
    const pushSegments = sent
      .filter((segment) => segment.dataCoding !== 0)
      .map((segment) => segment.shortMessage!);
    const unpacked = unpackSegments(pushSegments, { pin });
    expect(unpacked.sec).toBe('USERPIN');
    expect(unpacked.macValid).toBe(true);
    expect(unpackSegments(pushSegments, { pin: pin === '0000' ? '1111' : '0000' }).macValid).toBe(false);
  });

  it("daily cap with dailyCapAction 'fail': a push beyond the cap fails with DAILY_CAP_REACHED", async () => {
    const subscriber = await subscriberIn('capped');
    const first = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 9101) },
      NETWORK,
    );
    expect((await h.waitForState(first.provisioningId!, FINAL)).state).toBe('delivered');
    const second = await h.service.request({
      msisdn: subscriber.msisdn,
      reason: 'again',
      source: 'care',
      actor: { name: 'agent' },
    });
    const view = await h.waitForState(second.id, FINAL);
    expect(view.state).toBe('failed');
    expect(view.failureCode).toBe('DAILY_CAP_REACHED');
  });

  it('expires a submitted push whose receipts never come', async () => {
    h.sim.setBehaviour({ lostReceiptPercent: 100 });
    try {
      const subscriber = uniqueSubscriber();
      const result = await h.service.requestFirstUse(
        { ...subscriber, imei: imeiWith(TAC.nokiaN95, 9202) },
        NETWORK,
      );
      await h.waitForState(result.provisioningId!, ['submitted', ...FINAL]);
      await h.store.db.query(
        `UPDATE provisionings SET expires_at = now() - interval '1 second' WHERE id = $1`,
        [result.provisioningId],
      );
      const view = await h.waitForState(result.provisioningId!, FINAL);
      expect(view.state).toBe('expired');
      expect(view.failureCode).toBe('RECEIPT_TIMEOUT');
    } finally {
      h.sim.setBehaviour({ lostReceiptPercent: 0 });
    }
  });
});
