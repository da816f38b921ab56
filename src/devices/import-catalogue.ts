import type { Db } from '../store/db.ts';
import { appendAudit } from '../store/repositories/audit.ts';
import {
  assignTacs,
  deviceModelKey,
  upsertDeviceModels,
  type TacCounts,
  type UpsertCounts,
} from '../store/repositories/devices.ts';
import { parseCatalogueCsv, type CatalogueIssue } from './catalogue-csv.ts';

export interface CatalogueImportOptions {
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

export interface CatalogueImportReport {
  /** Data lines read. */
  lines: number;
  models: UpsertCounts;
  tacs: TacCounts;
  issues: CatalogueIssue[];
  /**
   * applied: stored; dry-run: worked out and rolled back; refused: bad lines (or a bad header) and no
   * --skip-invalid, so nothing was attempted and the counts are zero.
   */
  outcome: 'applied' | 'dry-run' | 'refused';
}

const NO_MODELS: UpsertCounts = { added: 0, updated: 0, unchanged: 0 };
const NO_TACS: TacCounts = { added: 0, moved: 0, unchanged: 0 };

/** Thrown inside the transaction to roll a dry run back with its report. */
class DryRunRollback extends Error {
  constructor(readonly report: CatalogueImportReport) {
    super('dry run');
  }
}

/**
 * Imports a device catalogue CSV (see catalogue-csv.ts for the columns) with upsert semantics: models
 * are added or replaced by manufacturer + model, TACs added or moved to their model; nothing absent
 * from the file is removed. All in one transaction, with an audit entry.
 */
export async function importDeviceCatalogue(
  db: Db,
  csv: string,
  options: CatalogueImportOptions,
): Promise<CatalogueImportReport> {
  const parsed = parseCatalogueCsv(csv);
  const refused = parsed.fatal || (parsed.issues.length > 0 && !options.skipInvalid);
  if (refused) {
    return {
      lines: parsed.lines,
      models: NO_MODELS,
      tacs: NO_TACS,
      issues: parsed.issues,
      outcome: 'refused',
    };
  }
  try {
    return await db.transaction(async (tx) => {
      const models = await upsertDeviceModels(tx, parsed.entries);
      const assignments = parsed.entries.flatMap((entry) => {
        const modelId = models.ids.get(deviceModelKey(entry.manufacturer, entry.model))!;
        return entry.tacs.map((tac) => ({ tac, modelId }));
      });
      const tacs = await assignTacs(tx, assignments);
      const report: CatalogueImportReport = {
        lines: parsed.lines,
        models: { added: models.added, updated: models.updated, unchanged: models.unchanged },
        tacs,
        issues: parsed.issues,
        outcome: options.dryRun ? 'dry-run' : 'applied',
      };
      if (options.dryRun) throw new DryRunRollback(report);
      await appendAudit(tx, {
        actor: options.actor,
        role: options.role ?? null,
        action: 'device-catalogue.import',
        subjectType: 'device-catalogue',
        subjectId: options.source,
        details: {
          lines: report.lines,
          models: report.models,
          tacs: report.tacs,
          skippedLines: [...new Set(report.issues.map((issue) => issue.line))].length,
        },
      });
      return report;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.report;
    throw error;
  }
}
