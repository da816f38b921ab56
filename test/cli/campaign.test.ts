import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareLocalAdmin } from '../../src/auth/local-admin.ts';
import { createCampaignCommand, formatDuration, progressLine } from '../../src/cli/commands/campaign.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import { startApi, testImei, type ApiHarness } from '../http/support/api-harness.ts';

function captureIo(
  options: { terminal?: boolean; stdin?: string } = {},
): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    isTerminal: options.terminal ?? false,
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
    readStdin: async () => options.stdin ?? '',
  };
  return io;
}

const NOKIA_N95_TAC = '35698001';
const SONY_ERICSSON_K800I_TAC = '35839401';
/** The campaign's subscribers: numbers 4917700000001.. (two Nokia N95 in default, one K800i corporate). */
const SUBSCRIBERS = [
  { msisdn: '4917700000001', tac: NOKIA_N95_TAC, group: 'default' },
  { msisdn: '4917700000002', tac: NOKIA_N95_TAC, group: 'default' },
  { msisdn: '4917700000003', tac: SONY_ERICSSON_K800I_TAC, group: 'corporate' },
];
const DOCUMENT = {
  name: 'new WAP gateway',
  selector: { msisdnPrefix: '49177' },
  content: { kind: 'profile', profile: 'northwind-standard' },
  pacing: { tps: 5 },
};

describe('otagw campaign against a running gateway API', () => {
  let api: ApiHarness;
  let dir: string;
  let vars: string;
  let file: string;
  let remove: () => Promise<void>;
  /** `otagw campaign ...` as the shell runs it (exit code, stdout, stderr), with the admin key */
  const run = async (args: string[], io = captureIo()) => {
    const code = await main(['campaign', ...args, '--var', vars, '--key', api.keys.admin], io);
    return { code, out: io.out, err: io.err };
  };
  const idOf = (out: string): string => /^campaign ([0-9a-f-]{36})/m.exec(out)![1];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otagw-campaign-cli-'));
    vars = join(dir, 'var');
    const local = prepareLocalAdmin(vars);
    api = await startApi({ seed: true, http: { localAdminSecret: local.secret } });
    await local.publish(api.url);
    remove = local.remove;
    for (const [i, subscriber] of SUBSCRIBERS.entries()) {
      await api.store.db.query(
        'INSERT INTO subscribers (imsi, msisdn, group_name, current_imei) VALUES ($1, $2, $3, $4)',
        [`26201770000000${i}`, subscriber.msisdn, subscriber.group, testImei(i, subscriber.tac)],
      );
    }
    file = join(dir, 'campaign.json');
    await writeFile(file, JSON.stringify(DOCUMENT));
  }, 60_000);
  afterAll(async () => {
    await remove?.();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a draft from a file and prints its preview: exact counts, by model and group', async () => {
    const { code, out, err } = await run(['create', file]);
    expect(code).toBe(0);
    expect(out).toMatch(/^campaign [0-9a-f-]{36} 'new WAP gateway': draft$/m);
    expect(out).toMatch(/subscribers 3 {2}pushes 3 {2}segments \d+/);
    expect(out).toMatch(/by model: .*N95 2.*K800i 1/);
    expect(out).toMatch(/by group: default 2, corporate 1/);
    expect(out).toContain('4917700000001');
    expect(err).toBe(`start it with: otagw campaign start ${idOf(out)}\n`);
  });

  it("--json prints the API's answer; - reads the document from stdin", async () => {
    const { code, out } = await run(
      ['create', '-', '--json'],
      captureIo({ stdin: JSON.stringify(DOCUMENT) }),
    );
    expect(code).toBe(0);
    const created = JSON.parse(out);
    expect(created).toMatchObject({ state: 'draft', preview: { subscribers: 3, pushes: 3 } });
    expect(out.trimEnd().split('\n')).toHaveLength(1);
    const preview = await run(['preview', created.id, '--json']);
    expect(JSON.parse(preview.out)).toEqual(created.preview);
  });

  it('--msisdns FILE.csv sends the numbers of the CSV as the selector', async () => {
    const csv = join(dir, 'numbers.csv');
    await writeFile(csv, 'msisdn\n4917700000002\n4917700000003\n');
    const { code, out } = await run(['create', file, '--msisdns', csv, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out).preview.subscribers).toBe(2);
  });

  it('starts, pauses with a reason, resumes and cancels; each prints the new state', async () => {
    const id = idOf((await run(['create', file])).out);
    expect((await run(['start', id])).out).toBe(`campaign ${id} 'new WAP gateway': running\n`);
    const status = await run(['status', id]);
    expect(status.out).toMatch(/^campaign .*: running$/m);
    expect(status.out).toMatch(/selected 3 {2}queued \d+ {2}submitted \d+ {2}delivered \d+/);
    expect(status.out).toMatch(/paced at 5 SMS\/s/);
    expect((await run(['pause', id, '--reason', 'operator asked'])).out).toMatch(/: paused$/m);
    const paused = JSON.parse((await run(['status', id, '--json'])).out);
    expect(paused).toMatchObject({ id, state: 'paused', counts: { selected: 3 } });
    expect((await run(['resume', id])).out).toMatch(/: running$/m);
    expect((await run(['cancel', id, '--reason', 'wrong APN'])).out).toMatch(/: cancelled$/m);

    const again = await run(['cancel', id]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^otagw campaign: CAMPAIGN_STATE_CONFLICT: /);
  });

  it('lists the campaigns newest first, and by state', async () => {
    const id = idOf((await run(['create', file])).out);
    const listed = await run(['list']);
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n')[0]).toMatch(new RegExp(`^${id}  draft +3 subscribers .*new WAP gateway$`));
    const cancelled = await run(['list', '--state', 'cancelled', '--json']);
    const states = cancelled.out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).state);
    expect(states.length).toBeGreaterThan(0);
    expect(new Set(states)).toEqual(new Set(['cancelled']));
  });

  it('status --watch prints a plain line per look off a terminal, until the campaign ends', async () => {
    const id = idOf((await run(['create', file])).out);
    await run(['start', id]);
    let looks = 0;
    const command = createCampaignCommand({
      env: { OTAGW_API_KEY: api.keys.admin },
      now: () => new Date(),
      // the second look finds the campaign cancelled
      sleep: async () => {
        if (++looks === 1)
          await api.fetch(`/v1/campaigns/${id}/cancel`, { method: 'POST', key: api.keys.admin });
      },
    });
    const io = captureIo();
    expect(await command(['status', id, '--watch', '--var', vars], io)).toBe(0);
    const lines = io.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\S+Z running \d+\.\d% \d+\/3 \(delivered 0, failed 0, skipped 0\)/,
    );
    expect(lines[1]).toMatch(/Z cancelled /);
    expect(lines[2]).toBe(`campaign ${id} 'new WAP gateway': cancelled`);
    expect(io.out).not.toContain('\r');
    expect(looks).toBe(1);
  });

  it('status --watch on a terminal redraws a bar in place and ends with the full status', async () => {
    const id = idOf((await run(['create', file])).out);
    await run(['cancel', id]);
    const { code, out } = await run(['status', id, '--watch'], captureIo({ terminal: true }));
    expect(code).toBe(0);
    // \r and CSI 2 K (erase the line), then the bar
    expect(out.startsWith('\r\u001b[2K[')).toBe(true);
    expect(out.split('\n')[0]).toMatch(/\[\.{30}\] 0\.0% 0\/\d+ .* cancelled$/);
    expect(out).toContain(`\ncampaign ${id} 'new WAP gateway': cancelled\n`);
  });

  it('status --watch --json prints one JSON line per look', async () => {
    const id = idOf((await run(['create', file])).out);
    await run(['cancel', id]);
    const { code, out } = await run(['status', id, '--watch', '--json'], captureIo({ terminal: true }));
    expect(code).toBe(0);
    expect(
      out
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).state),
    ).toEqual(['cancelled']);
  });

  it("prints the API's code and message and exits 1: a bad document names its field, a care key is refused", async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...DOCUMENT, name: '', pacing: { tps: -1 } }));
    const invalid = await run(['create', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/^otagw campaign: VALIDATION_FAILED: body\.name: .*body\.pacing/);

    const io = captureIo();
    const care = await main(['campaign', 'list', '--var', vars, '--key', api.keys.care], io);
    expect(care).toBe(1);
    expect(io.err).toMatch(/^otagw campaign: FORBIDDEN: /);

    const missing = await run(['status', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/CAMPAIGN_NOT_FOUND/);

    const notJson = join(dir, 'not.json');
    await writeFile(notJson, '{ name: ');
    const unreadable = await run(['create', notJson]);
    expect(unreadable).toMatchObject({ code: 1, err: expect.stringContaining(`${notJson}: not JSON`) });
  });

  it('exits 1 naming the var directory when no gateway published its endpoint', async () => {
    const io = captureIo();
    const empty = join(dir, 'nowhere');
    expect(await main(['campaign', 'list', '--var', empty, '--key', api.keys.admin], io)).toBe(1);
    expect(io.err).toContain(`no running gateway published its endpoint in ${empty}/run/api.json`);
  });
});

describe('otagw campaign usage', () => {
  const usage = async (args: string[]) => {
    const io = captureIo();
    const code = await main(['campaign', ...args], io);
    return { code, err: io.err, out: io.out };
  };

  it('exits 2 for mistakes on the command line, before it looks for a gateway', async () => {
    expect((await usage([])).code).toBe(2);
    expect((await usage(['launch', 'x'])).err).toMatch(/unknown action 'launch'/);
    for (const args of [
      ['launch', 'x', '--key', 'k'],
      ['start', '--key', 'k'],
      ['create', '--key', 'k'],
      ['start', 'x', '--watch', '--key', 'k'],
      ['list', 'extra', '--key', 'k'],
      ['status', 'x', '--watch', '--interval', 'soon', '--key', 'k'],
      ['start', 'x', '--reason', 'why', '--key', 'k'],
      ['status', 'x', '--colour', '--key', 'k'],
    ]) {
      const { code, err } = await usage(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(err).toMatch(/^otagw campaign: /);
    }
  });

  it('needs an admin key from --key or OTAGW_API_KEY', async () => {
    const io = captureIo();
    const command = createCampaignCommand({ env: {}, now: () => new Date(), sleep: async () => undefined });
    await expect(command(['list'], io)).rejects.toThrow(/--key KEY or OTAGW_API_KEY/);
  });
});

describe('otagw campaign progress', () => {
  const campaign = {
    id: 'c1',
    state: 'running',
    counts: { selected: 200, delivered: 90, failed: 6, skipped: 4 },
    rate: { pushesPerSecond: 9.96, smsPerSecond: 19.9 },
    estimatedCompletion: '2026-01-01T00:01:40.000Z',
  };
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('draws a bar of what is over (delivered, failed, skipped) in place on a terminal', () => {
    expect(progressLine(campaign, now, true)).toBe(
      '\r\x1b[2K[' +
        '#'.repeat(15) +
        '.'.repeat(15) +
        '] 50.0% 100/200 (delivered 90, failed 6, skipped 4) 10.0 pushes/s (19.9 SMS/s) ETA 1m 40s running',
    );
    expect(progressLine(campaign, now, false)).toBe(
      '2026-01-01T00:00:00.000Z running 50.0% 100/200 (delivered 90, failed 6, skipped 4) 10.0 pushes/s (19.9 SMS/s)\n',
    );
  });

  it('says durations as an operator reads them', () => {
    expect([formatDuration(5), formatDuration(125), formatDuration(7300), formatDuration(-1)]).toEqual([
      '5s',
      '2m 5s',
      '2h 1m',
      '-',
    ]);
  });
});
