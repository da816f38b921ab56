/**
 * POST /v1/dm/sessions sends the DM notification (package #0, docs/protocol.md §9.2) as a WAP push
 * through the provisioning pipeline: a worker over real SMPP to the simulator, whose handset receives it
 * on port 2948 as application/vnd.syncml.notification; the package names the queued SessionID and is
 * signed with the account's server secret. Both stores, real Redis.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeDmNotification, verifyDmNotification } from '../../codecs/dm/notification.ts';
import type { Redis } from 'ioredis';
import type { AppContext } from '../../src/app-context.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { DmSecretBox } from '../../src/dm/secrets.ts';
import { DmServer } from '../../src/dm/server.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { producerConnection } from '../../src/queues/connection.ts';
import { randomBytes } from 'node:crypto';
import { describeEachStore } from '../support/stores.ts';
import {
  FINAL,
  imeiWith,
  startHarness,
  TEST_REDIS_URL,
  uniqueSubscriber,
  type Harness,
} from '../provisioning/harness.ts';
import { readJson, type LooseJson } from '../http/support/api-harness.ts';

/** config/devices.csv: a catalogue model, so the worker resolves the handset. */
const NOKIA_6230I = '35216700';

describeEachStore('the DM notification push (%s store)', (kind) => {
  let h: Harness;
  let server: Server;
  let redis: Redis;
  let url: string;
  let adminKey: string;

  beforeAll(async () => {
    h = await startHarness(kind);
    redis = producerConnection({ url: TEST_REDIS_URL });
    const logger = createLogger({ level: 'silent' });
    const context: AppContext = {
      config: h.config,
      db: h.store.db,
      logger,
      provisioning: h.service,
      events: h.events,
      queues: { ping: () => h.queue.ping(), counts: () => h.queue.counts() },
      smsc: h.connector,
      metrics: h.metrics.registry,
    };
    const dm = await DmServer.create({
      db: h.store.db,
      logger,
      config: { dm: h.config.dm, redis: { ...h.config.redis, prefix: h.prefix } },
      redis,
      provisioning: h.service,
      box: new DmSecretBox(randomBytes(32)),
    });
    server = await new Promise((resolve) => {
      const listening = createApp(context, { dm }).listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    adminKey = (await createApiKey(h.store.db, { name: 'dm-admin', role: 'admin' })).key;
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    redis?.disconnect();
    await h?.close();
  });

  const call = async (path: string, json?: unknown): Promise<{ status: number; body: LooseJson }> => {
    const response = await fetch(url + path, {
      method: json === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return { status: response.status, body: await readJson(response) };
  };

  it('pushes package #0 to the handset over SMPP, naming the queued session, signed with the server secret', async () => {
    const subscriber = uniqueSubscriber();
    const imei = imeiWith(NOKIA_6230I, 4242);
    await h.store.db.query(`INSERT INTO subscribers (imsi, msisdn, current_imei) VALUES ($1, $2, $3)`, [
      subscriber.imsi,
      subscriber.msisdn,
      imei,
    ]);
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    // the nonce the handset holds for the server (AAUTHDATA of the CLIENT level): 4 zero octets
    const account = await call('/v1/dm/accounts', {
      deviceId: `IMEI:${imei}`,
      serverId: 'dm.northwind.example',
      msisdn: subscriber.msisdn,
      clientAuth: { type: 'md5', name: 'handset' },
      serverAuth: {
        type: 'md5',
        name: 'dm.northwind.example',
        secret: 'server-secret-42',
        nonce: 'AAAAAA==',
      },
    });
    expect(account.status, JSON.stringify(account.body)).toBe(201);

    const queued = await call('/v1/dm/sessions', {
      msisdn: subscriber.msisdn,
      actions: [{ get: { target: './DevDetail/FwV' } }],
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const view = await h.waitForState(queued.body.provisioningId, FINAL);
    expect(view.state, JSON.stringify(view.events)).toBe('delivered');
    expect(view.securityMethod).toBe('none');

    const [received] = await h.sim.handset(subscriber.msisdn).waitFor(1);
    expect(received.destinationPort).toBe(2948);

    const body = new Uint8Array(
      Buffer.from(view.content!.kind === 'dm-notification' ? view.content!.body : '', 'base64'),
    );
    const notification = decodeDmNotification(body);
    expect(notification).toMatchObject({
      serverId: 'dm.northwind.example',
      initiator: 'server',
      uiMode: 'background',
      version: 11,
    });
    expect(notification.sessionId.toString(16).toUpperCase()).toBe(queued.body.dmSessionId);
    expect(verifyDmNotification(body, { serverPassword: 'server-secret-42', nonce: new Uint8Array(4) })).toBe(
      true,
    );
    expect(verifyDmNotification(body, { serverPassword: 'another-secret', nonce: new Uint8Array(4) })).toBe(
      false,
    );

    const device = await call(`/v1/dm/devices/${encodeURIComponent(`IMEI:${imei}`)}`);
    expect(device.body.sessions[0]).toMatchObject({
      state: 'queued',
      provisioningId: queued.body.provisioningId,
      commands: [{ cmd: 'Get', target: './DevDetail/FwV', status: 'queued' }],
    });
  });

  it("is verified by the simulator's DM handset, which calls in and runs the queued actions", async () => {
    const subscriber = uniqueSubscriber();
    const imei = imeiWith(NOKIA_6230I, 4343);
    await h.store.db.query(`INSERT INTO subscribers (imsi, msisdn, current_imei) VALUES ($1, $2, $3)`, [
      subscriber.imsi,
      subscriber.msisdn,
      imei,
    ]);
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    const account = await call('/v1/dm/accounts', {
      deviceId: `IMEI:${imei}`,
      serverId: 'dm.northwind.example',
      msisdn: subscriber.msisdn,
      clientAuth: { type: 'md5', name: 'handset-4343' },
      serverAuth: { type: 'md5', name: 'dm.northwind.example' },
    });
    const { clientSecret, serverSecret } = account.body.secrets;
    const dm = h.sim.dm();
    dm.register(subscriber.msisdn, { imei, encoding: 'xml' });
    dm.installAccount(subscriber.msisdn, {
      serverId: 'dm.northwind.example',
      name: 'Northwind DM',
      addr: `${url}/dm`,
      auths: [
        { level: 'CLCRED', type: 'DIGEST', name: 'handset-4343', secret: clientSecret, data: '' },
        { level: 'SRVCRED', type: 'DIGEST', name: 'dm.northwind.example', secret: serverSecret, data: '' },
      ],
    });
    const queued = await call('/v1/dm/sessions', {
      msisdn: subscriber.msisdn,
      actions: [{ replace: { target: './Vendor/Conn/APN', data: 'internet.northwind' } }],
    });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const [session] = await dm.waitForSessions(subscriber.msisdn, 1, 20_000);
    expect(dm.view(subscriber.msisdn)!.notifications[0]).toMatchObject({
      verdict: 'verified',
      sessionId: queued.body.dmSessionId,
    });
    expect(session, JSON.stringify(session)).toMatchObject({
      initiator: 'server',
      serverAuthenticated: true,
    });
    const device = await call(`/v1/dm/devices/${encodeURIComponent(`IMEI:${imei}`)}`);
    const run = device.body.sessions.find(
      (entry: LooseJson) => entry.initiator === 'server' && entry.startedAt,
    );
    expect(run, JSON.stringify(device.body)).toMatchObject({ state: 'completed' });
    expect(device.body.devInfo).toMatchObject({ Man: 'Nokia', Mod: 'E71' });
  });
});
