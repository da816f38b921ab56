import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveDevice } from '../../src/devices/resolve-device.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { describeEachStore } from '../support/stores.ts';
import { readJson, startApi, testImei, type ApiHarness } from './support/api-harness.ts';

const NOKIA_6230I_TAC = '35216700'; // config/devices.csv
const UNKNOWN_TAC = '35999907'; // in no catalogue row

describeEachStore(
  'device reports: history, unverified models, applied and stale settings (%s store)',
  (kind) => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await startApi({ store: kind, seed: true });
    });
    afterAll(async () => {
      await api?.close();
    });

    const report = (imei: string, json: Record<string, unknown>) =>
      api.fetch(`/v1/devices/${imei}/reports`, { method: 'POST', key: api.keys.network, json });
    const reports = (imei: string, query = '', key = api.keys.care) =>
      api.fetch(`/v1/devices/${imei}/reports${query}`, { key });

    /** A subscriber in a Nokia 6230i whose last push (northwind-standard, latest version) was delivered. */
    async function deliveredSubscriber(seed: number): Promise<{ msisdn: string; imei: string; id: string }> {
      const msisdn = `4917100${String(seed).padStart(5, '0')}`;
      const imei = testImei(seed, NOKIA_6230I_TAC);
      const accepted = await readJson(
        await api.fetch('/v1/triggers/first-use', {
          method: 'POST',
          key: api.keys.network,
          json: { imsi: `00101${String(seed).padStart(10, '0')}`, msisdn, imei },
        }),
      );
      expect(accepted.outcome).toBe('queued');
      // No worker here: the delivery is written as the receipts would leave it.
      await api.store.db.query(
        `UPDATE provisionings SET state = 'delivered', finished_at = now(),
         profile_version_id = (SELECT v.id FROM profile_versions v JOIN profiles p ON p.id = v.profile_id
                                WHERE p.name = 'northwind-standard' ORDER BY v.version DESC LIMIT 1)
       WHERE id = $1`,
        [accepted.provisioningId],
      );
      return { msisdn, imei, id: accepted.provisioningId };
    }

    it('lists a handset’s reports newest first, a page at a time, IMEI and IMEISV alike', async () => {
      const imei = testImei(501, NOKIA_6230I_TAC);
      const imeisv = imei.slice(0, 14) + '07';
      const ids: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const stored = await report(i === 2 ? imeisv : imei, { properties: { firmware: `v${i}` } });
        expect(stored.status).toBe(201);
        ids.push((await readJson(stored)).id);
      }
      await report(testImei(502, NOKIA_6230I_TAC), { properties: { firmware: 'other handset' } });

      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await readJson(await reports(imei, query));
        expect(page.reports.length).toBeLessThanOrEqual(2);
        seen.push(...page.reports.map((r: { id: number }) => r.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
      const newest = await readJson(await reports(imei, '?limit=1'));
      expect(newest.reports[0].properties.firmware).toBe('v4');
    });

    it('refuses a cursor it did not give, naming the field, and keeps the reports to care (audited)', async () => {
      const imei = testImei(503, NOKIA_6230I_TAC);
      await report(imei, { properties: { firmware: '1.0' } });
      const forged = await reports(imei, `?cursor=${Buffer.from('something:12').toString('base64url')}`);
      expect(forged.status).toBe(400);
      expect((await readJson(forged)).error.details.issues[0].field).toBe('query.cursor');

      for (const role of ['network', 'operator'] as const) {
        const denied = await reports(imei, '', api.keys[role]);
        expect(denied.status, role).toBe(403);
      }
      for (const role of ['care', 'admin'] as const) {
        const allowed = await reports(imei, '', api.keys[role]);
        expect(allowed.status, role).toBe(200);
        expect((await readJson(allowed)).reports).toHaveLength(1);
      }
      // Reads are audited like the care view; a denied call is audited before it names a subject.
      const audited = await listAudit(api.store.db, { action: 'devices.reports', subjectId: imei });
      expect(audited.map((entry) => [entry.actor, entry.outcome]).sort()).toEqual([
        ['test-admin', 'ok'],
        ['test-care', 'ok'],
      ]);
      const denied = await listAudit(api.store.db, { action: 'devices.reports', outcome: 'denied' });
      expect(denied.map((entry) => entry.actor).sort()).toEqual(['test-network', 'test-operator']);
    });

    it('adds a model the catalogue lacks as unverified, lists it for admins and lets one confirm it', async () => {
      const imei = testImei(504, UNKNOWN_TAC);
      const first = await readJson(
        await report(imei, { properties: { manufacturer: 'Nokia', model: '6131 Prototype' } }),
      );
      expect(first.addedModel).toEqual({ id: expect.any(Number), status: 'unverified' });
      const again = await readJson(
        await report(imei, { properties: { manufacturer: 'nokia', model: '6131 PROTOTYPE' } }),
      );
      expect(again.addedModel).toBeNull();

      const listed = await readJson(
        await api.fetch('/v1/devices?status=unverified', { key: api.keys.admin }),
      );
      const entry = listed.models.find((m: { id: number }) => m.id === first.addedModel.id);
      expect(entry).toMatchObject({ manufacturer: 'Nokia', model: '6131 Prototype', status: 'unverified' });
      expect(entry.reportedAt).toBeTruthy();
      expect(entry.tacs).toEqual([UNKNOWN_TAC]);
      const verified = await readJson(
        await api.fetch('/v1/devices?status=verified', { key: api.keys.admin }),
      );
      expect(verified.models.some((m: { id: number }) => m.id === first.addedModel.id)).toBe(false);

      // Unverified, it is not the catalogue's word: the TAC resolves as the Nokia default would.
      const before = await resolveDevice(api.store.db, { imei }, { operatorDefault: null });
      expect(before.outcome).toBe('unsupported');

      const path = `/v1/devices/models/${first.addedModel.id}/confirm`;
      const asCare = await api.fetch(path, { method: 'POST', key: api.keys.care, json: {} });
      expect(asCare.status).toBe(403);
      const badFormat = await api.fetch(path, {
        method: 'POST',
        key: api.keys.admin,
        json: { format: 'wml' },
      });
      expect(badFormat.status).toBe(400);
      expect((await readJson(badFormat)).error.details.issues[0].field).toBe('body.format');
      const confirmed = await api.fetch(path, {
        method: 'POST',
        key: api.keys.admin,
        json: { format: 'nokia-ota', securityMethods: ['none'], maxSegments: 4 },
      });
      expect(confirmed.status).toBe(200);
      expect(await readJson(confirmed)).toMatchObject({
        status: 'verified',
        format: 'nokia-ota',
        maxSegments: 4,
      });
      const twice = await api.fetch(path, { method: 'POST', key: api.keys.admin, json: {} });
      expect(twice.status).toBe(409);
      expect((await readJson(twice)).error.code).toBe('DEVICE_MODEL_VERIFIED');
      const missing = await api.fetch('/v1/devices/models/987654321/confirm', {
        method: 'POST',
        key: api.keys.admin,
        json: {},
      });
      expect(missing.status).toBe(404);

      const after = await resolveDevice(api.store.db, { imei }, { operatorDefault: null });
      expect(after).toMatchObject({
        outcome: 'supported',
        device: { matchedBy: 'tac', format: 'nokia-ota' },
      });
    });

    it('marks the delivered provisioning applied when a report shows its settings, once', async () => {
      const { msisdn, imei, id } = await deliveredSubscriber(505);
      const body = await readJson(
        await report(imei, { properties: {}, configuration: { apn: 'web.northwind.example' } }),
      );
      expect(body.applied).toEqual({ provisioningId: id, appliedAt: expect.any(String) });
      expect(body.reprovision).toBeNull();

      const view = await readJson(await api.fetch(`/v1/provisionings/${id}`, { key: api.keys.care }));
      expect(view.state).toBe('delivered');
      expect(view.appliedAt).toBe(body.applied.appliedAt);
      const applied = view.events.filter((event: { cause: string }) => event.cause === 'applied');
      expect(applied).toHaveLength(1);
      expect(applied[0]).toMatchObject({ fromState: 'delivered', toState: 'delivered' });
      expect(applied[0].details.reportId).toBe(body.id);

      const again = await readJson(
        await report(imei, { properties: {}, configuration: { apn: 'web.northwind.example' } }),
      );
      expect(again.applied).toBeNull();

      const timeline = await readJson(await api.fetch(`/v1/subscribers/${msisdn}`, { key: api.keys.care }));
      expect(timeline.timeline[0]).toMatchObject({
        id,
        state: 'delivered',
        appliedAt: body.applied.appliedAt,
      });
      expect(timeline.reports.map((r: { id: number }) => r.id)).toEqual([again.id, body.id]);
    });

    it('does not mark a delivered push applied when the handset shows other settings', async () => {
      const { imei, id } = await deliveredSubscriber(506);
      const body = await readJson(
        await report(imei, { properties: {}, configuration: { mmsc: 'http://mms.elsewhere.example/' } }),
      );
      expect(body.applied).toBeNull();
      const view = await readJson(await api.fetch(`/v1/provisionings/${id}`, { key: api.keys.care }));
      expect(view.appliedAt).toBeNull();
    });

    it('re-provisions a handset that reports old settings once, and the stale-config trigger joins it', async () => {
      const { msisdn, imei } = await deliveredSubscriber(507);
      const old = { properties: {}, configuration: { apn: 'wap.northwind.example' } };
      const first = await readJson(await report(imei, old));
      expect(first.applied).toBeNull();
      expect(first.reprovision).toMatchObject({
        state: expect.stringMatching(/^(queued|awaiting-confirmation)$/),
        alreadyOpen: false,
      });
      const second = await readJson(await report(imei, old));
      expect(second.reprovision).toEqual({ ...first.reprovision, alreadyOpen: true });

      const trigger = await api.fetch('/v1/triggers/stale-config', {
        method: 'POST',
        key: api.keys.network,
        json: { msisdn, observed: { apn: 'wap.northwind.example' } },
      });
      expect(await readJson(trigger)).toMatchObject({ provisioningId: first.reprovision.provisioningId });
      const rows = await api.store.db.query<{ id: string; reason: string }>(
        `SELECT p.id, p.reason FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id
        WHERE s.msisdn = $1 AND p.source = 'stale-config'`,
        [msisdn],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].reason).toContain('apn wap.northwind.example not in version');

      // Once that one has ended, old settings start a new one.
      await api.store.db.query(`UPDATE provisionings SET state = 'failed' WHERE id = $1`, [rows[0].id]);
      const later = await readJson(await report(imei, old));
      expect(later.reprovision.alreadyOpen).toBe(false);
      expect(later.reprovision.provisioningId).not.toBe(rows[0].id);
    });
  },
);
