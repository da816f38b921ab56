/**
 * Every worker's SMPP binds, wherever they run. With `--role api` and separate `--role worker` processes
 * the api has no binds of its own: each worker publishes its binds and counters to Redis once a second
 * under a key that lives a few seconds (`<prefix>:smsc:workers:<workerId>`), indexed in a sorted set
 * (`<prefix>:smsc:workers`, score = publish time) so readers never SCAN the keyspace. A worker that dies
 * drops out of the list when its key expires.
 *
 * listSmscBinds is the one reader: GET /v1/smsc, the console's SMSC page and /metrics all call it.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BindStatus } from '../connectors/types.ts';

/** One bind as every reader sees it: JSON-safe (dates as ISO text, no Infinity) and named by its worker. */
export interface WorkerBindStatus extends Omit<BindStatus, 'boundSince' | 'currentTps'> {
  /** the process the bind lives in (worker.id, else host name and pid) */
  workerId: string;
  boundSince?: string;
  /** allowed submit_sm per second right now; null: not limited */
  currentTps: number | null;
}

/** What a worker publishes each second. */
export interface WorkerSnapshot {
  workerId: string;
  /** when the worker wrote it (its clock, ISO) */
  publishedAt: string;
  binds: WorkerBindStatus[];
  /** the connector's running counts per SMSC (SmppConnector.counters) */
  counters: Record<string, unknown>;
}

/** What a process has of its own: its binds and, optionally, their counters. */
export interface LocalBindSource {
  status(): BindStatus[];
  counters?(): Record<string, unknown>;
}

export interface WorkerBindsKeys {
  prefix: string;
}

export function workerIndexKey(prefix: string): string {
  return `${prefix}:smsc:workers`;
}

export function workerKey(prefix: string, workerId: string): string {
  return `${prefix}:smsc:workers:${workerId}`;
}

/** A bind status in the published shape. */
export function labelBind(workerId: string, bind: BindStatus): WorkerBindStatus {
  const { boundSince, currentTps, ...rest } = bind;
  const labelled: WorkerBindStatus = {
    ...rest,
    workerId,
    currentTps: Number.isFinite(currentTps) ? currentTps : null,
  };
  if (boundSince) labelled.boundSince = boundSince.toISOString();
  return labelled;
}

export function snapshotOf(workerId: string, source: LocalBindSource, now: Date): WorkerSnapshot {
  return {
    workerId,
    publishedAt: now.toISOString(),
    binds: source.status().map((bind) => labelBind(workerId, bind)),
    counters: source.counters?.() ?? {},
  };
}

export interface PublisherOptions {
  redis: Redis;
  prefix: string;
  workerId: string;
  source: LocalBindSource;
  /** how often the snapshot is written (default 1 s) */
  intervalMs?: number;
  /** how long a snapshot lives without being refreshed (default 5 s) */
  ttlMs?: number;
  logger?: Logger;
}

/** Writes this worker's snapshot every intervalMs; stop() removes it at once. */
export class WorkerBindsPublisher {
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private writing: Promise<void> | undefined;

  constructor(private readonly options: PublisherOptions) {
    this.intervalMs = options.intervalMs ?? 1_000;
    this.ttlMs = options.ttlMs ?? 5_000;
  }

  start(): void {
    if (this.timer) return;
    void this.publish();
    this.timer = setInterval(() => void this.publish(), this.intervalMs);
    this.timer.unref();
  }

  /** One write now (also what the timer does); resolves when Redis has it, never rejects. */
  publish(): Promise<void> {
    const { redis, prefix, workerId, source } = this.options;
    // While Redis is away nothing is queued up: the next tick after it is back writes a fresh snapshot.
    if (redis.status !== 'ready' || this.writing) return this.writing ?? Promise.resolve();
    const now = Date.now();
    const snapshot = snapshotOf(workerId, source, new Date(now));
    this.writing = redis
      .multi()
      .set(workerKey(prefix, workerId), JSON.stringify(snapshot), 'PX', this.ttlMs)
      .zadd(workerIndexKey(prefix), String(now), workerId)
      .zremrangebyscore(workerIndexKey(prefix), '-inf', now - 10 * this.ttlMs)
      .exec()
      .then(
        () => undefined,
        (error: unknown) =>
          this.options.logger?.debug({ err: (error as Error).message }, 'bind snapshot not published'),
      )
      .finally(() => (this.writing = undefined));
    return this.writing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.writing;
    const { redis, prefix, workerId } = this.options;
    if (redis.status !== 'ready') return;
    await redis
      .multi()
      .del(workerKey(prefix, workerId))
      .zrem(workerIndexKey(prefix), workerId)
      .exec()
      .catch(() => undefined);
  }
}

/** The snapshots of every worker alive (its key not expired), in worker id order. */
export async function readWorkerSnapshots(redis: Redis, prefix: string): Promise<WorkerSnapshot[]> {
  const ids = await redis.zrange(workerIndexKey(prefix), '0', '-1');
  if (ids.length === 0) return [];
  const texts = await redis.mget(...ids.map((id) => workerKey(prefix, id)));
  const snapshots: WorkerSnapshot[] = [];
  for (const text of texts) {
    if (text === null) continue;
    try {
      snapshots.push(JSON.parse(text) as WorkerSnapshot);
    } catch {
      // a key someone else wrote: not ours to read
    }
  }
  return snapshots.sort((a, b) => a.workerId.localeCompare(b.workerId));
}

/**
 * Where this process finds the binds: its own (role all or worker) and the other workers' in Redis.
 * Without Redis (tests, a store-only tool) only its own.
 */
export interface SmscBindsView {
  workerId: string;
  local?: LocalBindSource;
  redis?: Redis;
  prefix?: string;
}

export interface SmscBindsListing {
  binds: WorkerBindStatus[];
  workers: Array<{ workerId: string; publishedAt: string; binds: number; counters: Record<string, unknown> }>;
  /** false when Redis did not answer: only this process's own binds are listed */
  complete: boolean;
}

/** What a process hands its readers (AppContext's `smsc` and `smscBinds`). */
export interface SmscBindsContext {
  /** this process's own connector, if it has binds */
  smsc?: LocalBindSource | undefined;
  /** where the other workers' binds are; absent: only `smsc`'s, labelled `local` */
  smscBinds?: SmscBindsView | undefined;
}

/**
 * Every bind of every worker, this process's own included once (read from memory, so it is current),
 * labelled by worker. Redis being down does not hide the binds this process has.
 */
export async function listSmscBinds(context: SmscBindsContext): Promise<SmscBindsListing> {
  const view = context.smscBinds ?? (context.smsc && { workerId: 'local', local: context.smsc });
  if (!view) return { binds: [], workers: [], complete: true };
  const own = view.local ? [snapshotOf(view.workerId, view.local, new Date())] : [];
  let others: WorkerSnapshot[] = [];
  let complete = true;
  if (view.redis && view.prefix !== undefined) {
    try {
      others = (await readWorkerSnapshots(view.redis, view.prefix)).filter(
        (snapshot) => snapshot.workerId !== view.workerId,
      );
    } catch {
      complete = false;
    }
  }
  const snapshots = [...own, ...others].sort((a, b) => a.workerId.localeCompare(b.workerId));
  return {
    binds: snapshots.flatMap((snapshot) => snapshot.binds),
    workers: snapshots.map((snapshot) => ({
      workerId: snapshot.workerId,
      publishedAt: snapshot.publishedAt,
      binds: snapshot.binds.length,
      counters: snapshot.counters,
    })),
    complete,
  };
}
