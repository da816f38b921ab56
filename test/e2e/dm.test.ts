/**
 * OMA DM end to end (issue #16): the gateway's DM server against the simulator's virtual DM handset
 * (src/smsc-sim/dm-handset.ts, a client written from the specification), on both stores. A CP push with
 * w7 goes over real SMPP; the handset takes the account from it; POST /v1/dm/sessions sends the
 * notification (package #0) through the pipeline; the handset verifies it and calls in over real HTTP —
 * through a round-robin proxy in front of two app instances on one Redis, so one session is served by
 * both. Device report with history, a silent APN Replace, FUMO success and failure by Generic Alert,
 * wrong credentials, and a session over several messages.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { DmServer } from '../../src/dm/server.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { findDeviceModel } from '../../src/store/repositories/devices.ts';
import { APN_URI, FUMO_ROOT } from '../../src/smsc-sim/dm-tree.ts';
import type { DmDeviceSettings } from '../../src/smsc-sim/dm-handset.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  FINAL,
  TAC,
  TEST_REDIS_URL,
  imeiWith,
  startHarness,
  uniqueSubscriber,
  type Harness,
} from '../provisioning/harness.ts';
import { readJson, type LooseJson } from '../http/support/api-harness.ts';

const SERVER_ID = 'otagw-e2e-dm';

/** Forwards each request to the next backend in turn: two api processes behind one address. */
function roundRobin(backends: string[]): Promise<{ url: string; served: number[]; close(): void }> {
  const served = backends.map(() => 0);
  let next = 0;
  const proxy: Server = createServer((incoming, outgoing) => {
    const index = next++ % backends.length;
    served[index]++;
    const target = new URL(incoming.url ?? '/', backends[index]);
    const forwarded = request(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  return new Promise((resolve) =>
    proxy.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        served,
        close: () => {
          proxy.closeAllConnections();
          proxy.close();
        },
      }),
    ),
  );
}

describeEachStore('OMA DM with the virtual handset (%s store)', (kind) => {
  let h: Harness;
  const servers: Server[] = [];
  const redises: Redis[] = [];
  let proxy: Awaited<ReturnType<typeof roundRobin>>;
  let keys: { admin: string; care: string };
  let serial = 0;

  beforeAll(async () => {
    h = await startHarness(kind);
    // the worker composing the w7 pushes seals the accounts with this key: every process shares it
    const config = h.config;
    const logger = createLogger({ level: 'silent' });
    const context: AppContext = {
      config,
      db: h.store.db,
      logger,
      provisioning: h.service,
      events: h.events,
      queues: { ping: () => h.queue.ping(), counts: () => h.queue.counts() },
      smsc: h.connector,
      metrics: h.metrics.registry,
    };
    const urls: string[] = [];
    for (let instance = 0; instance < 2; instance++) {
      // each app its own Redis connection and DmServer, as two processes would have
      const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
      redises.push(redis);
      const dm = await DmServer.create({ db: h.store.db, logger, config, redis, provisioning: h.service });
      const server = await new Promise<Server>((resolve) => {
        const listening = createApp(context, { dm }).listen(0, '127.0.0.1', () => resolve(listening));
      });
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    proxy = await roundRobin(urls);
    keys = {
      admin: (await createApiKey(h.store.db, { name: 'dm-admin', role: 'admin' })).key,
      care: (await createApiKey(h.store.db, { name: 'dm-care', role: 'care' })).key,
    };
  }, 60_000);

  afterAll(async () => {
    proxy?.close();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    for (const redis of redises) redis.disconnect();
    await h?.close();
  });

  async function api(method: string, path: string, key: string, body?: unknown) {
    const response = await fetch(proxy.url + path, {
      method,
      headers: {
        Authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await readJson(response)) as LooseJson };
  }

  /** A subscriber on a Nokia N95 that is DM-capable in the simulator, bootstrapped by a CP push with w7. */
  async function bootstrappedHandset(settings: Partial<DmDeviceSettings> = {}) {
    serial += 1;
    const subscriber = uniqueSubscriber();
    const imei = imeiWith(TAC.nokiaN95, 7000 + serial);
    await h.store.db.query(`INSERT INTO subscribers (imsi, msisdn, current_imei) VALUES ($1, $2, $3)`, [
      subscriber.imsi,
      subscriber.msisdn,
      imei,
    ]);
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    h.sim.dm().register(subscriber.msisdn, { imei, man: 'Nokia', mod: 'N95', fwV: '20.0.015', ...settings });
    const profile = `dm-e2e-${kind}-${serial}`;
    const created = await api('POST', '/v1/profiles', keys.admin, {
      name: profile,
      parameters: {
        name: 'Operator DM',
        connections: [{ id: 'GPRS1', bearer: 'GPRS', apn: 'internet.operator.example' }],
        // no credentials in the profile: composing the push makes the subscriber's own account
        dm: { serverId: SERVER_ID, name: 'Operator DM', url: `${proxy.url}/dm` },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const deviceId = `IMEI:${imei}`;
    const pushed = await pushProfile(subscriber.msisdn, profile);
    // the account composing the push made (origin cp-w7), the only one of the device
    const listed = await api('GET', `/v1/dm/accounts?deviceId=${encodeURIComponent(deviceId)}`, keys.admin);
    expect(listed.body.accounts, JSON.stringify(listed.body)).toEqual([
      expect.objectContaining({ deviceId, serverId: SERVER_ID, origin: 'cp-w7', state: 'active' }),
    ]);
    const account = listed.body.accounts[0];
    // the handset took exactly that account from the w7 APPLICATION (APPSRV = its own credentials, §4.5)
    const handset = h.sim.dm().view(subscriber.msisdn)!;
    expect(handset.accounts).toEqual([
      expect.objectContaining({
        serverId: SERVER_ID,
        clientName: account.clientAuth.name,
        serverName: account.serverAuth.name,
      }),
    ]);
    // and no secret of it in the provisioning's record
    const record = await api('GET', `/v1/provisionings/${pushed}`, keys.care);
    expect(JSON.stringify(record.body)).not.toContain(account.clientAuth.name);
    return { ...subscriber, imei, deviceId, profile, account, provisioningId: pushed };
  }

  async function pushProfile(msisdn: string, profile: string): Promise<string> {
    const pushed = await api('POST', '/v1/provisionings', keys.care, {
      msisdn,
      profile,
      reason: 'DM bootstrap',
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    const view = await h.waitForState(pushed.body.id, FINAL, 30_000);
    expect(view.state, JSON.stringify(view.events)).toBe('delivered');
    return pushed.body.id;
  }

  async function requestSession(msisdn: string, actions: unknown[]) {
    const queued = await api('POST', '/v1/dm/sessions', keys.care, { msisdn, actions, reason: 'e2e' });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    return queued.body;
  }

  async function deviceView(deviceId: string): Promise<LooseJson> {
    const shown = await api('GET', `/v1/dm/devices/${encodeURIComponent(deviceId)}`, keys.care);
    expect(shown.status, JSON.stringify(shown.body)).toBe(200);
    return shown.body;
  }

  async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it.each(['wbxml', 'xml'] as const)(
    'w7 push → account → notification → session (%s): device report with history, the APN replaced silently, served by both api instances',
    async (encoding) => {
      const handset = await bootstrappedHandset({ encoding });
      const before = [...proxy.served];
      const queued = await requestSession(handset.msisdn, [
        { replace: { target: APN_URI, data: 'internet.new.example' } },
      ]);
      const [report] = await h.sim.dm().waitForSessions(handset.msisdn, 1, 20_000);
      expect(report, JSON.stringify(report)).toMatchObject({
        outcome: 'completed',
        initiator: 'server',
        encoding,
        clientAuthenticated: true,
        serverAuthenticated: true,
      });
      // the package #0 session-id is the SessionID (docs/protocol.md §9.2)
      expect(report.sessionId).toBe(String(queued.dmSessionId).toUpperCase());
      expect(h.sim.dm().view(handset.msisdn)!.notifications[0].verdict).toBe('verified');
      // applied without the user: the tree has the new APN, the server recorded 200
      expect(h.sim.dm().tree(handset.msisdn)!.read(APN_URI)).toBe('internet.new.example');
      expect(report.commands).toEqual(
        expect.arrayContaining([{ cmd: 'Replace', target: APN_URI, status: '200' }]),
      );
      // one session, several HTTP exchanges, through both app instances
      expect(report.exchanges.length).toBeGreaterThanOrEqual(2);
      const served = proxy.served.map((count, index) => count - before[index]);
      expect(
        served.every((count) => count > 0),
        JSON.stringify(served),
      ).toBe(true);

      const device = await until('the session completed', async () => {
        const view = await deviceView(handset.deviceId);
        return view.sessions.some((session: LooseJson) => session.state === 'completed') ? view : undefined;
      });
      expect(device.devInfo).toMatchObject({ Man: 'Nokia', Mod: 'N95', DevId: handset.deviceId });
      expect(device.devDetail).toMatchObject({ FwV: '20.0.015' });
      const session = device.sessions.find((entry: LooseJson) => entry.state === 'completed');
      expect(session.commands).toEqual(
        expect.arrayContaining([expect.objectContaining({ cmd: 'Replace', target: APN_URI, code: '200' })]),
      );
      const reports = await api('GET', `/v1/devices/${handset.imei}/reports`, keys.care);
      expect(reports.status, JSON.stringify(reports.body)).toBe(200);
      expect(JSON.stringify(reports.body)).toContain('20.0.015');
    },
  );

  it.each([
    ['200', 'updated'],
    ['410', 'failed'],
  ])('FUMO DownloadAndUpdate ends in a Generic Alert %s: %s', async (code, outcome) => {
    // the firmware a successful update leaves the phone with (nothing is really downloaded)
    const handset = await bootstrappedHandset({
      fumoResultCode: code,
      fumoDelayMs: 100,
      updatedFwV: '21.0.004',
    });
    await requestSession(handset.msisdn, [
      {
        firmwareUpdate: { packageUrl: 'http://fw.example/n95-21.bin', version: '21.0.004', node: FUMO_ROOT },
      },
    ]);
    const [first, second] = await h.sim.dm().waitForSessions(handset.msisdn, 2, 20_000);
    expect(first.outcome, JSON.stringify(first)).toBe('completed');
    expect(first.commands).toEqual(
      expect.arrayContaining([
        { cmd: 'Replace', target: `${FUMO_ROOT}/DownloadAndUpdate/PkgURL`, status: '200' },
        { cmd: 'Exec', target: `${FUMO_ROOT}/DownloadAndUpdate`, status: '202' },
      ]),
    );
    // the result came in a new, client-initiated session and the server took it
    expect(second).toMatchObject({ initiator: 'client', outcome: 'completed' });
    expect(second.alertsDelivered).toEqual([
      expect.objectContaining({ resultCode: code, source: FUMO_ROOT }),
    ]);
    const exec = await until('the FUMO outcome', async () => {
      const view = await deviceView(handset.deviceId);
      const found = view.sessions
        .flatMap((session: LooseJson) => session.commands)
        .find((command: LooseJson) => command.cmd === 'Exec');
      return found && new RegExp(outcome).test(found.status) ? found : undefined;
    });
    expect(exec.status).toMatch(outcome);
    const fwV = h.sim.dm().tree(handset.msisdn)!.read('./DevDetail/FwV');
    expect(fwV).toBe(code === '200' ? '21.0.004' : '20.0.015');
    // the new firmware is what the next session reads, and the report history keeps both
    const device = await deviceView(handset.deviceId);
    expect(device.devDetail.FwV).toBe(fwV);
    const reports = await api('GET', `/v1/devices/${handset.imei}/reports`, keys.care);
    const firmwares = reports.body.reports.map((entry: LooseJson) => entry.properties.firmware);
    expect(firmwares.length).toBeGreaterThanOrEqual(2);
    expect(firmwares[0]).toBe(fwV);
    expect(firmwares).toContain('20.0.015');
  });

  it.each([
    ['1200', 'installed'],
    ['1405', 'failed (install failed, result 1405)'],
  ])(
    'SCOMO DownloadInstall ends in a Generic Alert %s: %s, and the next inventory shows the component',
    async (code, outcome) => {
      const handset = await bootstrappedHandset({ scomoResultCode: code, fumoDelayMs: 100 });
      await requestSession(handset.msisdn, [
        {
          softwareInstall: {
            packageUrl: 'http://apps.example/navigator-2.1.dd',
            name: 'Navigator',
            version: '2.1',
            id: 'nav21',
          },
        },
      ]);
      const [first, second] = await h.sim.dm().waitForSessions(handset.msisdn, 2, 20_000);
      expect(first.outcome, JSON.stringify(first)).toBe('completed');
      expect(first.commands).toEqual(
        expect.arrayContaining([
          { cmd: 'Add', target: './SCOMO/Download/nav21', status: '200' },
          { cmd: 'Add', target: './SCOMO/Download/nav21/PkgURL', status: '200' },
          { cmd: 'Exec', target: './SCOMO/Download/nav21/Operations/DownloadInstall', status: '202' },
        ]),
      );
      expect(second).toMatchObject({ initiator: 'client', outcome: 'completed' });
      expect(second.alertsDelivered).toEqual([
        expect.objectContaining({ resultCode: code, type: 'urn:oma:at:scomo:1.0:OperationComplete' }),
      ]);
      const exec = await until('the SCOMO outcome', async () => {
        const view = await deviceView(handset.deviceId);
        const found = view.sessions
          .flatMap((session: LooseJson) => session.commands)
          .find((command: LooseJson) => command.cmd === 'Exec');
        return found?.status === outcome ? found : undefined;
      });
      expect(exec.target).toBe('./SCOMO/Download/nav21/Operations/DownloadInstall');
      // the session that took the result read the inventory after the install: the report lists it or not
      const reports = await until('the report of the second session', async () => {
        const found = await api('GET', `/v1/devices/${handset.imei}/reports`, keys.care);
        return found.body.reports?.length >= 2 ? found.body.reports : undefined;
      });
      const software = reports[0].software.map((entry: LooseJson) => `${entry.name} ${entry.version}`);
      if (code === '1200') expect(software).toContain('Navigator 2.1');
      else expect(software).not.toContain('Navigator 2.1');
    },
  );

  it('refuses wrong client credentials: the handset gives up after the challenges, nothing is run', async () => {
    const handset = await bootstrappedHandset();
    const tree = h.sim.dm().tree(handset.msisdn)!;
    const secretUri = tree.view().find((node) => node.uri.match(/AppAuth\/cl\d+\/AAuthSecret$/))!.uri;
    tree.write(secretUri, 'not-the-secret-at-all');
    const report = await h.sim.dm().startSession(handset.msisdn);
    expect(report.outcome, JSON.stringify(report)).toBe('refused');
    expect(report.clientAuthenticated).toBe(false);
    expect(report.headerStatuses.every((status) => status === '401' || status === '407')).toBe(true);
    expect(report.commands).toEqual([]);
    // the server audited each refusal, without the credential itself
    const denied = await until('the audited refusals', async () => {
      const rows = await h.store.db.query<{ outcome: string; details: LooseJson }>(
        `SELECT outcome, details FROM audit_log WHERE action = 'dm.authenticate' AND subject_id = $1`,
        [handset.deviceId],
      );
      return rows.length >= 2 ? rows : undefined;
    });
    expect(denied.every((row) => row.outcome === 'denied')).toBe(true);
    expect(JSON.stringify(denied)).not.toContain('not-the-secret-at-all');
  });

  it('a resend reuses the account; a rotation reaches the handset with the next push; a preview makes none', async () => {
    const handset = await bootstrappedHandset();
    const accountsOf = async (deviceId: string) =>
      (
        await api(
          'GET',
          `/v1/dm/accounts?deviceId=${encodeURIComponent(deviceId)}&includeRevoked=true`,
          keys.admin,
        )
      ).body.accounts;
    const resend = async () => {
      const resent = await api('POST', `/v1/provisionings/${handset.provisioningId}/resend`, keys.care, {
        reason: 'settings again',
      });
      expect(resent.status, JSON.stringify(resent.body)).toBe(202);
      const view = await h.waitForState(resent.body.id ?? resent.body.provisioningId, FINAL, 30_000);
      expect(view.state, JSON.stringify(view.events)).toBe('delivered');
    };
    await resend();
    expect((await accountsOf(handset.deviceId)).map((account: LooseJson) => account.id)).toEqual([
      handset.account.id,
    ]);
    expect(h.sim.dm().view(handset.msisdn)!.accounts[0].clientName).toBe(handset.account.clientAuth.name);

    // new secrets on the server: the handset still holds the old ones (it refuses the server's Cred)
    const rotated = await api('POST', `/v1/dm/accounts/${handset.account.id}/rotate`, keys.admin, {});
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect((await h.sim.dm().startSession(handset.msisdn)).outcome).toMatch(/refused/);
    await resend();
    const tree = h.sim.dm().tree(handset.msisdn)!;
    const secretUri = tree.view().find((node) => node.uri.match(/AppAuth\/cl\d+\/AAuthSecret$/))!.uri;
    expect(tree.read(secretUri)).toBe(rotated.body.secrets.clientSecret);
    const report = await h.sim.dm().startSession(handset.msisdn);
    expect(report, JSON.stringify(report)).toMatchObject({
      outcome: 'completed',
      clientAuthenticated: true,
      serverAuthenticated: true,
    });

    // an admin's preview for another subscriber's handset: placeholders, no account
    const other = uniqueSubscriber();
    const imei = imeiWith(TAC.nokiaN95, 7900 + serial);
    await h.store.db.query(`INSERT INTO subscribers (imsi, msisdn, current_imei) VALUES ($1, $2, $3)`, [
      other.imsi,
      other.msisdn,
      imei,
    ]);
    const model = await findDeviceModel(h.store.db, 'Nokia', 'N95');
    const preview = await api(
      'GET',
      `/v1/profiles/${handset.profile}/versions/1/preview?model=${model!.id}&imsi=${other.imsi}`,
      keys.admin,
    );
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.xml).toContain('<parm name="AAUTHNAME" value="xxxxxxxxxxxxxxxx"/>');
    expect(await accountsOf(`IMEI:${imei}`)).toEqual([]);
  });

  it('runs a session over several messages when the handset takes small messages (MaxMsgSize 1024, Alert 1222)', async () => {
    const handset = await bootstrappedHandset({ maxMsgSize: 1024, encoding: 'xml' });
    const targets = [
      './DevDetail/OEM',
      './DevDetail/SwV',
      './DevDetail/HwV',
      './DevDetail/DevTyp',
      './DevInfo/Lang',
    ];
    await requestSession(handset.msisdn, [
      ...targets.map((target) => ({ get: { target } })),
      { replace: { target: APN_URI, data: 'many.messages.example' } },
    ]);
    const [report] = await h.sim.dm().waitForSessions(handset.msisdn, 1, 20_000);
    expect(report.outcome, JSON.stringify(report)).toBe('completed');
    // the server cut its package: the handset answered a message without Final, asking for the next
    expect(report.exchanges.some((exchange) => !exchange.final)).toBe(true);
    expect(report.exchanges.length).toBeGreaterThan(3);
    for (const target of targets) {
      expect(report.commands).toEqual(expect.arrayContaining([{ cmd: 'Get', target, status: '200' }]));
    }
    expect(h.sim.dm().tree(handset.msisdn)!.read(APN_URI)).toBe('many.messages.example');
  });
});
