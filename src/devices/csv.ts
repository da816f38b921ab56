/**
 * A small CSV reader after RFC 4180: fields separated by commas, records by CRLF or LF; a field in
 * double quotes may hold commas, line breaks and doubled quotes (`""`). Two additions for hand-kept
 * files: blank (or whitespace-only) lines are skipped, and a line starting with `#` is a comment.
 *
 * A malformed record does not stop the reader: it becomes an issue with its line number and reading
 * continues on the next line, so an import can list every bad line at once.
 */

export interface CsvRecord {
  /** The line the record starts on (1-based). */
  line: number;
  fields: string[];
}

export type CsvIssueCode = 'CSV_QUOTE_IN_UNQUOTED_FIELD' | 'CSV_TEXT_AFTER_QUOTE' | 'CSV_UNTERMINATED_QUOTE';

export interface CsvIssue {
  line: number;
  code: CsvIssueCode;
  message: string;
}

export interface CsvResult {
  records: CsvRecord[];
  issues: CsvIssue[];
}

const QUOTE = '"';
const COMMA = ',';
const CR = '\r';
const LF = '\n';
const COMMENT = '#';
const BYTE_ORDER_MARK = '\uFEFF';

export function parseCsv(text: string): CsvResult {
  const records: CsvRecord[] = [];
  const issues: CsvIssue[] = [];
  let position = text.startsWith(BYTE_ORDER_MARK) ? 1 : 0;
  let line = 1;

  /** Moves past the end of the current physical line (after an error, or a comment). */
  const skipLine = (): void => {
    while (position < text.length && text[position] !== LF) position++;
    if (position < text.length) {
      position++;
      line++;
    }
  };

  /** At a record separator (or the end): consumes it and reports true. */
  const atEndOfRecord = (): boolean => {
    if (position >= text.length) return true;
    if (text[position] === LF) {
      position++;
      line++;
      return true;
    }
    if (text[position] === CR && text[position + 1] === LF) {
      position += 2;
      line++;
      return true;
    }
    return false;
  };

  while (position < text.length) {
    const startLine = line;
    const startChar = text[position];
    if (startChar === COMMENT) {
      skipLine();
      continue;
    }
    if (atEndOfRecord()) continue; // a blank line
    const lineEnd = text.indexOf(LF, position);
    if (/^[ \t\r]*$/.test(text.slice(position, lineEnd === -1 ? text.length : lineEnd))) {
      skipLine();
      continue;
    }

    const fields: string[] = [];
    let issue: CsvIssue | undefined;
    for (;;) {
      let field = '';
      if (text[position] === QUOTE) {
        position++;
        let closed = false;
        while (position < text.length) {
          const char = text[position];
          if (char === QUOTE) {
            if (text[position + 1] === QUOTE) {
              field += QUOTE;
              position += 2;
              continue;
            }
            position++;
            closed = true;
            break;
          }
          if (char === LF) line++;
          field += char;
          position++;
        }
        if (!closed) {
          issue = {
            line: startLine,
            code: 'CSV_UNTERMINATED_QUOTE',
            message: 'a quoted field is never closed (the file ends inside quotes)',
          };
          break;
        }
        const next = text[position];
        if (
          position < text.length &&
          next !== COMMA &&
          next !== LF &&
          !(next === CR && text[position + 1] === LF)
        ) {
          issue = {
            line,
            code: 'CSV_TEXT_AFTER_QUOTE',
            message: `unexpected '${next}' after a closing quote (a quote inside a quoted field is written "")`,
          };
          skipLine();
          break;
        }
      } else {
        while (position < text.length) {
          const char = text[position];
          if (char === COMMA || char === LF || (char === CR && text[position + 1] === LF)) break;
          if (char === QUOTE) {
            issue = {
              line,
              code: 'CSV_QUOTE_IN_UNQUOTED_FIELD',
              message: 'a quote inside an unquoted field (quote the whole field and double the quote)',
            };
            break;
          }
          field += char;
          position++;
        }
        if (issue) {
          skipLine();
          break;
        }
      }
      fields.push(field);
      if (text[position] === COMMA) {
        position++;
        continue;
      }
      atEndOfRecord();
      break;
    }
    if (issue) issues.push(issue);
    else records.push({ line: startLine, fields });
  }
  return { records, issues };
}
