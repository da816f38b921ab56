import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { GroupCommit } from '../provisioning/group-commit.ts';
import type { Db } from '../store/db.ts';
import { appendAuditEntries, type AuditEntryInput } from '../store/repositories/audit.ts';

/** Entries per batch (one multi-row INSERT). */
const MAX_BATCH = 500;

/**
 * Group commit for the audit log (provisioning/group-commit.ts). Every request still waits until its own
 * entry is stored (nothing is acknowledged before its audit entry is durable), but entries that arrive
 * while a write is in flight go together in the next multi-row INSERT, so a busy API costs one statement
 * per batch, not per call (appendAuditEntries).
 */
export class AuditWriter {
  private readonly group: GroupCommit<AuditEntryInput, void>;

  constructor(private readonly db: Db) {
    this.group = new GroupCommit<AuditEntryInput, void>(
      async (entries) => {
        await appendAuditEntries(this.db, entries);
        return entries.map(() => ({ status: 'fulfilled', value: undefined }));
      },
      () => [],
      { maxBatch: MAX_BATCH },
    );
  }

  write(entry: AuditEntryInput): Promise<void> {
    return this.group.submit(entry);
  }
}

/** How long one summary of anonymous 401s covers (HttpOptions.unauthenticatedSummaryMs). */
export const UNAUTHENTICATED_SUMMARY_MS = 60_000;
/** Distinct remote addresses named in one summary; the others are only counted. */
const MAX_SUMMARY_ADDRESSES = 50;

interface DenialWindow {
  since: Date;
  count: number;
  codes: Record<string, number>;
  addresses: Map<string, number>;
  otherAddresses: number;
}

/**
 * Requests refused with a 401 before any key (or the local secret) was accepted. Anyone can send those,
 * so writing an audit row each would let any caller flood audit_log: each is counted in /metrics
 * (otagw_http_unauthenticated_total{code}) and the audit log gets one summary row per interval in which
 * there were some (actor anonymous, action http.unauthenticated, outcome denied: the count, the error
 * codes, the remote addresses with their counts). The first refusal of a quiet period opens the interval;
 * its end writes the row. Calls with an accepted key that fail (403, 4xx) are audited one by one as before.
 */
export class UnauthenticatedRequests {
  private window: DenialWindow | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly counter: Counter<'code'>,
    private readonly intervalMs = UNAUTHENTICATED_SUMMARY_MS,
  ) {}

  record(code: string, remoteAddress: string | undefined): void {
    this.counter.inc({ code });
    if (!this.window) {
      this.window = { since: new Date(), count: 0, codes: {}, addresses: new Map(), otherAddresses: 0 };
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
    const window = this.window;
    window.count += 1;
    window.codes[code] = (window.codes[code] ?? 0) + 1;
    const address = remoteAddress ?? 'unknown';
    const seen = window.addresses.get(address);
    if (seen !== undefined) window.addresses.set(address, seen + 1);
    else if (window.addresses.size < MAX_SUMMARY_ADDRESSES) window.addresses.set(address, 1);
    else window.otherAddresses += 1;
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
    const addresses = [...window.addresses]
      .map(([address, count]) => ({ address, count }))
      .sort((a, b) => b.count - a.count);
    try {
      await appendAuditEntries(this.db, [
        {
          actor: 'anonymous',
          action: 'http.unauthenticated',
          outcome: 'denied',
          details: {
            count: window.count,
            since: window.since.toISOString(),
            until: new Date().toISOString(),
            codes: window.codes,
            remoteAddresses: addresses,
            ...(window.otherAddresses > 0 ? { requestsFromOtherAddresses: window.otherAddresses } : {}),
          },
        },
      ]);
    } catch (error) {
      this.logger.error(
        { err: error, count: window.count },
        'audit summary of unauthenticated requests failed',
      );
    }
  }
}
