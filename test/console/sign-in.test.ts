import { afterAll, beforeAll, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/auth/api-keys.ts';
import { queuedProvisioning } from '../provisioning/harness.ts';
import {
  describeWithBrowser,
  launchBrowser,
  screenshots,
  signIn,
  startConsoleGateway,
  type ConsoleBrowser,
  type ConsoleGateway,
} from './support/browser.ts';

describeWithBrowser('console sign-in, roles and sessions in a real browser', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  beforeAll(async () => {
    gateway = await startConsoleGateway();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('refuses a wrong key with a clear message and keeps the visitor on the sign-in page', async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/console`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/console/sign-in');
    await page.getByLabel('API key').fill('otagw_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('This API key is not accepted: it is unknown, revoked or expired');
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await screenshots(page, 'sign-in-refused');
    await page.close();
  });

  it('signs care in, shows the care navigation only, and gives an admin page a clear 403 page', async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await signIn(page, gateway, 'care');
    expect(new URL(page.url()).pathname).toBe('/console/subscribers');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect.poll(() => nav.getByRole('link', { name: 'Subscribers' }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Profiles' }).count()).toBe(0);
    expect(await nav.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    const cookies = await browser.context.cookies();
    const session = cookies.find((cookie) => cookie.name === 'otagw_console')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(session.value).not.toContain(gateway.keys.care);
    expect(await page.content()).not.toContain(gateway.keys.care);

    const response = await page.goto(`${gateway.url}/console/profiles`);
    expect(response!.status()).toBe(403);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Not allowed');
    expect(await page.getByRole('alert').textContent()).toContain('role does not allow');
    await screenshots(page, 'forbidden');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/console/sign-in');
    expect(await page.getByRole('status').textContent()).toContain('You have signed out');
    await page.goto(`${gateway.url}/console/subscribers`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await page.close();
  });

  it('refuses a POST without or with a wrong CSRF token (403 page), accepts the right one', async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await signIn(page, gateway, 'admin');
    const token = await page.locator('body').getAttribute('data-csrf');
    expect(token).toBeTruthy();
    const post = (fields: Record<string, string>) =>
      page.request.post(`${gateway.url}/console/sign-out`, { form: fields, maxRedirects: 0 });
    const missing = await post({});
    expect(missing.status()).toBe(403);
    expect(await missing.text()).toContain('This form was not accepted');
    const wrong = await post({ _csrf: 'x'.repeat(token!.length) });
    expect(wrong.status()).toBe(403);
    // Still signed in: the refused POSTs did nothing.
    await page.reload();
    expect(new URL(page.url()).pathname).not.toBe('/console/sign-in');
    const right = await post({ _csrf: token! });
    expect(right.status()).toBe(303);
    await page.close();
  });

  it('ends the session when its key is revoked', async () => {
    await browser.context.clearCookies();
    const page = await browser.newPage();
    await signIn(page, gateway, 'operator');
    await revokeApiKey(
      gateway.context.db,
      (await gateway.context.db.one<{ id: string }>("SELECT id FROM api_keys WHERE name = 'test-operator'"))!
        .id,
    );
    await page.goto(`${gateway.url}/console/smsc`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    expect(await page.getByRole('status').textContent()).toContain('Your session has ended');
    await page.close();
  });
});

describeWithBrowser('console session timeout', () => {
  let gateway: ConsoleGateway;
  let browser: ConsoleBrowser;
  beforeAll(async () => {
    gateway = await startConsoleGateway({ console: { sessionIdleMs: 1_500 } });
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('sends a page idle longer than console.sessionIdleMs to sign in, saying the session ended', async () => {
    const page = await browser.newPage();
    await signIn(page, gateway, 'care');
    await page.goto(`${gateway.url}/console/subscribers`);
    expect(new URL(page.url()).pathname).toBe('/console/subscribers');
    await new Promise((done) => setTimeout(done, 2_000));
    await page.goto(`${gateway.url}/console/subscribers?q=49`);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/console/sign-in');
    expect(url.searchParams.get('next')).toBe('/console/subscribers?q=49');
    expect(await page.getByRole('status').textContent()).toContain('Your session has ended. Sign in again.');
    await screenshots(page, 'sign-in-expired');
    await page.getByLabel('API key').fill(gateway.keys.care);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((next) => next.pathname === '/console/subscribers');
    expect(new URL(page.url()).search).toBe('?q=49');
  });

  it('ends a live page’s event stream with its session and sends the page to sign in, saying so', async () => {
    const id = await queuedProvisioning(gateway.context.db, { name: 'hlr' }, 'first-use');
    const msisdn = (await gateway.context.db.one<{ msisdn: string }>(
      'SELECT s.msisdn FROM subscribers s JOIN provisionings p ON p.subscriber_id = s.id WHERE p.id = $1',
      [id],
    ))!.msisdn;
    const page = await browser.newPage();
    await signIn(page, gateway, 'care');
    await page.goto(`${gateway.url}/console/subscribers/${msisdn}`);
    await expect.poll(() => page.locator('#live-status').getAttribute('data-state')).toBe('open');
    // Nobody touches the page: the session goes idle, the stream ends, the page finds out by itself.
    await page.waitForURL((url) => url.pathname === '/console/sign-in', { timeout: 15_000 });
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/console/subscribers/${msisdn}`);
    expect(await page.getByRole('status').textContent()).toContain('Your session has ended. Sign in again.');
  });
});
