/**
 * The parts the chaos run starts and breaks (test/chaos/run.ts): a fresh PostgreSQL database behind a
 * TCP proxy the run can cut, a redis-server of its own with AOF on (never the shared one on 6379),
 * gateway processes (`otagw start --role api|worker`) and the simulator (`otagw smsc-sim`), each a child
 * process with its output in a log file of the run's directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import pg from 'pg';

export const ROOT = resolve(import.meta.dirname, '../..');

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A database of the run's own on the PostgreSQL at `adminUrl`'s server; drop() removes it. */
export async function createDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * A TCP proxy in front of PostgreSQL: `outage(ms)` cuts every connection through it and refuses new
 * ones for that long, as a store that goes away (the shared PostgreSQL itself is never touched).
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private server: Server | undefined;
  port = 0;

  constructor(
    private readonly host: string,
    private readonly upstreamPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.port = (this.server.address() as { port: number }).port;
  }

  private accept(client: Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = connect(this.upstreamPort, this.host);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(socket);
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        this.sockets.delete(socket);
        other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async outage(ms: number): Promise<void> {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
    await sleep(ms);
    this.down = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}

/** A child process with its output appended to a log file. */
export class Child {
  process: ChildProcess | undefined;
  private output = '';
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly logFile: string,
    private readonly env: Record<string, string> = {},
  ) {}

  start(): void {
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- ${new Date().toISOString()} start ${this.name}\n`);
    this.output = '';
    const child = spawn(this.command, this.args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group: a signal meant for it reaches nothing else (the run's own Ctrl-C included)
      detached: true,
    });
    this.process = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        this.output = (this.output + chunk.toString()).slice(-20_000);
        log.write(chunk);
      });
    }
    this.exited = new Promise((done) =>
      child.once('exit', (code, signal) => {
        log.end(`--- ${new Date().toISOString()} exit ${code ?? signal}\n`);
        done(code);
      }),
    );
  }

  running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Waits until its output contains `text`; throws with the output when it exits or `ms` pass first. */
  async waitFor(text: string, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.output.includes(text)) {
      if (!this.running() || Date.now() > deadline) {
        throw new Error(`${this.name} did not say '${text}':\n${this.output.slice(-3000)}`);
      }
      await sleep(50);
    }
  }

  /** Sends `signal`; resolves with the exit code once it exited. */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (!this.running()) return this.process?.exitCode ?? null;
    this.process!.kill(signal);
    return this.exited;
  }
}

/** `otagw start --role ROLE` or `otagw smsc-sim`, run by node from the repository's bin. */
export function otagw(
  name: string,
  args: string[],
  logFile: string,
  env: Record<string, string> = {},
): Child {
  return new Child(name, process.execPath, ['bin/otagw.js', ...args], logFile, env);
}

/** redis-server on `port` with its append-only file under `dir`, fsynced on every write. */
export function redisServer(port: number, dir: string, logFile: string): Child {
  return new Child(
    'redis-server',
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
      // a SIGKILL loses nothing Redis acknowledged: what the chaos run checks is the gateway, not Redis
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    logFile,
  );
}
