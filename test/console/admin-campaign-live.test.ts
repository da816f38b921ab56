import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CampaignFeeder } from '../../src/campaigns/feeder.ts';
import { CampaignService } from '../../src/campaigns/service.ts';
import { workerConnection } from '../../src/queues/connection.ts';
import { seedBase } from '../campaigns/base.ts';
import { FAST_FEEDER, GROUPS, OPEN_GROUPS, PROFILE } from '../campaigns/run-harness.ts';
import { TEST_REDIS_URL } from '../provisioning/harness.ts';
import {
  describeWithBrowser,
  launchBrowser,
  screenshots,
  signIn,
  startConsoleGateway,
  type ConsoleBrowser,
  type ConsoleGateway,
} from './support/browser.ts';

/**
 * 40 subscribers (base.ts): affected by version 2 are the 10 with n % 4 = 1, who last got version 1, and
 * the 6 never provisioned (n % 4 = 0) the shipped rules now give the profile (a handset, n % 10 > 0,
 * outside group corporate, n % 3 = 2): n = 4, 12, 16, 24, 28, 36.
 */
const BASE = 40;
const SELECTED = 16;

describeWithBrowser('a campaign in the console: its progress bar moves while it runs', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let feeder: CampaignFeeder;
  let redis: Redis;

  beforeAll(async () => {
    gateway = await startConsoleGateway({ harness: { groups: OPEN_GROUPS } });
    await seedBase(gateway.context.db, { count: BASE, prefix: '49173', groups: GROUPS, profile: PROFILE });
    // The feeder runs in the worker role of a gateway (main.ts); here beside the console's app.
    redis = workerConnection({ url: TEST_REDIS_URL });
    redis.on('error', () => undefined);
    const h = gateway.h;
    feeder = new CampaignFeeder(
      {
        ...h.deps,
        redis,
        prefix: h.prefix,
        provisioning: h.service,
        campaigns: new CampaignService(h.deps),
        queueCounts: () => h.queue.counts(),
        policies: h.deps.policies!,
      },
      FAST_FEEDER,
    );
    feeder.start();
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await feeder?.stop();
    redis?.disconnect();
    await gateway?.close();
  });

  it('previews the draft, then shows the pushes go out and the campaign complete without the admin reloading', async () => {
    const page = await browser.newPage();
    await signIn(page, gateway, 'admin');
    await page.goto(`${gateway.url}/console/campaigns`);
    const field = page.getByLabel('Campaign (JSON)');
    const document = JSON.parse(await field.inputValue());
    expect(document.selector).toEqual({ profile: PROFILE, versions: { below: 2 } });
    expect(document.pacing).toEqual({ tps: 10 }); // about 15 pushes of 6 SMS: about 9 s, several refreshes
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.waitForURL((url) => /^\/console\/campaigns\/[0-9a-f-]{36}$/.test(url.pathname));
    expect(await page.getByText(`${SELECTED} subscriber(s);`).count()).toBe(1);
    expect(await page.getByRole('progressbar', { name: /^Progress: \d+ of 16 done/ }).count()).toBe(1);

    await page.getByRole('button', { name: 'Start' }).click();
    const state = page.locator('#campaign-live [data-state]');
    expect(await state.textContent()).toBe('running');
    const bar = page.getByRole('progressbar');
    const before = Number(await bar.getAttribute('value'));
    await page.evaluate(() => Object.assign(globalThis, { stayedOnPage: true }));
    // The script refreshes the progress while it runs: the bar moves on its own, on the same page.
    await expect
      .poll(async () => Number(await bar.getAttribute('value')), { timeout: 30_000 })
      .toBeGreaterThan(before);
    expect(await page.evaluate(() => 'stayedOnPage' in globalThis)).toBe(true);
    await screenshots(page, 'admin-campaign-running');
    await expect.poll(() => state.textContent(), { timeout: 30_000 }).toBe('completed');
    // the page reloads once when the state changes: the bar is read again until the reloaded page has it
    const done = page.getByRole('progressbar', { name: /^Progress: 16 of 16 done \(100%\)/ });
    await expect.poll(() => done.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    await screenshots(page, 'admin-campaign-completed');
  }, 90_000);
});
