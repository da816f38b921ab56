import {
  CAPABILITY_PATTERN,
  DEVICE_FORMATS,
  DEVICE_SECURITY_METHODS,
  MANUFACTURER_DEFAULT_MODEL,
  MAX_CONCATENATED_SEGMENTS,
  isDeviceFormat,
  isDeviceSecurityMethod,
  type DeviceAttributes,
  type DeviceSecurityMethod,
} from './catalogue.ts';
import { readHeadedCsv, type HeadedCsvIssueCode } from './csv.ts';
import { parseTac } from './imei.ts';

/**
 * The device catalogue as CSV, read into entries: pure, no database. One header line names the
 * columns (any order, any case):
 *
 *   tac              TACs of the model, separated by ';' or spaces (8 digits, or a legacy 6-digit TAC)
 *   manufacturer     required
 *   model            required; '*' is the manufacturer default (no TACs on that line)
 *   format           oma-cp | nokia-ota | none; empty: inherit
 *   security_methods NETWPIN;USERPIN;USERNETWPIN;USERPINMAC;none; empty: inherit
 *   max_segments     1..255; empty: inherit
 *   capabilities     lowercase tokens separated by ';' (data;browser;mms;email;dm;si;sl); empty: inherit.
 *                    si / sl: the handset takes Service Indication / Service Loading pushes
 *                    (software download, docs/protocol.md §8); without them none is sent to it
 *   notes            free text
 *
 * A model may take several lines (e.g. one per TAC) as long as they agree on everything but the TACs.
 */

export const CATALOGUE_COLUMNS = [
  'tac',
  'manufacturer',
  'model',
  'format',
  'security_methods',
  'max_segments',
  'capabilities',
  'notes',
] as const;
type Column = (typeof CATALOGUE_COLUMNS)[number];
const REQUIRED_COLUMNS: Column[] = ['manufacturer', 'model'];

export type CatalogueIssueCode =
  | HeadedCsvIssueCode
  | 'MANUFACTURER_MISSING'
  | 'MODEL_MISSING'
  | 'TAC_INVALID'
  | 'TAC_ON_DEFAULT'
  | 'TAC_CONFLICT'
  | 'FORMAT_INVALID'
  | 'SECURITY_METHOD_INVALID'
  | 'MAX_SEGMENTS_INVALID'
  | 'CAPABILITY_INVALID'
  | 'MODEL_CONFLICT';

export interface CatalogueIssue {
  line: number;
  code: CatalogueIssueCode;
  message: string;
}

/** One model as the file describes it, with every TAC the file gives it. */
export interface CatalogueEntry extends DeviceAttributes {
  manufacturer: string;
  model: string;
  tacs: string[];
  /** The first line that described it. */
  line: number;
}

export interface CatalogueParseResult {
  entries: CatalogueEntry[];
  issues: CatalogueIssue[];
  /** Data lines read (records after the header, comments and blank lines excluded). */
  lines: number;
  /** A header problem: no line could be read, `entries` is empty. */
  fatal: boolean;
}

/** Separators inside a list field. */
const LIST_SEPARATOR = /[;\s]+/;

function splitList(value: string): string[] {
  return value.split(LIST_SEPARATOR).filter(Boolean);
}

function modelKey(manufacturer: string, model: string): string {
  return `${manufacturer.toLowerCase()}\u0000${model.toLowerCase()}`;
}

function sameAttributes(a: DeviceAttributes & { manufacturer: string; model: string }, b: typeof a): boolean {
  return (
    a.manufacturer === b.manufacturer &&
    a.model === b.model &&
    a.format === b.format &&
    a.maxSegments === b.maxSegments &&
    a.notes === b.notes &&
    JSON.stringify(a.securityMethods) === JSON.stringify(b.securityMethods) &&
    JSON.stringify(a.capabilities) === JSON.stringify(b.capabilities)
  );
}

type LineResult = { ok: true; entry: CatalogueEntry } | { ok: false; issues: CatalogueIssue[] };

function readLine(values: Partial<Record<Column, string>>, line: number): LineResult {
  const issues: CatalogueIssue[] = [];
  const fail = (code: CatalogueIssueCode, message: string): void => {
    issues.push({ line, code, message });
  };
  const text = (column: Column): string => (values[column] ?? '').trim();

  const manufacturer = text('manufacturer');
  const model = text('model');
  if (manufacturer === '') fail('MANUFACTURER_MISSING', 'manufacturer is empty');
  if (model === '') fail('MODEL_MISSING', "model is empty (use '*' for the manufacturer default)");

  const tacs: string[] = [];
  for (const candidate of splitList(text('tac'))) {
    const parsed = parseTac(candidate);
    if (parsed.ok) {
      if (!tacs.includes(parsed.tac)) tacs.push(parsed.tac);
    } else {
      fail(parsed.code, parsed.message);
    }
  }
  if (model === MANUFACTURER_DEFAULT_MODEL && tacs.length > 0) {
    fail('TAC_ON_DEFAULT', "a manufacturer default (model '*') stands for unlisted models and takes no TACs");
  }

  let format: DeviceAttributes['format'] = null;
  const formatText = text('format').toLowerCase();
  if (formatText !== '') {
    if (isDeviceFormat(formatText)) format = formatText;
    else fail('FORMAT_INVALID', `format '${text('format')}' is not one of ${DEVICE_FORMATS.join(', ')}`);
  }

  let securityMethods: DeviceSecurityMethod[] | null = null;
  const methodsText = splitList(text('security_methods'));
  if (methodsText.length > 0) {
    securityMethods = [];
    for (const raw of methodsText) {
      const method = raw.toLowerCase() === 'none' ? 'none' : raw.toUpperCase();
      if (!isDeviceSecurityMethod(method)) {
        fail(
          'SECURITY_METHOD_INVALID',
          `security method '${raw}' is not one of ${DEVICE_SECURITY_METHODS.join(', ')}`,
        );
      } else if (!securityMethods.includes(method)) {
        securityMethods.push(method);
      }
    }
  }

  let maxSegments: number | null = null;
  const segmentsText = text('max_segments');
  if (segmentsText !== '') {
    const value = Number(segmentsText);
    if (/^\d+$/.test(segmentsText) && value >= 1 && value <= MAX_CONCATENATED_SEGMENTS) maxSegments = value;
    else fail('MAX_SEGMENTS_INVALID', `max_segments '${segmentsText}' must be a whole number from 1 to 255`);
  }

  let capabilities: string[] | null = null;
  const capabilityText = splitList(text('capabilities'));
  if (capabilityText.length > 0) {
    capabilities = [];
    for (const raw of capabilityText) {
      const capability = raw.toLowerCase();
      if (!CAPABILITY_PATTERN.test(capability)) {
        fail('CAPABILITY_INVALID', `capability '${raw}' must be a lowercase word (letters, digits, '-')`);
      } else if (!capabilities.includes(capability)) {
        capabilities.push(capability);
      }
    }
  }

  const notes = text('notes') === '' ? null : text('notes');
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    entry: { manufacturer, model, tacs, format, securityMethods, maxSegments, capabilities, notes, line },
  };
}

export function parseCatalogueCsv(text: string): CatalogueParseResult {
  const {
    rows,
    issues: fileIssues,
    records,
    fatal,
  } = readHeadedCsv(text, {
    columns: CATALOGUE_COLUMNS,
    required: REQUIRED_COLUMNS,
    // 'Security Methods' and 'max-segments' name the columns too.
    columnName: (cell) =>
      cell
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_'),
  });
  const issues: CatalogueIssue[] = fileIssues;
  if (fatal) return { entries: [], issues, lines: 0, fatal: true };

  const entries = new Map<string, CatalogueEntry>();
  const tacOwners = new Map<string, CatalogueEntry>();
  for (const { line, values } of rows) {
    const result = readLine(values, line);
    if (!result.ok) {
      issues.push(...result.issues);
      continue;
    }
    const { entry } = result;
    const key = modelKey(entry.manufacturer, entry.model);
    const earlier = entries.get(key);
    if (earlier && !sameAttributes(earlier, entry)) {
      issues.push({
        line,
        code: 'MODEL_CONFLICT',
        message: `${entry.manufacturer} ${entry.model} is described differently on line ${earlier.line}; lines of one model may differ only in their TACs`,
      });
      continue;
    }
    const target = earlier ?? { ...entry, tacs: [] };
    const conflict = entry.tacs
      .map((tac) => ({ tac, owner: tacOwners.get(tac) }))
      .find(({ owner }) => owner !== undefined && owner !== target);
    if (conflict?.owner) {
      issues.push({
        line,
        code: 'TAC_CONFLICT',
        message: `TAC ${conflict.tac} is already given to ${conflict.owner.manufacturer} ${conflict.owner.model} on line ${conflict.owner.line}`,
      });
      continue;
    }
    for (const tac of entry.tacs) {
      if (!target.tacs.includes(tac)) target.tacs.push(tac);
      tacOwners.set(tac, target);
    }
    entries.set(key, target);
  }
  issues.sort((a, b) => a.line - b.line);
  return { entries: [...entries.values()], issues, lines: records, fatal: false };
}
