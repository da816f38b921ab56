/**
 * Quiet hours: a daily local-time window (in the group's IANA time zone) during which no push is sent;
 * a push that falls inside is delayed to the window's end. Windows may cross midnight (21:00–08:00).
 * DST-safe: local times are read with Intl.DateTimeFormat for the zone, never with fixed offsets; an end
 * time that does not exist that day (spring forward) means the moment the clock jumps past it, one that
 * exists twice (fall back) means its first occurrence still ahead. Pure: the clock is an argument.
 */
import { z } from 'zod';
import { isKnownTimeZone, wallClockMs, wallClockPartsAt, type WallClockParts } from '../time-zone.ts';

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** true for a zone Intl knows (an IANA name such as Europe/Berlin, or UTC). */
export const isValidTimeZone = isKnownTimeZone;

export const quietHoursSchema = z.strictObject({
  /** Local time the quiet window starts (inclusive), 'HH:MM' 24-hour. */
  start: z.string().regex(HH_MM, "must be 'HH:MM' (24-hour)"),
  /** Local time it ends (exclusive); earlier than start means the window crosses midnight. */
  end: z.string().regex(HH_MM, "must be 'HH:MM' (24-hour)"),
  /** IANA zone, e.g. Europe/Berlin. */
  timeZone: z.string().refine(isValidTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Berlin' }),
});

export type QuietHours = z.output<typeof quietHoursSchema>;

/** Whether `now` is inside the quiet window. Equal start and end mean no quiet time at all. */
export function isQuiet(now: Date, quietHours: QuietHours | undefined): boolean {
  if (!quietHours) return false;
  const { start, end } = windowSeconds(quietHours);
  if (start === end) return false;
  const local = wallClockPartsAt(now.getTime(), quietHours.timeZone);
  return inWindow(secondOfDay(local), start, end);
}

/**
 * `now` when pushing is allowed now; otherwise the instant the quiet window ends (local `end` on the day
 * the window closes, in the window's zone).
 */
export function nextAllowedTime(now: Date, quietHours: QuietHours | undefined): Date {
  if (!quietHours) return now;
  const { start, end } = windowSeconds(quietHours);
  if (start === end) return now;
  const { timeZone } = quietHours;
  const local = wallClockPartsAt(now.getTime(), timeZone);
  const second = secondOfDay(local);
  if (!inWindow(second, start, end)) return now;
  // A window across midnight that we are in before midnight ends tomorrow.
  const day = start > end && second >= start ? addDays(local, 1) : local;
  const [hour, minute] = quietHours.end.split(':').map(Number);
  const ends = instantsAtLocalTime({ ...day, hour, minute, second: 0 }, timeZone);
  const next = ends.find((instant) => instant > now.getTime());
  return next === undefined ? now : new Date(next);
}

/** The local calendar day (in `timeZone`) that contains `now`, as [start, end) instants. */
export function localDayWindow(now: Date, timeZone: string): { start: Date; end: Date } {
  const local = wallClockPartsAt(now.getTime(), timeZone);
  const midnight = { hour: 0, minute: 0, second: 0 };
  const start = instantsAtLocalTime({ ...local, ...midnight }, timeZone)[0];
  const end = instantsAtLocalTime({ ...addDays(local, 1), ...midnight }, timeZone)[0];
  return { start: new Date(start), end: new Date(end) };
}

// ---------------------------------------------------------------------------------------------------------

const SECOND_MS = 1000;
const DAY_MS = 86_400_000;

/** UTC offset of the zone at an instant, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / SECOND_MS) * SECOND_MS;
  return wallClockMs(wallClockPartsAt(whole, timeZone)) - whole;
}

/**
 * Every instant at which the zone's clock shows `local`, ascending: one normally, two in a fall-back
 * hour; in a spring-forward gap (no such local time), the instant the clock jumps past it.
 */
function instantsAtLocalTime(local: WallClockParts, timeZone: string): number[] {
  const wall = wallClockMs(local);
  // Zone transitions are far more than a day apart, so the offsets a day either side are the two in play.
  const offsets = [...new Set([offsetAt(wall - DAY_MS, timeZone), offsetAt(wall + DAY_MS, timeZone)])];
  const instants = offsets
    .map((offset) => wall - offset)
    .filter((instant) => wallClockMs(wallClockPartsAt(instant, timeZone)) === wall)
    .sort((a, b) => a - b);
  if (instants.length > 0) return [...new Set(instants)];
  // Gap: the wall clock runs before the transition below `wall` and after it above; find where it jumps.
  let low = Math.min(...offsets.map((offset) => wall - offset));
  let high = Math.max(...offsets.map((offset) => wall - offset));
  while (high - low > SECOND_MS) {
    const middle = low + Math.floor((high - low) / 2 / SECOND_MS) * SECOND_MS;
    if (wallClockMs(wallClockPartsAt(middle, timeZone)) >= wall) high = middle;
    else low = middle;
  }
  return [high];
}

function addDays(local: WallClockParts, days: number): WallClockParts {
  const date = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  return { ...local, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

const secondOfDay = (local: WallClockParts): number => (local.hour * 60 + local.minute) * 60 + local.second;

function windowSeconds(quietHours: QuietHours): { start: number; end: number } {
  const toSeconds = (hhmm: string): number => {
    const [hour, minute] = hhmm.split(':').map(Number);
    return (hour * 60 + minute) * 60;
  };
  return { start: toSeconds(quietHours.start), end: toSeconds(quietHours.end) };
}

function inWindow(second: number, start: number, end: number): boolean {
  return start < end ? second >= start && second < end : second >= start || second < end;
}
