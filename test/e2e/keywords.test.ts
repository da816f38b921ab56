/**
 * Subscribers asking for settings themselves, over real SMPP: MO keywords and USSD requests injected at
 * the simulator start a provisioning, and every outcome is answered with its text, which the simulator
 * received as submit_sm (decoded from what it got: GSM 7-bit or UCS-2, concatenated when long) and its
 * virtual handset reads (reassembled; the PIN of a USERPIN push is typed from the PIN text).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireOverdue } from '../../src/provisioning/sweeps.ts';
import type { ProvisioningView } from '../../src/provisioning/types.ts';
import { listSubscriberProvisionings } from '../../src/provisioning/history-repository.ts';
import type { SubmittedSegment } from '../../src/smsc-sim/index.ts';
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
const SHORT_CODE = '2020';
const DATA_CODING_GSM = 0x00;
const DATA_CODING_UCS2 = 0x08;
const ESM_CLASS_UDHI = 0x40;
const PSSR_RESPONSE = 17;
const RUSSIAN_ON_THE_WAY = 'Настройки для вашего телефона уже в пути.';
const LONG_HELP =
  'Welcome to Northwind. To get the settings for your phone, send {keywords} to {shortCode}. ' +
  'Internet and MMS settings arrive within a minute; save them when your phone asks. Questions: call 2000.';

const GROUPS = {
  default: { confirmation: 'automatic' },
  askfirst: { confirmation: 'ask-first', confirmationTimeoutMinutes: 60 },
  corporate: { securityMethod: 'USERPIN' },
  russian: { language: 'ru' },
  verbose: { language: 'fi' },
} as const;

const TEXTS = {
  languages: {
    ru: { onTheWay: RUSSIAN_ON_THE_WAY },
    fi: { help: LONG_HELP },
  },
};

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The text submit_sm the simulator received for a handset, once there are `count`. */
function textsTo(h: Harness, msisdn: string, count: number): Promise<SubmittedSegment[]> {
  return until(`${count} texts to ${msisdn}`, () => {
    const texts = h.sim.submitted().filter((s) => s.destinationAddr === msisdn && s.text !== null);
    return texts.length >= count ? texts : undefined;
  });
}

async function subscriberIn(h: Harness, group: string, tac: string = TAC.nokiaN95) {
  const subscriber = uniqueSubscriber();
  const imei = imeiWith(tac, Math.floor(Math.random() * 1e6));
  await h.store.db.query(
    `INSERT INTO subscribers (imsi, msisdn, group_name, current_imei) VALUES ($1, $2, $3, $4)`,
    [subscriber.imsi, subscriber.msisdn, group, imei],
  );
  const row = await h.store.db.one<{ id: string }>(`SELECT id FROM subscribers WHERE imsi = $1`, [
    subscriber.imsi,
  ]);
  return { ...subscriber, id: row!.id };
}

/** The subscriber's newest provisioning, once it is final. */
async function finalProvisioning(h: Harness, subscriberId: string): Promise<ProvisioningView> {
  const newest = await until('a provisioning', async () => {
    const [entry] = await listSubscriberProvisionings(h.store.db, subscriberId, 1);
    return entry;
  });
  return h.waitForState(newest.id, FINAL);
}

describeEachStore('subscriber keyword and USSD requests (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { groups: GROUPS, texts: TEXTS });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('a keyword, in any case and spacing, starts a provisioning like a dial request and is answered in GSM 7-bit', async () => {
    const subscriber = await subscriberIn(h, 'default');
    await h.sim.injectMo({ from: subscriber.msisdn, to: SHORT_CODE, text: '  internet ' });
    const view = await finalProvisioning(h, subscriber.id);
    expect(view.state).toBe('delivered');
    expect(view.source).toBe('sms');
    expect(view.events[0]?.cause).toBe('sms');
    await h.sim.handset(subscriber.msisdn).waitFor(1);
    const [reply] = await textsTo(h, subscriber.msisdn, 1);
    expect(reply.dataCoding).toBe(DATA_CODING_GSM);
    expect(reply.sourceAddr).toBe(SHORT_CODE);
    expect(reply.text).toBe('Your phone settings are on their way. Save them when your phone asks.');
  });

  it('answers in UCS-2 when the subscriber’s language has characters outside the GSM alphabet', async () => {
    const subscriber = await subscriberIn(h, 'russian');
    await h.sim.injectMo({ from: subscriber.msisdn, to: SHORT_CODE, text: 'Settings' });
    const [reply] = await textsTo(h, subscriber.msisdn, 1);
    expect(reply.dataCoding).toBe(DATA_CODING_UCS2);
    expect(reply.text).toBe(RUSSIAN_ON_THE_WAY);
    expect((await finalProvisioning(h, subscriber.id)).state).toBe('delivered');
  });

  it('answers an unknown keyword with the help text, concatenated when long and reassembled by the handset', async () => {
    const english = await subscriberIn(h, 'default');
    await h.sim.injectMo({ from: english.msisdn, to: SHORT_CODE, text: 'BALANCE' });
    const [help] = await textsTo(h, english.msisdn, 1);
    expect(help.text).toBe('To get the settings for your phone, send SETTINGS, INTERNET or MMS to 2020.');
    expect(await listSubscriberProvisionings(h.store.db, english.id, 1)).toEqual([]);

    const verbose = await subscriberIn(h, 'verbose');
    await h.sim.injectMo({ from: verbose.msisdn, to: SHORT_CODE, text: 'what?' });
    const expected = LONG_HELP.replace('{keywords}', 'SETTINGS, INTERNET or MMS').replace(
      '{shortCode}',
      SHORT_CODE,
    );
    expect(expected.length).toBeGreaterThan(160);
    const parts = await textsTo(h, verbose.msisdn, 2);
    expect(parts).toHaveLength(2);
    expect(parts.every((part) => (part.esmClass & ESM_CLASS_UDHI) !== 0 && part.udh !== null)).toBe(true);
    // 8-bit concatenation element: 00 03 ref total index
    const [first, second] = parts.map((part) => Buffer.from(part.udh!));
    expect([first[1], first[2], first[4], first[5]]).toEqual([0x00, 3, 2, 1]);
    expect([second[3], second[5]]).toEqual([first[3], 2]);
    expect(parts.map((part) => part.text).join('')).toBe(expected);
    const texts = h.sim.handset(verbose.msisdn).texts();
    expect(texts.map((text) => [text.text, text.segments, text.from])).toEqual([[expected, 2, SHORT_CODE]]);
  });

  it('a USSD request is answered in the USSD session and provisions', async () => {
    const subscriber = await subscriberIn(h, 'default');
    await h.sim.injectMo({ from: subscriber.msisdn, to: '123', text: '*123#', ussd: {} });
    const [answer] = await textsTo(h, subscriber.msisdn, 1);
    expect(answer.ussdServiceOp).toBe(PSSR_RESPONSE);
    expect(answer.text).toMatch(/on their way/);
    const view = await finalProvisioning(h, subscriber.id);
    expect([view.state, view.source]).toEqual(['delivered', 'ussd']);
  });

  it('a SIM never seen is told it could not be identified; an unsupported handset is told so', async () => {
    const stranger = uniqueSubscriber();
    await h.sim.injectMo({ from: stranger.msisdn, to: SHORT_CODE, text: 'SETTINGS' });
    const [unknown] = await textsTo(h, stranger.msisdn, 1);
    expect(unknown.text).toMatch(/could not identify your SIM/);

    const old = await subscriberIn(h, 'default', TAC.nokia3310);
    await h.sim.injectMo({ from: old.msisdn, to: SHORT_CODE, text: 'SETTINGS' });
    const [unsupported] = await textsTo(h, old.msisdn, 1);
    expect(unsupported.text).toMatch(/cannot be configured over the air/);
    const view = await finalProvisioning(h, old.id);
    expect([view.state, view.failureCode]).toEqual(['failed', 'UNSUPPORTED_DEVICE']);
  });

  it('ask-first: the question comes from the short code; YES, NO and a late answer get their texts', async () => {
    const ask = async () => {
      const subscriber = await subscriberIn(h, 'askfirst');
      const imei = imeiWith(TAC.nokiaN95, Math.floor(Math.random() * 1e6));
      const asked = await h.service.requestFirstUse({ ...subscriber, imei }, NETWORK);
      expect(asked.outcome).toBe('awaiting-confirmation');
      const [question] = await textsTo(h, subscriber.msisdn, 1);
      expect(question.sourceAddr).toBe(SHORT_CODE);
      expect(question.text).toBe('New settings are ready for your phone. Reply YES to 2020 to receive them.');
      return { ...subscriber, provisioningId: asked.provisioningId! };
    };
    const yes = await ask();
    await h.sim.injectMo({ from: yes.msisdn, to: SHORT_CODE, text: 'yes' });
    expect((await h.waitForState(yes.provisioningId, FINAL)).state).toBe('delivered');
    expect((await textsTo(h, yes.msisdn, 2))[1].text).toMatch(/on their way/);

    const no = await ask();
    await h.sim.injectMo({ from: no.msisdn, to: SHORT_CODE, text: 'No' });
    expect((await h.waitForState(no.provisioningId, FINAL)).state).toBe('cancelled');
    expect((await textsTo(h, no.msisdn, 2))[1].text).toMatch(/^You declined the new settings/);

    const late = await ask();
    await h.store.db.query(
      `UPDATE provisionings SET confirm_by = now() - interval '1 second' WHERE id = $1`,
      [late.provisioningId],
    );
    await expireOverdue(h.deps);
    expect((await h.service.get(late.provisioningId))?.state).toBe('expired');
    await h.sim.injectMo({ from: late.msisdn, to: SHORT_CODE, text: 'YES' });
    expect((await textsTo(h, late.msisdn, 2))[1].text).toMatch(/^Your answer came too late/);
    expect(h.sim.handset(late.msisdn).count()).toBe(0);
  });

  it('USERPIN: the handset reads the PIN text and verifies the push without being told the PIN', async () => {
    const subscriber = await subscriberIn(h, 'corporate');
    await h.sim.injectMo({ from: subscriber.msisdn, to: SHORT_CODE, text: 'SETTINGS' });
    const view = await finalProvisioning(h, subscriber.id);
    expect([view.state, view.securityMethod]).toEqual(['delivered', 'USERPIN']);
    const texts = await textsTo(h, subscriber.msisdn, 2);
    expect(texts.some((text) => /PIN .* is \d{4}\./.test(text.text ?? ''))).toBe(true);
    const [push] = await h.sim.handset(subscriber.msisdn).waitFor(1);
    expect([push.sec, push.status, push.macValid, push.pinFromText]).toEqual([
      'USERPIN',
      'accepted',
      true,
      true,
    ]);
  });
});

describe.each(['pglite'] as const)('an SMSC without USSD (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { groups: GROUPS, smsc: { ussd: false } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('answers a USSD request by SMS from the short code', async () => {
    const subscriber = await subscriberIn(h, 'default');
    await h.sim.injectMo({
      from: subscriber.msisdn,
      to: '*123#',
      text: '*123#',
      ussd: { op: 'pssr-indication' },
    });
    const [answer] = await textsTo(h, subscriber.msisdn, 1);
    expect(answer.ussdServiceOp).toBeNull();
    expect(answer.sourceAddr).toBe(SHORT_CODE);
    expect(answer.text).toMatch(/on their way/);
    expect((await finalProvisioning(h, subscriber.id)).state).toBe('delivered');
  });
});
