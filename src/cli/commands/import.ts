import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../../config.ts';
import { importDeviceCatalogue, type CatalogueImportReport } from '../../devices/import-catalogue.ts';
import type { Db } from '../../store/db.ts';
import { importSubscribers, type SubscriberImportReport } from '../../subscribers/import.ts';
import { openDb, storeOptionsFromLocation } from '../../store/open-db.ts';
import { UsageError, type CliIo, type Command } from '../main.ts';

export const IMPORT_USAGE = `usage: otagw import devices FILE.csv [--db URL] [--dry-run] [--skip-invalid]
       otagw import subscribers FILE.csv [--db URL] [--dry-run] [--skip-invalid]
  devices: adds or updates device models and TACs from a CSV catalogue (FILE '-' reads stdin).
    Columns: tac, manufacturer, model, format, security_methods, max_segments, capabilities, notes
    (see config/devices.csv).
  subscribers: adds SIMs by IMSI, moves known ones to the file's number and group.
    Columns: imsi, msisdn, group, imei (optional); the groups must exist.
  A bad line imports nothing unless --skip-invalid is given.
  --db URL         postgres://..., file:DIR or a directory; default the store of config/ (store.url,
                   else store.dataDir; env DATABASE_URL, OTAGW_DATA_DIR, OTAGW_CONFIG_DIR).
                   The embedded database (a directory) can be open in one process only: stop the
                   server first, or use PostgreSQL.
  --dry-run        report what would change, change nothing
  --skip-invalid   import the good lines and report the bad ones
`;

export interface ImportCommandDeps {
  /** Opens the store the command writes to. */
  openStore: (location: string | undefined) => Promise<Db>;
  /** Where the store is when --db is not given (the configured store). */
  defaultLocation: () => string | undefined;
}

function pluralise(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function badLines(issues: ReadonlyArray<{ line: number }>): string {
  const count = new Set(issues.map((issue) => issue.line)).size;
  return count ? `, ${pluralise(count, 'bad line')}` : '';
}

function outcomeLines(outcome: 'applied' | 'dry-run' | 'refused'): string[] {
  if (outcome === 'dry-run') return ['dry run: nothing stored (the counts say what would change)'];
  if (outcome === 'refused') return ['nothing imported: fix the lines above, or give --skip-invalid'];
  return [];
}

function catalogueSummary(source: string, report: CatalogueImportReport): string {
  const lines = [
    `${source}: ${pluralise(report.lines, 'line')} read${badLines(report.issues)}`,
    `models  ${report.models.added} added, ${report.models.updated} updated, ${report.models.unchanged} unchanged`,
    `TACs    ${report.tacs.added} added, ${report.tacs.moved} moved, ${report.tacs.unchanged} unchanged`,
    ...outcomeLines(report.outcome),
  ];
  return lines.join('\n') + '\n';
}

function subscriberSummary(source: string, report: SubscriberImportReport): string {
  const { added, updated, unchanged } = report.subscribers;
  const lines = [
    `${source}: ${pluralise(report.lines, 'line')} read${badLines(report.issues)}`,
    `subscribers  ${added} added, ${updated} updated, ${unchanged} unchanged`,
    ...outcomeLines(report.outcome),
  ];
  return lines.join('\n') + '\n';
}

type ImportOptions = { dryRun: boolean; skipInvalid: boolean; actor: string; source: string };
type ImportIssue = { line: number; code: string; message: string };
type Imported = { outcome: 'applied' | 'dry-run' | 'refused'; issues: ImportIssue[]; summary: string };

/** What each kind imports with, and how its report reads. */
const IMPORTERS: Record<string, (db: Db, csv: string, options: ImportOptions) => Promise<Imported>> = {
  devices: async (db, csv, options) => {
    const report = await importDeviceCatalogue(db, csv, options);
    return { ...report, summary: catalogueSummary(options.source, report) };
  },
  subscribers: async (db, csv, options) => {
    const report = await importSubscribers(db, csv, options);
    return { ...report, summary: subscriberSummary(options.source, report) };
  },
};

function parseImportArgs(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'skip-invalid': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function readCsv(file: string, io: CliIo): Promise<string> {
  try {
    return file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

export function createImportCommand(deps: ImportCommandDeps): Command {
  return async (argv: string[], io: CliIo): Promise<number> => {
    const { values, positionals } = parseImportArgs(argv);
    if (values.help) {
      io.stdout(IMPORT_USAGE);
      return 0;
    }
    const [kind, file, ...extra] = positionals;
    const importer = kind !== undefined && Object.hasOwn(IMPORTERS, kind) ? IMPORTERS[kind] : undefined;
    if (!importer) {
      throw new UsageError(
        kind === undefined
          ? 'say what to import: otagw import devices|subscribers FILE.csv'
          : `cannot import '${kind}' (only 'devices' or 'subscribers')`,
      );
    }
    if (file === undefined) throw new UsageError('give the CSV file to import (or - for stdin)');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const csv = await readCsv(file, io);
    const source = file === '-' ? 'stdin' : basename(file);

    const db = await deps.openStore(values.db ?? deps.defaultLocation());
    let report: Imported;
    try {
      report = await importer(db, csv, {
        dryRun: values['dry-run'] ?? false,
        skipInvalid: values['skip-invalid'] ?? false,
        actor: 'cli',
        source,
      });
    } finally {
      await db.close();
    }
    for (const issue of report.issues)
      io.stderr(`${source}:${issue.line}: ${issue.code}: ${issue.message}\n`);
    io.stdout(report.summary);
    return report.outcome === 'refused' ? 1 : 0;
  };
}

/** The configured store as a --db location: store.url, else the PGlite directory store.dataDir. */
export function configuredStoreLocation(config: Config): string {
  return config.store.url ?? config.store.dataDir;
}

export const importCommand: Command = createImportCommand({
  openStore: (location) => openDb(storeOptionsFromLocation(location)),
  defaultLocation: () => configuredStoreLocation(loadConfig()),
});
