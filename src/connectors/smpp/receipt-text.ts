/**
 * The delivery receipt text of SMPP 3.4 Appendix B, parsed tolerantly (docs/protocol.md §6.6 and §10 #13):
 * `id:<id> sub:<NNN> dlvrd:<NNN> submit date:<YYMMDDhhmm> done date:<YYMMDDhhmm> stat:<STAT> err:<NNN> text:<...>`
 * Labels in any case, fields in any order, any of them missing, dates of 10 to 14 digits, `Text:` or
 * `text:` (or none), ids up to 64 characters (Kannel's limit), unknown stat values kept as they are.
 */
import { wallClockAt } from '../../time-zone.ts';

export interface ReceiptText {
  id?: string;
  sub?: string;
  dlvrd?: string;
  submitDate?: string;
  doneDate?: string;
  stat?: string;
  err?: string;
  text?: string;
}

/** Kannel reads `id:%64[^ ]` (docs/protocol.md §6.6). */
const MAX_ID_LENGTH = 64;

const FIELD_PATTERNS: ReadonlyArray<readonly [keyof ReceiptText, RegExp]> = [
  ['id', /(?:^|\s)id:\s*([^\s]+)/i],
  ['sub', /(?:^|\s)sub:\s*([^\s]*)/i],
  ['dlvrd', /(?:^|\s)dlvrd:\s*([^\s]*)/i],
  ['submitDate', /(?:^|\s)submit[ _]?date:\s*(\d+)/i],
  ['doneDate', /(?:^|\s)done[ _]?date:\s*(\d+)/i],
  ['stat', /(?:^|\s)stat:\s*([^\s]+)/i],
  ['err', /(?:^|\s)err:\s*([^\s]+)/i],
];

/** Parses receipt text; undefined when it does not look like a receipt (no `id:` and no `stat:`). */
export function parseReceiptText(input: string): ReceiptText | undefined {
  const textLabel = /(?:^|\s)text:/i.exec(input);
  const head = textLabel ? input.slice(0, textLabel.index) : input;
  const result: ReceiptText = {};
  for (const [field, pattern] of FIELD_PATTERNS) {
    const match = pattern.exec(head);
    if (match && match[1] !== undefined) result[field] = match[1];
  }
  if (textLabel) result.text = input.slice(textLabel.index + textLabel[0].length);
  if (result.id === undefined && result.stat === undefined) return undefined;
  if (result.id !== undefined && result.id.length > MAX_ID_LENGTH)
    result.id = result.id.slice(0, MAX_ID_LENGTH);
  return result;
}

/**
 * Receipt dates are the SMSC's local wall-clock time without a zone (SMPP 3.4 Appendix B, docs/protocol.md
 * §6.6), read in the SMSC's configured time zone (smscs[].timeZone, default UTC). 10 digits YYMMDDhhmm,
 * 12 YYMMDDhhmmss, 14 YYYYMMDDhhmmss; anything else is not a date.
 */
export function parseReceiptDate(digits: string, timeZone = 'UTC'): Date | undefined {
  if (!/^\d+$/.test(digits)) return undefined;
  let year: number;
  let rest: string;
  if (digits.length === 14) {
    year = Number(digits.slice(0, 4));
    rest = digits.slice(4);
  } else if (digits.length === 10 || digits.length === 12) {
    year = 2000 + Number(digits.slice(0, 2));
    rest = digits.slice(2);
  } else {
    return undefined;
  }
  const month = Number(rest.slice(0, 2));
  const day = Number(rest.slice(2, 4));
  const hour = Number(rest.slice(4, 6));
  const minute = Number(rest.slice(6, 8));
  const second = rest.length >= 10 ? Number(rest.slice(8, 10)) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  return new Date(instantOfWallClock(Date.UTC(year, month - 1, day, hour, minute, second), timeZone));
}

/**
 * The instant at which the zone's clock shows `wallClock`. The offset is taken at a first guess and again
 * at the corrected instant, so a date just after a daylight-saving change gets the offset in force then;
 * in a fall-back hour (shown twice) one of the two instants, in a spring-forward gap the hour after.
 * (src/subscribers/quiet-hours.ts does the exact version for quiet hours, over the same src/time-zone.ts.)
 */
function instantOfWallClock(wallClock: number, timeZone: string): number {
  if (timeZone === 'UTC') return wallClock;
  const whole = (instant: number) => Math.floor(instant / 1000) * 1000;
  const offsetAt = (instant: number) => wallClockAt(whole(instant), timeZone) - whole(instant);
  const guess = wallClock - offsetAt(wallClock);
  return wallClock - offsetAt(guess);
}
