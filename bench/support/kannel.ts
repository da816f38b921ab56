/**
 * Kannel (Debian's `kannel` package: /usr/sbin/bearerbox and /usr/sbin/smsbox) as bench:vs-kannel runs
 * it: a generated kannel.conf in a temporary directory, everything bound to 127.0.0.1, `smsc = smpp`
 * pointed at otagw's SMSC simulator with an account of its own, `max-pending-submits = 10` (otagw's
 * window=10), in-memory queue (no store-file), log-level warning, one sendsms-user for
 * /cgi-bin/sendota. Kannel's sendota asks for no delivery receipt (no dlr-mask), so none is configured.
 *
 * bearerbox and smsbox are child processes of this one, stopped by their pids (SIGTERM, then SIGKILL
 * after 10 s); the directory is removed afterwards.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { undoOnInterrupt } from './cleanup.ts';

export const BEARERBOX = process.env.KANNEL_BEARERBOX ?? '/usr/sbin/bearerbox';
export const SMSBOX = process.env.KANNEL_SMSBOX ?? '/usr/sbin/smsbox';

export interface KannelSettings {
  adminPort: number;
  smsboxPort: number;
  sendsmsPort: number;
  adminPassword: string;
  /** the SMSC simulator */
  smscHost: string;
  smscPort: number;
  smscUsername: string;
  smscPassword: string;
  /** SMPP window: submit_sm sent before their submit_sm_resp */
  maxPendingSubmits: number;
  sendsmsUser: string;
  sendsmsPassword: string;
  /** the SMPP source address of the pushes */
  sender: string;
  /** directory for the log files (log-level warning: a run writes next to nothing) */
  logDir: string;
}

/** The smsc group's id: the admin status page names the connection by it. */
export const KANNEL_SMSC_ID = 'sim';

/**
 * kannel.conf for the settings (Kannel 1.4 user guide: core, smsc, smsbox and sendsms-user groups).
 * Groups are separated by one empty line and have none inside (the guide's rule).
 */
export function kannelConfig(s: KannelSettings): string {
  const groups: Array<Array<[string, string | number]>> = [
    [
      ['group', 'core'],
      ['admin-port', s.adminPort],
      ['admin-interface', '127.0.0.1'],
      ['admin-password', s.adminPassword],
      ['admin-allow-ip', '127.0.0.1'],
      ['smsbox-port', s.smsboxPort],
      ['smsbox-interface', '127.0.0.1'],
      ['box-allow-ip', '127.0.0.1'],
      ['log-file', join(s.logDir, 'bearerbox.log')],
      ['log-level', 1], // 1 = warning
      ['dlr-storage', 'internal'],
    ],
    [
      ['group', 'smsc'],
      ['smsc', 'smpp'],
      ['smsc-id', KANNEL_SMSC_ID],
      ['host', s.smscHost],
      ['port', s.smscPort],
      ['transceiver-mode', 'true'],
      ['smsc-username', s.smscUsername],
      ['smsc-password', s.smscPassword],
      ['system-type', ''],
      ['interface-version', 34],
      ['max-pending-submits', s.maxPendingSubmits],
      ['enquire-link-interval', 30],
      ['reconnect-delay', 1],
      ['log-level', 1],
    ],
    [
      ['group', 'smsbox'],
      ['bearerbox-host', '127.0.0.1'],
      ['bearerbox-port', s.smsboxPort],
      ['sendsms-port', s.sendsmsPort],
      ['sendsms-interface', '127.0.0.1'],
      ['global-sender', s.sender],
      ['log-file', join(s.logDir, 'smsbox.log')],
      ['log-level', 1],
    ],
    [
      ['group', 'sendsms-user'],
      ['username', s.sendsmsUser],
      ['password', s.sendsmsPassword],
      ['user-allow-ip', '127.0.0.1'],
      // the default is 1: a push longer than one SMS would be cut to 140 octets, not concatenated
      ['max-messages', 10],
      ['concatenation', 'true'],
    ],
  ];
  const line = ([key, value]: [string, string | number]): string =>
    typeof value === 'number' ? `${key} = ${value}` : `${key} = "${value}"`;
  return groups.map((group) => group.map(line).join('\n')).join('\n\n') + '\n';
}

/** `1.4.5` from `bearerbox --version`, or undefined when Kannel is not installed (or does not run). */
export function kannelVersion(): string | undefined {
  if (!existsSync(BEARERBOX) || !existsSync(SMSBOX)) return undefined;
  try {
    const out = execFileSync(BEARERBOX, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return /version `([^']+)'/.exec(out)?.[1] ?? 'unknown';
  } catch (error) {
    // bearerbox --version prints to stderr and may exit non-zero
    const text =
      String((error as { stdout?: string }).stdout ?? '') +
      String((error as { stderr?: string }).stderr ?? '');
    return /version `([^']+)'/.exec(text)?.[1];
  }
}

/** A free TCP port on 127.0.0.1 (the kernel picks one; Kannel cannot be told to take port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/**
 * What bearerbox's status.txt says of the SMPP connection and the smsbox: `online` once the bind is up
 * (the line of smsc-id `sim`), and whether a box is connected (`on-line` in "Box connections").
 */
export function parseKannelStatus(text: string): { smscOnline: boolean; boxConnected: boolean } {
  const smscs = text.split('SMSC connections:')[1] ?? '';
  const smscLine = smscs.split('\n').find((line) => line.trim().startsWith(`${KANNEL_SMSC_ID}[`));
  const boxes = (text.split('Box connections:')[1] ?? '').split('SMSC connections:')[0];
  return {
    smscOnline: smscLine !== undefined && /\(online /.test(smscLine),
    boxConnected: /\(on-line /.test(boxes),
  };
}

export class KannelProcesses {
  private constructor(
    private readonly dir: string,
    private readonly bearerbox: ChildProcess,
    private readonly smsbox: ChildProcess,
    readonly settings: KannelSettings,
    private readonly forget: () => void,
  ) {}

  get bearerboxPid(): number {
    return this.bearerbox.pid!;
  }

  get smsboxPid(): number {
    return this.smsbox.pid!;
  }

  get sendotaUrl(): URL {
    return new URL(`http://127.0.0.1:${this.settings.sendsmsPort}/cgi-bin/sendota`);
  }

  /** Starts bearerbox, waits for the SMPP bind, starts smsbox, waits until it is connected and listens. */
  static async start(smsc: {
    host: string;
    port: number;
    username: string;
    password: string;
    maxPendingSubmits: number;
  }): Promise<KannelProcesses> {
    const dir = mkdtempSync(join(tmpdir(), 'otagw-bench-kannel-'));
    const [adminPort, smsboxPort, sendsmsPort] = [await freePort(), await freePort(), await freePort()];
    const settings: KannelSettings = {
      adminPort,
      smsboxPort,
      sendsmsPort,
      adminPassword: 'bench',
      smscHost: smsc.host,
      smscPort: smsc.port,
      smscUsername: smsc.username,
      smscPassword: smsc.password,
      maxPendingSubmits: smsc.maxPendingSubmits,
      sendsmsUser: 'bench',
      sendsmsPassword: 'bench',
      sender: '2020',
      logDir: dir,
    };
    const file = join(dir, 'kannel.conf');
    writeFileSync(file, kannelConfig(settings));
    const spawnBox = (binary: string): ChildProcess =>
      spawn(binary, [file], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    const bearerbox = spawnBox(BEARERBOX);
    let smsbox: ChildProcess | undefined;
    const stopAll = async (): Promise<void> => {
      await Promise.all([stopChild(smsbox), stopChild(bearerbox)]);
      rmSync(dir, { recursive: true, force: true });
    };
    const forget = undoOnInterrupt(stopAll);
    try {
      const statusUrl = `http://127.0.0.1:${adminPort}/status.txt?password=${settings.adminPassword}`;
      await waitFor('bearerbox SMPP bind to the simulator', bearerbox, async () => {
        const { body } = await httpGet(statusUrl);
        return parseKannelStatus(body).smscOnline;
      });
      smsbox = spawnBox(SMSBOX);
      const started = smsbox;
      await waitFor('smsbox connected to bearerbox', started, async () => {
        const { body } = await httpGet(statusUrl);
        return parseKannelStatus(body).boxConnected;
      });
      await waitFor('smsbox sendsms port', started, async () => {
        const { status } = await httpGet(`http://127.0.0.1:${sendsmsPort}/cgi-bin/nothing`);
        return status > 0;
      });
      return new KannelProcesses(dir, bearerbox, started, settings, forget);
    } catch (error) {
      await stopAll();
      forget();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await Promise.all([stopChild(this.smsbox), stopChild(this.bearerbox)]);
    rmSync(this.dir, { recursive: true, force: true });
    this.forget();
  }
}

async function waitFor(what: string, child: ChildProcess, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what}: exited (${child.exitCode}): ${stderr.trim()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not ready within 20 s: ${stderr.trim()}`);
}

/** SIGTERM by pid, SIGKILL after 10 s; resolves when the child has exited. */
async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}
