/**
 * SMPP throughput: one bind of SmppConnector to the SMSC simulator running in a child process (so the two
 * do not share one core), receipts flowing back.
 *   npm run bench:smpp            a table
 *   npm run bench:smpp -- --json  one JSON object:
 *     { window1, window10, window50, throttled500: { rate, throttlingErrorsAfterFirstSecond }, ... }
 * window1/10/50: accepted submit_sm per second at that window, no rate limit configured.
 * throttled500: the simulator throttles above 500 submit_sm/s per bind; the connector is configured with
 * tps=500. learned500: the same SMSC limit, no tps configured (the limit is learnt from throttling).
 * --quick: each run about a third as long (a smoke run).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WAP_CL_SESSION_PORT, WAP_PUSH_PORT } from '../codecs/sms/ports.ts';
import { PART_PAYLOAD_OCTETS_8BIT_REFERENCE, segmentDatagram } from '../codecs/sms/segment.ts';
import { parseSmscConfig } from '../src/connectors/config.ts';
import { SmppConnector } from '../src/connectors/smpp/smpp-connector.ts';
import type { OutboundPush } from '../src/connectors/types.ts';
import { startSmscSimulator, type SimBehaviour } from '../src/smsc-sim/index.ts';

const ACCOUNT = { systemId: 'bench', password: 'bench-pw' };
const CHILD_ENV = 'OTAGW_BENCH_SMPP_CHILD';

type ChildRequest = { id: number; behaviour: Partial<SimBehaviour> };
type ChildMessage = { ready: number } | { id: number; done: true };

// ---- child: the simulator ----------------------------------------------------------------------------

async function runSimulatorChild(): Promise<void> {
  const sim = await startSmscSimulator({
    accounts: [ACCOUNT],
    behaviour: { handsetEnabled: false },
    maxSubmittedRecords: 1000,
  });
  process.on('message', (request: ChildRequest) => {
    sim.setBehaviour(request.behaviour);
    process.send?.({ id: request.id, done: true } satisfies ChildMessage);
  });
  process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.send?.({ ready: sim.port } satisfies ChildMessage);
}

// ---- parent: the connector ---------------------------------------------------------------------------

class SimulatorProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, () => void>();
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (message: ChildMessage) => {
      if ('id' in message) {
        this.waiting.get(message.id)?.();
        this.waiting.delete(message.id);
      }
    });
  }

  static start(): Promise<SimulatorProcess> {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [CHILD_ENV]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`simulator process exited with ${code}`)));
      child.on('message', (message: ChildMessage) => {
        if ('ready' in message) resolve(new SimulatorProcess(child, message.ready));
      });
    });
  }

  setBehaviour(behaviour: Partial<SimBehaviour>): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, behaviour } satisfies ChildRequest);
    });
  }

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.disconnect();
  }
}

/** A full-size segment: the 128 payload octets of one part of a concatenated push (docs/protocol.md §5.2). */
const PART_PAYLOAD = new Uint8Array(PART_PAYLOAD_OCTETS_8BIT_REFERENCE + 1);

/** The first part of a two-part WAP push as codecs/sms makes it, one per concatenation reference. */
const FIRST_PARTS = Array.from(
  { length: 256 },
  (_, reference) =>
    segmentDatagram(PART_PAYLOAD, {
      destinationPort: WAP_PUSH_PORT,
      sourcePort: WAP_CL_SESSION_PORT,
      reference,
    })[0],
);

/** One-segment pushes (segmenting is codec work, not measured here). */
function pushFor(sequence: number): OutboundPush {
  return {
    id: `bench-${sequence}`,
    destination: `4477009${String(sequence % 100_000).padStart(5, '0')}`,
    segments: [FIRST_PARTS[sequence & 0xff]],
  };
}

interface RunResult {
  /** accepted submit_sm per second over the measured period */
  rate: number;
  receiptsPerSecond: number;
  throttledAfterFirstSecond: number;
  failed: number;
}

/**
 * Keeps the connector fed (2 × window segments queued beyond the window) for `durationMs` and counts
 * accepted segments, receipts and throttling answers after `skipMs`.
 */
async function run(
  port: number,
  options: { window: number; tps?: number; durationMs: number; skipMs: number },
): Promise<RunResult> {
  const connector = new SmppConnector(
    parseSmscConfig({
      id: 'bench',
      host: '127.0.0.1',
      port,
      ...ACCOUNT,
      window: options.window,
      tps: options.tps ?? 0,
      msgIdResp: 'dec',
      msgIdReceipt: 'dec',
      responseTimeoutMs: 10_000,
      queueTimeoutMs: 60_000,
      enquireLinkIntervalMs: 30_000,
      receiptParkMs: 5_000,
      throttleRetryLimit: 1000,
    }),
  );
  let receipts = 0;
  let counting = false;
  connector.on('receipt', () => {
    if (counting) receipts++;
  });
  await connector.start();
  if (!connector.isAvailable()) throw new Error(`bind failed: ${connector.status()[0].lastError}`);

  let accepted = 0;
  let failed = 0;
  let inFlight = 0;
  let sequence = 0;
  let stopFeeding = false;
  const target = options.window * 3;
  let resolveDrained: () => void = () => {};
  const drained = new Promise<void>((resolve) => (resolveDrained = resolve));
  const feed = () => {
    while (!stopFeeding && inFlight < target) {
      inFlight++;
      void connector.submit(pushFor(sequence++)).then(([result]) => {
        inFlight--;
        if (counting) {
          if (result.ok) accepted++;
          else failed++;
        }
        if (stopFeeding) {
          if (inFlight === 0) resolveDrained();
        } else {
          feed();
        }
      });
    }
  };
  const started = performance.now();
  feed();
  await new Promise((resolve) => setTimeout(resolve, options.skipMs));
  counting = true;
  const throttledAtStart = connector.counters().throttled;
  const measureStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.durationMs - (measureStart - started)));
  const elapsedSeconds = (performance.now() - measureStart) / 1000;
  const acceptedInPeriod = accepted;
  const receiptsInPeriod = receipts;
  const throttled = connector.counters().throttled - throttledAtStart;
  counting = false;
  stopFeeding = true;
  if (inFlight > 0) await drained;
  await connector.stop();
  return {
    rate: acceptedInPeriod / elapsedSeconds,
    receiptsPerSecond: receiptsInPeriod / elapsedSeconds,
    throttledAfterFirstSecond: throttled,
    failed,
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const scale = process.argv.includes('--quick') ? 1 / 3 : 1;
  const ms = (full: number): number => Math.round(full * scale);
  const log = (line: string) => {
    if (!json) console.log(line);
  };
  const sim = await SimulatorProcess.start();
  try {
    const windows: Record<number, RunResult> = {};
    for (const window of [1, 10, 50]) {
      windows[window] = await run(sim.port, { window, durationMs: ms(4000), skipMs: ms(1000) });
    }
    await sim.setBehaviour({ throttleTpsPerBind: 500 });
    const throttled = await run(sim.port, { window: 50, tps: 500, durationMs: ms(6000), skipMs: 1000 });
    const learned = await run(sim.port, { window: 50, durationMs: ms(12_000), skipMs: 1000 });

    const round = (n: number) => Math.round(n);
    const figures = {
      window1: round(windows[1].rate),
      window10: round(windows[10].rate),
      window50: round(windows[50].rate),
      throttled500: {
        rate: round(throttled.rate),
        throttlingErrorsAfterFirstSecond: throttled.throttledAfterFirstSecond,
      },
      learned500: {
        rate: round(learned.rate),
        throttlingErrorsAfterFirstSecond: learned.throttledAfterFirstSecond,
      },
      receiptsPerSecond: {
        window1: round(windows[1].receiptsPerSecond),
        window10: round(windows[10].receiptsPerSecond),
        window50: round(windows[50].receiptsPerSecond),
      },
      configuration: {
        connector: 'SmppConnector, one transceiver bind, one-segment pushes (a full 140-octet part)',
        smsc: 'simulator in a child process, receipts at once (receiptDelayMs 0)',
        measuredMs: {
          window: ms(4000) - ms(1000),
          throttled500: ms(6000) - 1000,
          learned500: ms(12_000) - 1000,
        },
        node: process.version,
      },
    };
    if (json) {
      console.log(JSON.stringify(figures));
      return;
    }
    log('SMPP connector, one bind to the simulator (child process), receipts flowing back\n');
    log('| run                              | submit_sm/s | receipts/s | throttling errors after 1st s |');
    log('|----------------------------------|------------:|-----------:|------------------------------:|');
    const row = (name: string, result: RunResult) =>
      log(
        `| ${name.padEnd(32)} | ${String(round(result.rate)).padStart(11)} | ${String(round(result.receiptsPerSecond)).padStart(10)} | ${String(result.throttledAfterFirstSecond).padStart(29)} |`,
      );
    row('window 1', windows[1]);
    row('window 10', windows[10]);
    row('window 50', windows[50]);
    row('SMSC limit 500/s, tps=500', throttled);
    row('SMSC limit 500/s, no tps (AIMD)', learned);
    const failures = [...Object.values(windows), throttled, learned].reduce((sum, r) => sum + r.failed, 0);
    if (failures > 0) log(`\n${failures} segments failed during measurement`);
  } finally {
    sim.stop();
  }
}

if (process.env[CHILD_ENV]) {
  await runSimulatorChild();
} else {
  await main();
}
