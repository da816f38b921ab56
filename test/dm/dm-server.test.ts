/**
 * The DM server over real HTTP, a real store (both kinds) and real Redis, driven by a scripted client
 * (test/dm/support/scripted-client.ts): package 1 -> 2 -> 3 -> end in XML and WBXML, MD5 right and
 * wrong, server-initiated actions with a FUMO update, MaxMsgSize splitting, two app instances.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERT,
  buildHmacHeader,
  decodeNonce,
  decodeSyncMl,
  encodeSyncMl,
  verifyHmacHeader,
  type SyncMlCommand,
  type SyncMlMessage,
} from '../../codecs/syncml/index.ts';
import { DmServer } from '../../src/dm/server.ts';
import { createApp } from '../../src/http/app.ts';
import { producerConnection } from '../../src/queues/connection.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  readJson,
  REDIS_URL,
  startApi,
  testImei,
  type ApiHarness,
  type LooseJson,
} from '../http/support/api-harness.ts';
import { handsetTree, headerStatus, ScriptedDmClient } from './support/scripted-client.ts';

let seed = 710_000;

interface Handset {
  imei: string;
  msisdn: string;
  deviceId: string;
  account: LooseJson;
  secrets: { clientSecret: string; serverSecret: string };
}

async function registerHandset(
  h: ApiHarness,
  options: { subscriber?: boolean; accountMsisdn?: boolean } = {},
): Promise<Handset> {
  seed += 1;
  const imei = testImei(seed, '35685102');
  const msisdn = `4917${String(seed).padStart(8, '0')}`;
  if (options.subscriber !== false) {
    const created = await h.fetch('/v1/subscribers', {
      method: 'POST',
      key: h.keys.admin,
      json: { imsi: `26201${String(seed).padStart(10, '0')}`, msisdn, group: 'default', imei },
    });
    expect(created.status).toBe(201);
  }
  const response = await h.fetch('/v1/dm/accounts', {
    method: 'POST',
    key: h.keys.admin,
    json: {
      deviceId: `IMEI:${imei}`,
      serverId: 'dm.northwind.example',
      msisdn: options.accountMsisdn === false ? undefined : msisdn,
      clientAuth: { type: 'md5', name: `handset-${seed}` },
      serverAuth: { type: 'md5', name: 'dm.northwind.example' },
    },
  });
  expect(response.status).toBe(201);
  const body = await readJson(response);
  return { imei, msisdn, deviceId: `IMEI:${imei}`, account: body.account, secrets: body.secrets };
}

function clientFor(h: ApiHarness, handset: Handset, encoding: 'xml' | 'wbxml', extra = {}): ScriptedDmClient {
  return new ScriptedDmClient({
    url: `${h.url}/dm`,
    deviceId: handset.deviceId,
    encoding,
    name: handset.account.clientAuth.name,
    secret: handset.secrets.clientSecret,
    serverName: handset.account.serverAuth.name,
    serverSecret: handset.secrets.serverSecret,
    tree: handsetTree(handset.imei),
    ...extra,
  });
}

/** A Generic Alert with a FUMO result (docs/protocol-dm.md §2.6, §6.4). */
function fumoResult(code: string, mark: string, correlator?: string): SyncMlCommand {
  return {
    kind: 'Alert',
    cmdId: '',
    data: ALERT.GENERIC_ALERT,
    ...(correlator ? { correlator } : {}),
    items: [
      {
        source: { locUri: './FUMO/fw1' },
        meta: { type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', format: 'int', mark },
        data: code,
      },
    ],
  };
}

const commandsOf = (message: SyncMlMessage, kind: string) =>
  message.body.commands.filter((command) => command.kind === kind);

describeEachStore('the DM server (%s store)', (kind) => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApi({ store: kind, seed: true, dm: true });
  });
  afterAll(() => h?.close());

  for (const encoding of ['xml', 'wbxml'] as const) {
    it(`runs a client-initiated session in ${encoding}: DevInfo and DevDetail read, stored as a device report, the model added unverified`, async () => {
      const handset = await registerHandset(h);
      const client = clientFor(h, handset, encoding, {
        contentType: encoding === 'wbxml' ? 'application/vnd.syncml+wbxml' : 'application/vnd.syncml+xml',
      });
      // no nonce yet: the first md5 Cred is built with the empty nonce the account starts with
      const messages = await client.runSession('1');
      expect(
        client.exchanges.every((exchange) => exchange.contentType?.includes(`syncml.dm+${encoding}`)),
      ).toBe(true);
      expect(headerStatus(messages[0])!.data).toBe('212');
      // a fresh NextNonce for the next session comes with 212 (docs/protocol-dm.md §4.2)
      expect(headerStatus(messages[0])!.chal?.meta.nextNonce).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const gets = commandsOf(messages[0], 'Get').map((get) => (get as LooseJson).items[0].target.locUri);
      expect(gets).toEqual(
        expect.arrayContaining(['./DevDetail/FwV', './DevDetail/HwV', './SCOMO/Inventory/Deployed']),
      );
      expect(gets).not.toContain('./DevInfo/Man'); // package 1 carried it
      const last = messages.at(-1)!;
      expect(last.body.final).toBe(true);
      expect(commandsOf(last, 'Get')).toHaveLength(0);
      expect(client.serverCredOk.every(Boolean)).toBe(true);

      const reports = await readJson(
        await h.fetch(`/v1/devices/${handset.imei}/reports`, { key: h.keys.care }),
      );
      expect(reports.reports[0]).toMatchObject({
        source: 'dm-session',
        properties: {
          manufacturer: 'Nokia',
          model: 'E71',
          firmware: '100.07.76',
          hardware: '0560',
          language: 'en-GB',
        },
      });
      const device = await readJson(
        await h.fetch(`/v1/dm/devices/${encodeURIComponent(handset.deviceId)}`, { key: h.keys.care }),
      );
      expect(device.account).toMatchObject({ deviceId: handset.deviceId, state: 'active' });
      expect(JSON.stringify(device)).not.toContain(handset.secrets.clientSecret);
      expect(device.devDetail).toMatchObject({ FwV: '100.07.76', OEM: 'Nokia' });
      expect(device.sessions[0]).toMatchObject({ state: 'completed', initiator: 'client', dmSessionId: '1' });
      const models = await readJson(await h.fetch('/v1/devices?status=unverified', { key: h.keys.admin }));
      expect(JSON.stringify(models)).toContain('E71');
    });
  }

  it('ties a device to its subscriber by the IMEI of its DevId, and shows it in the subscriber timeline', async () => {
    const handset = await registerHandset(h, { accountMsisdn: false });
    expect(handset.account.subscriberId).toBeNull();
    await clientFor(h, handset, 'xml').runSession('4');
    const accounts = await readJson(
      await h.fetch(`/v1/dm/accounts?deviceId=${encodeURIComponent(handset.deviceId)}`, {
        key: h.keys.admin,
      }),
    );
    expect(accounts.accounts[0]).toMatchObject({ msisdn: handset.msisdn });
    expect(accounts.accounts[0].subscriberId).toBeTruthy();
    const timeline = await readJson(await h.fetch(`/v1/subscribers/${handset.msisdn}`, { key: h.keys.care }));
    expect(timeline.dm).toHaveLength(1);
    expect(timeline.dm[0]).toMatchObject({ deviceId: handset.deviceId, devInfo: { Mod: 'E71' } });
    expect(timeline.dm[0].sessions[0]).toMatchObject({ state: 'completed' });
    expect(JSON.stringify(timeline)).not.toContain(handset.secrets.serverSecret);
  });

  it('reads the SCOMO inventory into the report software list when the handset has one', async () => {
    const handset = await registerHandset(h);
    const client = clientFor(h, handset, 'xml');
    Object.assign(client.options.tree, {
      './SCOMO/Inventory/Deployed': 'app1/app2',
      './SCOMO/Inventory/Deployed/app1/Name': 'Maps',
      './SCOMO/Inventory/Deployed/app1/Version': '3.1',
      './SCOMO/Inventory/Deployed/app1/State': '20',
      './SCOMO/Inventory/Deployed/app2/Name': 'Mail',
      './SCOMO/Inventory/Deployed/app2/Version': '2.0',
    });
    await client.runSession('2');
    const reports = await readJson(
      await h.fetch(`/v1/devices/${handset.imei}/reports`, { key: h.keys.care }),
    );
    expect(reports.reports[0].software).toEqual(
      expect.arrayContaining([
        { name: 'Maps', version: '3.1' },
        { name: 'Mail', version: '2.0' },
      ]),
    );
  });

  it('refuses a wrong md5 secret with 401, a Chal and a fresh nonce for every command; the right one then gets 212', async () => {
    const handset = await registerHandset(h);
    const wrong = clientFor(h, handset, 'xml', { secret: 'not-the-secret' });
    const first = await wrong.post(wrong.packageOne(ALERT.CLIENT_INITIATED_MGMT));
    const status = headerStatus(first)!;
    expect(status.data).toBe('401');
    expect(status.chal?.meta).toMatchObject({ type: 'syncml:auth-md5', format: 'b64' });
    const nonce = status.chal!.meta.nextNonce!;
    expect(commandsOf(first, 'Status').map((command) => (command as LooseJson).data)).toEqual([
      '401',
      '401',
      '401',
    ]);
    expect(commandsOf(first, 'Get')).toHaveLength(0);
    const second = await wrong.post(wrong.packageOne(ALERT.CLIENT_INITIATED_MGMT));
    expect(headerStatus(second)!.chal!.meta.nextNonce).not.toBe(nonce);

    // the right secret with the nonce of the last challenge, in the same session
    const right = clientFor(h, handset, 'xml');
    right.nonce = new Uint8Array(Buffer.from(headerStatus(second)!.chal!.meta.nextNonce!, 'base64'));
    const messages = await right.runSession('1');
    expect(headerStatus(messages[0])!.data).toBe('212');

    const mine = await listAudit(h.context.db, { action: 'dm.authenticate', subjectId: handset.deviceId });
    expect(mine).toHaveLength(2);
    expect(mine[0]).toMatchObject({ outcome: 'denied', details: { code: '401' } });
    expect(JSON.stringify(mine)).not.toContain(handset.secrets.clientSecret);
  });

  it('refuses a device after dm.failureLimit wrong credentials, even with the right one, and audits each', async () => {
    const handset = await registerHandset(h);
    const wrong = clientFor(h, handset, 'xml', { secret: 'wrong-wrong' });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const answer = await wrong.post(wrong.packageOne(ALERT.CLIENT_INITIATED_MGMT));
      expect(headerStatus(answer)!.data).toBe('401');
    }
    const right = clientFor(h, handset, 'xml');
    const messages = await right.runSession('9');
    expect(headerStatus(messages[0])!.data).toBe('401');
    const mine = await listAudit(h.context.db, { action: 'dm.authenticate', subjectId: handset.deviceId });
    expect(mine.length).toBeGreaterThanOrEqual(6);
    expect(mine.some((entry) => String(entry.details.reason).includes('refused for now'))).toBe(true);
  });

  it('authenticates an HMAC account by x-syncml-hmac on every message (200 with a new nonce each time) and signs its answers', async () => {
    seed += 1;
    const deviceId = `IMEI:${testImei(seed, '35685102')}`;
    const created = await readJson(
      await h.fetch('/v1/dm/accounts', {
        method: 'POST',
        key: h.keys.admin,
        json: {
          deviceId,
          serverId: 'dm.northwind.example',
          clientAuth: { type: 'hmac', name: 'hmac-handset', secret: 'hmac-client-secret' },
          serverAuth: { type: 'hmac', name: 'dm.northwind.example', secret: 'hmac-server-secret' },
        },
      }),
    );
    expect(created.account.clientAuth.type).toBe('hmac');
    const client = new ScriptedDmClient({
      url: `${h.url}/dm`,
      deviceId,
      encoding: 'xml',
      name: 'hmac-handset',
      secret: 'hmac-client-secret',
      serverName: 'dm.northwind.example',
      serverSecret: 'hmac-server-secret',
      tree: handsetTree(deviceId.slice(5)),
    });
    const post = async (nonce: Uint8Array, secret = 'hmac-client-secret') => {
      const body = encodeSyncMl(client.packageOne(ALERT.CLIENT_INITIATED_MGMT, [], false), 'xml');
      const response = await fetch(`${h.url}/dm`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/vnd.syncml.dm+xml',
          'x-syncml-hmac': buildHmacHeader('hmac-handset', secret, nonce, body),
        },
        body: Buffer.from(body),
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        message: decodeSyncMl(bytes, 'application/vnd.syncml.dm+xml').message,
        bytes,
        hmac: response.headers.get('x-syncml-hmac'),
      };
    };
    const first = await post(new Uint8Array(0));
    expect(headerStatus(first.message)!.data).toBe('200');
    const nonce = decodeNonce(headerStatus(first.message)!.chal!.meta.nextNonce!);
    expect(
      verifyHmacHeader(
        first.hmac!,
        { name: 'dm.northwind.example', password: 'hmac-server-secret', nonce: new Uint8Array(0) },
        first.bytes,
      ),
    ).toBe(true);
    const wrong = await post(nonce, 'not-the-secret');
    expect(headerStatus(wrong.message)!.data).toBe('401');
  });

  it('answers a handset without credentials 407, and a device without an account 401', async () => {
    const handset = await registerHandset(h);
    const client = clientFor(h, handset, 'wbxml');
    const answer = await client.post(client.packageOne(ALERT.CLIENT_INITIATED_MGMT, [], false));
    expect(headerStatus(answer)!.data).toBe('407');
    expect(headerStatus(answer)!.chal!.meta.nextNonce).toBeTruthy();
    const stranger = clientFor(h, { ...handset, deviceId: 'IMEI:000000000000000' }, 'xml');
    const refused = await stranger.post(stranger.packageOne(ALERT.CLIENT_INITIATED_MGMT));
    expect(headerStatus(refused)!.data).toBe('401');
  });

  it('runs queued actions when the handset answers the notification: a silent APN Replace and a FUMO update followed to updated', async () => {
    const handset = await registerHandset(h);
    const queued = await h.fetch('/v1/dm/sessions', {
      method: 'POST',
      key: h.keys.care,
      json: {
        msisdn: handset.msisdn,
        reason: 'new APN and firmware',
        actions: [
          { replace: { target: './Vendor/Conn/APN', data: 'internet.northwind' } },
          {
            firmwareUpdate: {
              packageUrl: 'https://fw.example/e71-110.bin',
              version: '110.0',
              node: './FUMO/fw1',
            },
          },
        ],
      },
    });
    expect(queued.status).toBe(202);
    const session = await readJson(queued);
    expect(session).toMatchObject({ state: 'queued', deviceId: handset.deviceId });
    expect(session.commands).toEqual([
      { cmd: 'Replace', target: './Vendor/Conn/APN' },
      { cmd: 'Replace', target: './FUMO/fw1/DownloadAndUpdate/PkgURL' },
      { cmd: 'Exec', target: './FUMO/fw1/DownloadAndUpdate' },
    ]);
    const provisioning = await readJson(
      await h.fetch(`/v1/provisionings/${session.provisioningId}`, { key: h.keys.care }),
    );
    expect(provisioning.content).toMatchObject({ kind: 'dm-notification', sessionId: session.dmSessionId });

    const client = clientFor(h, handset, 'wbxml');
    const messages = await client.runSession(session.dmSessionId, ALERT.SERVER_INITIATED_MGMT);
    expect(commandsOf(messages[0], 'Sequence')).toHaveLength(1); // the PkgURL before the Exec
    expect(client.options.tree['./Vendor/Conn/APN']).toBe('internet.northwind');
    expect(client.executed.map((step) => step.cmd + ' ' + step.target)).toContain(
      'Exec ./FUMO/fw1/DownloadAndUpdate',
    );

    let device = await readJson(
      await h.fetch(`/v1/dm/devices/${encodeURIComponent(handset.deviceId)}`, { key: h.keys.admin }),
    );
    // the queued session the notification named is the one that ran
    const run = device.sessions.find((entry: LooseJson) => entry.id === session.id);
    expect(run).toMatchObject({ state: 'completed', initiator: 'server', dmSessionId: session.dmSessionId });
    expect(run.startedAt).not.toBeNull();
    const exec = run.commands.find((command: LooseJson) => command.cmd === 'Exec');
    expect(exec).toMatchObject({ code: '202', status: 'accepted: waiting for the result' });
    expect(run.commands.find((command: LooseJson) => command.target === './Vendor/Conn/APN')).toMatchObject({
      code: '200',
      status: 'ok',
    });

    // later the handset reports the result in a session of its own (docs/protocol-dm.md §6.4)
    const alert = fumoResult('200', 'informational');
    client.options.tree['./DevDetail/FwV'] = '110.0';
    await client.runSession('A1', ALERT.CLIENT_INITIATED_MGMT, [alert]);
    device = await readJson(
      await h.fetch(`/v1/dm/devices/${encodeURIComponent(handset.deviceId)}`, { key: h.keys.care }),
    );
    const updated = device.sessions
      .flatMap((entry: LooseJson) => entry.commands)
      .find((command: LooseJson) => command.cmd === 'Exec');
    expect(updated.status).toBe('updated');
    expect(device.devDetail.FwV).toBe('110.0');
  });

  it('follows a failed FUMO update to failed (reason) by the Correlator of the Exec', async () => {
    const handset = await registerHandset(h);
    const session = await readJson(
      await h.fetch('/v1/dm/sessions', {
        method: 'POST',
        key: h.keys.admin,
        json: {
          msisdn: handset.msisdn,
          actions: [
            { firmwareUpdate: { packageUrl: 'https://fw.example/x.bin', version: '2', node: './FUMO/fw1' } },
          ],
        },
      }),
    );
    const client = clientFor(h, handset, 'xml');
    const messages = await client.runSession(session.dmSessionId, ALERT.SERVER_INITIATED_MGMT);
    const sequence = commandsOf(messages[0], 'Sequence')[0] as LooseJson;
    const correlator = sequence.commands.find((command: LooseJson) => command.kind === 'Exec').correlator;
    expect(correlator).toMatch(/^[0-9a-f]{16}$/);
    await client.runSession('B2', ALERT.CLIENT_INITIATED_MGMT, [fumoResult('402', 'critical', correlator)]);
    const device = await readJson(
      await h.fetch(`/v1/dm/devices/${encodeURIComponent(handset.deviceId)}`, { key: h.keys.care }),
    );
    const exec = device.sessions
      .flatMap((entry: LooseJson) => entry.commands)
      .find((command: LooseJson) => command.cmd === 'Exec');
    expect(exec.status).toBe('failed (corrupted firmware package, result 402)');
  });

  for (const [encoding, maxMsgSize] of [
    ['xml', 1200],
    ['wbxml', 560],
  ] as const) {
    it(`splits a package that exceeds the handset MaxMsgSize (${encoding}, ${maxMsgSize}): messages without Final until the last`, async () => {
      const handset = await registerHandset(h);
      const client = clientFor(h, handset, encoding, { maxMsgSize });
      const messages = await client.runSession('3');
      const withGets = messages.filter((message) => commandsOf(message, 'Get').length > 0);
      expect(withGets.length).toBeGreaterThan(1);
      for (const message of withGets.slice(0, -1)) expect(message.body.final).toBe(false);
      expect(withGets.at(-1)!.body.final).toBe(true);
      for (const exchange of client.exchanges) expect(exchange.bytes).toBeLessThanOrEqual(maxMsgSize);
      const device = await readJson(
        await h.fetch(`/v1/dm/devices/${encodeURIComponent(handset.deviceId)}`, { key: h.keys.care }),
      );
      expect(device.devDetail).toMatchObject({
        DevTyp: 'phone',
        OEM: 'Nokia',
        FwV: '100.07.76',
        SwV: '100.07.76',
        HwV: '0560',
      });
      expect(device.sessions[0].state).toBe('completed');
    });
  }

  it('sends data larger than the handset MaxMsgSize as a large object: chunks with MoreData, Size in the first, 213 until the last', async () => {
    const handset = await registerHandset(h);
    const descriptor = `<media xmlns="http://www.openmobilealliance.org/xmlns/dd">${'<objectURI>https://dl.example/app.jar</objectURI>'.repeat(60)}</media>`;
    const queued = await readJson(
      await h.fetch('/v1/dm/sessions', {
        method: 'POST',
        key: h.keys.care,
        json: {
          msisdn: handset.msisdn,
          actions: [
            {
              replace: {
                target: './Vendor/Descriptor',
                data: descriptor,
                type: 'application/vnd.oma.dd+xml',
              },
            },
          ],
        },
      }),
    );
    const client = clientFor(h, handset, 'xml', { maxMsgSize: 1200 });
    client.options.tree['./Vendor/Descriptor'] = '';
    await client.runSession(queued.dmSessionId, ALERT.SERVER_INITIATED_MGMT);
    expect(client.options.tree['./Vendor/Descriptor']).toBe(descriptor);
    expect(client.chunked).toEqual([{ target: './Vendor/Descriptor', size: Buffer.byteLength(descriptor) }]);
    for (const exchange of client.exchanges) expect(exchange.bytes).toBeLessThanOrEqual(1200);
    const device = await readJson(
      await h.fetch(`/v1/dm/devices/${encodeURIComponent(handset.deviceId)}`, { key: h.keys.care }),
    );
    const replace = device.sessions
      .flatMap((entry: LooseJson) => entry.commands)
      .find((command: LooseJson) => command.target === './Vendor/Descriptor');
    expect(replace).toMatchObject({ code: '200', status: 'ok' });
  });

  it('serves one session from two app instances sharing Redis, package after package alternately', async () => {
    const redis = producerConnection({ url: REDIS_URL });
    const second = await DmServer.create({
      db: h.context.db,
      logger: h.context.logger,
      config: h.context.config,
      redis,
      provisioning: h.context.provisioning,
      box: h.dm!.box,
    });
    const app = createApp(h.context, { dm: second });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const otherUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dm`;
      const handset = await registerHandset(h);
      const client = clientFor(h, handset, 'xml', { maxMsgSize: 1200 });
      const messages = await client.runSession(
        '5',
        ALERT.CLIENT_INITIATED_MGMT,
        [],
        [`${h.url}/dm`, otherUrl],
      );
      // only the first message authenticates: the others are served from the state the other process saved
      expect(headerStatus(messages[0])!.data).toBe('212');
      expect(messages.length).toBeGreaterThanOrEqual(3);
      for (const message of messages.slice(1)) expect(headerStatus(message)!.data).toBe('200');
      const device = await readJson(
        await h.fetch(`/v1/dm/devices/${encodeURIComponent(handset.deviceId)}`, { key: h.keys.care }),
      );
      expect(device.sessions).toHaveLength(1);
      expect(device.sessions[0].state).toBe('completed');
      expect(device.devDetail.FwV).toBe('100.07.76');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    }
  });

  it('refuses bodies that are not SyncML with 400 naming the body, and other methods with 405', async () => {
    const bad = await fetch(`${h.url}/dm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.syncml.dm+xml' },
      body: '<SyncML><SyncHdr>',
    });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).error).toMatchObject({
      code: 'SYNCML_UNREADABLE',
      details: { field: 'body' },
    });
    const json = await fetch(`${h.url}/dm`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    expect((await fetch(`${h.url}/dm`)).status).toBe(405);
  });
});

describe('DM accounts API', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApi({ dm: true });
  });
  afterAll(() => h?.close());

  it('shows secrets once, lists without them, rotates (the old secret refused) and revokes', async () => {
    const created = await readJson(
      await h.fetch('/v1/dm/accounts', {
        method: 'POST',
        key: h.keys.admin,
        json: {
          deviceId: 'IMEI:356851020000018',
          serverId: 'dm.example',
          clientAuth: { type: 'md5', name: 'h1', secret: 'client-secret-1' },
          serverAuth: { type: 'md5', name: 'dm.example' },
        },
      }),
    );
    expect(created.secrets.clientSecret).toBe('client-secret-1');
    expect(created.secrets.serverSecret.length).toBeGreaterThanOrEqual(16);
    const listed = await h.fetch('/v1/dm/accounts', { key: h.keys.admin });
    const text = await listed.text();
    expect(text).toContain('IMEI:356851020000018');
    expect(text).not.toContain('client-secret-1');
    expect(text).not.toContain(created.secrets.serverSecret);

    const rotated = await readJson(
      await h.fetch(`/v1/dm/accounts/${created.account.id}/rotate`, {
        method: 'POST',
        key: h.keys.admin,
        json: { server: false },
      }),
    );
    expect(rotated.secrets.clientSecret).toBeTruthy();
    expect(rotated.secrets.serverSecret).toBeUndefined();
    const handset = {
      imei: '356851020000018',
      msisdn: '',
      deviceId: 'IMEI:356851020000018',
      account: created.account,
      secrets: { clientSecret: 'client-secret-1', serverSecret: created.secrets.serverSecret },
    };
    const old = clientFor(h, handset, 'xml');
    expect(headerStatus(await old.post(old.packageOne(ALERT.CLIENT_INITIATED_MGMT)))!.data).toBe('401');
    const fresh = clientFor(
      h,
      { ...handset, secrets: { ...handset.secrets, clientSecret: rotated.secrets.clientSecret } },
      'xml',
    );
    // its first Cred uses no nonce, refused; it takes the challenge's nonce and is accepted (§4.2)
    const retry = await fresh.runSession('7');
    expect(headerStatus(retry[0])!.data).toBe('401');
    expect(headerStatus(retry[1])!.data).toBe('212');
    expect(retry.at(-1)!.body.final).toBe(true);

    const revoked = await h.fetch(`/v1/dm/accounts/${created.account.id}`, {
      method: 'DELETE',
      key: h.keys.admin,
    });
    expect((await readJson(revoked)).state).toBe('revoked');
    expect(
      (await h.fetch(`/v1/dm/accounts/${created.account.id}`, { method: 'DELETE', key: h.keys.admin }))
        .status,
    ).toBe(404);
  });

  it('refuses mistakes with 400 naming the field, and other roles with 403', async () => {
    const bad = await h.fetch('/v1/dm/accounts', {
      method: 'POST',
      key: h.keys.admin,
      json: {
        deviceId: 'IMEI:1',
        serverId: 'x',
        clientAuth: { type: 'digest', name: 'a' },
        serverAuth: { type: 'md5', name: 'b' },
      },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await readJson(bad))).toContain('body.clientAuth.type');
    expect((await h.fetch('/v1/dm/accounts', { key: h.keys.care })).status).toBe(403);
    expect((await h.fetch('/v1/dm/devices/IMEI%3A1', { key: h.keys.network })).status).toBe(403);
    expect((await h.fetch('/v1/dm/devices/IMEI%3A1', { key: h.keys.care })).status).toBe(404);
    const noAccount = await h.fetch('/v1/dm/sessions', {
      method: 'POST',
      key: h.keys.care,
      json: { msisdn: '491701234567', actions: [{ get: { target: './DevDetail/FwV' } }] },
    });
    expect(noAccount.status).toBe(404);
    const badAction = await h.fetch('/v1/dm/sessions', {
      method: 'POST',
      key: h.keys.care,
      json: {
        msisdn: '491701234567',
        actions: [{ firmwareUpdate: { packageUrl: 'ftp://x', version: '1' } }],
      },
    });
    expect(badAction.status).toBe(400);
  });
});
