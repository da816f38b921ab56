/**
 * Device inventory through the whole pipeline: HTTP in, the SMSC simulator over real SMPP out. What a
 * handset reports about itself marks a delivered push applied, and names the model the catalogue does
 * not know by its TAC.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { getVersionById } from '../../src/profiles/repository.ts';
import { findDeviceModel } from '../../src/store/repositories/devices.ts';
import {
  FINAL,
  imeiWith,
  startHarness,
  TAC,
  uniqueSubscriber,
  type Harness,
} from '../provisioning/harness.ts';
import { describeEachStore } from '../support/stores.ts';
import { readJson } from '../http/support/api-harness.ts';

/** TACs in no row of config/devices.csv. */
const UNKNOWN_TACS = { named: '35999911', maker: '35999912', silent: '35999913' } as const;

describeEachStore('device inventory through the pipeline (%s store)', (kind) => {
  let h: Harness;
  let server: Server;
  let url: string;
  let keys: { network: string; care: string };
  beforeAll(async () => {
    h = await startHarness(kind);
    const context: AppContext = {
      config: h.config,
      db: h.store.db,
      logger: createLogger({ level: 'silent' }),
      provisioning: h.service,
      events: h.events,
      queues: { ping: () => h.queue.ping(), counts: () => h.queue.counts() },
      smsc: h.connector,
      metrics: h.metrics.registry,
    };
    server = await new Promise((resolve) => {
      const listening = createApp(context).listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    keys = {
      network: (await createApiKey(h.store.db, { name: 'hlr', role: 'network' })).key,
      care: (await createApiKey(h.store.db, { name: 'agent', role: 'care' })).key,
    };
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await h?.close();
  });

  const post = async (path: string, json: unknown) => {
    const response = await fetch(url + path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${keys.network}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(json),
    });
    return { status: response.status, body: await readJson(response) };
  };

  /** A first use of a new SIM in this handset; the provisioning id (the trigger must have queued it). */
  async function firstUse(imei: string): Promise<string> {
    const subscriber = uniqueSubscriber();
    const answer = await post('/v1/triggers/first-use', { ...subscriber, imei });
    expect(answer.body.outcome, JSON.stringify(answer.body)).toBe('queued');
    return answer.body.provisioningId;
  }

  it('marks a push the SMSC delivered applied once the handset reports its settings', async () => {
    const imei = imeiWith(TAC.nokiaN95, 71);
    const id = await firstUse(imei);
    const delivered = await h.waitForState(id, FINAL);
    expect(delivered.state).toBe('delivered');
    expect(delivered.appliedAt).toBeNull();

    const version = await getVersionById(h.store.db, delivered.profileVersionId!);
    const apn = version!.parameters.connections[0].apn;
    const report = await post(`/v1/devices/${imei}/reports`, {
      properties: { manufacturer: 'Nokia', model: 'N95', firmware: '21.0.016' },
      configuration: { apn },
      source: 'dm-session',
    });
    expect(report.status).toBe(201);
    expect(report.body.applied.provisioningId).toBe(id);
    expect(report.body.reprovision).toBeNull();
    expect(report.body.addedModel).toBeNull();

    const view = await h.service.get(id);
    expect(view!.state).toBe('delivered');
    expect(view!.appliedAt).toBeInstanceOf(Date);
    expect(view!.appliedAt!.getTime()).toBeGreaterThanOrEqual(view!.finishedAt!.getTime());
    expect(view!.events.at(-1)).toMatchObject({
      fromState: 'delivered',
      toState: 'delivered',
      cause: 'applied',
      actor: 'hlr',
      details: { reportId: report.body.id, version: version!.version },
    });
  });

  it('provisions a handset of an unknown TAC in the format of the catalogued model its report named', async () => {
    const imei = imeiWith(UNKNOWN_TACS.named, 72);
    await post(`/v1/devices/${imei}/reports`, { properties: { manufacturer: 'Nokia', model: '6610' } });
    const id = await firstUse(imei);
    const done = await h.waitForState(id, FINAL);
    const nokia6610 = await findDeviceModel(h.store.db, 'Nokia', '6610');
    expect(done).toMatchObject({ state: 'delivered', format: 'nokia-ota', deviceModelId: nokia6610!.id });
    const submit = done.events.find((event) => event.cause === 'submit');
    expect(submit!.details.device).toMatchObject({ model: '6610', matchedBy: 'model' });
  });

  it('falls back to the reported manufacturer’s default for a model the catalogue lacks', async () => {
    const imei = imeiWith(UNKNOWN_TACS.maker, 73);
    const report = await post(`/v1/devices/${imei}/reports`, {
      properties: { manufacturer: 'Nokia', model: '9000 Concept' },
    });
    expect(report.body.addedModel).toMatchObject({ status: 'unverified' });
    const id = await firstUse(imei);
    const done = await h.waitForState(id, FINAL);
    // The Nokia '*' row of config/devices.csv: oma-cp; the unverified model is nobody's word yet.
    expect(done).toMatchObject({ state: 'delivered', format: 'oma-cp', deviceModelId: null });
    const submit = done.events.find((event) => event.cause === 'submit');
    expect(submit!.details.device).toMatchObject({
      manufacturer: 'Nokia',
      matchedBy: 'manufacturer-default',
    });
  });

  it('still refuses a handset of an unknown TAC that never reported', async () => {
    const subscriber = uniqueSubscriber();
    const answer = await post('/v1/triggers/first-use', {
      ...subscriber,
      imei: imeiWith(UNKNOWN_TACS.silent, 74),
    });
    expect(answer.body.outcome).toBe('unsupported-device');
  });
});
