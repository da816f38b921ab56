/**
 * bench:vs-kannel's pure parts (config generation, /proc parsing, the per-push and ratio figures, the
 * docs section, the push check) and, where Debian's kannel is installed, one real sendota through
 * bearerbox and smsbox into the SMSC simulator.
 */
import { describe, expect, it } from 'vitest';
import { packXml } from '../../codecs/ota/pack.ts';
import { parseImei } from '../../src/devices/imei.ts';
import { parseOptions } from '../../bench/vs-kannel.ts';
import {
  KannelProcesses,
  kannelConfig,
  kannelVersion,
  parseKannelStatus,
} from '../../bench/support/kannel.ts';
import {
  cpuBetween,
  mean,
  parseMachineStat,
  parseProcStat,
  perPush,
  postgresDatabase,
  ratio,
  readCpu,
  type CpuReading,
} from '../../bench/support/kannel-cpu.ts';
import { benchDocumentXml, benchSim, checkPush } from '../../bench/support/kannel-push.ts';
import {
  keptVsKannelSection,
  summarise,
  withSection,
  SECTION_END,
  SECTION_START,
  type RunResult,
} from '../../bench/support/kannel-report.ts';
import { DEFAULT_ACCOUNT, startSmscSimulator } from '../../src/smsc-sim/index.ts';
import { parseResponse, requestBytes } from '../../bench/support/kannel-client.ts';
import { netwpinKey } from '../../codecs/ota/security.ts';

const SETTINGS = {
  adminPort: 13000,
  smsboxPort: 13001,
  sendsmsPort: 13013,
  adminPassword: 'pw',
  smscHost: '127.0.0.1',
  smscPort: 2775,
  smscUsername: 'kannel',
  smscPassword: 'kannelpw',
  maxPendingSubmits: 10,
  sendsmsUser: 'bench',
  sendsmsPassword: 'bench',
  sender: '2020',
  logDir: '/tmp/k',
};

describe('kannel.conf', () => {
  const conf = kannelConfig(SETTINGS);
  const groups = conf.trim().split('\n\n');

  it('has the core, smsc, smsbox and sendsms-user groups, none with an empty line inside', () => {
    expect(groups.map((group) => group.split('\n')[0])).toEqual([
      'group = "core"',
      'group = "smsc"',
      'group = "smsbox"',
      'group = "sendsms-user"',
    ]);
    for (const group of groups)
      expect(group.split('\n').every((line) => /^[a-z-]+ = /.test(line))).toBe(true);
  });

  it('binds every port to 127.0.0.1 and talks SMPP to the simulator with a window of 10', () => {
    expect(conf).toContain('admin-interface = "127.0.0.1"');
    expect(conf).toContain('smsbox-interface = "127.0.0.1"');
    expect(conf).toContain('sendsms-interface = "127.0.0.1"');
    expect(conf).toContain('bearerbox-host = "127.0.0.1"');
    expect(conf).toContain('admin-port = 13000');
    expect(conf).toContain('sendsms-port = 13013');
    expect(groups[1]).toContain('smsc = "smpp"');
    expect(groups[1]).toContain('host = "127.0.0.1"');
    expect(groups[1]).toContain('port = 2775');
    expect(groups[1]).toContain('smsc-username = "kannel"');
    expect(groups[1]).toContain('max-pending-submits = 10');
    expect(conf).toContain('log-level = 1');
  });

  it('asks for no delivery receipt (sendota sets no dlr-mask) and lets a push be concatenated', () => {
    expect(conf).not.toMatch(/dlr-mask|dlr-url/);
    expect(groups[3]).toContain('max-messages = 10');
    expect(groups[3]).toContain('username = "bench"');
  });

  it('reads the bind and the box from bearerbox status.txt', () => {
    const status = [
      'Box connections:',
      '    smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 0m 0s)  ',
      '',
      '',
      'SMSC connections:',
      '    sim[sim]    SMPP:127.0.0.1:42375/42375:kannel: (online 0s, rcvd: sms 0 (0.00,0.00,0.00))',
    ].join('\n');
    expect(parseKannelStatus(status)).toEqual({ smscOnline: true, boxConnected: true });
    const connecting =
      'Box connections:\n\n\nSMSC connections:\n    sim[sim]    SMPP:127.0.0.1:1/1:kannel: (connecting, rcvd: sms 0)';
    expect(parseKannelStatus(connecting)).toEqual({ smscOnline: false, boxConnected: false });
  });
});

describe('/proc', () => {
  it('takes utime and stime after the last parenthesis of comm', () => {
    const line = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194304 100 0 0 0 1234 567 0 0 20 0 4 0 99 0 0';
    expect(parseProcStat(line)).toEqual({
      pid: 4242,
      comm: 'my (odd) name',
      utimeTicks: 1234,
      stimeTicks: 567,
    });
    expect(() => parseProcStat('garbage')).toThrow();
  });

  it('tells a PostgreSQL backend of a database from the server processes by its process title', () => {
    expect(postgresDatabase('postgres: 15/main: postgres otagw_bench_1a2b 127.0.0.1(41234) idle')).toBe(
      'otagw_bench_1a2b',
    );
    expect(postgresDatabase('postgres: postgres test [local] SELECT')).toBe('test');
    expect(postgresDatabase('postgres: 15/main: walwriter')).toBeUndefined();
    expect(postgresDatabase('postgres: 15/main: background writer')).toBeUndefined();
    expect(
      postgresDatabase('/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main'),
    ).toBeUndefined();
  });

  it('counts busy time as user + nice + system + irq + softirq + steal, idle and iowait apart', () => {
    const stat = 'cpu  100 5 50 1000 40 3 2 1 0 0\ncpu0 50 2 25 500 20 1 1 0 0 0\nintr 1\n';
    expect(parseMachineStat(stat)).toEqual({ busy: 161, total: 1201 });
  });

  it('reads this process from /proc and sees the CPU it burns', () => {
    const subjects = { self: { pid: process.pid }, gone: { pid: 2 ** 30 } };
    const before = readCpu(subjects);
    // burn 100 ms of CPU (not of wall time: a loaded machine gives this process a fraction of a core)
    const start = process.cpuUsage();
    let spin = 0;
    while (process.cpuUsage(start).user + process.cpuUsage(start).system < 100_000) spin++;
    const spent = cpuBetween(before, readCpu(subjects));
    expect(spin).toBeGreaterThan(0);
    // clock ticks are 10 ms: /proc rounds down to them
    expect(spent.processMs.self).toBeGreaterThanOrEqual(80);
    expect(spent.processMs.gone).toBe(0);
    expect(spent.machineMs).toBeGreaterThanOrEqual(spent.processMs.self - 20);
  });

  it('counts a process that started during the span from zero, in ms at the clock tick rate', () => {
    const reading = (busy: number, pids: Array<[number, number]>): CpuReading => ({
      at: 0,
      machine: { busy, total: busy * 2 },
      subjects: { postgres: new Map(pids) },
    });
    const spent = cpuBetween(
      reading(1000, [[10, 50]]),
      reading(1300, [
        [10, 80],
        [11, 20],
      ]),
      100,
    );
    expect(spent.processMs.postgres).toBe(500); // (30 + 20) ticks at 100/s
    expect(spent.machineMs).toBe(3000);
    expect(spent.machineBusyPercent).toBe(50);
  });

  it('divides per push and takes ratios only of what was measured', () => {
    expect(perPush(1234, 1000)).toBe(1.23);
    expect(perPush(5, 0)).toBeUndefined();
    expect(ratio(300, 1200)).toBe(0.25);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 3)).toBeUndefined();
    expect(mean([1, undefined, 3])).toBe(2);
    expect(mean([])).toBeUndefined();
  });
});

const run = (
  system: RunResult['system'],
  connections: number,
  accepted: number,
  machine: number,
): RunResult => ({
  system,
  connections,
  round: 1,
  loopSeconds: 1,
  requests: accepted,
  accepted,
  acceptedPerSecond: accepted,
  submittedPushes: accepted,
  submitSeconds: 1,
  submittedPerSecond: accepted / 2,
  submitSmPerPush: 1,
  latency: { count: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1 },
  statuses: { 202: accepted },
  delivered: accepted,
  deliveredNote: '',
  cpuSeconds: 1,
  machineBusyPercent: 50,
  machineMsPerPush: machine,
  processMsPerPush: {},
  listedMsPerPush: machine / 2,
});

describe('summary', () => {
  it('averages the rounds per system and connection count, and gives otagw / Kannel', () => {
    const rows = summarise(
      [
        run('kannel', 16, 3000, 0.6),
        run('otagw', 16, 400, 3.6),
        run('kannel', 16, 2000, 0.6),
        run('otagw', 16, 600, 3),
      ],
      [16, 64],
    );
    expect(rows[0].kannel?.acceptedPerSecond).toBe(2500);
    expect(rows[0].ratio).toEqual({
      accepted: 0.2,
      submitted: 0.2,
      machineMsPerPush: 5.5,
      listedMsPerPush: 5.5,
    });
    expect(rows[1]).toMatchObject({ connections: 64, kannel: undefined, otagw: undefined, ratio: {} });
  });

  it('replaces its own section of docs/benchmarks.md and leaves the rest', () => {
    const section = (text: string): string => `${SECTION_START}\n## vs-kannel\n${text}\n${SECTION_END}`;
    const first = withSection('# Benchmarks\n\n## e2e\nfigures\n', section('one'));
    expect(first).toBe(`# Benchmarks\n\n## e2e\nfigures\n\n${section('one')}\n`);
    const second = withSection(first, section('two'));
    expect(second).toBe(`# Benchmarks\n\n## e2e\nfigures\n\n${section('two')}\n`);
    expect(keptVsKannelSection(second)).toBe(section('two'));
    expect(keptVsKannelSection('# Benchmarks\n')).toBeUndefined();
  });
});

describe('the load generator client', () => {
  it('writes one request with Host, keep-alive and the body length', () => {
    const bytes = requestBytes('127.0.0.1', 8080, {
      method: 'POST',
      path: '/v1/x',
      headers: { 'Content-Type': 'application/json', 'Content-Length': 99 },
      body: '{"a":"ä"}',
    });
    expect(bytes.toString('utf8')).toBe(
      'POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n' +
        'Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":"ä"}',
    );
  });

  it('frames answers by Content-Length, waits for the rest, refuses chunked ones', () => {
    const answer = Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nSent.HTTP/1.1 200 OK\r\n');
    expect(parseResponse(answer)).toEqual({
      status: 202,
      body: 'Sent.',
      length: answer.indexOf('HTTP/1.1 200'),
    });
    expect(
      parseResponse(Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nSen')),
    ).toBeUndefined();
    expect(parseResponse(Buffer.from('HTTP/1.1 202 Acc'))).toBeUndefined();
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'))).toThrow(
      /chunked/,
    );
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nX: y\r\n\r\n'))).toThrow(/Content-Length/);
  });
});

describe('options', () => {
  it('defaults to 30 s, 16 and 64 connections, 2 rounds, PostgreSQL, first-use; --quick is short', () => {
    expect(parseOptions([])).toMatchObject({
      duration: 30,
      connections: [16, 64],
      rounds: 2,
      store: 'pg',
      path: 'first-use',
      kannelMethod: 'get',
      client: 'raw',
      kannel: true,
    });
    expect(parseOptions(['--quick'])).toMatchObject({
      duration: 3,
      connections: [16],
      rounds: 1,
      base: 1000,
    });
    expect(parseOptions(['--store', 'pglite', '--path', 'care', '--connections', '8,32'])).toMatchObject({
      store: 'pglite',
      path: 'care',
      connections: [8, 32],
    });
  });

  it('refuses what it does not know', () => {
    expect(() => parseOptions(['--store', 'memory'])).toThrow(/--store/);
    expect(() => parseOptions(['--path', 'dial'])).toThrow(/--path/);
    expect(() => parseOptions(['--duration', '0'])).toThrow(/--duration/);
    expect(() => parseOptions(['--connections', '16,x'])).toThrow(/--connections/);
  });
});

describe('the document and the push check', () => {
  it('gives every request a SIM of its own with an N95 IMEI', () => {
    const sims = Array.from({ length: 1000 }, (_, index) => benchSim(index, 10_000_000));
    expect(new Set(sims.map((sim) => sim.imsi)).size).toBe(1000);
    expect(new Set(sims.map((sim) => sim.msisdn)).size).toBe(1000);
    for (const sim of sims.slice(0, 20)) {
      expect(sim.imei.startsWith('35698001')).toBe(true);
      expect(() => parseImei(sim.imei)).not.toThrow();
    }
  });

  it('accepts otagw own one-segment NETWPIN push of the document, and says what is wrong with others', () => {
    const imsi = '262030000000001';
    const packed = packXml(benchDocumentXml(), { sec: 'NETWPIN', imsi });
    expect(packed.segments).toHaveLength(1);
    const hex = Buffer.from(packed.segments[0].tpud).toString('hex');
    const check = checkPush(hex, imsi);
    expect(check).toMatchObject({ ok: true, sec: 'NETWPIN', macKey: 'EF_IMSI semi-octets' });
    expect(check.parameters).toContain('NAPDEF/NAP-ADDRESS=internet');
    const wrongImsi = checkPush(hex, '262030000000002');
    expect(wrongImsi.ok).toBe(false);
    expect(wrongImsi.problems.join()).toMatch(/MAC/);
    expect(checkPush('00ff', imsi).ok).toBe(false);
  });
});

describe.skipIf(kannelVersion() === undefined)('Kannel sendota into the simulator (Debian kannel)', () => {
  it('binds, accepts one GET sendota and pushes the document signed with the EF_IMSI key', async () => {
    // in this process: vitest's workers cannot fork the TypeScript simulator process bench:vs-kannel uses
    const sim = await startSmscSimulator({
      accounts: [{ ...DEFAULT_ACCOUNT }, { systemId: 'kannel', password: 'kannelpw' }],
      behaviour: { handsetEnabled: false, receiptDelayMs: 0 },
    });
    try {
      const kannel = await KannelProcesses.start({
        host: sim.host,
        port: sim.port,
        username: 'kannel',
        password: 'kannelpw',
        maxPendingSubmits: 10,
      });
      try {
        const { imsi, msisdn } = benchSim(7, 90_000_000);
        const pin = [...netwpinKey(imsi)].map((octet) => `%${octet.toString(16).padStart(2, '0')}`).join('');
        const url = `${kannel.sendotaUrl.href}?username=bench&password=bench&to=${msisdn}&from=2020&type=oma-settings&sec=netwpin&pin=${pin}&text=${encodeURIComponent(benchDocumentXml())}`;
        const answer = await fetch(url);
        expect(answer.status).toBe(202);
        const mine = () => sim.submitted().filter((record) => record.destinationAddr === msisdn);
        for (let i = 0; i < 50 && mine().length === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(mine()).toHaveLength(1);
        const [record] = mine();
        expect(record).toMatchObject({ systemId: 'kannel', registeredDelivery: 0 });
        const check = checkPush(Buffer.from(record.shortMessage!).toString('hex'), imsi);
        expect(check).toMatchObject({ ok: true, macKey: 'EF_IMSI semi-octets' });
        // the same WBXML otagw encodes
        const own = packXml(benchDocumentXml(), { sec: 'NETWPIN', imsi });
        expect(check.wbxmlHex).toBe(Buffer.from(own.wbxml).toString('hex'));
      } finally {
        await kannel.stop();
      }
    } finally {
      await sim.close();
    }
  }, 60_000);
});
