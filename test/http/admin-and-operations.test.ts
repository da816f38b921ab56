import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachStore, forEachStore } from '../support/stores.ts';
import { startApi, readJson, testImei, type ApiHarness } from './support/api-harness.ts';

const PARAMETERS = {
  name: 'HTTP test',
  connections: [{ id: 'gprs', name: 'Internet', bearer: 'GPRS', apn: 'internet.example' }],
};

describeEachStore('administration and operations (%s store)', (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true, http: { eventsHeartbeatMs: 50 } });
  });
  afterAll(async () => {
    await api?.close();
  });
  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    api.fetch(path, { ...init, key: api.keys.admin });

  it('creates a profile, a second version, diffs them and previews one for a catalogue model', async () => {
    const created = await admin('/v1/profiles', {
      method: 'POST',
      json: { name: 'http-test', parameters: PARAMETERS },
    });
    const body = await readJson(created);
    expect(created.status, JSON.stringify(body)).toBe(201);
    expect(body.version.version).toBe(1);
    const second = await admin(`/v1/profiles/${body.profile.id}/versions`, {
      method: 'POST',
      json: {
        parameters: { ...PARAMETERS, connections: [{ ...PARAMETERS.connections[0], apn: 'new.example' }] },
        note: 'new APN',
      },
    });
    expect(second.status, JSON.stringify(await readJson(second.clone()))).toBe(201);
    expect((await readJson(second)).version).toBe(2);
    const versions = await readJson(await admin('/v1/profiles/http-test/versions'));
    expect(versions.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    const diff = await readJson(await admin('/v1/profiles/http-test/diff?from=1&to=2'));
    expect(diff.changes).toEqual([
      { path: 'connections[0].apn', old: 'internet.example', new: 'new.example' },
    ]);
    const list = await readJson(await admin('/v1/profiles'));
    expect(list.profiles.map((p: { name: string }) => p.name)).toContain('http-test');

    const models = await readJson(await admin('/v1/devices?q=6230i'));
    const model = models.models[0];
    const preview = await admin(`/v1/profiles/http-test/versions/2/preview?model=${model.id}`);
    const rendered = await readJson(preview);
    expect(preview.status, JSON.stringify(rendered)).toBe(200);
    expect(rendered.format).toBe('oma-cp');
    expect(rendered.xml).toContain('new.example');
    expect(rendered.wbxmlHex).toMatch(/^[0-9a-f]+$/i);
    expect(rendered.segmentCount).toBe(rendered.segments.length);
    expect(rendered.sec).toBe('NETWPIN');
    const nokia = await readJson(await admin('/v1/profiles/http-test/versions/1/preview?format=nokia-ota'));
    expect(nokia.format).toBe('nokia-ota');
  });

  it('refuses an invalid parameter set naming the field, a duplicate name and unknown versions', async () => {
    const invalid = await admin('/v1/profiles', {
      method: 'POST',
      json: {
        name: 'bad',
        parameters: { name: 'bad', connections: [{ id: 'g', name: 'x', bearer: 'GPRS' }] },
      },
    });
    expect(invalid.status).toBe(400);
    const issues = (await readJson(invalid)).error.details.issues;
    expect(issues.map((i: { field: string }) => i.field)).toContain('body.parameters.connections.0.apn');
    const duplicate = await admin('/v1/profiles', {
      method: 'POST',
      json: { name: 'http-test', parameters: PARAMETERS },
    });
    expect(duplicate.status).toBe(422);
    expect((await admin('/v1/profiles/http-test/versions/9/preview?format=oma-cp')).status).toBe(404);
    expect((await admin('/v1/profiles/nope/versions')).status).toBe(404);
  });

  it('manages rules and groups', async () => {
    const profile = await readJson(await admin('/v1/profiles/http-test/versions'));
    const profileId = profile.versions[0].profileId;
    const rule = await admin('/v1/rules', {
      method: 'POST',
      json: { priority: 5, manufacturer: 'Nokia', profileId },
    });
    const created = await readJson(rule);
    expect(rule.status, JSON.stringify(created)).toBe(201);
    const changed = await admin(`/v1/rules/${created.id}`, { method: 'PATCH', json: { enabled: false } });
    expect((await readJson(changed)).enabled).toBe(false);
    expect(
      (await readJson(await admin('/v1/rules'))).rules.some((r: { id: string }) => r.id === created.id),
    ).toBe(true);
    expect((await admin(`/v1/rules/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(`/v1/rules/${created.id}`, { method: 'DELETE' })).status).toBe(404);

    const group = await admin('/v1/groups/prepaid-test', {
      method: 'PUT',
      json: {
        description: 'prepaid',
        policy: {
          confirmation: 'ask-first',
          quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' },
        },
      },
    });
    const stored = await readJson(group);
    expect(group.status, JSON.stringify(stored)).toBe(200);
    expect(stored.policy.confirmation).toBe('ask-first');
    const groups = await readJson(await admin('/v1/groups'));
    expect(groups.groups.map((g: { name: string }) => g.name)).toEqual(
      expect.arrayContaining(['default', 'prepaid-test']),
    );
    const badZone = await admin('/v1/groups/x', {
      method: 'PUT',
      json: { policy: { timeZone: 'Mars/Olympus' } },
    });
    expect(badZone.status).toBe(400);
  });

  it('imports a device CSV (dry run and for real) and lists or searches the catalogue', async () => {
    const csv = 'tac,manufacturer,model,format\n86000001,Acme,Rocket 1,oma-cp\n';
    const dry = await api.fetch('/v1/devices/import?dryRun=true', {
      method: 'POST',
      key: api.keys.admin,
      headers: { 'Content-Type': 'text/csv' },
      body: csv,
    });
    const dryReport = await readJson(dry);
    expect(dry.status, JSON.stringify(dryReport)).toBe(200);
    expect(dryReport.outcome).toBe('dry-run');
    expect((await readJson(await admin('/v1/devices?tac=86000001'))).models).toEqual([]);
    const real = await api.fetch('/v1/devices/import', {
      method: 'POST',
      key: api.keys.admin,
      headers: { 'Content-Type': 'text/csv' },
      body: csv,
    });
    expect((await readJson(real)).models.added).toBe(1);
    const found = await readJson(await admin('/v1/devices?tac=86000001'));
    expect(found.models[0].model).toBe('Rocket 1');
    const bad = await api.fetch('/v1/devices/import', {
      method: 'POST',
      key: api.keys.admin,
      headers: { 'Content-Type': 'text/csv' },
      body: 'tac,manufacturer,model,format\nabc,Acme,,weird\n',
    });
    expect(bad.status).toBe(422);
    expect((await readJson(bad)).error.code).toBe('CATALOGUE_REFUSED');
  });

  it('creates, lists and revokes API keys; the secret is shown once', async () => {
    const created = await admin('/v1/keys', { method: 'POST', json: { name: 'probe-7', role: 'network' } });
    const key = await readJson(created);
    expect(created.status).toBe(201);
    expect(key.key).toMatch(/^otagw_/);
    const listed = await readJson(await admin('/v1/keys'));
    const entry = listed.keys.find((k: { id: string }) => k.id === key.id);
    expect(entry.key).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain(key.key);
    const works = await api.fetch('/v1/triggers/dial-request', {
      method: 'POST',
      key: key.key,
      json: { msisdn: '491700009999' },
    });
    expect(works.status).not.toBe(401);
    expect((await admin(`/v1/keys/${key.id}`, { method: 'DELETE' })).status).toBe(200);
    const after = await api.fetch('/v1/triggers/dial-request', {
      method: 'POST',
      key: key.key,
      json: { msisdn: '491700009999' },
    });
    expect(after.status).toBe(401);
    const unknownRole = await admin('/v1/keys', { method: 'POST', json: { name: 'x', role: 'root' } });
    expect(unknownRole.status).toBe(400);
  });

  it('shows SMSC binds and messages to operators', async () => {
    const smsc = await readJson(await api.fetch('/v1/smsc', { key: api.keys.operator }));
    expect(smsc.binds[0]).toEqual(
      expect.objectContaining({ smscId: 'sim', state: 'bound', currentTps: null }),
    );
    await api.fetch('/v1/triggers/first-use', {
      method: 'POST',
      key: api.keys.network,
      json: { imsi: '001010000000301', msisdn: '491700000301', imei: testImei(301, '35216700') },
    });
    const view = await readJson(await api.fetch('/v1/subscribers/491700000301', { key: api.keys.care }));
    const provisioningId = view.timeline[0].id;
    await api.store.db.query(
      `INSERT INTO segments (provisioning_id, segment_number, smsc, message_id, submit_status, receipt_state, receipt_at)
       VALUES ($1, 1, 'sim', 'abc', 'submitted', 'DELIVRD', now()), ($1, 2, 'sim', 'abd', 'rejected', NULL, NULL)`,
      [provisioningId],
    );
    const delivered = await readJson(
      await api.fetch('/v1/messages?state=delivered', { key: api.keys.operator }),
    );
    expect(delivered.messages.map((m: { messageId: string }) => m.messageId)).toEqual(['abc']);
    const since = await readJson(
      await api.fetch(
        `/v1/messages?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
        { key: api.keys.operator },
      ),
    );
    expect(since.messages).toEqual([]);
  });

  it('streams events over SSE', async () => {
    const controller = new AbortController();
    const response = await api.fetch('/v1/events?types=segment.receipt', {
      key: api.keys.operator,
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const receipt = {
      type: 'segment.receipt' as const,
      provisioningId: '00000000-0000-4000-8000-000000000009',
      segmentNumber: 1,
      smscId: 'sim',
      messageId: 'm-1',
      state: 'delivered',
      at: new Date().toISOString(),
    };
    // Published once the stream is open; an event of a type not asked for is filtered out.
    setTimeout(() => {
      api.context.events.publish({
        type: 'smsc.bind-state',
        smscId: 'sim',
        bindId: 'b',
        state: 'bound',
        at: receipt.at,
      });
      api.context.events.publish(receipt);
    }, 20);
    while (!text.includes('event: segment.receipt')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).not.toContain('smsc.bind-state');
    const data = text.split('\n').find((line) => line.startsWith('data: '))!;
    expect(JSON.parse(data.slice(6))).toEqual(receipt);
  });

  it('reports readiness and metrics', async () => {
    const ready = await readJson(await api.fetch('/readyz'));
    expect(ready.status).toBe('ready');
    const metrics = await api.fetch('/metrics');
    expect(await metrics.text()).toContain('otagw_');
  });
});

describe('not ready without an SMSC bind', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ binds: [] });
  });
  afterAll(async () => {
    await api?.close();
  });
  it('answers 503 NOT_READY naming smsc', async () => {
    const response = await api.fetch('/readyz');
    expect(response.status).toBe(503);
    expect((await readJson(response)).error.details.checks.smsc.ok).toBe(false);
  });
});

describe('readiness in the api role (no SMSC connector in the process)', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ binds: null });
  });
  afterAll(async () => {
    await api?.close();
  });
  it('is ready on Redis and the store alone', async () => {
    const ready = await readJson(await api.fetch('/readyz'));
    expect(ready.status).toBe('ready');
    expect(ready.checks.smsc.detail).toMatch(/api role/);
  });
});

describe('on both stores', () => {
  forEachStore(({ kind }) => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await startApi({ store: kind, seed: true });
    });
    afterAll(async () => {
      await api?.close();
    });
    it('queues a first use, reads the timeline and audits both', async () => {
      const trigger = await api.fetch('/v1/triggers/first-use', {
        method: 'POST',
        key: api.keys.network,
        json: { imsi: '001010000000401', msisdn: '491700000401', imei: testImei(401, '35216700') },
      });
      expect(trigger.status).toBe(202);
      const timeline = await readJson(
        await api.fetch('/v1/subscribers/491700000401', { key: api.keys.care }),
      );
      expect(timeline.timeline).toHaveLength(1);
      const audit = await api.store.db.query<{ action: string }>('SELECT action FROM audit_log ORDER BY id');
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['triggers.firstUse', 'subscribers.timeline']),
      );
    });
  });
});
