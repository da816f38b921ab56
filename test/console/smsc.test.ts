import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BindStatus } from '../../src/connectors/types.ts';
import { producerConnection, waitReady } from '../../src/queues/connection.ts';
import { WorkerBindsPublisher } from '../../src/smsc/worker-binds.ts';
import { createControlApp } from '../../src/smsc-sim/control-api.ts';
import { TAC, TEST_REDIS_URL, imeiWith, uniqueSubscriber } from '../provisioning/harness.ts';
import {
  describeWithBrowser,
  launchBrowser,
  screenshots,
  signIn,
  startConsoleGateway,
  type ConsoleBrowser,
  type ConsoleGateway,
} from './support/browser.ts';

const ACTOR = { name: 'hlr-test', role: 'network' };
let serial = 700;

describeWithBrowser('the SMSC operators page in a real browser', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let control: Server;
  let controlUrl: string;

  beforeAll(async () => {
    gateway = await startConsoleGateway({
      harness: {
        // A pause before each new dial the browser can see; receipts a moment after the submit.
        smsc: { reconnectMinMs: 1500, reconnectMaxMs: 1500 },
        behaviour: {
          receiptDelayMs: 200,
          receiptOutcomes: [{ prefix: '4919', stat: 'UNDELIV' }],
          destinationErrors: [{ prefix: '4918', status: 'ESME_RINVDSTADR' }],
        },
      },
    });
    control = await new Promise<Server>((done) => {
      const server = createControlApp(gateway.h.sim).listen(0, '127.0.0.1', () => done(server));
    });
    controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => control?.close(done));
    await gateway?.close();
  });

  /** A first-use trigger for a new subscriber whose MSISDN starts with `prefix`. */
  async function provision(prefix: string): Promise<string> {
    const { imsi } = uniqueSubscriber();
    const msisdn = prefix + String(Date.now()).slice(-6) + String((serial += 1) % 10);
    const result = await gateway.h.service.requestFirstUse(
      { imsi, msisdn, imei: imeiWith(TAC.nokiaN95, serial) },
      ACTOR,
    );
    await gateway.h.waitForState(result.provisioningId!, ['delivered', 'failed']);
    return msisdn;
  }

  async function simulator(method: string, path: string, body: unknown): Promise<void> {
    const response = await fetch(`${controlUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
  }

  async function openSmscPage(): Promise<Page> {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await signIn(page, gateway, 'operator');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'SMSC' }).click();
    await page.waitForURL((url) => url.pathname === '/console/smsc');
    await expect.poll(() => page.locator('#smsc-live').textContent()).toBe('Live');
    return page;
  }

  const tailRow = (page: Page, msisdn: string) =>
    page.locator('#smsc-tail tbody tr').filter({ hasText: msisdn });

  it('lists the bind as bound and shows a receipt arrive in the tail without a reload', async () => {
    const page = await openSmscPage();
    const bind = page.locator('li.bind').filter({ hasText: 'sim' });
    await expect.poll(() => bind.locator('.bind-state').textContent()).toBe('bound');
    expect(await page.locator('#smsc-tail').textContent()).toContain('No receipts or refused submits');
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

    const msisdn = await provision('4917');
    await expect.poll(() => tailRow(page, msisdn).count()).toBeGreaterThan(0);
    expect(await tailRow(page, msisdn).first().textContent()).toContain('delivered');
    expect(await tailRow(page, msisdn).first().textContent()).toContain('DELIVRD: delivered to the handset');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );

    await page.reload();
    const card = page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'sim' }) });
    expect(await card.getByRole('img').getAttribute('aria-label')).toMatch(
      /^sim, last 60 minutes: [1-9]\d* segments/,
    );
    expect(await card.textContent()).toMatch(/Receipt latency\s*p50 \d/);
    await page.close();
  });

  it('shows the bind go to reconnecting when the SMSC drops it, and back to bound, without a reload', async () => {
    const page = await openSmscPage();
    const state = page.locator('li.bind').filter({ hasText: 'sim' }).locator('.bind-state');
    await expect.poll(() => state.textContent()).toBe('bound');
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    // The SMSC refuses binds, then drops the connection: the connector waits and dials again.
    await simulator('PATCH', '/behaviour', { rejectBinds: true });
    await simulator('POST', '/drop', {});
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).toBe('reconnecting');
    await screenshots(page, 'smsc-reconnecting');
    await simulator('PATCH', '/behaviour', { rejectBinds: false });
    await expect.poll(() => state.textContent(), { timeout: 10_000 }).toBe('bound');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await page.close();
  });

  it('filters the tail by MSISDN prefix, state and SMSC, live and in the address', async () => {
    const delivered = await provision('4917');
    const undeliverable = await provision('4919');
    const page = await openSmscPage();
    await expect.poll(() => tailRow(page, undeliverable).count()).toBeGreaterThan(0);
    expect(await tailRow(page, undeliverable).first().textContent()).toContain(
      'UNDELIV: handset out of coverage or memory full',
    );

    await page.getByLabel('MSISDN prefix').fill('4919');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => tailRow(page, delivered).count()).toBe(0);
    expect(await tailRow(page, undeliverable).count()).toBeGreaterThan(0);
    expect(new URL(page.url()).searchParams.get('msisdn')).toBe('4919');

    await page.getByLabel('State').selectOption('delivered');
    await expect.poll(() => page.locator('#smsc-tail').textContent()).toContain('that match the filter');

    await page.getByLabel('MSISDN prefix').fill('');
    await page.getByLabel('SMSC').selectOption('sim');
    await expect.poll(() => tailRow(page, delivered).count()).toBeGreaterThan(0);
    expect(await tailRow(page, undeliverable).count()).toBe(0);
    // A newly delivered push that matches arrives in the filtered tail by itself.
    const later = await provision('4917');
    await expect.poll(() => tailRow(page, later).count()).toBeGreaterThan(0);

    // Without the script the same filter is the page's query; a wrong one is named, as a 400.
    const reloaded = await page.goto(`${gateway.url}/console/smsc?state=failed&msisdn=4919`);
    expect(reloaded!.status()).toBe(200);
    expect(await tailRow(page, undeliverable).count()).toBeGreaterThan(0);
    expect(await tailRow(page, delivered).count()).toBe(0);
    const wrong = await page.goto(`${gateway.url}/console/smsc?msisdn=49x`);
    expect(wrong!.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('query.msisdn');
    const fragment = await page.request.get(`${gateway.url}/console/smsc/tail?state=lost`, {
      headers: { Accept: 'application/json' },
    });
    expect(fragment.status()).toBe(400);
    expect((await fragment.json()).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [expect.objectContaining({ field: 'query.state' })] },
    });
    await page.close();
  });

  it('counts refused submits by command status in plain words and lists them in the tail as rejected', async () => {
    const refused = await provision('4918');
    await provision('4919');
    const page = await openSmscPage();
    const row = tailRow(page, refused).first();
    await expect.poll(() => row.textContent()).toContain('rejected');
    expect(await row.textContent()).toContain('ESME_RINVDSTADR (0x0B): the destination number is refused');
    const errors = page.getByRole('table', { name: 'Refused submits by command status' });
    const cells = errors.getByRole('row').filter({ hasText: 'ESME_RINVDSTADR' }).getByRole('cell');
    expect(await cells.allTextContents()).toEqual([
      'ESME_RINVDSTADR (0x0B): the destination number is refused',
      expect.stringMatching(/^[1-9]\d*$/),
    ]);
    const chart = page.getByRole('img', { name: /^sim, last 60 minutes/ });
    expect(await chart.getAttribute('aria-label')).toMatch(/receipts \([1-9]\d* failed\)/);
    await screenshots(page, 'smsc');
    await page.close();
  });

  it('shows the binds other worker processes publish, labelled by worker, on a process without binds', async () => {
    const redis = producerConnection({ url: TEST_REDIS_URL });
    await waitReady(redis, 5000);
    const bindOf = (bindId: string, state: BindStatus['state']): BindStatus => ({
      smscId: 'remote',
      bindId,
      mode: 'tx',
      state,
      reconnects: 0,
      windowUsed: 2,
      windowSize: 10,
      currentTps: 250,
      sentPerSecond: 120,
      submitted: 5000,
      throttled: 3,
    });
    const publishers = [
      ['worker-a', bindOf('remote/0', 'bound')],
      ['worker-b', bindOf('remote/1', 'reconnect-wait')],
    ].map(
      ([workerId, bind]) =>
        new WorkerBindsPublisher({
          redis,
          prefix: gateway.h.prefix,
          workerId: workerId as string,
          source: { status: () => [bind as BindStatus] },
        }),
    );
    await Promise.all(publishers.map((publisher) => publisher.publish()));
    // As an `--role api` process: no connector of its own, every bind read through Redis.
    const { smsc, smscBinds } = gateway.context;
    gateway.context.smsc = undefined;
    gateway.context.smscBinds = { workerId: 'api-1', redis, prefix: gateway.h.prefix };
    try {
      const page = await openSmscPage();
      const cards = page.locator('li.bind');
      await expect.poll(() => cards.count()).toBe(2);
      const first = cards.filter({ hasText: 'remote/0' });
      expect(await first.locator('.bind-state').textContent()).toBe('bound');
      expect(await first.textContent()).toContain('worker-a');
      expect(await first.textContent()).toMatch(/Rate now\s*120\/s of 250\/s/);
      const second = cards.filter({ hasText: 'remote/1' });
      expect(await second.locator('.bind-state').textContent()).toBe('reconnecting');
      expect(await second.textContent()).toContain('worker-b');
      const card = page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'remote' }) });
      expect(await card.textContent()).toMatch(/Rate now\s*240\/s/);
      expect(await card.textContent()).toMatch(/Throttling answers\s*6/);
      await screenshots(page, 'smsc-workers');
      await page.close();
    } finally {
      gateway.context.smsc = smsc;
      gateway.context.smscBinds = smscBinds;
      await Promise.all(publishers.map((publisher) => publisher.stop()));
      redis.disconnect();
    }
  });

  it('sends the operator to sign in when the session ends on the page, and back to it after', async () => {
    const page = await openSmscPage();
    await browser.context.clearCookies();
    // The binds are read again every 5 s: that read finds no session.
    await page.waitForURL((url) => url.pathname === '/console/sign-in', { timeout: 10_000 });
    expect(new URL(page.url()).searchParams.get('next')).toBe('/console/smsc');
    await page.getByLabel('API key').fill(gateway.keys.operator);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/console/smsc');
    await expect.poll(() => page.locator('li.bind .bind-state').first().textContent()).toBe('bound');
    await page.close();
  });

  it('gives a care key the 403 page, for the page and its fragments, and no SMSC link', async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await signIn(page, gateway, 'care');
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'SMSC' }).count()).toBe(0);
    const response = await page.goto(`${gateway.url}/console/smsc`);
    expect(response!.status()).toBe(403);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Not allowed');
    expect(await page.content()).not.toContain('li class="bind');
    for (const fragment of ['binds', 'summary', 'tail']) {
      const answer = await page.request.get(`${gateway.url}/console/smsc/${fragment}`);
      expect(answer.status(), fragment).toBe(403);
    }
    await page.close();
  });
});
