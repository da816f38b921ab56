import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toHex } from '../../codecs/bytes/hex.ts';
import type { AppContext } from '../../src/app-context.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createProfile } from '../../src/profiles/repository.ts';
import { findDeviceModel } from '../../src/store/repositories/devices.ts';
import type { ProvisioningView } from '../../src/provisioning/types.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, uniqueSubscriber, type Harness } from '../provisioning/harness.ts';
import { readJson } from './support/api-harness.ts';

const NETWORK = { name: 'hlr-probe', role: 'network' };
/** config/devices.csv: the LG KG800 says nothing but its format; its limits come from the LG default (5 SMS). */
const LG_KG800_TAC = '35585501';
/** config/devices.csv: the Nokia 6230i reassembles 6 SMS; the seed profile needs 7 without its DM part. */
const NOKIA_6230I_TAC = '35216700';

/** The 8-bit concatenation reference of a segment's UDH (IE 0x00, docs/protocol.md §5.1). */
function concatenationReference(tpud: Uint8Array): number {
  const end = 1 + tpud[0];
  for (let at = 1; at < end; at += 2 + tpud[at + 1]) if (tpud[at] === 0x00) return tpud[at + 2];
  throw new Error('no 8-bit concatenation IE in the UDH');
}

describeEachStore('the profile preview is the push the worker sends (%s store)', (kind) => {
  let h: Harness;
  let server: Server;
  let url: string;
  let adminKey: string;
  let careKey: string;

  beforeAll(async () => {
    // A short debounce window: a first-use push waits for the end of it before it goes out.
    h = await startHarness(kind, { provisioning: { debounceMs: 100 } });
    const context: AppContext = {
      config: h.config,
      db: h.store.db,
      logger: createLogger({ level: 'silent' }),
      provisioning: h.service,
      events: h.events,
      queues: { ping: () => h.queue.ping(), counts: () => h.queue.counts() },
      smsc: undefined,
      metrics: h.metrics.registry,
    };
    server = await new Promise((resolve) => {
      const listening = createApp(context).listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    adminKey = (await createApiKey(h.store.db, { name: 'preview-admin', role: 'admin' })).key;
    careKey = (await createApiKey(h.store.db, { name: 'preview-care', role: 'care' })).key;
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await h?.close();
  });

  const preview = async (query: string, key = adminKey) =>
    fetch(`${url}/v1/profiles/northwind-standard/versions/1/preview?${query}`, {
      headers: { Authorization: `Bearer ${key}` },
    });

  async function deliverFirstUse(tac: string, serial: number) {
    const subscriber = uniqueSubscriber();
    h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
    const result = await h.service.requestFirstUse({ ...subscriber, imei: imeiWith(tac, serial) }, NETWORK);
    const view = await h.waitForState(result.provisioningId!, FINAL);
    const received = h.sim
      .submitted()
      .filter((segment) => segment.destinationAddr === subscriber.msisdn && segment.shortMessage !== null)
      .map((segment) => segment.shortMessage!);
    return { subscriber, view, received };
  }

  const submitDetails = (view: ProvisioningView) =>
    view.events.find((event) => event.toState === 'submitting')?.details ?? {};

  it('shows for an LG KG800 exactly the segments the simulator receives: inherited limit, same omissions', async () => {
    const { subscriber, view, received } = await deliverFirstUse(LG_KG800_TAC, 5101);
    expect(view.state).toBe('delivered');
    const model = await findDeviceModel(h.store.db, 'LG', 'KG800');
    const reference = concatenationReference(received[0]);
    const response = await preview(`model=${model!.id}&imsi=${subscriber.imsi}&reference=${reference}`);
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(200);

    // The KG800's row leaves max_segments empty: the LG default's 5 applies, as the worker resolves it.
    expect(body.maxSegments).toBe(5);
    expect(body.device.sources.maxSegments).toBe('manufacturer-default');
    expect(body.fits).toBe(true);
    expect(body.segmentCount).toBe(received.length);
    expect(body.segments.map((segment: { hex: string }) => segment.hex).sort()).toEqual(
      received.map((tpud) => toHex(tpud)).sort(),
    );
    expect(body.omittedToFit).toEqual(['browser.bookmarks', 'mms']);
    expect(submitDetails(view).omittedToFit).toEqual(body.omittedToFit);
    expect(submitDetails(view).omitted).toEqual(body.omitted);
  });

  it('delivers the seed profile to a Nokia 6230i in the 6 SMS it takes, and the timeline says what was left out', async () => {
    const { view, received } = await deliverFirstUse(NOKIA_6230I_TAC, 5102);
    expect(view.state, JSON.stringify(view.events)).toBe('delivered');
    expect(received.length).toBeLessThanOrEqual(6);
    expect(view.segmentCount).toBe(received.length);
    const details = submitDetails(view);
    expect(details.omittedToFit).toEqual(['browser.bookmarks']);
    expect(details.omitted).toEqual(expect.arrayContaining(['dm', 'browser.bookmarks']));
  });

  it('masks secrets in the XML view, and the preview is for admins only', async () => {
    const model = await findDeviceModel(h.store.db, 'Nokia', 'N95');
    const body = await readJson(await preview(`model=${model!.id}`));
    // northwind-standard: PAP password "web", DM secrets "change-me-client" / "change-me-server".
    expect(body.xml).toContain('<parm name="AUTHSECRET" value="***"/>');
    expect(body.xml).toContain('<parm name="AAUTHSECRET" value="***"/>');
    expect(body.xml).not.toMatch(/change-me|name="AUTHSECRET" value="web"/);
    expect(body.xml).toContain('<parm name="AUTHNAME" value="web"/>');
    const forCare = await preview(`model=${model!.id}`, careKey);
    expect(forCare.status).toBe(403);
  });

  it('says when the worker would fail the push TOO_MANY_SEGMENTS, and shows no segments then', async () => {
    const { profile } = await createProfile(h.store.db, {
      name: 'preview-no-omissions',
      createdBy: 'test',
      parameters: {
        name: 'Everything',
        connections: [{ id: 'G', bearer: 'GPRS', apn: 'web.northwind.example' }],
        browser: {
          homePage: 'http://wap.northwind.example/',
          bookmarks: Array.from({ length: 12 }, (_, i) => ({
            name: `Bookmark number ${i}`,
            url: `http://wap.northwind.example/bookmarks/${i}`,
          })),
        },
        omitToFit: [],
      },
    });
    const model = await findDeviceModel(h.store.db, 'LG', 'KG800');
    const response = await fetch(`${url}/v1/profiles/${profile.id}/versions/1/preview?model=${model!.id}`, {
      headers: { Authorization: `Bearer ${adminKey}` },
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.fits).toBe(false);
    expect(body.failure.code).toBe('TOO_MANY_SEGMENTS');
    expect(body.segmentCount).toBeGreaterThan(5);
    expect(body.omittedToFit).toEqual([]);
    expect(body.segments).toEqual([]);
  });

  it('refuses a bad mode or reference naming the field', async () => {
    const response = await preview('format=oma-cp&mode=binary&reference=300');
    const body = await readJson(response);
    expect(response.status).toBe(400);
    const fields = body.error.details.issues.map((issue: { field: string }) => issue.field);
    expect(fields).toEqual(expect.arrayContaining(['query.mode', 'query.reference']));
  });
});
