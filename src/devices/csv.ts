/**
 * CSV as hand-kept files need it, read by csv-parse: RFC 4180 (fields separated by commas, records by
 * CRLF or LF; a field in double quotes may hold commas, line breaks and doubled quotes `""`), plus:
 * a byte order mark is dropped; blank lines, lines of nothing but spaces and commas (a spreadsheet's
 * empty row) and lines starting with `#` are skipped; a stray quote inside a field is kept as text, as
 * spreadsheets do, for the field checks that follow to judge.
 *
 * Every record carries the line it starts on. A quote never closed takes the rest of the file with it:
 * the records before it are read, and it becomes one issue at the line its record starts on.
 */
import { parse } from 'csv-parse/sync';

export interface CsvRecord {
  /** The line the record starts on (1-based). */
  line: number;
  fields: string[];
}

export type CsvIssueCode = 'CSV_UNTERMINATED_QUOTE' | 'CSV_INVALID';

export interface CsvIssue {
  line: number;
  code: CsvIssueCode;
  message: string;
}

export interface CsvResult {
  records: CsvRecord[];
  issues: CsvIssue[];
}

const LF = 0x0a;
const BYTE_ORDER_MARK = '\uFEFF';
/** What csv-parse skips before a record (with the options below): blank, spaces and commas, or a comment. */
const SKIPPED_LINE = /^(?:[\s,]*|#.*)$/;

export function parseCsv(text: string): CsvResult {
  // Offsets from csv-parse are in bytes of the UTF-8 input, so it gets the bytes.
  const bytes = Buffer.from(text, 'utf8');
  const lineAt = lineCounter(bytes);
  const records: CsvRecord[] = [];
  const issues: CsvIssue[] = [];
  /** Byte offset just past the last record read. */
  let readUpTo = text.startsWith(BYTE_ORDER_MARK) ? Buffer.byteLength(BYTE_ORDER_MARK) : 0;

  parse(bytes, {
    bom: true,
    record_delimiter: ['\r\n', '\n'],
    comment: '#',
    comment_no_infix: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_record: (fields: string[], info) => {
      // info.bytes is just past the record's line break (or at the end of the input). Lines are counted
      // here, not taken from info.lines, which counts a CRLF inside quotes as two.
      const lastLine = lineAt(info.bytes - 1);
      records.push({ line: lastLine - lineBreaksIn(fields), fields });
      readUpTo = info.bytes;
      return null;
    },
    on_skip: (error) => {
      const line = firstRecordLine(bytes, readUpTo, lineAt);
      issues.push(
        error?.code === 'CSV_QUOTE_NOT_CLOSED'
          ? {
              line,
              code: 'CSV_UNTERMINATED_QUOTE',
              message: 'a quoted field is never closed (the file ends inside quotes)',
            }
          : { line, code: 'CSV_INVALID', message: error?.message ?? 'unreadable record' },
      );
      return undefined;
    },
  });
  return { records, issues };
}

/** The 1-based line of a byte offset; offsets must be asked in increasing order. */
function lineCounter(bytes: Buffer): (offset: number) => number {
  let scanned = 0;
  let line = 1;
  return (offset) => {
    for (; scanned < offset; scanned++) if (bytes[scanned] === LF) line++;
    return line;
  };
}

function lineBreaksIn(fields: string[]): number {
  let breaks = 0;
  for (const field of fields)
    for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) breaks++;
  return breaks;
}

/** The line a record starting at or after `from` starts on: past the lines csv-parse skips. */
function firstRecordLine(bytes: Buffer, from: number, lineAt: (offset: number) => number): number {
  let at = from;
  while (at < bytes.length) {
    const newline = bytes.indexOf(LF, at);
    const end = newline === -1 ? bytes.length : newline;
    if (!SKIPPED_LINE.test(bytes.toString('utf8', at, end))) break;
    at = end + 1;
  }
  return lineAt(Math.min(at, bytes.length));
}

/** What a file with a header line can get wrong before its own fields are judged. */
export type HeadedCsvIssueCode =
  | CsvIssueCode
  | 'HEADER_MISSING'
  | 'HEADER_UNKNOWN_COLUMN'
  | 'HEADER_DUPLICATE_COLUMN'
  | 'HEADER_REQUIRED_COLUMN'
  | 'FIELD_COUNT';

export interface HeadedCsvIssue {
  line: number;
  code: HeadedCsvIssueCode;
  message: string;
}

/** A record after the header: its fields by the column the header names. */
export interface HeadedCsvRow<C extends string> {
  line: number;
  values: Partial<Record<C, string>>;
}

export interface HeadedCsvSpec<C extends string> {
  columns: readonly C[];
  required: readonly C[];
  /** A header cell as the column name it stands for (the default trims and lower-cases it). */
  columnName?: (cell: string) => string;
}

/**
 * A CSV whose first record names the columns (any order): the rows with their values by column, the
 * issues met so far, and `fatal` when the header is missing or wrong (then no row is read). A row whose
 * field count is not the header's is an issue, not a row. Both the catalogue and the subscriber imports
 * read their files this way.
 */
export function readHeadedCsv<C extends string>(
  text: string,
  spec: HeadedCsvSpec<C>,
): { rows: HeadedCsvRow<C>[]; issues: HeadedCsvIssue[]; records: number; fatal: boolean } {
  const { records, issues: csvIssues } = parseCsv(text);
  const issues: HeadedCsvIssue[] = [...csvIssues];
  const [header, ...rest] = records;
  if (!header || (csvIssues.length > 0 && csvIssues[0].line < header.line)) {
    const line = header?.line ?? 1;
    issues.push({ line, code: 'HEADER_MISSING', message: 'the file has no readable header line' });
    return { rows: [], issues, records: 0, fatal: true };
  }
  const columns = readHeader(header, spec, issues);
  if (issues.length > csvIssues.length) return { rows: [], issues, records: 0, fatal: true };
  const rows: HeadedCsvRow<C>[] = [];
  for (const { line, fields } of rest) {
    if (fields.length !== columns.length) {
      issues.push({
        line,
        code: 'FIELD_COUNT',
        message: `${fields.length} fields, the header has ${columns.length}`,
      });
      continue;
    }
    const values: Partial<Record<C, string>> = {};
    columns.forEach((column, index) => {
      values[column] = fields[index];
    });
    rows.push({ line, values });
  }
  return { rows, issues, records: rest.length, fatal: false };
}

function readHeader<C extends string>(
  header: CsvRecord,
  spec: HeadedCsvSpec<C>,
  issues: HeadedCsvIssue[],
): C[] {
  const { line } = header;
  const columnName = spec.columnName ?? ((cell: string) => cell.trim().toLowerCase());
  const columns: C[] = [];
  for (const raw of header.fields) {
    const name = columnName(raw) as C;
    if (!spec.columns.includes(name)) {
      const message = `unknown column '${raw}' (columns: ${spec.columns.join(', ')})`;
      issues.push({ line, code: 'HEADER_UNKNOWN_COLUMN', message });
    } else if (columns.includes(name)) {
      issues.push({ line, code: 'HEADER_DUPLICATE_COLUMN', message: `column '${name}' appears twice` });
    } else {
      columns.push(name);
    }
  }
  for (const required of spec.required.filter((column) => !columns.includes(column)))
    issues.push({ line, code: 'HEADER_REQUIRED_COLUMN', message: `the header has no '${required}' column` });
  return columns;
}
