/**
 * A gateway worker process (`otagw start --role worker`, the shipped start with a few shorter timings)
 * killed with SIGKILL in the middle of a campaign, and another started: afterwards every target is
 * final with exactly one provisioning, and a virtual handset holds two pushes of the campaign only where
 * the killed process had that push on the wire (its retry resends it: a gap of the provisioning
 * pipeline, not of the campaign). PostgreSQL only: two processes share the store, which PGlite cannot do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL } from '../provisioning/harness.ts';
import { PG_ENABLED, PG_TEST_URL } from '../support/stores.ts';
import { baseSubscribers } from './base.ts';
import { ADMIN, GROUPS, pushesPerHandset, startCampaignRun, type CampaignRun } from './run-harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const COUNT = 1000;
const PREFIX = '49169';

/** The shipped config directory, with timings short enough for a test (stalled jobs, recovery). */
function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'otagw-campaign-restart-'));
  cpSync(join(ROOT, 'config'), dir, { recursive: true });
  rmSync(join(dir, 'local.yaml'), { force: true });
  writeFileSync(
    join(dir, 'local.yaml'),
    [
      'provisioning:',
      '  lockDurationMs: 2000',
      '  stalledIntervalMs: 1000',
      '  recoveryStaleMs: 30000',
      '  recoverySweepIntervalMs: 1000',
      // Receipts sent on the killed process's bind are lost with it: those pushes expire, and end.
      '  receiptTimeoutMs: 8000',
      '  expirySweepIntervalMs: 1000',
      '',
    ].join('\n'),
  );
  return dir;
}

function startWorkerProcess(run: CampaignRun, config: string): Promise<ChildProcess> {
  const schema = run.harness.store.options.schema!;
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/otagw.js'), 'start', '--role', 'worker', '--config', config],
    {
      env: {
        ...process.env,
        DATABASE_URL: url.toString(),
        REDIS_URL: TEST_REDIS_URL,
        OTAGW_QUEUE_PREFIX: run.harness.prefix,
        SMSC_URL: `smpp://otagw:otagwsim@127.0.0.1:${run.harness.sim.port}`,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Worker ')) {
        clearTimeout(timer);
        resolveStart(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`worker exited (${code}): ${output}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolveExit) => {
    child.once('exit', () => resolveExit());
    child.kill('SIGKILL');
  });
}

describe.skipIf(!PG_ENABLED)('a campaign whose worker process is killed and started again (pg)', () => {
  let run: CampaignRun;
  let config: string;
  const children: ChildProcess[] = [];
  const base = baseSubscribers(COUNT, PREFIX, GROUPS);

  beforeAll(async () => {
    // No worker and no feeder here: the child processes do the work.
    run = await startCampaignRun('pg', {
      count: COUNT,
      prefix: PREFIX,
      harness: { workers: 0 },
      feeder: false,
    });
    config = configDir();
  }, 60_000);
  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) await killed(child);
    await run?.close();
    rmSync(config, { recursive: true, force: true });
  });

  it('leaves every target final with one provisioning, and no second push but a resend of one on the wire', async () => {
    const id = await run.create({ selector: { groups: [...GROUPS] }, pacing: { tps: 400 } });
    const { preview } = await run.campaigns.start(id, ADMIN);
    const first = await startWorkerProcess(run, config);
    children.push(first);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { counts } = await run.campaigns.get(id);
      if (counts.delivered >= preview.pushes / 3 || Date.now() > deadline) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
    await killed(first);
    const atKill = await run.campaigns.get(id);
    expect(atKill.counts.remaining).toBeGreaterThan(0);

    children.push(await startWorkerProcess(run, config));
    const done = await run.waitForState(id, ['completed'], 90_000);
    expect(done.counts).toMatchObject({ remaining: 0, queued: 0, submitted: 0 });
    // Every push ended: delivered, or (its receipt lost with the killed process's bind) expired.
    expect(done.counts.delivered + done.counts.failed).toBe(preview.pushes);
    expect(Object.keys(done.counts.failedByReason).filter((code) => code !== 'RECEIPT_TIMEOUT')).toEqual([]);
    expect(done.counts.failed).toBeLessThan(preview.pushes / 10);
    expect(done.counts.skipped).toBe(preview.unsupported.count);
    const perHandset = pushesPerHandset(
      run.harness,
      base.map((subscriber) => subscriber.msisdn),
    );
    // One provisioning per target, whatever happened: the campaign never asks twice.
    const perSubscriber = await run.harness.store.db.query<{
      msisdn: string;
      count: number;
      resent: boolean;
    }>(
      `SELECT s.msisdn, count(*)::int AS count,
              bool_or(EXISTS (SELECT 1 FROM provisioning_events e WHERE e.provisioning_id = p.id
                                 AND e.cause = 'resubmit-after-unknown-outcome')) AS resent
         FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id
        WHERE p.campaign_id = $1 GROUP BY s.msisdn`,
      [id],
    );
    expect(perSubscriber).toHaveLength(preview.pushes);
    expect(perSubscriber.filter((row) => row.count !== 1)).toEqual([]);
    // A handset holds a second push only where the killed process had a push on the wire with its
    // outcome unknown, and the provisioning's retry sent it again (docs/architecture.md §9: a retry
    // resends the whole push) — never because the campaign fed its target twice.
    const resent = new Set(perSubscriber.filter((row) => row.resent).map((row) => row.msisdn));
    const twice = [...perHandset].filter(([, pushes]) => pushes > 1).map(([msisdn]) => msisdn);
    expect(twice.filter((msisdn) => !resent.has(msisdn))).toEqual([]);
    expect(twice.length).toBeLessThanOrEqual(resent.size);
    expect([...perHandset.values()].filter((pushes) => pushes >= 1)).toHaveLength(preview.pushes);
  }, 180_000);
});
