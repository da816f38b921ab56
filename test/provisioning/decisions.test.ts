/**
 * Provisioning decisions over the real pipeline (store, Redis, workers, the SMSC simulator over SMPP):
 * ask-first for the sources a policy names, SIMs created by their own requests, identities that must
 * agree, care resends, the daily cap deferring, the last handset of a debounce window winning, and
 * trigger times that cannot hold a window open.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProfile, findProfileByName, getVersion, saveVersion } from '../../src/profiles/repository.ts';
import { jobIdFor } from '../../src/provisioning/service.ts';
import { ProvisioningError, type ProvisioningRequest } from '../../src/provisioning/types.ts';
import { capWindow, parseGroupPolicy } from '../../src/subscribers/policy.ts';
import { findSubscriber } from '../../src/subscribers/repository.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, TAC, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK = { name: 'hlr-probe', role: 'network' };
const AGENT = { name: 'agent-5', role: 'care' };
const DEBOUNCE_MS = 1_500;

/** A quiet window around now, in UTC, so the test does not depend on the time it runs. */
function quietAroundNow(): { start: string; end: string; timeZone: string } {
  const hour = new Date().getUTCHours();
  const pad = (h: number): string => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  return { start: pad(hour - 1), end: pad(hour + 2), timeZone: 'UTC' };
}

async function refusal(run: () => Promise<unknown>): Promise<ProvisioningError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ProvisioningError) return error;
    throw error;
  }
  throw new Error('expected a ProvisioningError');
}

describeEachStore('provisioning decisions (%s store)', (kind) => {
  let h: Harness;
  let serial = 40_000;
  beforeAll(async () => {
    h = await startHarness(kind, {
      provisioning: { debounceMs: DEBOUNCE_MS },
      groups: {
        default: { confirmation: 'automatic' },
        askcare: { confirmation: 'ask-first', confirmFor: ['dial', 'care'] },
        askdefault: { confirmation: 'ask-first' },
        quiet: { quietHours: quietAroundNow() },
        capped: { dailyCap: 1 },
        // the seed rules name it
        corporate: {},
      },
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  /** A known subscriber in `group` whose handset (an N95) is known. */
  async function subscriberIn(group: string): Promise<{ imsi: string; msisdn: string }> {
    const subscriber = uniqueSubscriber();
    await h.store.db.query(
      `INSERT INTO subscribers (imsi, msisdn, group_name, current_imei) VALUES ($1, $2, $3, $4)`,
      [subscriber.imsi, subscriber.msisdn, group, imeiWith(TAC.nokiaN95, serial++)],
    );
    return subscriber;
  }

  const request = (input: Partial<ProvisioningRequest>) =>
    h.service.request({ reason: 'test', source: 'care', actor: AGENT, ...input });

  async function textTo(msisdn: string): Promise<string> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const text = h.sim.submitted().find((segment) => segment.destinationAddr === msisdn);
      if (text) return text.text ?? Buffer.from(text.shortMessage ?? []).toString('latin1');
      if (Date.now() > deadline) throw new Error(`no text to ${msisdn}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function provisioningsOf(imsi: string): Promise<number> {
    const rows = await h.store.db.query(
      `SELECT p.id FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id WHERE s.imsi = $1`,
      [imsi],
    );
    return rows.length;
  }

  it('asks first for a dial request where the policy names dial, and pushes after YES', async () => {
    const subscriber = await subscriberIn('askcare');
    const asked = await request({ msisdn: subscriber.msisdn, source: 'dial' });
    expect(asked.state).toBe('awaiting-confirmation');
    expect(asked.confirmBy!.getTime()).toBeGreaterThan(Date.now());
    expect(await textTo(subscriber.msisdn)).toMatch(/YES/);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(0);
    await h.sim.injectMo({ from: subscriber.msisdn, to: '1234', text: 'YES' });
    const view = await h.waitForState(asked.id, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.events.map((event) => event.cause)).toEqual(
      expect.arrayContaining(['ask-first', 'confirmed']),
    );
  });

  it('asks care requests first where the policy names care, unless care skips it (recorded)', async () => {
    const asked = await request({ msisdn: (await subscriberIn('askcare')).msisdn });
    expect(asked.state).toBe('awaiting-confirmation');
    const skipped = await request({ msisdn: (await subscriberIn('askcare')).msisdn, skipConfirmation: true });
    expect(skipped.state).toBe('queued');
    const view = await h.waitForState(skipped.id, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.events[0].details).toMatchObject({ skipConfirmation: true });
    // Only care may skip: the subscriber's own request through the network cannot.
    const dial = await request({
      msisdn: (await subscriberIn('askcare')).msisdn,
      source: 'dial',
      skipConfirmation: true,
    });
    expect(dial.state).toBe('awaiting-confirmation');
  });

  it('by default asks first for stale-config and campaign, not for the subscriber’s own or care’s requests', async () => {
    const states = async (source: string) =>
      (await request({ msisdn: (await subscriberIn('askdefault')).msisdn, source })).state;
    expect(await states('stale-config')).toBe('awaiting-confirmation');
    expect(await states('campaign')).toBe('awaiting-confirmation');
    expect(await states('dial')).toBe('queued');
    expect(await states('sms')).toBe('queued');
    expect(await states('care')).toBe('queued');
    const firstUse = await h.service.requestFirstUse(
      { ...(await subscriberIn('askdefault')), imei: imeiWith(TAC.nokiaN95, serial++) },
      NETWORK,
    );
    expect(firstUse.outcome).toBe('awaiting-confirmation');
  });

  it('keeps an old ask-first document reading the same', () => {
    expect(parseGroupPolicy({ confirmation: 'ask-first' })).toEqual({
      confirmation: 'ask-first',
      confirmationTimeoutMinutes: 60,
      securityMethod: 'NETWPIN',
      priority: 10,
    });
  });

  it('creates a SIM never seen before from its own dial request with IMSI and MSISDN, in group default', async () => {
    const fresh = uniqueSubscriber();
    const created = await request({ ...fresh, source: 'dial' });
    expect(created.state).toBe('queued');
    const subscriber = await findSubscriber(h.store.db, { imsi: fresh.imsi });
    expect(subscriber).toMatchObject({ msisdn: fresh.msisdn, groupName: 'default' });
    expect(created.subscriberId).toBe(subscriber!.id);
    // The same SIM again is the subscriber just created.
    const again = await request({ ...fresh, source: 'sms' });
    expect(again.subscriberId).toBe(subscriber!.id);
  });

  it('says what is missing to create a SIM never seen before, and creates nothing', async () => {
    const fresh = uniqueSubscriber();
    const noImsi = await refusal(() => request({ msisdn: fresh.msisdn, source: 'dial' }));
    expect(noImsi.code).toBe('SUBSCRIBER_NOT_FOUND');
    expect(noImsi.details.missing).toEqual(['imsi']);
    expect(noImsi.message).toMatch(/imsi/i);
    const noMsisdn = await refusal(() => request({ imsi: fresh.imsi, source: 'ussd' }));
    expect(noMsisdn.details.missing).toEqual(['msisdn']);
    // Care names a subscriber; it does not create one.
    const care = await refusal(() => request({ ...fresh, source: 'care' }));
    expect(care.code).toBe('SUBSCRIBER_NOT_FOUND');
    expect(care.details.missing).toEqual([]);
    expect(JSON.stringify(care.details)).not.toContain(fresh.imsi);
    expect(await findSubscriber(h.store.db, { imsi: fresh.imsi })).toBeUndefined();
  });

  it('refuses an MSISDN and an IMSI of different subscribers (SUBSCRIBER_MISMATCH) and records nothing', async () => {
    const a = await subscriberIn('default');
    const b = await subscriberIn('default');
    const crossed = await refusal(() => request({ msisdn: a.msisdn, imsi: b.imsi, source: 'dial' }));
    expect(crossed.code).toBe('SUBSCRIBER_MISMATCH');
    expect(crossed.details).toMatchObject({ msisdn: a.msisdn, fields: ['msisdn', 'imsi'] });
    expect(JSON.stringify(crossed.details)).not.toContain(b.imsi);
    // The IMSI's subscriber has another number, or the number is another SIM's: the same refusal.
    const fresh = uniqueSubscriber();
    expect((await refusal(() => request({ msisdn: fresh.msisdn, imsi: a.imsi }))).code).toBe(
      'SUBSCRIBER_MISMATCH',
    );
    expect((await refusal(() => request({ msisdn: a.msisdn, imsi: fresh.imsi, source: 'dial' }))).code).toBe(
      'SUBSCRIBER_MISMATCH',
    );
    expect(await provisioningsOf(a.imsi)).toBe(0);
    expect(await provisioningsOf(b.imsi)).toBe(0);
    expect(await findSubscriber(h.store.db, { imsi: fresh.imsi })).toBeUndefined();
    expect((await request({ msisdn: a.msisdn, imsi: a.imsi })).state).toBe('queued');
  });

  it('resends as a care request: during quiet hours, with the current version of the profile unless the same is asked for', async () => {
    const seed = await findProfileByName(h.store.db, 'northwind-standard');
    const parameters = (await getVersion(h.store.db, seed!.id))!.parameters;
    const { profile, version: first } = await createProfile(h.store.db, {
      name: `resend-${kind}-${Date.now()}`,
      parameters,
      createdBy: 'test',
    });
    const subscriber = await subscriberIn('quiet');
    const original = await request({ msisdn: subscriber.msisdn, profileId: profile.id });
    expect((await h.waitForState(original.id, FINAL)).state).toBe('delivered');
    const second = await saveVersion(h.store.db, profile.id, { parameters, createdBy: 'test', note: 'v2' });

    const current = await h.service.resend(original.id, 'customer did not get it', AGENT);
    expect(current.priority).toBe(original.priority);
    const currentView = await h.waitForState(current.id, FINAL);
    expect(currentView.state).toBe('delivered');
    expect(currentView.events.map((event) => event.cause)).not.toContain('quiet-hours');
    expect(currentView.profileVersionId).toBe(second.id);
    expect(currentView.resendOf).toBe(original.id);

    const same = await h.service.resend(original.id, 'the old one', AGENT, { version: 'same' });
    const sameView = await h.waitForState(same.id, FINAL);
    expect(sameView.state).toBe('delivered');
    expect(sameView.profileVersionId).toBe(first.id);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(3);
  });

  it('defers a push beyond the daily cap to the next local day, recorded like quiet hours', async () => {
    const subscriber = await subscriberIn('capped');
    const first = await request({ msisdn: subscriber.msisdn });
    expect((await h.waitForState(first.id, FINAL)).state).toBe('delivered');
    const second = await request({ msisdn: subscriber.msisdn, reason: 'again' });
    const deadline = Date.now() + 5_000;
    let view = await h.service.get(second.id);
    while (!view?.notBefore) {
      if (Date.now() > deadline) throw new Error(`not deferred: ${view?.state} ${view?.failureCode}`);
      await new Promise((r) => setTimeout(r, 20));
      view = await h.service.get(second.id);
    }
    expect(view.state).toBe('queued');
    const nextDay = capWindow(new Date(), parseGroupPolicy({ dailyCap: 1 })).end;
    expect(view.notBefore.toISOString()).toBe(nextDay.toISOString());
    const deferral = view.events.at(-1)!;
    expect([deferral.fromState, deferral.toState, deferral.cause]).toEqual(['queued', 'queued', 'daily-cap']);
    expect(deferral.details).toMatchObject({ notBefore: nextDay.toISOString(), sent: 1, dailyCap: 1 });
    const job = await h.queue.queue.getJob(jobIdFor(view.idempotencyKey!));
    expect(await job?.getState()).toBe('delayed');
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
  });

  it('pushes to the last handset inside the debounce window, once, when the window closes', async () => {
    const subscriber = uniqueSubscriber();
    const omaHandset = imeiWith(TAC.nokiaN95, serial++);
    const nokiaOtaHandset = imeiWith(TAC.nokia6610, serial++);
    const startedAt = Date.now();
    const first = await h.service.requestFirstUse({ ...subscriber, imei: omaHandset }, NETWORK);
    expect(first.outcome).toBe('queued');
    const pending = await h.service.get(first.provisioningId!);
    expect(await (await h.queue.queue.getJob(jobIdFor(pending!.idempotencyKey!)))?.getState()).toBe(
      'delayed',
    );

    const moved = await h.service.requestFirstUse({ ...subscriber, imei: nokiaOtaHandset }, NETWORK);
    expect(moved).toEqual({ outcome: 'debounced', provisioningId: first.provisioningId });
    const again = await h.service.requestFirstUse({ ...subscriber, imei: nokiaOtaHandset }, NETWORK);
    expect(again.outcome).toBe('unchanged');

    const view = await h.waitForState(first.provisioningId!, FINAL, 10_000);
    expect(view.state).toBe('delivered');
    expect(view.imei).toBe(nokiaOtaHandset);
    expect(view.format).toBe('nokia-ota');
    expect(view.submittedAt!.getTime()).toBeGreaterThanOrEqual(startedAt + DEBOUNCE_MS - 50);
    const change = view.events.find((event) => event.cause === 'handset-changed');
    expect(change?.details).toMatchObject({ imei: nokiaOtaHandset, previousImei: omaHandset });
    expect(await provisioningsOf(subscriber.imsi)).toBe(1);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
    expect((await findSubscriber(h.store.db, { imsi: subscriber.imsi }))?.currentImei).toBe(nokiaOtaHandset);
  });

  it('refuses observedAt more than a few minutes ahead, takes one within them as now', async () => {
    const subscriber = uniqueSubscriber();
    const imei = imeiWith(TAC.nokiaN95, serial++);
    const future = await refusal(() =>
      h.service.requestFirstUse({ ...subscriber, imei, observedAt: '9999-12-31T00:00:00Z' }, NETWORK),
    );
    expect(future.code).toBe('INVALID_REQUEST');
    expect(future.details.field).toBe('observedAt');
    expect(await findSubscriber(h.store.db, { imsi: subscriber.imsi })).toBeUndefined();

    const ahead = new Date(Date.now() + 60_000).toISOString();
    const accepted = await h.service.requestFirstUse({ ...subscriber, imei, observedAt: ahead }, NETWORK);
    expect(accepted.outcome).toBe('queued');
    const stored = await findSubscriber(h.store.db, { imsi: subscriber.imsi });
    expect(stored!.imeiChangedAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('does not let a window stored in the future debounce the SIM forever', async () => {
    const subscriber = uniqueSubscriber();
    await h.store.db.query(
      `INSERT INTO subscribers (imsi, msisdn, group_name, current_imei, imei_changed_at, seen_at)
       VALUES ($1, $2, 'default', $3, '9999-12-31T00:00:00Z', '9999-12-31T00:00:00Z')`,
      [subscriber.imsi, subscriber.msisdn, imeiWith(TAC.nokiaN95, serial++)],
    );
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, serial++) },
      NETWORK,
    );
    expect(result.outcome).toBe('queued');
  });

  it('refuses an IMEISV that is not the IMEI’s handset, naming imeisv', async () => {
    const subscriber = uniqueSubscriber();
    const imei = imeiWith(TAC.nokiaN95, serial++);
    const other = imeiWith(TAC.nokiaN95, serial++);
    const refused = await refusal(() =>
      h.service.requestFirstUse({ ...subscriber, imei, imeisv: `${other.slice(0, 14)}07` }, NETWORK),
    );
    expect(refused.code).toBe('INVALID_REQUEST');
    expect(refused.details.field).toBe('imeisv');
    const accepted = await h.service.requestFirstUse(
      { ...subscriber, imei, imeisv: `${imei.slice(0, 14)}07` },
      NETWORK,
    );
    expect(accepted.outcome).toBe('queued');
  });
});
