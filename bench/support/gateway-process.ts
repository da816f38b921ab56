/**
 * The gateway under test, in a process of its own, started the way `npm start` starts it: startGateway
 * (src/main.ts) with role `all` and the shipped configuration (config/default.yaml, config/groups.yaml,
 * the seeds), overridden only where a benchmark must say where things are: the store, Redis (with a key
 * prefix of its own), HTTP on an ephemeral port (log level, rate limit and the rest as shipped), and the SMSC, which is the simulator in its own process
 * bound exactly as the shipped gateway binds its built-in one (simulatorRouting: one bind, window 50).
 * So HTTP, the rate limiter, the Redis event bus, the worker (concurrency 50), receipts and the sweeps
 * all run as shipped. `--binds`, `--window` and `--concurrency` can change those three, and say so.
 *
 * The child reports what it sees on its own event bus (as an SSE client of /v1/events would): for each
 * provisioning the time its 'submitted' and its final state were recorded (the event's `at`, the time of
 * the store's transition) and the final state's cause. With `profile`, a CPU profile of the
 * measured part (node:inspector) is written to a file.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig, type Config } from '../../src/config.ts';
import { REDIS_URL } from './redis.ts';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

export interface GatewaySettings {
  storeUrl: string;
  redisUrl: string;
  prefix: string;
  smscHost: string;
  smscPort: number;
  /** undefined: as shipped */
  binds?: number;
  window?: number;
  workerConcurrency?: number;
  /** `--service stub` of bench:api: triggers answered without recording anything */
  stubService?: boolean;
  /** undefined: as shipped (200/s burst 1,000); bench:vs-kannel --path care raises it */
  careRateLimit?: { ratePerSecond: number; burst: number };
}

/** What the gateway runs with, for the report. */
export interface GatewayFacts {
  workerConcurrency: number;
  binds: number;
  window: number;
  storePoolSize: number;
  rateLimit: string;
  eventBus: string;
  sweeps: boolean;
  logLevel: string;
  receiptTimeoutMs: number;
}

/** The configuration the child gives startGateway; the parent seeds the store with the same one. */
/**
 * The shipped configuration as the store templates are seeded with it (prepareTemplate): only its seeds
 * matter there, so no store, Redis prefix or SMSC of a run.
 */
export function seedingConfig(smsc: { host: string; port: number }): Promise<Config> {
  return gatewayConfig({
    storeUrl: 'memory://',
    redisUrl: REDIS_URL,
    prefix: 'unused',
    smscHost: smsc.host,
    smscPort: smsc.port,
  });
}

export async function gatewayConfig(settings: GatewaySettings): Promise<Config> {
  const { simulatorRouting } = await import('../../src/main.ts');
  const shipped = simulatorRouting(settings.smscHost, settings.smscPort).smscs[0];
  return loadConfig({
    env: {}, // nothing from the shell: every difference from the shipped configuration is written here
    configDir: join(ROOT, 'config'),
    overrides: {
      http: {
        host: '127.0.0.1',
        port: 0,
        ...(settings.careRateLimit ? { rateLimit: { roles: { care: settings.careRateLimit } } } : {}),
      },
      store: { url: settings.storeUrl },
      redis: { url: settings.redisUrl, prefix: settings.prefix },
      smsc: {
        smscs: [
          {
            ...shipped,
            ...(settings.binds === undefined ? {} : { binds: settings.binds }),
            ...(settings.window === undefined ? {} : { window: settings.window }),
          },
        ],
      },
      provisioning:
        settings.workerConcurrency === undefined ? {} : { workerConcurrency: settings.workerConcurrency },
    },
  });
}

export interface ProvisioningTimes {
  /** store time of the 'submitted' transition (every segment answered), ms since epoch */
  submittedAt?: number;
  state?: string;
  /** store time of the final transition */
  finalAt?: number;
  /** the final transition's cause (a failure code, 'receipt', ...) */
  cause?: string;
}

type ToChild =
  | { op: 'start'; settings: GatewaySettings }
  | { op: 'progress'; id: number }
  | { op: 'collect'; id: number }
  | { op: 'profile-start'; id: number }
  | { op: 'profile-stop'; id: number; file: string }
  | { op: 'cpu'; id: number }
  | { op: 'stop'; id: number };
type FromChild =
  | { op: 'ready'; httpUrl: string; facts: GatewayFacts }
  | { op: 'failed'; message: string }
  | { op: 'progress'; id: number; final: number; delivered: number }
  | { op: 'collected'; id: number; entries: Array<[string, ProvisioningTimes]> }
  | { op: 'cpu'; id: number; user: number; system: number }
  | { op: 'done'; id: number };

const FINAL = new Set(['delivered', 'failed', 'expired', 'cancelled']);

// ---- child ---------------------------------------------------------------------------------------------

async function runChild(): Promise<void> {
  const start = await new Promise<Extract<ToChild, { op: 'start' }>>((resolveStart) =>
    process.once('message', (message: ToChild) => resolveStart(message as Extract<ToChild, { op: 'start' }>)),
  );
  const { startGateway } = await import('../../src/main.ts');
  const { DEFAULT_RATE_LIMIT } = await import('../../src/http/middleware/rate-limit.ts');
  const config = await gatewayConfig(start.settings);
  const gateway = await startGateway({ role: 'all', config });
  const context = gateway.context!;
  if (start.settings.stubService) {
    const { randomUUID } = await import('node:crypto');
    // the routes call context.provisioning at request time: HTTP, auth, validation and audit stay real
    context.provisioning.requestFirstUse = async () => ({ outcome: 'queued', provisioningId: randomUUID() });
  }
  const times = new Map<string, ProvisioningTimes>();
  let final = 0;
  let delivered = 0;
  context.events.subscribe((event) => {
    if (event.type !== 'provisioning.state') return;
    if (event.to === 'submitted') {
      const entry = times.get(event.provisioningId) ?? {};
      entry.submittedAt = Date.parse(event.at);
      times.set(event.provisioningId, entry);
    } else if (FINAL.has(event.to)) {
      const entry = times.get(event.provisioningId) ?? {};
      if (entry.state === undefined) {
        final++;
        if (event.to === 'delivered') delivered++;
      }
      entry.state = event.to;
      entry.finalAt = Date.parse(event.at);
      entry.cause = event.cause;
      times.set(event.provisioningId, entry);
    }
  });
  let session: Session | undefined;
  // the benchmark went away (Ctrl-C, a crash): do not keep a gateway running
  process.once('disconnect', () => void gateway.stop().finally(() => process.exit(0)));
  process.on('message', (message: ToChild) => {
    void (async () => {
      switch (message.op) {
        case 'cpu': {
          const usage = process.cpuUsage();
          process.send?.({
            op: 'cpu',
            id: message.id,
            user: usage.user,
            system: usage.system,
          } satisfies FromChild);
          return;
        }
        case 'progress':
          process.send?.({ op: 'progress', id: message.id, final, delivered } satisfies FromChild);
          return;
        case 'collect':
          process.send?.({ op: 'collected', id: message.id, entries: [...times] } satisfies FromChild);
          times.clear();
          return;
        case 'profile-start':
          session = new Session();
          session.connect();
          await session.post('Profiler.enable');
          await session.post('Profiler.start');
          process.send?.({ op: 'done', id: message.id } satisfies FromChild);
          return;
        case 'profile-stop': {
          if (session) {
            const { profile } = await session.post('Profiler.stop');
            writeFileSync(message.file, JSON.stringify(profile));
            session.disconnect();
            session = undefined;
          }
          process.send?.({ op: 'done', id: message.id } satisfies FromChild);
          return;
        }
        case 'stop':
          await gateway.stop();
          process.exit(0);
      }
    })();
  });
  const smsc = config.smsc.routing!.smscs[0];
  process.send?.({
    op: 'ready',
    httpUrl: gateway.httpUrl!,
    facts: {
      workerConcurrency: config.provisioning.workerConcurrency,
      binds: smsc.binds,
      window: smsc.window,
      storePoolSize: config.store.poolSize,
      rateLimit: `${DEFAULT_RATE_LIMIT.ratePerSecond}/s per key, burst ${DEFAULT_RATE_LIMIT.burst} (shipped default)`,
      eventBus: 'Redis pub/sub',
      sweeps: true,
      logLevel: config.log.level,
      receiptTimeoutMs: config.provisioning.receiptTimeoutMs,
    },
  } satisfies FromChild);
}

// ---- parent --------------------------------------------------------------------------------------------

export class GatewayProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (message: FromChild) => void>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly httpUrl: string,
    readonly facts: GatewayFacts,
  ) {
    child.on('message', (message: FromChild) => {
      if ('id' in message) {
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      }
    });
    child.once('exit', () => (this.exited = true));
  }

  /** `cwd`: the gateway writes var/run/api.json there (prepareLocalAdmin), not into the checkout. */
  static start(settings: GatewaySettings, options: { cwd: string }): Promise<GatewayProcess> {
    const child = fork(fileURLToPath(import.meta.url), [], {
      cwd: options.cwd,
      execArgv: process.execArgv,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 2, 'ipc'],
    });
    // The gateway logs JSON lines on stdout at its shipped level (info): pass on warnings and errors
    // (to stderr, so --json output stays one line), not the info lines of every start and shutdown.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const level = /"level":(\d+)/.exec(line);
      if (!level || Number(level[1]) >= 40) process.stderr.write(`gateway: ${line}\n`);
    });
    return new Promise((resolveStart, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`gateway process exited (${code}) before it was ready`)));
      child.on('message', (message: FromChild) => {
        if (message.op === 'ready') {
          child.removeAllListeners('exit');
          resolveStart(new GatewayProcess(child, message.httpUrl, message.facts));
        } else if (message.op === 'failed') {
          reject(new Error(`gateway did not start: ${message.message}`));
        }
      });
      child.send({ op: 'start', settings } satisfies ToChild);
    });
  }

  /** The gateway's process id (its memory is read from /proc/<pid>/status). */
  get pid(): number {
    return this.child.pid!;
  }

  private ask<T extends FromChild>(message: ToChild): Promise<T> {
    return new Promise((resolveAnswer, reject) => {
      if (this.exited) return reject(new Error('gateway process has exited'));
      this.waiting.set((message as { id: number }).id, resolveAnswer as (message: FromChild) => void);
      this.child.send(message);
    });
  }

  /** Provisionings that reached a final state (and delivered) since the start, from the event bus. */
  progress(): Promise<{ final: number; delivered: number }> {
    return this.ask<Extract<FromChild, { op: 'progress' }>>({ op: 'progress', id: this.nextId++ });
  }

  /** CPU time the gateway process has used, µs */
  async cpuMicros(): Promise<{ user: number; system: number }> {
    const { user, system } = await this.ask<Extract<FromChild, { op: 'cpu' }>>({
      op: 'cpu',
      id: this.nextId++,
    });
    return { user, system };
  }

  async collect(): Promise<Map<string, ProvisioningTimes>> {
    const answer = await this.ask<Extract<FromChild, { op: 'collected' }>>({
      op: 'collect',
      id: this.nextId++,
    });
    return new Map(answer.entries);
  }

  async startProfile(): Promise<void> {
    await this.ask({ op: 'profile-start', id: this.nextId++ });
  }

  async stopProfile(file: string): Promise<void> {
    await this.ask({ op: 'profile-stop', id: this.nextId++, file });
  }

  /** Stops the gateway as a signal would (gateway.stop()) and waits for the process to exit. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.send({ op: 'stop', id: this.nextId++ } satisfies ToChild);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChild().catch((error: unknown) => {
    process.send?.({ op: 'failed', message: (error as Error).message } satisfies FromChild);
    process.stderr.write(`bench gateway: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
