/**
 * The SMSC simulator in a process of its own (so it does not share the gateway's core), with the
 * account the shipped gateway binds its built-in simulator with (DEFAULT_ACCOUNT, see simulatorRouting in
 * src/main.ts), receipts after `receiptDelayMs`, and a clock at the SMSC: every accepted binary
 * submit_sm is timestamped (Date.now()) when the simulator reads it and answers it with submit_sm_resp
 * (the simulator answers in the same turn: responseDelayMs 0). Per destination the child keeps the first
 * and the last of them; text messages (the PIN of a USERPIN push) are not counted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface SmscTimes {
  /** when the SMSC read (and answered) the first binary submit_sm for this destination, ms since epoch */
  first: number;
  /** ... the last one */
  last: number;
  segments: number;
}

/** One accepted binary submit_sm as the SMSC read it (for a check that a push is well formed). */
export interface SubmitSample {
  systemId: string;
  destination: string;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** TP-UD (UDH included), hex */
  shortMessageHex: string;
}

type ToChild =
  | { op: 'start'; receiptDelayMs: number; accounts?: Array<{ systemId: string; password: string }> }
  | { op: 'sample'; id: number; destination: string }
  | { op: 'collect'; id: number }
  | { op: 'counters'; id: number }
  | { op: 'cpu'; id: number };
type FromChild =
  | { op: 'ready'; host: string; port: number }
  | { op: 'collected'; id: number; entries: Array<[string, number, number, number]> }
  | { op: 'sampled'; id: number; samples: SubmitSample[] }
  | { op: 'counters'; id: number; counters: Record<string, unknown> }
  | { op: 'cpu'; id: number; user: number; system: number };

// ---- child ---------------------------------------------------------------------------------------------

async function runChild(): Promise<void> {
  const { DEFAULT_ACCOUNT, startSmscSimulator } = await import('../../src/smsc-sim/index.ts');
  const start = await new Promise<Extract<ToChild, { op: 'start' }>>((resolve) =>
    process.once('message', (message: ToChild) => resolve(message as Extract<ToChild, { op: 'start' }>)),
  );
  const sim = await startSmscSimulator({
    accounts: [{ ...DEFAULT_ACCOUNT }, ...(start.accounts ?? [])],
    behaviour: { handsetEnabled: false, receiptDelayMs: start.receiptDelayMs },
    maxSubmittedRecords: 20_000,
  });
  const times = new Map<string, SmscTimes>();
  let lastSeen = -1;
  // submitted() keeps the newest 20,000-40,000 segments; read what is new every 50 ms (at 10,000 submit_sm/s
  // that is 500 per look, far from being dropped before it is seen).
  const poll = setInterval(() => {
    const records = sim.submitted();
    let i = records.length - 1;
    while (i >= 0 && Number(records[i].messageId) > lastSeen) i--;
    for (i += 1; i < records.length; i++) {
      const record = records[i];
      lastSeen = Number(record.messageId);
      if (record.shortMessage === null) continue; // a text (the PIN of a USERPIN push)
      const destination = record.destinationAddr.replace(/\D/g, '');
      const entry = times.get(destination);
      if (entry) {
        entry.last = Math.max(entry.last, record.receivedAt);
        entry.first = Math.min(entry.first, record.receivedAt);
        entry.segments++;
      } else {
        times.set(destination, { first: record.receivedAt, last: record.receivedAt, segments: 1 });
      }
    }
  }, 50);
  process.on('message', (message: ToChild) => {
    if (message.op === 'collect') {
      const entries: Array<[string, number, number, number]> = [];
      for (const [destination, entry] of times) {
        entries.push([destination, entry.first, entry.last, entry.segments]);
      }
      times.clear();
      process.send?.({ op: 'collected', id: message.id, entries } satisfies FromChild);
    } else if (message.op === 'sample') {
      const samples: SubmitSample[] = sim
        .submitted()
        .filter(
          (r) => r.shortMessage !== null && r.destinationAddr.replace(/\D/g, '') === message.destination,
        )
        .map((r) => ({
          systemId: r.systemId,
          destination: r.destinationAddr,
          esmClass: r.esmClass,
          dataCoding: r.dataCoding,
          registeredDelivery: r.registeredDelivery,
          shortMessageHex: Buffer.from(r.shortMessage!).toString('hex'),
        }));
      process.send?.({ op: 'sampled', id: message.id, samples } satisfies FromChild);
    } else if (message.op === 'cpu') {
      const usage = process.cpuUsage();
      process.send?.({
        op: 'cpu',
        id: message.id,
        user: usage.user,
        system: usage.system,
      } satisfies FromChild);
    } else if (message.op === 'counters') {
      process.send?.({
        op: 'counters',
        id: message.id,
        counters: sim.counters() as unknown as Record<string, unknown>,
      } satisfies FromChild);
    }
  });
  process.on('disconnect', () => {
    clearInterval(poll);
    void sim.close().then(() => process.exit(0));
  });
  process.send?.({ op: 'ready', host: sim.host, port: sim.port } satisfies FromChild);
}

// ---- parent --------------------------------------------------------------------------------------------

export class SmscProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, (message: FromChild) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly host: string,
    readonly port: number,
    readonly receiptDelayMs: number,
  ) {
    child.on('message', (message: FromChild) => {
      if ('id' in message) {
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      }
    });
  }

  /**
   * `accounts`: more accounts besides DEFAULT_ACCOUNT (bench:vs-kannel binds Kannel with one of its own).
   */
  static start(options: {
    receiptDelayMs: number;
    accounts?: Array<{ systemId: string; password: string }>;
  }): Promise<SmscProcess> {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: process.execArgv,
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`SMSC simulator process exited (${code})`)));
      child.once('message', (message: FromChild) => {
        if (message.op === 'ready') {
          child.removeAllListeners('exit');
          resolve(new SmscProcess(child, message.host, message.port, options.receiptDelayMs));
        }
      });
      child.send({
        op: 'start',
        receiptDelayMs: options.receiptDelayMs,
        ...(options.accounts ? { accounts: options.accounts } : {}),
      } satisfies ToChild);
    });
  }

  private ask(op: 'collect' | 'counters' | 'cpu' | 'sample', destination = ''): Promise<FromChild> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send((op === 'sample' ? { op, id, destination } : { op, id }) satisfies ToChild);
    });
  }

  /** The simulator's process id (its CPU is read from /proc/<pid>/stat). */
  get pid(): number {
    return this.child.pid!;
  }

  /** The binary submit_sm the simulator still keeps for one destination (digits only), oldest first. */
  async samples(destination: string): Promise<SubmitSample[]> {
    return ((await this.ask('sample', destination)) as Extract<FromChild, { op: 'sampled' }>).samples;
  }

  /** The times seen since the last collect, by destination (digits only); clears them in the child. */
  async collect(): Promise<Map<string, SmscTimes>> {
    // let the child's next look at its records happen first
    await new Promise((resolve) => setTimeout(resolve, 120));
    const message = (await this.ask('collect')) as Extract<FromChild, { op: 'collected' }>;
    return new Map(
      message.entries.map(([destination, first, last, segments]) => [destination, { first, last, segments }]),
    );
  }

  /** CPU time the simulator process has used, µs */
  async cpuMicros(): Promise<{ user: number; system: number }> {
    const { user, system } = (await this.ask('cpu')) as Extract<FromChild, { op: 'cpu' }>;
    return { user, system };
  }

  async counters(): Promise<Record<string, unknown>> {
    return ((await this.ask('counters')) as Extract<FromChild, { op: 'counters' }>).counters;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.disconnect();
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChild().catch((error: unknown) => {
    process.stderr.write(`bench SMSC simulator: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
