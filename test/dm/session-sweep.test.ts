/**
 * The sweep of sessions left half-way (src/dm/sweep.ts): a handset that stops answering after the
 * server's first package leaves an active session; once its Redis state expired (dm.sessionTimeoutMs) the
 * sweep fails it with "stopped after package N, last command X", and the actions it never sent wait in a
 * queued session that the handset's next session runs. A session whose state is still there is left alone.
 * Real HTTP, both stores, real Redis.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALERT } from '../../codecs/syncml/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { sweepStoppedDmSessions } from '../../src/dm/sweep.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  readJson,
  startApi,
  testImei,
  type ApiHarness,
  type LooseJson,
} from '../http/support/api-harness.ts';
import { handsetTree, ScriptedDmClient } from './support/scripted-client.ts';

const TIMEOUT_MS = 400;
let seed = 760_000;

describeEachStore('the sweep of stopped DM sessions (%s store)', (kind) => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApi({
      store: kind,
      seed: true,
      dm: true,
      config: { dm: { sessionTimeoutMs: TIMEOUT_MS } },
    });
  });
  afterAll(() => h?.close());

  const sweep = (now?: () => Date) =>
    sweepStoppedDmSessions({
      db: h.context.db,
      sessions: h.dm!.engine.sessions,
      timeoutMs: TIMEOUT_MS,
      logger: createLogger({ level: 'silent' }),
      now,
    });

  async function handset() {
    seed += 1;
    const imei = testImei(seed, '35685102');
    const msisdn = `4917${String(seed).padStart(8, '0')}`;
    const created = await h.fetch('/v1/subscribers', {
      method: 'POST',
      key: h.keys.admin,
      json: { imsi: `26201${String(seed).padStart(10, '0')}`, msisdn, group: 'default', imei },
    });
    expect(created.status).toBe(201);
    const response = await h.fetch('/v1/dm/accounts', {
      method: 'POST',
      key: h.keys.admin,
      json: {
        deviceId: `IMEI:${imei}`,
        serverId: 'dm.northwind.example',
        msisdn,
        clientAuth: { type: 'md5', name: `handset-${seed}` },
        serverAuth: { type: 'md5', name: 'dm.northwind.example' },
      },
    });
    expect(response.status).toBe(201);
    const body = await readJson(response);
    // a small MaxMsgSize: the first package holds a few inventory Gets, the actions wait for later ones
    const client = new ScriptedDmClient({
      url: `${h.url}/dm`,
      deviceId: `IMEI:${imei}`,
      encoding: 'xml',
      name: body.account.clientAuth.name,
      secret: body.secrets.clientSecret,
      serverName: body.account.serverAuth.name,
      serverSecret: body.secrets.serverSecret,
      tree: handsetTree(imei),
      maxMsgSize: 1024,
    });
    return { msisdn, deviceId: `IMEI:${imei}`, client };
  }

  const deviceView = async (deviceId: string): Promise<LooseJson> => {
    const response = await h.fetch(`/v1/dm/devices/${encodeURIComponent(deviceId)}`, { key: h.keys.care });
    expect(response.status).toBe(200);
    return readJson(response);
  };

  it('fails a session the handset stopped answering, saying where, and keeps its unsent actions for the next session', async () => {
    const { msisdn, deviceId, client } = await handset();
    const queued = await h.fetch('/v1/dm/sessions', {
      method: 'POST',
      key: h.keys.care,
      json: {
        msisdn,
        actions: [
          { get: { target: './DevDetail/FwV' } },
          { replace: { target: './Vendor/Conn/APN', data: 'internet.swept.example' } },
        ],
      },
    });
    expect(queued.status).toBe(202);
    // package 1 answering the notification, then silence
    const second = await client.post(client.packageOne(ALERT.SERVER_INITIATED_MGMT));
    expect(second.body.final).toBe(false);

    // its state is still in Redis: not swept, however old the row looks
    expect(await sweep(() => new Date(Date.now() + 3_600_000))).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    expect(await sweep()).toBe(1);
    expect(await sweep()).toBe(0);

    const view = await deviceView(deviceId);
    const stopped = view.sessions.find(
      (session: LooseJson) => session.startedAt && session.state !== 'completed',
    );
    expect(stopped, JSON.stringify(view.sessions)).toMatchObject({ state: 'failed' });
    expect(stopped.failure).toMatch(
      /^stopped after package 1, last command Get \.\/\S+ \(no message from the handset for 0\.4 s\)$/,
    );
    const waiting = view.sessions.find((session: LooseJson) => session.state === 'queued');
    expect(waiting, JSON.stringify(view.sessions)).toBeDefined();
    expect(waiting.commands.map((command: LooseJson) => [command.cmd, command.status])).toEqual([
      ['Get', 'queued'],
      ['Replace', 'queued'],
    ]);

    // the handset calls in again: the actions run in that session
    const messages = await client.runSession('7A');
    expect(messages.at(-1)!.body.final).toBe(true);
    expect(client.executed).toEqual(
      expect.arrayContaining([
        { cmd: 'Replace', target: './Vendor/Conn/APN', data: 'internet.swept.example' },
      ]),
    );
    const after = await deviceView(deviceId);
    const ran = after.sessions.find((session: LooseJson) => session.dmSessionId === '7A');
    expect(ran, JSON.stringify(after.sessions)).toMatchObject({ state: 'completed' });
    expect(ran.commands.map((command: LooseJson) => command.cmd)).toEqual(['Get', 'Replace']);
    expect(after.sessions.filter((session: LooseJson) => session.state === 'queued')).toEqual([]);
  });
});
