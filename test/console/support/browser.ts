/**
 * The console in a real browser: playwright-core driving Debian's chromium (/usr/bin/chromium; nothing
 * downloaded) against the real gateway — test store, real Redis (unique prefix), a worker, the SMSC
 * simulator over SMPP and the HTTP app with the console — one API key per role.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe } from 'vitest';
import type { AppContext } from '../../../src/app-context.ts';
import { createApiKey } from '../../../src/auth/api-keys.ts';
import { ROLES, type Role } from '../../../src/auth/roles.ts';
import type { Config } from '../../../src/config.ts';
import { createApp, type HttpOptions } from '../../../src/http/app.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { startHarness, type Harness, type HarnessOptions } from '../../provisioning/harness.ts';

export const CHROMIUM = process.env.OTAGW_CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
/** The flags of the brief (docs: browser tests); the profile dir is a fresh one per launch. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../../test-output/console');
export const WIDTHS = [1280, 390] as const;

/**
 * describe, or describe.skip with the reason in its name (and on stderr) when chromium is missing:
 * a browser test never disappears silently. On CI .ci/run installs chromium.
 */
export const describeWithBrowser: typeof describe = HAS_CHROMIUM
  ? describe
  : (((name: string, fn: () => void) => {
      process.stderr.write(
        `console browser tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium)\n`,
      );
      return describe.skip(`${name} [skipped: no chromium at ${CHROMIUM}]`, fn);
    }) as unknown as typeof describe);

export interface ConsoleGateway {
  url: string;
  h: Harness;
  context: AppContext;
  /** One key per role, named test-<role>. */
  keys: Record<Role, string>;
  close(): Promise<void>;
}

export interface ConsoleGatewayOptions {
  harness?: HarnessOptions;
  /** console: settings (session timeouts); the cookie secret is a fixed test one unless given. */
  console?: Partial<Config['console']>;
  http?: HttpOptions;
}

export async function startConsoleGateway(options: ConsoleGatewayOptions = {}): Promise<ConsoleGateway> {
  const h = await startHarness('pglite', options.harness);
  const config: Config = Object.freeze({
    ...h.config,
    console: {
      ...h.config.console,
      cookieSecret: 'test-console-secret-0123456789abcdef',
      ...options.console,
    },
  });
  const context: AppContext = {
    config,
    db: h.store.db,
    logger: createLogger({ level: 'silent' }),
    provisioning: h.service,
    events: h.events,
    queues: { ping: () => h.queue.ping(), counts: () => h.queue.counts(), board: [h.queue.queue] },
    smsc: h.connector,
    metrics: h.metrics.registry,
  };
  const server: Server = await new Promise((done) => {
    const listening = createApp(context, options.http).listen(0, '127.0.0.1', () => done(listening));
  });
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await createApiKey(h.store.db, { name: `test-${role}`, role })).key;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    h,
    context,
    keys,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await h.close();
    },
  };
}

export interface ConsoleBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Chromium with a fresh --user-data-dir (removed on close), 1280 px wide. */
export async function launchBrowser(): Promise<ConsoleBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'otagw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: WIDTHS[0], height: 900 },
  });
  context.setDefaultTimeout(10_000);
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Signs in through the form as a person would (after dropping the browser's cookies: a session still
 * open would skip the form); resolves on the first page after it.
 */
export async function signIn(page: Page, gateway: ConsoleGateway, role: Role): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${gateway.url}/console/sign-in`);
  await page.getByLabel('API key').fill(gateway.keys[role]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/console/sign-in'));
}

/** test-output/console/<name>-1280.png and <name>-390.png (full page); the page is left 1280 wide. */
export async function screenshots(page: Page, name: string): Promise<string[]> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const files: string[] = [];
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    const path = join(SCREENSHOT_DIR, `${name}-${width}.png`);
    await page.screenshot({ path, fullPage: true });
    files.push(path);
  }
  await page.setViewportSize({ width: WIDTHS[0], height: 900 });
  return files;
}
