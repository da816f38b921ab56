import { readHeadedCsv, type HeadedCsvIssueCode } from '../devices/csv.ts';
import { parseImei } from '../devices/imei.ts';
import { groupNameSchema } from '../http/routes/groups/schema.ts';
import { imsiSchema, msisdnSchema } from '../http/schemas.ts';
import type { DeclaredSubscriber } from './repository.ts';

/**
 * The subscriber base as CSV, read into subscribers: pure, no database (whether a group exists, or a
 * number belongs to another SIM, is the import's to check). One header line names the columns (any
 * order, any case), the CSV dialect is the device catalogue's (src/devices/csv.ts):
 *
 *   imsi     required, 6 to 15 digits
 *   msisdn   required, E.164 digits (a leading '+', spaces and dashes are dropped)
 *   group    required, the name of an existing group
 *   imei     optional, the handset the SIM is in (14-16 digits, Luhn-checked when 15)
 */

export const SUBSCRIBER_COLUMNS = ['imsi', 'msisdn', 'group', 'imei'] as const;
type Column = (typeof SUBSCRIBER_COLUMNS)[number];
const REQUIRED_COLUMNS: Column[] = ['imsi', 'msisdn', 'group'];

export type SubscriberIssueCode =
  | HeadedCsvIssueCode
  | 'IMSI_INVALID'
  | 'MSISDN_INVALID'
  | 'GROUP_MISSING'
  | 'GROUP_INVALID'
  | 'IMEI_INVALID'
  | 'IMSI_DUPLICATE'
  | 'MSISDN_DUPLICATE'
  | 'GROUP_UNKNOWN'
  | 'MSISDN_TAKEN';

export interface SubscriberIssue {
  line: number;
  code: SubscriberIssueCode;
  message: string;
}

export interface SubscriberLine extends DeclaredSubscriber {
  line: number;
}

export interface SubscriberParseResult {
  entries: SubscriberLine[];
  issues: SubscriberIssue[];
  /** Data lines read (records after the header; comments and blank lines excluded). */
  lines: number;
  /** A header problem: no line could be read, `entries` is empty. */
  fatal: boolean;
}

type LineResult = { ok: true; entry: SubscriberLine } | { ok: false; issues: SubscriberIssue[] };

function readLine(values: Partial<Record<Column, string>>, line: number): LineResult {
  const issues: SubscriberIssue[] = [];
  const fail = (code: SubscriberIssueCode, message: string): void => {
    issues.push({ line, code, message });
  };
  const text = (column: Column): string => (values[column] ?? '').trim();

  const imsi = imsiSchema.safeParse(text('imsi'));
  if (!imsi.success) fail('IMSI_INVALID', `imsi: ${imsi.error.issues[0].message}`);
  // Spellings people keep in spreadsheets: +49 170 1234567, 49-170-1234567.
  const msisdn = msisdnSchema.safeParse(text('msisdn').replace(/[\s-]/g, ''));
  if (!msisdn.success)
    fail('MSISDN_INVALID', `msisdn '${text('msisdn')}': ${msisdn.error.issues[0].message}`);
  const group = text('group');
  if (group === '') fail('GROUP_MISSING', 'group is empty');
  else if (!groupNameSchema.safeParse(group).success)
    fail(
      'GROUP_INVALID',
      `group '${group}': lower-case letters, digits, _ and - (as the groups table names them)`,
    );
  let imei: string | undefined;
  if (text('imei') !== '') {
    const parsed = parseImei(text('imei'));
    if (parsed.ok) imei = parsed.imei.digits;
    else fail('IMEI_INVALID', parsed.message);
  }
  if (!imsi.success || !msisdn.success || issues.length > 0) return { ok: false, issues };
  return { ok: true, entry: { imsi: imsi.data, msisdn: msisdn.data, group, imei, line } };
}

/** An IMSI or a number given twice: the second line is the problem, naming the first. */
function duplicateIssue(
  entry: SubscriberLine,
  seen: Map<string, SubscriberLine>,
  seenMsisdn: Map<string, SubscriberLine>,
) {
  const sameImsi = seen.get(entry.imsi);
  if (sameImsi)
    return {
      line: entry.line,
      code: 'IMSI_DUPLICATE' as const,
      message: `this IMSI is on line ${sameImsi.line} too`,
    };
  const sameMsisdn = seenMsisdn.get(entry.msisdn);
  if (sameMsisdn)
    return {
      line: entry.line,
      code: 'MSISDN_DUPLICATE' as const,
      message: `MSISDN ${entry.msisdn} is on line ${sameMsisdn.line} too`,
    };
  return undefined;
}

export function parseSubscriberCsv(text: string): SubscriberParseResult {
  const {
    rows,
    issues: fileIssues,
    records,
    fatal,
  } = readHeadedCsv(text, {
    columns: SUBSCRIBER_COLUMNS,
    required: REQUIRED_COLUMNS,
  });
  const issues: SubscriberIssue[] = fileIssues;
  if (fatal) return { entries: [], issues, lines: 0, fatal: true };

  const entries: SubscriberLine[] = [];
  const byImsi = new Map<string, SubscriberLine>();
  const byMsisdn = new Map<string, SubscriberLine>();
  for (const { line, values } of rows) {
    const result = readLine(values, line);
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    const duplicate = duplicateIssue(result.entry, byImsi, byMsisdn);
    if (duplicate) {
      issues.push(duplicate);
      continue;
    }
    byImsi.set(result.entry.imsi, result.entry);
    byMsisdn.set(result.entry.msisdn, result.entry);
    entries.push(result.entry);
  }
  issues.sort((a, b) => a.line - b.line);
  return { entries, issues, lines: records, fatal: false };
}
