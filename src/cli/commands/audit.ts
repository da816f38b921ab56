import { loadConfig } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { openDb, storeOptionsFromLocation } from '../../store/open-db.ts';
import { allAuditEntries, type AuditEntry, type AuditFilter } from '../../store/repositories/audit.ts';
import { parseCommandLine, UsageError, type CliIo, type Command } from '../main.ts';
import { configuredStoreLocation } from './import.ts';

const TABLE_LIMIT = 100;

export const AUDIT_USAGE = `usage: otagw audit [--since TIME] [--until TIME] [--actor NAME] [--action ACTION]
                   [--outcome ok|denied|failed] [--limit N] [--json] [--db URL]
  Prints the audit log, newest first: one line per entry (time, outcome, actor, action, subject), or
  with --json one JSON entry per line (JSON lines, as GET /v1/audit/export gives them).
  --since TIME     entries at or after TIME (ISO 8601, e.g. 2024-05-01 or 2024-05-01T12:00:00Z)
  --until TIME     entries before TIME
  --actor NAME     entries of this actor (an API key name, cli, worker, smsc, anonymous ...)
  --action ACTION  entries of this action (e.g. provisionings.request, http.unauthenticated)
  --outcome O      ok, denied or failed
  --limit N        at most N entries (default ${TABLE_LIMIT} for the table; every matching entry with --json)
  --db URL         postgres://..., file:DIR or a directory; default the store of config/ (store.url,
                   else store.dataDir). The embedded database can be open in one process only: while
                   the server runs on it, use GET /v1/audit/export instead.
`;

const OUTCOMES = ['ok', 'denied', 'failed'] as const;

export interface AuditCommandDeps {
  openStore: (location: string | undefined) => Promise<Db>;
  defaultLocation: () => string | undefined;
}

function timeOption(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(time.getTime())) throw new UsageError(`--${name}: '${value}' is not an ISO 8601 time`);
  return time;
}

function limitOption(value: string | undefined, json: boolean): number | undefined {
  if (value === undefined) return json ? undefined : TABLE_LIMIT;
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new UsageError(`--limit: '${value}' is not a positive number`);
  return Number(value);
}

function outcomeOption(value: string | undefined): AuditFilter['outcome'] {
  if (value === undefined) return undefined;
  if (!(OUTCOMES as readonly string[]).includes(value)) {
    throw new UsageError(`--outcome: '${value}' is not one of ${OUTCOMES.join(', ')}`);
  }
  return value as AuditFilter['outcome'];
}

function tableLine(entry: AuditEntry): string {
  const subject = entry.subjectType
    ? `${entry.subjectType}:${entry.subjectId ?? ''}`
    : (entry.subjectId ?? '-');
  return (
    [entry.at.toISOString(), entry.outcome.padEnd(6), entry.actor, entry.action, subject].join('  ') + '\n'
  );
}

export function createAuditCommand(deps: AuditCommandDeps): Command {
  return async (argv: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseCommandLine(argv, {
      since: { type: 'string' },
      until: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      outcome: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      db: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout(AUDIT_USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const json = values.json ?? false;
    const filter = {
      since: timeOption('since', values.since),
      until: timeOption('until', values.until),
      actor: values.actor,
      action: values.action,
      outcome: outcomeOption(values.outcome),
      limit: limitOption(values.limit, json),
    };
    const db = await deps.openStore(values.db ?? deps.defaultLocation());
    try {
      for await (const entry of allAuditEntries(db, filter)) {
        io.stdout(json ? JSON.stringify(entry) + '\n' : tableLine(entry));
      }
    } finally {
      await db.close();
    }
    return 0;
  };
}

export const auditCommand: Command = createAuditCommand({
  openStore: (location) => openDb(storeOptionsFromLocation(location)),
  defaultLocation: () => configuredStoreLocation(loadConfig()),
});
