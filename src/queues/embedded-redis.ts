/**
 * The embedded default when REDIS_URL is not set: a `redis-server` from PATH, started as a child process
 * with its data under ./var (append-only file on, so a restart keeps the queue), on a free loopback port,
 * stopped by the gateway as the last step of its shutdown. It runs in a process group of its own
 * (detached): Ctrl-C signals the terminal's whole foreground group, and the gateway still needs Redis
 * while it drains; it is the gateway that stops it, last (src/main.ts SHUTDOWN_ORDER).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly code = 'REDIS_UNAVAILABLE';
}

export interface EmbeddedRedis {
  url: string;
  port: number;
  /** the redis-server's process id (its process group's too) */
  pid: number;
  /** SIGTERM (Redis writes its append-only file and exits), SIGKILL after 3 s. */
  stop(): Promise<void>;
}

const HOW_TO_GET_REDIS =
  'set REDIS_URL=redis://host:6379, or install redis-server (Debian/Ubuntu: apt-get install redis-server; ' +
  'macOS: brew install redis), or run `docker run -p 6379:6379 redis:7`';

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function redisServerOnPath(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.status === 0;
}

export async function startEmbeddedRedis(options: { dir: string; port?: number }): Promise<EmbeddedRedis> {
  if (!redisServerOnPath()) {
    throw new RedisUnavailableError(
      `no Redis: REDIS_URL is not set and redis-server is not on PATH — ${HOW_TO_GET_REDIS}`,
    );
  }
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--daemonize',
      'no',
      '--save',
      '',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  // A gateway that dies without its shutdown (SIGKILL) leaves it running, as a daemon would; the
  // gateway's next start with the same dir and port finds the port taken and says so.
  child.unref();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new RedisUnavailableError(
        `redis-server exited (${child.exitCode}): ${stderr.trim()} — ${HOW_TO_GET_REDIS}`,
      );
    }
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new RedisUnavailableError(
          `redis-server did not answer on ${url} within 5 s — ${HOW_TO_GET_REDIS}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // Piped stderr would keep the event loop alive after the gateway's shutdown: only read while starting.
  child.stderr?.destroy();
  return {
    url,
    port,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      await new Promise<void>((done) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
        }, 3_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
