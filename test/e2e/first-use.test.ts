import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { renderProfile } from '../../src/profiles/render.ts';
import { parseProfileParameters } from '../../src/profiles/schema.ts';
import { capabilitiesOf } from '../../src/provisioning/compose.ts';
import { findLiveDmAccount } from '../../src/dm/repository.ts';
import { loadDmSecretBox } from '../../src/dm/secrets.ts';
import { credentialsOf } from '../../src/dm/w7-accounts.ts';
import { withW7Credentials } from '../../src/dm/w7-credentials.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { describeEachStore } from '../support/stores.ts';
import { treeDifference } from '../support/tree-compare.ts';
import {
  FINAL,
  imeiWith,
  startHarness,
  TAC,
  uniqueSubscriber,
  type Harness,
} from '../provisioning/harness.ts';

const NETWORK = { name: 'hlr-probe', role: 'network' };

describeEachStore('first use end to end (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { provisioning: { debounceMs: 1_000 } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('pushes the selected profile version, signed with the IMSI, and ends delivered with receipts and audit', async () => {
    const subscriber = uniqueSubscriber();
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    const imei = imeiWith(TAC.nokiaN95, 1001);
    const result = await h.service.requestFirstUse({ ...subscriber, imei }, NETWORK);
    expect(result.outcome).toBe('queued');
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');

    const [push] = await h.sim.handset(subscriber.msisdn).waitFor(1, 5_000);
    expect(push.sec).toBe('NETWPIN');
    expect(push.macValid).toBe(true);
    expect(push.accepted).toBe(true);

    // The document is the version the rules selected (the catch-all northwind-standard), rendered for an N95.
    const version = await h.store.db.one<{ content: unknown; name: string }>(
      `SELECT v.content, p.name FROM profile_versions v JOIN profiles p ON p.id = v.profile_id WHERE v.id = $1`,
      [view.profileVersionId],
    );
    expect(version?.name).toBe('northwind-standard');
    // its w7 carries the subscriber's own DM account, made when the push was composed (src/dm/w7-accounts.ts)
    const account = await findLiveDmAccount(h.store.db, `IMEI:${imei}`);
    expect(account?.origin).toBe('cp-w7');
    const credentials = credentialsOf(account!, await loadDmSecretBox(h.config.dm));
    const expected = renderProfile(withW7Credentials(parseProfileParameters(version!.content), credentials), {
      format: 'oma-cp',
      capabilities: capabilitiesOf(['data', 'browser', 'mms', 'email', 'dm']),
    }).root;
    expect(treeDifference(expected, parseXml(push.xml!))).toBeUndefined();

    expect(view.segmentCount).toBe(push.segments);
    expect(view.segments).toHaveLength(push.segments);
    for (const segment of view.segments) {
      expect(segment.submitStatus).toBe('submitted');
      expect(segment.messageId).toBeTruthy();
      expect(segment.receiptState).toBe('DELIVRD');
    }
    expect(view.events.map((event) => event.toState)).toEqual([
      'requested',
      'queued',
      'submitting',
      'submitted',
      'delivered',
    ]);
    const audit = await listAudit(h.store.db, { subjectType: 'provisioning', subjectId: view.id });
    expect(audit.map((entry) => entry.action)).toEqual(
      expect.arrayContaining([
        'provisioning.request',
        'provisioning.submitting',
        'provisioning.submitted',
        'provisioning.delivered',
      ]),
    );
    expect(
      h.seen.some(
        (event) =>
          event.type === 'provisioning.state' && event.to === 'delivered' && event.provisioningId === view.id,
      ),
    ).toBe(true);
  });

  // The push waits for the debounce window to close (here 1 s) and goes to the last handset seen in it.
  it('does nothing for the same IMEI twice, and debounces a flapping second handset: one push, to the last', async () => {
    const subscriber = uniqueSubscriber();
    const imei = imeiWith(TAC.nokiaN95, 2002);
    const last = imeiWith(TAC.nokiaN95, 2003);
    const first = await h.service.requestFirstUse({ ...subscriber, imei }, NETWORK);
    const again = await h.service.requestFirstUse({ ...subscriber, imei }, NETWORK);
    const flap = await h.service.requestFirstUse({ ...subscriber, imei: last }, NETWORK);
    expect(first.outcome).toBe('queued');
    expect(again.outcome).toBe('unchanged');
    expect(flap.outcome).toBe('debounced');
    const view = await h.waitForState(first.provisioningId!, FINAL);
    expect(view.imei).toBe(last);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(1);
    const rows = await h.store.db.query(
      `SELECT p.id FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id WHERE s.imsi = $1`,
      [subscriber.imsi],
    );
    expect(rows).toHaveLength(1);
  });

  it('sends a Nokia OTA push to a Nokia-format handset', async () => {
    const subscriber = uniqueSubscriber();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokia6610, 3003) },
      NETWORK,
    );
    const view = await h.waitForState(result.provisioningId!, FINAL);
    expect(view.state).toBe('delivered');
    expect(view.format).toBe('nokia-ota');
    const [push] = await h.sim.handset(subscriber.msisdn).waitFor(1, 5_000);
    expect(push.documentType).toBe('nokia-ota');
    expect(push.destinationPort).toBe(49999); // Nokia OTA settings port (docs/protocol.md §7)
  });

  it('fails an unsupported device with its reason and sends nothing', async () => {
    const subscriber = uniqueSubscriber();
    const result = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokia3310, 4004) },
      NETWORK,
    );
    expect(result.outcome).toBe('unsupported-device');
    const view = await h.service.get(result.provisioningId!);
    expect(view?.state).toBe('failed');
    expect(view?.failureCode).toBe('UNSUPPORTED_DEVICE');
    expect(view?.failureReason).toMatch(/3310|OTA/i);
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(0);
    expect(h.sim.submitted().some((segment) => segment.destinationAddr === subscriber.msisdn)).toBe(false);
  });

  it('fails with the SMSC reason on an UNDELIV receipt', async () => {
    const subscriber = uniqueSubscriber();
    h.sim.setBehaviour({ receiptOutcomes: [{ prefix: subscriber.msisdn, stat: 'UNDELIV' }] });
    try {
      const result = await h.service.requestFirstUse(
        { ...subscriber, imei: imeiWith(TAC.nokiaN95, 5005) },
        NETWORK,
      );
      const view = await h.waitForState(result.provisioningId!, FINAL);
      expect(view.state).toBe('failed');
      expect(view.failureCode).toBe('SMSC_UNDELIV');
      expect(view.failureReason).toMatch(/UNDELIV/);
    } finally {
      h.sim.setBehaviour({ receiptOutcomes: [] });
    }
  });

  it('resends as a new provisioning linked to the old one', async () => {
    const subscriber = uniqueSubscriber();
    const first = await h.service.requestFirstUse(
      { ...subscriber, imei: imeiWith(TAC.nokiaN95, 6006) },
      NETWORK,
    );
    await h.waitForState(first.provisioningId!, FINAL);
    const resent = await h.service.resend(first.provisioningId!, 'customer asked', {
      name: 'agent-7',
      role: 'care',
    });
    expect(resent.resendOf).toBe(first.provisioningId);
    const view = await h.waitForState(resent.id, FINAL);
    expect(view.state).toBe('delivered');
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(2);
  });
});
