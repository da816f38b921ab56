import type { Db } from '../store/db.ts';
import { appendAudit } from '../store/repositories/audit.ts';
import { existingGroupNames } from '../store/repositories/groups.ts';
import { findSubscribersHolding, upsertDeclaredSubscribers } from './repository.ts';
import { parseSubscriberCsv, type SubscriberIssue, type SubscriberLine } from './subscriber-csv.ts';

/** The device catalogue import's options (src/devices/import-catalogue.ts), for the subscriber base. */
export interface SubscriberImportOptions {
  /** Work out and report the changes, then roll them back. */
  dryRun?: boolean;
  /** Import the good lines even when others are bad (default: any bad line imports nothing). */
  skipInvalid?: boolean;
  /** Who imports, for the audit log. */
  actor: string;
  role?: string | null;
  /** Where the CSV came from (a file name), for the audit log. */
  source: string;
}

export interface SubscriberCounts {
  added: number;
  /** Moved to another group or number, or given the handset the store did not know. */
  updated: number;
  unchanged: number;
}

export interface SubscriberImportReport {
  /** Data lines read. */
  lines: number;
  subscribers: SubscriberCounts;
  issues: SubscriberIssue[];
  /** As the catalogue import: applied, dry-run (rolled back) or refused (nothing attempted, counts zero). */
  outcome: 'applied' | 'dry-run' | 'refused';
}

const NO_SUBSCRIBERS: SubscriberCounts = { added: 0, updated: 0, unchanged: 0 };

/** Thrown inside the transaction to roll a dry run back with its report. */
class DryRunRollback extends Error {
  constructor(readonly report: SubscriberImportReport) {
    super('dry run');
  }
}

/**
 * The lines the store refuses: a group that does not exist, or a number another SIM holds (also when
 * the file moves that SIM to a new number too: numbers are unique at every moment, so a swap takes two
 * imports). Read inside the import's transaction, so what is checked is what is written.
 */
async function storeIssues(tx: Db, entries: readonly SubscriberLine[]): Promise<SubscriberIssue[]> {
  const groups = await existingGroupNames(tx, [...new Set(entries.map((entry) => entry.group))]);
  const holders = await findSubscribersHolding(tx, {
    imsis: [],
    msisdns: entries.map((entry) => entry.msisdn),
  });
  const holderOf = new Map(holders.map((holder) => [holder.msisdn, holder.imsi]));
  const issues: SubscriberIssue[] = [];
  for (const entry of entries) {
    if (!groups.has(entry.group)) {
      issues.push({ line: entry.line, code: 'GROUP_UNKNOWN', message: `no group '${entry.group}'` });
    }
    const holder = holderOf.get(entry.msisdn);
    if (holder !== undefined && holder !== entry.imsi) {
      issues.push({
        line: entry.line,
        code: 'MSISDN_TAKEN',
        message: `MSISDN ${entry.msisdn} belongs to another SIM; move that SIM to its new number first`,
      });
    }
  }
  return issues;
}

function refusedReport(lines: number, issues: SubscriberIssue[]): SubscriberImportReport {
  return { lines, subscribers: NO_SUBSCRIBERS, issues, outcome: 'refused' };
}

/**
 * Imports subscribers from CSV (see subscriber-csv.ts) by IMSI: new SIMs are added, known ones take the
 * file's number and group; nothing absent from the file is removed. All in one transaction, with an
 * audit entry; any bad line refuses the whole file unless skipInvalid.
 */
export async function importSubscribers(
  db: Db,
  csv: string,
  options: SubscriberImportOptions,
): Promise<SubscriberImportReport> {
  const parsed = parseSubscriberCsv(csv);
  if (parsed.fatal || (parsed.issues.length > 0 && !options.skipInvalid)) {
    return refusedReport(parsed.lines, parsed.issues);
  }
  try {
    return await db.transaction(async (tx) => {
      const refusedByStore = await storeIssues(tx, parsed.entries);
      const issues = [...parsed.issues, ...refusedByStore].sort((a, b) => a.line - b.line);
      if (refusedByStore.length > 0 && !options.skipInvalid) return refusedReport(parsed.lines, issues);
      const badLines = new Set(refusedByStore.map((issue) => issue.line));
      const good = parsed.entries.filter((entry) => !badLines.has(entry.line));
      const written = await upsertDeclaredSubscribers(tx, good);
      const report: SubscriberImportReport = {
        lines: parsed.lines,
        subscribers: {
          added: written.added.length,
          updated: written.updated.length,
          unchanged: good.length - written.added.length - written.updated.length,
        },
        issues,
        outcome: options.dryRun ? 'dry-run' : 'applied',
      };
      if (options.dryRun) throw new DryRunRollback(report);
      await appendAudit(tx, {
        actor: options.actor,
        role: options.role ?? null,
        action: 'subscribers.import',
        subjectType: 'subscribers',
        subjectId: options.source,
        details: {
          lines: report.lines,
          subscribers: report.subscribers,
          skippedLines: new Set(issues.map((issue) => issue.line)).size,
        },
      });
      return report;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.report;
    throw error;
  }
}
