/**
 * What the CSV imports share, over the API (POST /v1/devices/import, POST /v1/subscribers/import) and the
 * console's upload forms: the options read off the query and the caller, and the answer to a refused CSV.
 */
import { z } from 'zod';
import { unprocessable } from './errors.ts';
import { freeText } from './schemas.ts';

/** The body of both import operations: the CSV file as text. */
export const csvImportBody = freeText(z.string().min(1, 'the CSV is empty'));

/** The query of both: preview only (dryRun), import the good lines of a file with bad ones, the file's name. */
export const csvImportQuery = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional(),
  skipInvalid: z.enum(['true', 'false']).optional(),
  source: freeText(z.string().min(1).max(200)).optional(),
});
export type CsvImportQuery = z.infer<typeof csvImportQuery>;

/** The options of importDeviceCatalogue and importSubscriberCsv, for `who` importing from `source`. */
export function csvImportOptions(
  query: CsvImportQuery,
  who: { name: string; role: string | null },
  source: string,
) {
  return {
    dryRun: query.dryRun === 'true',
    skipInvalid: query.skipInvalid === 'true',
    actor: who.name,
    role: who.role,
    source,
  };
}

/** The most problems a refusal lists: enough to fix a file, bounded for a huge bad one. */
const MAX_LISTED_ISSUES = 200;

/** A refused CSV is the caller's to fix: 422 `code` with its problems and line count; nothing was imported. */
export function refuseUnlessImported(
  report: { outcome: string; issues: readonly unknown[]; lines: number },
  code: string,
): void {
  if (report.outcome !== 'refused') return;
  throw unprocessable(code, `the CSV has ${report.issues.length} problem(s); nothing was imported`, {
    issues: report.issues.slice(0, MAX_LISTED_ISSUES),
    lines: report.lines,
  });
}
