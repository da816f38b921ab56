/**
 * What a production install and the image depend on, checked without a Docker engine: the Dockerfile's
 * stages, user, health check, entrypoint and ports; .dockerignore; that every package the running code
 * imports is a runtime dependency (tsx included: it compiles the sources on load); and that
 * bin/healthcheck.js answers for a gateway over HTTP and over HTTPS.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCerts } from '../../src/auth/certs.ts';
import { loadConfig } from '../../src/config.ts';
import {
  REPO_ROOT,
  configReads,
  envOf,
  execForm,
  healthcheckOf,
  parseDockerfile,
  repoFile,
  type Instruction,
  type Stage,
} from './deploy-files.ts';

const dockerfile = parseDockerfile(repoFile('Dockerfile'));
const stages = dockerfile.stages;
const finalStage = stages[stages.length - 1];

function all(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return all(stage, keyword).at(-1);
}

/** The stage and those it is built FROM, nearest first. */
function lineage(stage: Stage): Stage[] {
  const chain = [stage];
  for (let at = stage; ;) {
    const parent = stages.find((candidate) => candidate.name === at.base);
    if (!parent || chain.includes(parent)) return chain;
    chain.push(parent);
    at = parent;
  }
}

function finalEnv(): Record<string, string> {
  return Object.assign({}, ...all(finalStage, 'ENV').map((instruction) => envOf(instruction.args)));
}

describe('Dockerfile', () => {
  it('has a dependencies stage on node:20-bookworm-slim, a type-checking build stage and a production stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(stages[0].base).toBe('node:20-bookworm-slim');
    expect(finalStage.base).toBe('node:20-bookworm-slim');
    const installs = stages.flatMap((stage) => all(stage, 'RUN').map((run) => ({ stage, run })));
    expect(installs.some(({ run }) => /\bnpm ci\b/.test(run.args) && !/--omit=dev/.test(run.args))).toBe(
      true,
    );
    const gate = stages.find((stage) =>
      all(stage, 'RUN').some((run) => /\bnpm run typecheck\b/.test(run.args)),
    );
    expect(gate, 'a stage runs npm run typecheck').toBeDefined();
    expect(gate).not.toBe(finalStage);
    // BuildKit builds only the stages the target needs: production copies from the gate, so the gate runs.
    const fromStages = all(finalStage, 'COPY')
      .map((copy) => /--from=(\S+)/.exec(copy.args)?.[1])
      .filter((name): name is string => name !== undefined)
      .map((name) => stages.find((stage) => stage.name === name));
    expect(fromStages.some((stage) => stage && lineage(stage).includes(gate!))).toBe(true);
  });

  it('installs runtime dependencies only in the production stage and copies what runs, no whole checkout', () => {
    const runs = all(finalStage, 'RUN').map((run) => run.args);
    expect(runs.some((run) => /\bnpm ci\b/.test(run) && /--omit=dev\b/.test(run))).toBe(true);
    const copied = all(finalStage, 'COPY').map((copy) => {
      const parts = copy.args.split(/\s+/).filter((part) => !part.startsWith('--'));
      return { sources: parts.slice(0, -1), from: /--from=/.test(copy.args) };
    });
    const sources = copied.flatMap((copy) =>
      copy.sources.map((source) => source.replace(/^\/app\//, '').replace(/\/$/, '')),
    );
    expect(sources).not.toContain('.');
    for (const needed of ['package.json', 'package-lock.json', 'bin', 'src', 'codecs', 'config'])
      expect(sources, `COPY ${needed}`).toContain(needed);
    for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
    expect(sources.some((source) => /^(test|bench|node_modules|var)\b/.test(source))).toBe(false);
  });

  it('runs as a non-root user with NODE_ENV=production and a writable data volume at OTAGW_DATA_DIR', () => {
    const user = last(finalStage, 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const userLine = last(finalStage, 'USER')!.line;
    expect(last(finalStage, 'ENTRYPOINT')!.line).toBeGreaterThan(userLine);
    const env = finalEnv();
    expect(env.NODE_ENV).toBe('production');
    const volumes = all(finalStage, 'VOLUME').flatMap(
      (volume) => execForm(volume.args) ?? volume.args.split(/\s+/),
    );
    expect(env.OTAGW_DATA_DIR).toBe('/var/lib/otagw');
    expect(volumes).toContain(env.OTAGW_DATA_DIR);
    // Made before USER and given to that user.
    const chown = all(finalStage, 'RUN').find(
      (run) => run.args.includes(env.OTAGW_DATA_DIR) && run.args.includes(`chown ${user}`),
    );
    expect(chown, 'a RUN creates OTAGW_DATA_DIR for the user').toBeDefined();
    expect(chown!.line).toBeLessThan(userLine);
    // Every ENV but NODE_ENV (npm's and Node's) is one the configuration reads, and the result loads.
    const { read, config } = configReads(env);
    for (const name of Object.keys(env).filter((key) => key !== 'NODE_ENV'))
      expect(read.has(name), `ENV ${name} is not read by loadConfig`).toBe(true);
    expect(config.store.dataDir).toBe(env.OTAGW_DATA_DIR);
    expect(config.http.host).toBe('0.0.0.0');
  });

  it('exposes the configured default ports: HTTP, SMPP and the simulator control API', () => {
    const defaults = loadConfig({ env: {}, configDir: join(REPO_ROOT, 'config') });
    const exposed = all(finalStage, 'EXPOSE')
      .flatMap((expose) => expose.args.split(/\s+/))
      .map((port) => Number(port.replace(/\/tcp$/, '')));
    expect(exposed.sort()).toEqual(
      [defaults.http.port, defaults.smsc.simulator.port, defaults.smsc.simulator.controlPort].sort(),
    );
    expect([...exposed].sort()).toEqual([2775, 2776, 8080]);
    expect(Number(finalEnv().PORT)).toBe(8080);
  });

  it('checks health with node on /healthz and enters through bin/otagw.js start', () => {
    const healthcheck = last(finalStage, 'HEALTHCHECK');
    expect(healthcheck).toBeDefined();
    const { command } = healthcheckOf(healthcheck!.args);
    const argv = execForm(command);
    expect(argv).toEqual(['node', 'bin/healthcheck.js']);
    expect(repoFile('bin/healthcheck.js')).toContain('/healthz');
    expect(execForm(last(finalStage, 'ENTRYPOINT')!.args)).toEqual(['node', 'bin/otagw.js']);
    expect(execForm(last(finalStage, 'CMD')!.args)).toEqual(['start']);
  });

  it('.dockerignore keeps installed packages, run-time data, git, build output and local config out', () => {
    const ignored = repoFile('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const entry of ['node_modules', 'var', '.git', 'dist', 'coverage', 'config/local.yaml'])
      expect(ignored, entry).toContain(entry);
    // Nothing the image copies is ignored.
    for (const needed of ['bin', 'src', 'codecs', 'config', 'package.json', 'package-lock.json'])
      expect(ignored, needed).not.toContain(needed);
  });
});

describe('production install (npm ci --omit=dev)', () => {
  const pkg = JSON.parse(repoFile('package.json')) as {
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  function sourceFiles(dir: string): string[] {
    return readdirSync(join(REPO_ROOT, dir)).flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(join(REPO_ROOT, path)).isDirectory()) return sourceFiles(path);
      return /\.(ts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
    });
  }

  /** Packages a module loads at run time (type-only imports are erased). */
  function runtimeImports(text: string): string[] {
    const specifiers: string[] = [];
    const statement = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
    for (const match of text.matchAll(statement)) if (!match[1]) specifiers.push(match[2]);
    for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1]);
    return specifiers;
  }

  it('has every package that bin/, src/ and codecs/ import in dependencies', () => {
    const builtins = new Set(builtinModules);
    const needed = new Map<string, string>();
    for (const file of ['bin', 'src', 'codecs'].flatMap(sourceFiles)) {
      for (const specifier of runtimeImports(readFileSync(join(REPO_ROOT, file), 'utf8'))) {
        if (specifier.startsWith('.') || specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0];
        needed.set(name, file);
      }
    }
    expect(needed.has('tsx'), 'bin/otagw.js registers tsx').toBe(true);
    for (const [name, file] of needed)
      expect(pkg.dependencies[name], `${name} (imported by ${file}) is a runtime dependency`).toBeDefined();
  });

  it('has tsx as a runtime dependency, and a lock file that agrees (npm ci)', () => {
    expect(pkg.dependencies.tsx).toBeDefined();
    expect(pkg.devDependencies.tsx).toBeUndefined();
    const lock = JSON.parse(repoFile('package-lock.json')) as {
      packages: Record<
        string,
        {
          dependencies?: Record<string, string>;
          devDependencies?: Record<string, string>;
          dev?: boolean;
          version?: string;
        }
      >;
    };
    expect(lock.packages[''].dependencies).toEqual(pkg.dependencies);
    expect(lock.packages[''].devDependencies).toEqual(pkg.devDependencies);
    for (const name of Object.keys(pkg.dependencies))
      expect(
        lock.packages[`node_modules/${name}`]?.dev,
        `${name} is not dev-only in the lock`,
      ).toBeUndefined();
    // esbuild, tsx's compiler, takes its binary from a platform package: no install script needed.
    expect(lock.packages['node_modules/esbuild']?.dev).toBeUndefined();
    expect(lock.packages['node_modules/@esbuild/linux-x64']?.dev).toBeUndefined();
  });

  it('starts with npm start (exec: the signals npm forwards reach the gateway)', () => {
    expect(pkg.scripts.start).toBe('exec node bin/otagw.js start');
    expect(repoFile('bin/otagw.js')).toMatch(/register\(\)/);
  });

  it('.gitignore keeps config/local.yaml out of git', () => {
    const ignored = repoFile('.gitignore')
      .split('\n')
      .map((line) => line.trim());
    expect(ignored).toContain('config/local.yaml');
  });
});

describe('bin/healthcheck.js', () => {
  const run = promisify(execFile);
  let certsDir: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    certsDir = mkdtempSync(join(tmpdir(), 'otagw-healthcheck-'));
    await initCerts({ dir: certsDir });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    if (certsDir) rmSync(certsDir, { recursive: true, force: true });
  });

  async function listen(server: Server): Promise<number> {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  function healthz(status: number) {
    return (req: { url?: string }, res: { statusCode: number; end: (body: string) => void }) => {
      res.statusCode = req.url === '/healthz' ? status : 404;
      res.end('{}');
    };
  }

  async function check(env: Record<string, string>, args: string[] = []): Promise<number> {
    try {
      await run(process.execPath, [join(REPO_ROOT, 'bin/healthcheck.js'), ...args], {
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 10_000,
      });
      return 0;
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    }
  }

  it('passes on 200 from /healthz over HTTP and fails on another status or no answer', async () => {
    const ok = await listen(createHttpServer(healthz(200)));
    const down = await listen(createHttpServer(healthz(503)));
    expect(await check({ PORT: String(ok) })).toBe(0);
    expect(await check({ PORT: String(down) })).toBe(1);
    const closed = createHttpServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    servers.splice(servers.indexOf(closed), 1);
    expect(await check({ PORT: String(port) })).toBe(1);
    expect(await check({}, [`http://127.0.0.1:${ok}/healthz`])).toBe(0);
  });

  it('speaks HTTPS trusting only the CA in OTAGW_TLS_DIR', async () => {
    const tls = {
      key: readFileSync(join(certsDir, 'server.key.pem')),
      cert: readFileSync(join(certsDir, 'server.cert.pem')),
    };
    const port = await listen(createHttpsServer(tls, healthz(200)));
    expect(await check({ PORT: String(port), OTAGW_TLS_DIR: certsDir, HOST: '0.0.0.0' })).toBe(0);
    // Plain HTTP against the TLS port, and another CA, both fail.
    expect(await check({ PORT: String(port) })).toBe(1);
    const otherCa = mkdtempSync(join(tmpdir(), 'otagw-healthcheck-other-'));
    try {
      await initCerts({ dir: otherCa });
      expect(await check({ PORT: String(port), OTAGW_TLS_DIR: otherCa })).toBe(1);
    } finally {
      rmSync(otherCa, { recursive: true, force: true });
    }
  }, 60_000);
});
