import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findDeviceModel } from '../../src/store/repositories/devices.ts';
import { listAudit } from '../../src/store/repositories/audit.ts';
import { findSubscriber } from '../../src/subscribers/repository.ts';
import { uniqueSubscriber } from '../provisioning/harness.ts';
import {
  describeWithBrowser,
  launchBrowser,
  screenshots,
  signIn,
  startConsoleGateway,
  type ConsoleBrowser,
  type ConsoleGateway,
} from './support/browser.ts';

/** Every admin page: a care key gets the clear 403 page on each. */
const ADMIN_PAGES = [
  '/console/profiles',
  '/console/profiles/northwind-standard',
  '/console/profiles/northwind-standard/versions/1',
  '/console/profiles/northwind-standard/diff?from=1&to=1',
  '/console/devices',
  '/console/groups',
  '/console/subscriber-admin',
  '/console/keys',
  '/console/audit',
  '/console/campaigns',
  '/console/queues',
];

/** What the browser reported: script errors and 5xx or 404 answers (not the board's web fonts, which our CSP blocks on purpose). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    // A refused form answers 4xx on purpose; the responses below catch what must not happen.
    const expected =
      message.text().includes('fonts.googleapis.com') || message.text().startsWith('Failed to load resource');
    if (message.type() === 'error' && !expected) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('response', (response) => {
    const status = response.status();
    if (status >= 500 || status === 404) errors.push(`${status} ${response.url()}`);
  });
  return errors;
}

async function api(gateway: ConsoleGateway, path: string, init: RequestInit & { key?: string } = {}) {
  const response = await fetch(`${gateway.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${init.key ?? gateway.keys.admin}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describeWithBrowser('admins in the console, in a real browser against the gateway', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    gateway = await startConsoleGateway();
    browser = await launchBrowser();
    page = await browser.newPage();
    errors = watchErrors(page);
    await signIn(page, gateway, 'admin');
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('saves a new profile version from the form, previews it for a model as the API does, and diffs it', async () => {
    await page.goto(`${gateway.url}/console/profiles`);
    await screenshots(page, 'admin-profiles');
    await page.getByRole('link', { name: 'northwind-standard' }).click();
    const field = page.getByLabel('Parameters (JSON)');
    const parameters = JSON.parse(await field.inputValue());
    expect(JSON.stringify(parameters)).toContain('"***"'); // secrets come masked, and stay so when posted back
    parameters.connections[0].apn = 'internet2.northwind.example';
    await field.fill(JSON.stringify(parameters, null, 2));
    await page.getByLabel('Note').fill('new APN');
    await page.getByRole('button', { name: 'Save new version' }).click();
    await page.waitForURL((url) => url.pathname === '/console/profiles/northwind-standard/versions/2');
    expect(await page.getByRole('status').textContent()).toContain('Saved as v2.');

    const nokia = (await findDeviceModel(gateway.context.db, 'Nokia', '6230i'))!;
    await page.getByLabel('Device model').selectOption(String(nokia.id));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.waitForURL((url) => url.searchParams.get('model') === String(nokia.id));
    // The page shows exactly the segments GET /v1/profiles/:id/versions/:v/preview answers (one composer).
    const preview = await api(
      gateway,
      `/v1/profiles/northwind-standard/versions/2/preview?model=${nokia.id}`,
    );
    const segments = preview.body.segments as { hex: string }[];
    expect(segments.length).toBeGreaterThan(1);
    expect(await page.getByRole('heading', { name: `The exact segments (${segments.length})` }).count()).toBe(
      1,
    );
    const shown = await page.locator('.segments pre').allTextContents();
    expect(shown.map((text) => text.replace(/\s/g, '').toLowerCase())).toEqual(
      segments.map((segment) => segment.hex),
    );
    const tokens = page.getByRole('region', { name: 'WBXML tokens' });
    expect(await tokens.getByRole('cell', { name: 'version: WBXML 1.3', exact: true }).count()).toBe(1);
    expect(
      await tokens.getByRole('cell', { name: 'STR_I: "internet2.northwind.example"', exact: true }).count(),
    ).toBe(1);
    expect(await tokens.getByRole('cell', { name: 'STR_I: "***"' }).count()).toBeGreaterThan(0);
    expect(await page.getByLabel('The document as XML').textContent()).toContain(
      'value="internet2.northwind.example"',
    );
    await screenshots(page, 'admin-profile-preview');

    await page.getByRole('link', { name: 'Back to northwind-standard' }).click();
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/diff'));
    const row = page.getByRole('row', { name: /connections\[0\]\.apn/ });
    expect((await row.getByRole('cell').allTextContents()).map((text) => text.trim())).toEqual([
      'web.northwind.example',
      'internet2.northwind.example',
      'changed',
    ]);
    expect(await page.getByRole('row').count()).toBe(2); // the header and the one change ("Only changes")
    await screenshots(page, 'admin-profile-diff');
  });

  it('refuses unreadable parameters naming the field, keeps the text and makes no version', async () => {
    await page.goto(`${gateway.url}/console/profiles/northwind-standard`);
    await page.getByLabel('Parameters (JSON)').fill('{ "name": ');
    await page.getByRole('button', { name: 'Save new version' }).click();
    const problems = page.getByRole('alert');
    expect(await problems.textContent()).toContain('body.parameters');
    expect(await page.getByLabel('Parameters (JSON)').inputValue()).toBe('{ "name": ');
    const versions = await api(gateway, '/v1/profiles/northwind-standard/versions');
    expect((versions.body.versions as unknown[]).length).toBe(2);
  });

  it('edits a device model and shows each bad line of a CSV import, importing nothing', async () => {
    await page.goto(`${gateway.url}/console/devices`);
    await page.getByLabel('Manufacturer, model or TAC').fill('6230i');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Nokia 6230i' }).click();
    await page.getByLabel('Max SMS per push').fill('7');
    await page.getByRole('button', { name: 'Save model' }).click();
    await page.waitForURL((url) => url.searchParams.get('saved') === '1');
    expect(await page.getByLabel('Max SMS per push').inputValue()).toBe('7');
    expect((await findDeviceModel(gateway.context.db, 'Nokia', '6230i'))!.maxSegments).toBe(7);
    await screenshots(page, 'admin-device-edit');

    await page.goto(`${gateway.url}/console/devices`);
    const csv = [
      'tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes',
      '35999901,Acme,Rocket 1,oma-cp,NETWPIN,6,data;browser,',
      '12ab,Acme,Rocket 2,oma-cp,NETWPIN,6,data,',
    ].join('\n');
    await page.getByLabel('Catalogue CSV').fill(csv);
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const problems = page.getByRole('alert');
    expect(await problems.textContent()).toContain('nothing was imported');
    const lines = (await problems.getByRole('listitem').allTextContents()).map((text) => text.trim());
    expect(lines).toEqual([expect.stringMatching(/^Line 3: TAC '12ab' .*\(TAC_INVALID\)$/)]);
    expect(await page.getByLabel('Catalogue CSV').inputValue()).toBe(csv);
    expect(await findDeviceModel(gateway.context.db, 'Acme', 'Rocket 1')).toBeUndefined();
    await screenshots(page, 'admin-devices-import-refused');
  });

  it('moves a subscriber to another group, audited with the group before and after', async () => {
    const subscriber = uniqueSubscriber();
    const created = await api(gateway, '/v1/subscribers', {
      method: 'POST',
      body: JSON.stringify({ imsi: subscriber.imsi, msisdn: subscriber.msisdn, group: 'default' }),
    });
    expect(created.status).toBe(201);
    await page.goto(`${gateway.url}/console/subscriber-admin`);
    await page.getByLabel('MSISDN (or part)').fill(subscriber.msisdn);
    await page.getByRole('button', { name: 'Find' }).click();
    expect(await page.content()).not.toContain(subscriber.imsi);
    await page.getByLabel(`Group for ${subscriber.msisdn}`).selectOption('prepaid');
    await page.getByRole('button', { name: 'Move' }).click();
    await page.waitForURL((url) => url.searchParams.has('moved'));
    expect((await page.getByRole('status').textContent())?.trim()).toBe(
      `Moved ${subscriber.msisdn} to prepaid.`,
    );
    expect(await page.getByLabel(`Group for ${subscriber.msisdn}`).inputValue()).toBe('prepaid');
    expect((await findSubscriber(gateway.context.db, { msisdn: subscriber.msisdn }))!.groupName).toBe(
      'prepaid',
    );
    const [entry] = await listAudit(gateway.context.db, { action: 'subscribers.change', limit: 1 });
    expect(entry).toMatchObject({ actor: 'test-admin', outcome: 'ok', subjectType: 'subscriber' });
    expect(entry.details).toMatchObject({
      via: 'console',
      before: { group: 'default' },
      after: { group: 'prepaid' },
    });
    await screenshots(page, 'admin-subscriber-groups');
  });

  it('imports subscribers from a CSV: a line with an unknown group refuses the file, skipping it imports the rest', async () => {
    const [good, other] = [uniqueSubscriber(), uniqueSubscriber()];
    const csv = [
      'imsi,msisdn,group',
      `${good.imsi},${good.msisdn},postpaid`,
      `${other.imsi},${other.msisdn},no-such-group`,
    ].join('\n');
    await page.goto(`${gateway.url}/console/subscriber-admin`);
    await page.getByLabel('Subscriber CSV').fill(csv);
    await page.getByRole('button', { name: 'Import subscribers' }).click();
    const lines = (await page.getByRole('alert').getByRole('listitem').allTextContents()).map((text) =>
      text.trim(),
    );
    expect(lines).toEqual([expect.stringMatching(/^Line 3: no group 'no-such-group' \(GROUP_UNKNOWN\)$/)]);
    expect(await findSubscriber(gateway.context.db, { msisdn: good.msisdn })).toBeUndefined();

    await page.getByLabel('Import the good lines and skip the bad ones').check();
    await page.getByRole('button', { name: 'Import subscribers' }).click();
    expect(await page.getByRole('status').textContent()).toContain('1 added');
    expect((await findSubscriber(gateway.context.db, { msisdn: good.msisdn }))!.groupName).toBe('postpaid');
    expect(await findSubscriber(gateway.context.db, { msisdn: other.msisdn })).toBeUndefined();
    await screenshots(page, 'admin-subscribers-imported');
  });

  it('creates an API key whose secret is shown once and works, then revokes it', async () => {
    await page.goto(`${gateway.url}/console/keys`);
    await page.getByLabel('Name').fill('ops-script');
    await page.getByLabel('Role').selectOption('operator');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByLabel('New API key').inputValue();
    expect((await api(gateway, '/v1/smsc', { key: secret })).status).toBe(200);
    await screenshots(page, 'admin-key-created');

    await page.goto(`${gateway.url}/console/keys`);
    expect(await page.content()).not.toContain(secret);
    expect(await page.getByLabel('New API key').count()).toBe(0);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke ops-script' }).click();
    await page.waitForURL((url) => url.searchParams.has('revokedName'));
    expect((await page.getByRole('status').textContent())?.trim()).toBe('Key ops-script revoked.');
    expect((await api(gateway, '/v1/smsc', { key: secret })).status).toBe(401);
    await screenshots(page, 'admin-keys');
  });

  it('filters the audit log, and says so when nothing matches', async () => {
    await page.goto(`${gateway.url}/console/audit`);
    await page.getByLabel('Action').fill('apiKeys.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'apiKeys.create');
    const rows = page.locator('table.audit tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('test-admin');
    expect(await rows.first().textContent()).toContain('"via":"console"');
    await screenshots(page, 'admin-audit');
    await page.getByLabel('Actor').fill('nobody-at-all');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.getByText('No entry matches these filters.').count()).toBe(1);
  });

  it('creates a group with a policy, retires it when empty, and cannot retire the default group', async () => {
    await page.goto(`${gateway.url}/console/groups`);
    await page.getByLabel('Name').fill('trial');
    await page.getByLabel('Policy (JSON)').fill('{ "priority": 5, "confirmation": "ask-first" }');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.waitForURL((url) => url.pathname === '/console/groups/trial');
    expect(await page.getByText(/asks first .* priority 5/).count()).toBe(1);
    await screenshots(page, 'admin-group');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Retire group' }).click();
    await page.waitForURL((url) => url.searchParams.get('retired') === 'trial');
    expect(await page.getByRole('link', { name: 'trial' }).count()).toBe(0);
    await screenshots(page, 'admin-groups');

    await page.goto(`${gateway.url}/console/groups`);
    await page.getByLabel('Name').fill('prepaid');
    await page.getByRole('button', { name: 'Create group' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('GROUP_EXISTS');
    await page.goto(`${gateway.url}/console/groups/default`);
    expect(await page.getByRole('button', { name: 'Retire group' }).isDisabled()).toBe(true);
  });

  it('creates a campaign draft with its preview, starts, pauses, resumes and cancels it', async () => {
    await page.goto(`${gateway.url}/console/campaigns`);
    expect(await page.getByText('No campaigns yet').count()).toBe(1);
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.waitForURL((url) => /^\/console\/campaigns\/[0-9a-f-]{36}$/.test(url.pathname));
    expect(await page.locator('#campaign-live [data-state]').textContent()).toBe('draft');
    expect(await page.getByRole('progressbar').count()).toBe(1);
    await screenshots(page, 'admin-campaign-draft');
    const state = () => page.locator('#campaign-live [data-state]').textContent();
    await page.getByRole('button', { name: 'Start' }).click();
    expect(await state()).toBe('running');
    await page.getByLabel('Reason (pause)').fill('checking receipts first');
    await page.getByRole('button', { name: 'Pause' }).click();
    expect(await state()).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    expect(await state()).toBe('running');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Cancel campaign' }).click();
    expect(await state()).toBe('cancelled');
    await screenshots(page, 'admin-campaign');
    const actions = (await listAudit(gateway.context.db, { subjectType: 'campaign', limit: 10 })).map(
      (e) => e.action,
    );
    expect(actions).toEqual([
      'campaigns.cancel',
      'campaigns.resume',
      'campaigns.pause',
      'campaigns.start',
      'campaigns.create',
    ]);
  });

  it('serves Bull Board at /console/queues with the provisioning queue', async () => {
    await page.goto(`${gateway.url}/console/queues`);
    await page.getByText('provision', { exact: true }).first().waitFor();
    await screenshots(page, 'admin-queues');
    const answer = await page.evaluate(async () => (await fetch('/console/queues/api/queues')).json());
    expect((answer as { queues: { name: string }[] }).queues.map((queue) => queue.name)).toEqual([
      'provision',
    ]);
    // A change from another site is refused, whatever cookie it carries.
    const foreign = await fetch(`${gateway.url}/console/queues/api/queues/provision/pause`, {
      method: 'PUT',
      headers: {
        cookie: (await browser.context.cookies()).map((c) => `${c.name}=${c.value}`).join('; '),
        'sec-fetch-site': 'cross-site',
      },
    });
    expect(foreign.status).toBe(403);
    expect(errors).toEqual([]);
  });

  it('answers mistakes with 4xx pages naming the field, and refuses a form without its CSRF token', async () => {
    const bad = await page.goto(`${gateway.url}/console/audit?since=yesterday`);
    expect(bad!.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('query.since');
    expect((await page.goto(`${gateway.url}/console/profiles/no-such-profile`))!.status()).toBe(404);
    expect((await page.goto(`${gateway.url}/console/devices/999999`))!.status()).toBe(404);
    expect((await page.goto(`${gateway.url}/console/campaigns/not-a-uuid`))!.status()).toBe(400);
    await page.goto(`${gateway.url}/console/keys`);
    const answer = await page.evaluate(async () => {
      const response = await fetch('/console/keys', {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'sneaky', role: 'admin', _csrf: 'forged' }),
      });
      return { status: response.status, body: await response.json() };
    });
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'CSRF_INVALID' } } });
    const keys = await api(gateway, '/v1/keys');
    expect((keys.body.keys as { name: string }[]).map((key) => key.name)).not.toContain('sneaky');
  });

  it('gives a care key the clear 403 page on every admin page', async () => {
    const care = await launchBrowser();
    try {
      const carePage = await care.newPage();
      await signIn(carePage, gateway, 'care');
      for (const path of ADMIN_PAGES) {
        const response = await carePage.goto(`${gateway.url}${path}`);
        expect(response!.status(), path).toBe(403);
        expect(await carePage.getByRole('heading', { name: 'Not allowed' }).count(), path).toBe(1);
        expect(await carePage.getByRole('alert').textContent(), path).toContain('role does not allow');
        expect(await carePage.getByRole('link', { name: 'Profiles' }).count(), path).toBe(0);
      }
      await screenshots(carePage, 'admin-forbidden-for-care');
    } finally {
      await care.close();
    }
  });
});
