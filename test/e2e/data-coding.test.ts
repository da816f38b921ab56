/**
 * The data coding the SMSC is configured with (dcs= in SMSC_URL) is what its pushes go out with; the
 * texts to the subscriber (PIN, confirmation question) go in the SMSC default alphabet, over real SMPP
 * to the simulator.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { unpackSegments } from '../../codecs/ota/unpack.ts';
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
const DCS_8BIT_CLASS_1 = 0xf5;

describeEachStore('data coding configured for the SMSC (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, {
      groups: {
        default: { confirmation: 'automatic' },
        askfirst: { confirmation: 'ask-first', confirmationTimeoutMinutes: 60 },
        corporate: { securityMethod: 'USERPIN' },
      },
      smsc: { dataCoding: DCS_8BIT_CLASS_1 },
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

  /** What the simulator received for a handset, once there are at least `count` submit_sm. */
  async function sentTo(msisdn: string, count: number): Promise<SubmittedSegment[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const sent = h.sim.submitted().filter((segment) => segment.destinationAddr === msisdn);
      if (sent.length >= count) return sent;
      if (Date.now() > deadline) throw new Error(`${sent.length} of ${count} submit_sm to ${msisdn}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('sends the push with data_coding 0xF5 and the PIN text with 0x00', async () => {
    const subscriber = await subscriberIn('corporate');
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 5005) },
      NETWORK,
    );
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.securityMethod).toBe('USERPIN');
    const sent = await sentTo(subscriber.msisdn, view.segmentCount! + 1);
    const push = sent.filter((segment) => segment.shortMessage !== null);
    const texts = sent.filter((segment) => segment.shortMessage === null);
    expect(push).toHaveLength(view.segmentCount!);
    expect(push.map((segment) => segment.dataCoding)).toEqual(push.map(() => DCS_8BIT_CLASS_1));
    expect(texts.map((segment) => segment.dataCoding)).toEqual([0x00]);
    // the handset took the push sent that way, signed with the PIN of the text
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
    const pin = /(\d{4,})/.exec(texts[0].text ?? '')?.[1];
    expect(
      unpackSegments(
        push.map((segment) => segment.shortMessage!),
        { pin },
      ).macValid,
    ).toBe(true);
  });

  it('asks the confirmation question with data_coding 0x00', async () => {
    const subscriber = await subscriberIn('askfirst');
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 5006) },
      NETWORK,
    );
    expect(result.outcome).toBe('awaiting-confirmation');
    const [question] = await sentTo(subscriber.msisdn, 1);
    expect(question).toMatchObject({ dataCoding: 0x00, esmClass: 0, shortMessage: null });
    expect(question.text).toMatch(/YES/);
  });
});
