/**
 * Wall clocks in IANA time zones, read with Intl.DateTimeFormat (so daylight saving is the zone's own,
 * never a fixed offset). Shared by quiet hours (src/subscribers/quiet-hours.ts) and the SMSC receipt
 * dates (src/connectors/smpp/receipt-text.ts). Pure: the instant is an argument.
 */

/** A zone's date and time of day, as its clock shows them (month 1-12, hour 0-23). */
export interface WallClockParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** true for a zone Intl knows (an IANA name such as Europe/Berlin, or UTC). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** One formatter per zone: building one costs far more than formatting with it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** What the zone's clock shows at an instant (ms). */
export function wallClockPartsAt(instant: number, timeZone: string): WallClockParts {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year, month, day, hour, minute, second } = parts;
  return { year, month, day, hour, minute, second };
}

/** A wall clock written as if it were UTC, in ms: comparable and convertible with Date.UTC. */
export const wallClockMs = (local: WallClockParts): number =>
  Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);

/** The zone's wall clock at an instant, written as if it were UTC (ms). */
export const wallClockAt = (instant: number, timeZone: string): number =>
  wallClockMs(wallClockPartsAt(instant, timeZone));
