import { afterAll, beforeAll, expect, it } from 'vitest';
import { maskImsi } from '../../src/observability/logger.ts';
import { FINAL, imeiWith, TAC, uniqueSubscriber } from '../provisioning/harness.ts';
import {
  describeWithBrowser,
  launchBrowser,
  screenshots,
  signIn,
  startConsoleGateway,
  type ConsoleBrowser,
  type ConsoleGateway,
} from './support/browser.ts';

/** A subscriber whose first-use push went all the way (delivered, or failed by the simulator's rule). */
async function provisioned(gateway: ConsoleGateway, serial: number, subscriber = uniqueSubscriber()) {
  gateway.h.sim.registerSubscriber(subscriber.msisdn, { imsi: subscriber.imsi });
  const imei = imeiWith(TAC.nokiaN95, serial);
  const result = await gateway.h.service.requestFirstUse(
    { ...subscriber, imei },
    { name: 'hlr', role: 'network' },
  );
  const view = await gateway.h.waitForState(result.provisioningId!, FINAL);
  return { ...subscriber, imei, provisioningId: view.id, state: view.state };
}

describeWithBrowser('customer care in the console, in a real browser against the simulator', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let delivered: Awaited<ReturnType<typeof provisioned>>;
  let undelivered: Awaited<ReturnType<typeof provisioned>>;
  const failing = uniqueSubscriber();

  beforeAll(async () => {
    gateway = await startConsoleGateway({
      harness: {
        // Receipts come a while after the submit, so the page shows the push on its way before delivered.
        behaviour: { receiptDelayMs: 1_500, receiptOutcomes: [{ prefix: failing.msisdn, stat: 'UNDELIV' }] },
      },
    });
    browser = await launchBrowser();
    delivered = await provisioned(gateway, 8101);
    undelivered = await provisioned(gateway, 8102, failing);
    expect([delivered.state, undelivered.state]).toEqual(['delivered', 'failed']);
    // The handset says which settings it uses (those just delivered), and one entry that is nobody's business.
    const report = await fetch(`${gateway.url}/v1/devices/${delivered.imei}/reports`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${gateway.keys.network}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        properties: { manufacturer: 'Nokia', model: 'N95', firmware: 'V 21.0' },
        configuration: { apn: 'web.northwind.example', 'wlan-passphrase': 'hunter2-secret' },
      }),
    });
    expect(report.status).toBe(201);
    const page = await browser.newPage();
    await signIn(page, gateway, 'care');
    await page.close();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('lists the matches of part of an MSISDN, opens a subscriber by a whole IMSI, and shows IMSIs masked', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/console/subscribers`);
    await screenshots(page, 'care-search-empty');
    const common = [...delivered.msisdn].findIndex((digit, i) => undelivered.msisdn[i] !== digit);
    const partial = delivered.msisdn.slice(0, Math.min(common, 8));
    await page.getByLabel('MSISDN or IMSI').fill(partial);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((url) => url.searchParams.get('q') === partial);
    const rows = page.getByRole('row').filter({ has: page.getByRole('link') });
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.getByRole('link', { name: delivered.msisdn }).count()).toBe(1);
    expect(await page.getByRole('link', { name: undelivered.msisdn }).count()).toBe(1);
    const content = await page.content();
    expect(content).toContain(maskImsi(delivered.imsi));
    expect(content).not.toContain(delivered.imsi);
    await screenshots(page, 'care-search-results');

    await page.getByLabel('MSISDN or IMSI').fill(delivered.imsi);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL((url) => url.pathname === `/console/subscribers/${delivered.msisdn}`);
    expect(await page.content()).not.toContain(delivered.imsi);
    expect(await page.getByText(maskImsi(delivered.imsi)).count()).toBe(1);

    await page.goto(`${gateway.url}/console/subscribers?q=99999999999999`);
    expect(await page.getByText('No subscriber matches “99999999999999”.').count()).toBe(1);
    await page.close();
  });

  it('says in plain words why a push failed: the SMSC’s UNDELIV receipt of each segment', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/console/subscribers/${undelivered.msisdn}`);
    const item = page.locator('li[data-provisioning]').first();
    expect(await item.locator('.state').textContent()).toBe('failed');
    await expect.poll(() => item.textContent()).toContain('UNDELIV: handset out of coverage or memory full');
    expect(await page.getByText('Nokia N95').count()).toBeGreaterThan(0);
    await screenshots(page, 'care-subscriber-failed');
    await page.close();
  });

  it('resends with a reason: the new provisioning appears and reaches delivered live, Resend waits meanwhile', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/console/subscribers/${delivered.msisdn}`);
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('open');
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    const items = page.getByRole('listitem').filter({ has: page.getByRole('button', { name: 'Resend' }) });
    expect(await items.count()).toBe(1);
    expect(await items.first().locator('.state').textContent()).toBe('delivered');
    const reports = page.getByRole('list', { name: 'Device reports' });
    expect(await reports.textContent()).toContain('Nokia N95, firmware V 21.0');
    expect(await reports.textContent()).toContain(
      'settings in use: APN web.northwind.example (and 1 other entry)',
    );
    expect(await page.content()).not.toContain('hunter2-secret');
    expect(await items.first().textContent()).toContain(
      'Applied: the handset reported these settings in use',
    );

    await items.first().getByRole('button', { name: 'Resend' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('subscriber says MMS does not work');
    await screenshots(page, 'care-resend-dialog');
    await dialog.getByRole('button', { name: 'Send' }).click();

    await expect.poll(() => items.count()).toBe(2);
    const newest = items.first();
    // On its way (queued or submitted, waiting for the receipt): every Resend waits for it.
    expect(['queued', 'submitting', 'submitted']).toContain(await newest.locator('.state').textContent());
    expect(await page.getByRole('button', { name: 'Resend' }).first().isDisabled()).toBe(true);
    await screenshots(page, 'care-subscriber-in-flight');
    await expect.poll(() => newest.locator('.state').textContent(), { timeout: 15_000 }).toBe('delivered');
    expect(await newest.textContent()).toContain('subscriber says MMS does not work');
    expect(await newest.textContent()).toContain('DELIVRD: delivered to the handset');
    expect(await page.getByRole('button', { name: 'Resend' }).first().isEnabled()).toBe(true);
    // The SIM's settings line follows too: the newest delivered version, not applied yet.
    expect(await page.locator('#current-settings').textContent()).toBe(
      'northwind-standard v1 (delivered, not confirmed applied)',
    );
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await screenshots(page, 'care-subscriber-delivered');

    const entry = await gateway.context.db.one<{
      actor: string;
      outcome: string;
      details: Record<string, unknown>;
    }>(
      `SELECT actor, outcome, details FROM audit_log WHERE action = 'provisionings.resend' ORDER BY id DESC LIMIT 1`,
    );
    expect(entry).toMatchObject({
      actor: 'test-care',
      outcome: 'ok',
      details: { via: 'console', reason: 'subscriber says MMS does not work' },
    });
    await page.close();
  });

  it('refuses a reason that is too short (400 VALIDATION_FAILED naming reason) and sends nothing', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/console/subscribers/${undelivered.msisdn}`);
    const before = await page.locator('li[data-provisioning]').count();
    const token = await page.locator('body').getAttribute('data-csrf');
    const response = await page.request.post(
      `${gateway.url}/console/provisionings/${undelivered.provisioningId}/resend`,
      { form: { _csrf: token!, reason: 'x' }, headers: { Accept: 'application/json' } },
    );
    expect(response.status()).toBe(400);
    expect((await response.json()).error).toMatchObject({ code: 'VALIDATION_FAILED' });
    await page.reload();
    expect(await page.locator('li[data-provisioning]').count()).toBe(before);
    // The page a Resend button opens without the script: the same form, on its own.
    await page.goto(`${gateway.url}/console/provisionings/${undelivered.provisioningId}/resend`);
    expect(await page.getByRole('textbox', { name: 'Reason' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Send' }).count()).toBe(1);
    await screenshots(page, 'care-resend-form');
    await page.close();
  });
});
