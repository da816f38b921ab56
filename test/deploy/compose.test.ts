/**
 * docker-compose.yml checked without a Docker engine: the services and their roles, that otagw runs
 * from the image this repository's Dockerfile builds (no host checkout mounted), that the workers scale,
 * that every environment variable is one the configuration reads, and that every `command:` parses with
 * the real CLI (the certs command is run for real into a temporary directory).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runSmscSim } from '../../src/cli/commands/smsc-sim.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { ROLES } from '../../src/main.ts';
import { DEFAULT_ACCOUNT } from '../../src/smsc-sim/index.ts';
import {
  CONFIG_DIR,
  REPO_ROOT,
  commandOf,
  configReads,
  envOf,
  environmentOf,
  execForm,
  loadCompose,
  parseDockerfile,
  repoFile,
  type ComposeFile,
  type ComposeService,
} from './deploy-files.ts';

const PROJECT_ENV = {
  POSTGRES_PASSWORD: 'compose-test-password',
  SMSC_SIM_CONTROL_TOKEN: 'compose-test-token',
  OTAGW_DM_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
  OTAGW_CONSOLE_COOKIE_SECRET: 'compose-test-cookie-secret-of-32-characters',
};
const COMPOSE_TEXT = repoFile('docker-compose.yml');
const compose: ComposeFile = loadCompose(COMPOSE_TEXT, PROJECT_ENV);
const services = compose.services;
const dockerfile = parseDockerfile(repoFile('Dockerfile'));
const finalStage = dockerfile.stages[dockerfile.stages.length - 1];

/** The otagw services: those built from (or running the image of) this repository's Dockerfile. */
const OTAGW_SERVICES = ['certs', 'smsc-sim', 'api', 'worker'];

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    readStdin: async () => '',
  };
}

/** The control API's port once `otagw smsc-sim` says where it listens. */
async function waitForControlPort(io: { out: string[]; err: string[] }): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const match = /control API on http:\/\/[^\s]+:(\d+)/.exec(io.out.join(''));
    if (match) return Number(match[1]);
    if (Date.now() > deadline)
      throw new Error(`smsc-sim did not start: ${io.out.join('')}${io.err.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a script the image runs (a health check) with this environment; its exit code. */
async function healthcheck(args: string[], env: Record<string, string>): Promise<number> {
  try {
    await promisify(execFile)(process.execPath, [join(REPO_ROOT, args[0]), ...args.slice(1)], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 10_000,
    });
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

/** The environment a container of the image gets: the final stage's ENV, then the service's. */
function containerEnv(name: string): Record<string, string | null> {
  const imageEnv: Record<string, string> = {};
  for (const instruction of finalStage.instructions)
    if (instruction.keyword === 'ENV') Object.assign(imageEnv, envOf(instruction.args));
  return { ...imageEnv, ...environmentOf(service(name)) };
}

let certsDir: string;

beforeAll(async () => {
  certsDir = mkdtempSync(join(tmpdir(), 'otagw-compose-certs-'));
  // The certs service's command, run for real with its --dir pointed at a temporary directory.
  const argv = commandOf(service('certs'));
  const dir = argv.indexOf('--dir');
  expect(dir, 'certs command has --dir').toBeGreaterThan(0);
  const io = captureIo();
  const code = await main(
    argv.map((arg, index) => (index === dir + 1 ? certsDir : arg)),
    io,
  );
  expect(io.err.join(''), 'certs command stderr').toBe('');
  expect(code).toBe(0);
}, 60_000);

afterAll(() => {
  if (certsDir) rmSync(certsDir, { recursive: true, force: true });
});

describe('docker-compose.yml', () => {
  it('has redis (AOF on, a volume), postgres (a volume, a health check), certs, api, worker and smsc-sim', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'certs', 'postgres', 'redis', 'smsc-sim', 'worker'].sort(),
    );
    const redis = service('redis');
    const redisArgs = commandOf(redis);
    expect(redisArgs[0]).toBe('redis-server');
    expect(redisArgs[redisArgs.indexOf('--appendonly') + 1]).toBe('yes');
    expect(redis.volumes).toContainEqual(expect.stringMatching(/^[\w.-]+:\/data$/));
    const postgres = service('postgres');
    expect(postgres.image).toMatch(/^postgres:/);
    expect(postgres.volumes).toContainEqual(expect.stringMatching(/^[\w.-]+:\/var\/lib\/postgresql\/data$/));
    expect(postgres.healthcheck?.test).toBeDefined();
  });

  it('runs otagw from the image this repository Dockerfile builds, never from a mounted checkout', () => {
    for (const name of OTAGW_SERVICES) {
      const { build } = service(name);
      expect(build, `${name} build:`).toBeTypeOf('object');
      const spec = build as Exclude<typeof build, string | undefined>;
      expect(resolve(REPO_ROOT, spec.context ?? '.'), `${name} build context`).toBe(resolve(REPO_ROOT));
      const dockerfilePath = resolve(REPO_ROOT, spec.context ?? '.', spec.dockerfile ?? 'Dockerfile');
      expect(dockerfilePath).toBe(resolve(REPO_ROOT, 'Dockerfile'));
      expect(spec.target ?? finalStage.name, `${name} build target`).toBe(finalStage.name);
      // The image's ENTRYPOINT (node bin/otagw.js) stays; command: is the otagw command line.
      expect(service(name).entrypoint, `${name} entrypoint`).toBeUndefined();
    }
  });

  it('mounts named volumes only: no bind mount of the checkout (., ./), of node_modules or of anything else', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    for (const [name, svc] of Object.entries(services)) {
      for (const volume of svc.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
        const type = typeof volume === 'string' ? undefined : volume.type;
        expect(type ?? 'volume', `${name}: ${JSON.stringify(volume)}`).toBe('volume');
        expect(source, `${name}: ${JSON.stringify(volume)} is a bind mount`).toMatch(/^[A-Za-z0-9][\w.-]*$/);
        expect(declared.has(source as string), `${name}: volume ${source} is declared`).toBe(true);
      }
    }
    expect(COMPOSE_TEXT).not.toMatch(/^\s*-\s*['"]?\.\/?:/m);
    expect(COMPOSE_TEXT).not.toMatch(/node_modules/);
  });

  it('lets the worker scale: no container name, no published port, no volume of its own', () => {
    const worker = service('worker');
    expect(worker.container_name).toBeUndefined();
    expect(worker.hostname).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.volumes ?? []).toEqual([]);
    for (const [name, svc] of Object.entries(services))
      expect(svc.container_name, `${name} container_name`).toBeUndefined();
  });

  it('publishes only on the host loopback', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const port of svc.ports ?? [])
        expect(String(port), `${name} ports`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    expect(service('api').ports).toEqual([`127.0.0.1:8080:8080`]);
  });

  it('gives secrets no defaults: POSTGRES_PASSWORD is required wherever it is used', () => {
    const uses = [...COMPOSE_TEXT.matchAll(/\$\{POSTGRES_PASSWORD([^}]*)\}/g)];
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use[1]).toMatch(/^:\?/);
    expect(() => loadCompose(COMPOSE_TEXT, { ...PROJECT_ENV, POSTGRES_PASSWORD: undefined })).toThrow(
      /POSTGRES_PASSWORD/,
    );
    // The simulator's control token too: its control API listens beyond loopback.
    const tokenUses = [...COMPOSE_TEXT.matchAll(/\$\{SMSC_SIM_CONTROL_TOKEN([^}]*)\}/g)];
    expect(tokenUses.length).toBeGreaterThan(0);
    for (const use of tokenUses) expect(use[1]).toMatch(/^:\?/);
    expect(() => loadCompose(COMPOSE_TEXT, { ...PROJECT_ENV, SMSC_SIM_CONTROL_TOKEN: undefined })).toThrow(
      /SMSC_SIM_CONTROL_TOKEN/,
    );
    // The secrets every process must share (DM account key, console cookie secret): required too.
    for (const name of ['OTAGW_DM_SECRET_KEY', 'OTAGW_CONSOLE_COOKIE_SECRET']) {
      const secretUses = [...COMPOSE_TEXT.matchAll(new RegExp(`\\$\\{${name}([^}]*)\\}`, 'g'))];
      expect(secretUses.length, name).toBeGreaterThan(0);
      for (const use of secretUses) expect(use[1]).toMatch(/^:\?/);
      expect(() => loadCompose(COMPOSE_TEXT, { ...PROJECT_ENV, [name]: undefined })).toThrow(
        new RegExp(name),
      );
    }
    // The one credential with a default is the SMSC simulator's own test account.
    expect(environmentOf(service('worker')).SMSC_URL).toBe(
      `smpp://${DEFAULT_ACCOUNT.systemId}:${DEFAULT_ACCOUNT.password}@smsc-sim:2775`,
    );
    expect(environmentOf(service('worker')).SMSC_PASSWORD).toBeNull();
  });

  it('sets for api and worker only environment variables the configuration reads, and they load', () => {
    const tlsFiles = ['server.cert.pem', 'server.key.pem', 'ca.cert.pem'];
    for (const file of tlsFiles) expect(existsSync(join(certsDir, file)), file).toBe(true);
    for (const name of ['api', 'worker']) {
      const env = containerEnv(name);
      // NODE_ENV is npm's and Node's (the image sets production), not otagw's configuration.
      expect(env.NODE_ENV).toBe('production');
      delete env.NODE_ENV;
      const given: Record<string, string | undefined> = {};
      for (const [key, value] of Object.entries(env)) {
        if (value === null) continue; // taken from the shell: unset here
        given[key] = key === 'OTAGW_TLS_DIR' ? certsDir : value;
      }
      const plain = configReads(given);
      // The same again with the SMSC password out of the URL, as it is with a real SMSC and SMSC_PASSWORD.
      const withPassword: Record<string, string | undefined> = { ...given };
      if (given.SMSC_URL) {
        const url = new URL(given.SMSC_URL);
        withPassword.SMSC_PASSWORD = decodeURIComponent(url.password) || 'secret';
        url.password = '';
        withPassword.SMSC_URL = url.href;
      }
      const split = configReads(withPassword);
      const read = new Set([...plain.read, ...split.read]);
      for (const key of Object.keys(env))
        expect(read.has(key), `${name}: ${key} is not read by loadConfig`).toBe(true);

      const { config } = plain;
      expect(config.http.port).toBe(8080);
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.redis.url).toBe('redis://redis:6379');
      expect(config.store.url).toBe(`postgres://otagw:${PROJECT_ENV.POSTGRES_PASSWORD}@postgres:5432/otagw`);
    }
    const api = configReads(
      Object.fromEntries(
        Object.entries(containerEnv('api'))
          .filter((entry): entry is [string, string] => entry[1] !== null)
          .map(([key, value]) => [key, key === 'OTAGW_TLS_DIR' ? certsDir : value]),
      ),
    ).config;
    expect(api.http.tls).toMatchObject({ clientAuth: 'network' });
    const worker = configReads(
      Object.fromEntries(
        Object.entries(containerEnv('worker')).filter(
          (entry): entry is [string, string] => entry[1] !== null,
        ),
      ),
    ).config;
    expect(worker.smsc.routing?.smscs[0]).toMatchObject({ host: 'smsc-sim', port: 2775 });
  });

  it('gives every otagw process that reads them the same DM key and console cookie secret, and they load', () => {
    for (const name of ['api', 'worker']) {
      const given = Object.fromEntries(
        Object.entries(containerEnv(name))
          .filter((entry): entry is [string, string] => entry[1] !== null)
          .map(([key, value]) => [key, key === 'OTAGW_TLS_DIR' ? certsDir : value]),
      );
      const { config } = configReads(given);
      expect(config.dm.secretKey, name).toBe(PROJECT_ENV.OTAGW_DM_SECRET_KEY);
      expect(config.console.cookieSecret, name).toBe(PROJECT_ENV.OTAGW_CONSOLE_COOKIE_SECRET);
    }
    expect(Buffer.from(PROJECT_ENV.OTAGW_DM_SECRET_KEY, 'base64')).toHaveLength(32);
  });

  it('serves TLS from the certs volume that the certs service fills, with a server certificate for "api"', () => {
    const certsArgs = commandOf(service('certs'));
    const certsTarget = certsArgs[certsArgs.indexOf('--dir') + 1];
    const tlsDir = environmentOf(service('api')).OTAGW_TLS_DIR;
    expect(tlsDir).toBe(certsTarget);
    const volumeAt = (svc: ComposeService, target: string) =>
      (svc.volumes ?? []).map(String).find((volume) => volume.split(':')[1] === target);
    const written = volumeAt(service('certs'), certsTarget);
    const read = volumeAt(service('api'), certsTarget);
    expect(written).toBeDefined();
    expect(read?.split(':')[0]).toBe(written?.split(':')[0]);
    expect(read).toMatch(/:ro$/);
    expect(service('api').depends_on).toMatchObject({
      certs: { condition: 'service_completed_successfully' },
    });
    expect(service('certs').restart).toBe('no');
    // --host api: the name the other services reach the API by is in the server certificate.
    expect(certsArgs[certsArgs.indexOf('--host') + 1]).toBe('api');
    const cert = new X509Certificate(readFileSync(join(certsDir, 'server.cert.pem')));
    expect(cert.subjectAltName).toContain('DNS:api');
    // The image's /certs is where the volume goes: a new named volume takes its (non-root) owner.
    const runs = finalStage.instructions.filter((instruction) => instruction.keyword === 'RUN');
    expect(runs.some((run) => run.args.includes(certsTarget) && /chown\s+node/.test(run.args))).toBe(true);
  });

  it('starts api (role dm: the API and the DM server) and worker with `start --role ...` that the start command accepts', async () => {
    for (const [name, role] of [
      ['api', 'dm'],
      ['worker', 'worker'],
    ] as const) {
      const argv = commandOf(service(name));
      expect(argv.slice(0, 1)).toEqual(['start']);
      expect(argv[argv.indexOf('--role') + 1]).toBe(role);
      expect(ROLES).toContain(role);
      // --help makes the real parser check every flag (strict: unknown ones are a usage error) and stop.
      const io = captureIo();
      expect(await main([...argv, '--help'], io), `${name}: ${io.err.join('')}`).toBe(0);
      expect(io.out.join('')).toMatch(/^usage: otagw start/);
    }
  });

  it('runs the simulator with flags smsc-sim accepts, on the ports the configuration and the image use', async () => {
    const sim = service('smsc-sim');
    const argv = commandOf(sim);
    expect(argv[0]).toBe('smsc-sim');
    const io = captureIo();
    expect(await main([...argv, '--help'], io), io.err.join('')).toBe(0);
    expect(io.out.join('')).toMatch(/^usage: otagw smsc-sim/);
    const flag = (name: string) => argv[argv.indexOf(name) + 1];
    expect(flag('--host')).toBe('0.0.0.0');
    const defaults = loadConfig({ env: {}, configDir: CONFIG_DIR }).smsc.simulator;
    expect(Number(flag('--port'))).toBe(defaults.port);
    expect(Number(flag('--control-port'))).toBe(defaults.controlPort);
    // The control API (behind its bearer token) is published on the host's loopback only, SMPP not at all.
    expect(sim.ports).toEqual([`127.0.0.1:${defaults.controlPort}:${defaults.controlPort}`]);
    // The image's /healthz check does not apply; the control API answers instead.
    const check = sim.healthcheck?.test as string[];
    expect(check.slice(0, 3)).toEqual(['CMD', 'node', 'bin/healthcheck.js']);
    expect(check[3]).toBe(`http://127.0.0.1:${defaults.controlPort}/counters`);
    // The worker binds to it with the address it listens on.
    const smscUrl = new URL(environmentOf(service('worker')).SMSC_URL as string);
    expect([smscUrl.hostname, Number(smscUrl.port)]).toEqual(['smsc-sim', defaults.port]);
  });

  it('gives the simulator its control token the way smsc-sim and the configuration read it, and its health check passes', async () => {
    const env = environmentOf(service('smsc-sim'));
    expect(env).toEqual({ OTAGW_SMSC_SIM_CONTROL_TOKEN: PROJECT_ENV.SMSC_SIM_CONTROL_TOKEN });
    const token = env.OTAGW_SMSC_SIM_CONTROL_TOKEN as string;
    expect(configReads({ OTAGW_SMSC_SIM_CONTROL_TOKEN: token }).config.smsc.simulator.controlToken).toBe(
      token,
    );
    // The service's command for real (any free ports), with the service's environment.
    const argv = commandOf(service('smsc-sim')).map((arg, index, all) =>
      ['--port', '--control-port'].includes(all[index - 1]) ? '0' : arg,
    );
    const io = captureIo();
    const stop = new AbortController();
    const running = runSmscSim(argv.slice(1), io, stop.signal, { OTAGW_SMSC_SIM_CONTROL_TOKEN: token });
    try {
      const controlPort = await waitForControlPort(io);
      const check = (service('smsc-sim').healthcheck?.test as string[]).slice(1);
      const url = check[2].replace(/:\d+\//, `:${controlPort}/`);
      expect(await healthcheck([check[1], url], { OTAGW_SMSC_SIM_CONTROL_TOKEN: token })).toBe(0);
      expect(await healthcheck([check[1], url], {})).toBe(1);
    } finally {
      stop.abort();
      expect(await running).toBe(0);
    }
  });

  it('turns the image health check off where there is no HTTP (worker, certs)', () => {
    expect(service('worker').healthcheck).toEqual({ disable: true });
    expect(service('certs').healthcheck).toEqual({ disable: true });
    expect(service('api').healthcheck).toBeUndefined();
    const entrypoint = finalStage.instructions.find((instruction) => instruction.keyword === 'ENTRYPOINT');
    expect(execForm(entrypoint?.args ?? '')).toEqual(['node', 'bin/otagw.js']);
  });
});
