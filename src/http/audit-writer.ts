import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { registeredOnce } from '../observability/metrics.ts';
import { GroupCommit, isolatingFailures } from '../provisioning/group-commit.ts';
import type { Db } from '../store/db.ts';
import { appendAuditEntries, type AuditEntryInput } from '../store/repositories/audit.ts';
import { unstorableStringsIn } from './schemas.ts';

/** Entries per batch (one multi-row INSERT). */
const MAX_BATCH = 500;

/** Waits before writing a lone entry again (a store that blinked, a connection being replaced). */
export const AUDIT_RETRY_DELAYS_MS: readonly number[] = [50, 250, 1000];

/**
 * `otagw_audit_write_failures_total{stage}`: batch (a multi-row INSERT failed; its entries were written
 * one by one), retry (one entry failed and was written again), sanitised (stored with the characters no
 * store can keep replaced), lost (not stored after every retry: its caller got the error).
 */
export function auditWriteFailuresCounter(registry: Registry): Counter<'stage'> {
  return registeredOnce(
    registry,
    'otagw_audit_write_failures_total',
    () =>
      new Counter({
        name: 'otagw_audit_write_failures_total',
        help: 'Audit log writes that failed, by stage: batch, retry, sanitised, lost',
        labelNames: ['stage'],
        registers: [registry],
      }),
  );
}

export interface AuditWriterOptions {
  /** Where otagw_audit_write_failures_total is registered; without one the failures are counted nowhere. */
  metrics?: Registry;
  logger?: Logger;
  retryDelaysMs?: readonly number[];
}

/** U+FFFD for what cannot be stored: NUL and other controls, lone surrogates (schemas.ts unstorableTextReason). */
function sanitisedText(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\ufffd')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  );
}

function sanitisedValue(value: unknown): unknown {
  if (typeof value === 'string') return sanitisedText(value);
  if (Array.isArray(value)) return value.map(sanitisedValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [sanitisedText(key), sanitisedValue(item)]),
    );
  }
  return value;
}

/** The entry with its unstorable characters replaced and marked so, or undefined when it has none. */
export function sanitisedEntry(entry: AuditEntryInput): AuditEntryInput | undefined {
  if (unstorableStringsIn(entry).length === 0) return undefined;
  const clean = sanitisedValue(entry) as AuditEntryInput;
  return { ...clean, details: { ...clean.details, auditSanitised: true } };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Group commit for the audit log (provisioning/group-commit.ts). Every request still waits until its own
 * entry is stored (nothing is acknowledged before its audit entry is durable), but entries that arrive
 * while a write is in flight go together in the next multi-row INSERT, so a busy API costs one statement
 * per batch, not per call (appendAuditEntries).
 *
 * One entry must never cost the others theirs (issue 15 #8: a NUL in one care reason made PostgreSQL
 * refuse the whole statement): a failed batch is written again one entry at a time; an entry with
 * characters no store keeps is stored with them replaced (details.auditSanitised); a lone entry that
 * still fails is retried after AUDIT_RETRY_DELAYS_MS. Each step is counted (auditWriteFailuresCounter).
 */
export class AuditWriter {
  private readonly group: GroupCommit<AuditEntryInput, void>;
  private readonly failures: Counter<'stage'> | undefined;
  private readonly retryDelaysMs: readonly number[];

  constructor(
    private readonly db: Db,
    private readonly options: AuditWriterOptions = {},
  ) {
    this.failures = options.metrics && auditWriteFailuresCounter(options.metrics);
    this.retryDelaysMs = options.retryDelaysMs ?? AUDIT_RETRY_DELAYS_MS;
    this.group = new GroupCommit<AuditEntryInput, void>(
      isolatingFailures((entries) => this.store(entries)),
      () => [],
      { maxBatch: MAX_BATCH },
    );
  }

  write(entry: AuditEntryInput): Promise<void> {
    return this.group.submit(entry);
  }

  private async store(entries: AuditEntryInput[]): Promise<void[]> {
    if (entries.length === 1) {
      await this.storeAlone(entries[0]!);
      return [undefined];
    }
    try {
      await appendAuditEntries(this.db, entries);
    } catch (error) {
      this.failures?.inc({ stage: 'batch' });
      this.options.logger?.warn(
        { err: error, entries: entries.length },
        'audit batch failed; writing its entries one by one',
      );
      throw error;
    }
    return entries.map(() => undefined);
  }

  private async storeAlone(entry: AuditEntryInput): Promise<void> {
    let attempt = entry;
    for (let tries = 0; ; tries += 1) {
      try {
        await appendAuditEntries(this.db, [attempt]);
        return;
      } catch (error) {
        const sanitised = attempt === entry ? sanitisedEntry(entry) : undefined;
        if (sanitised) {
          this.failures?.inc({ stage: 'sanitised' });
          attempt = sanitised;
          continue;
        }
        if (tries >= this.retryDelaysMs.length) {
          this.failures?.inc({ stage: 'lost' });
          this.options.logger?.error(
            { err: error, action: entry.action },
            'audit entry not stored after retries',
          );
          throw error;
        }
        this.failures?.inc({ stage: 'retry' });
        await sleep(this.retryDelaysMs[tries]!);
      }
    }
  }
}

/** How long one summary of anonymous 401s covers (HttpOptions.unauthenticatedSummaryMs). */
export const UNAUTHENTICATED_SUMMARY_MS = 60_000;
/** Distinct remote addresses given a summary row of their own; the others share one row. */
const MAX_SUMMARY_ADDRESSES = 50;
/** The address of the row the addresses beyond MAX_SUMMARY_ADDRESSES share. */
export const OTHER_ADDRESSES = 'other';

interface AddressDenials {
  count: number;
  codes: Record<string, number>;
}

interface DenialWindow {
  since: Date;
  addresses: Map<string, AddressDenials>;
}

/**
 * Requests refused before any key (or the local secret) was accepted: 401s, and 429s of the per-address
 * limit in front of authentication. Anyone can send those, so writing an audit row each would let any
 * caller flood audit_log: each is counted in /metrics (otagw_http_unauthenticated_total{code}) and the
 * audit log gets one summary row per remote address per interval in which it had some (actor anonymous,
 * action http.unauthenticated, outcome denied, subject remote-address: the count and the error codes).
 * The first refusal of a quiet period opens the interval; its end writes the rows (through the
 * AuditWriter, so they are retried and counted like any entry). Calls with an accepted key that fail
 * (403, 4xx) are audited one by one as before.
 */
export class UnauthenticatedRequests {
  private window: DenialWindow | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly writer: Pick<AuditWriter, 'write'>,
    private readonly logger: Logger,
    private readonly counter: Counter<'code'>,
    private readonly intervalMs = UNAUTHENTICATED_SUMMARY_MS,
  ) {}

  record(code: string, remoteAddress: string | undefined): void {
    this.counter.inc({ code });
    if (!this.window) {
      this.window = { since: new Date(), addresses: new Map() };
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
    const addresses = this.window.addresses;
    let address = remoteAddress ?? 'unknown';
    if (!addresses.has(address) && addresses.size >= MAX_SUMMARY_ADDRESSES) address = OTHER_ADDRESSES;
    const denials = addresses.get(address) ?? { count: 0, codes: {} };
    denials.count += 1;
    denials.codes[code] = (denials.codes[code] ?? 0) + 1;
    addresses.set(address, denials);
  }

  /** Writes the summary of the open interval now (its timer, or a shutdown); resolves once stored. */
  flush(): Promise<void> {
    const window = this.window;
    this.window = undefined;
    clearTimeout(this.timer);
    if (window) this.pending = this.pending.then(() => this.writeSummary(window));
    return this.pending;
  }

  private async writeSummary(window: DenialWindow): Promise<void> {
    const until = new Date().toISOString();
    const rows = [...window.addresses].sort((a, b) => b[1].count - a[1].count);
    const written = await Promise.allSettled(
      rows.map(([address, denials]) =>
        this.writer.write({
          actor: 'anonymous',
          action: 'http.unauthenticated',
          outcome: 'denied',
          subjectType: 'remote-address',
          subjectId: address,
          details: {
            count: denials.count,
            since: window.since.toISOString(),
            until,
            codes: denials.codes,
            remoteAddresses: [{ address, count: denials.count }],
          },
        }),
      ),
    );
    const lost = written.filter((outcome) => outcome.status === 'rejected').length;
    // The writer counted and retried them already (otagw_audit_write_failures_total{stage="lost"}).
    if (lost > 0) this.logger.error({ lost }, 'audit summaries of unauthenticated requests not stored');
  }
}
