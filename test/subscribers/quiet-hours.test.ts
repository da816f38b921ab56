import { describe, expect, it } from 'vitest';
import {
  isQuiet,
  isValidTimeZone,
  localDayWindow,
  nextAllowedTime,
  quietHoursSchema,
  type QuietHours,
} from '../../src/subscribers/quiet-hours.ts';
import { SeededRandom } from '../support/seeded-random.ts';

const berlinNight: QuietHours = { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' };
const at = (iso: string): Date => new Date(iso);
const next = (iso: string, quietHours: QuietHours | undefined): string =>
  nextAllowedTime(at(iso), quietHours).toISOString();

describe('nextAllowedTime', () => {
  it('returns now outside quiet hours, and without quiet hours', () => {
    const now = at('2024-06-01T12:00:00Z');
    expect(nextAllowedTime(now, berlinNight)).toEqual(now);
    expect(nextAllowedTime(now, undefined)).toEqual(now);
  });

  it('delays to the end of a window that crosses midnight, from before and after midnight', () => {
    // 23:30 CEST -> 07:00 CEST the next morning
    expect(next('2024-06-01T21:30:00Z', berlinNight)).toBe('2024-06-02T05:00:00.000Z');
    // 03:00 CEST -> 07:00 CEST the same morning
    expect(next('2024-06-02T01:00:00Z', berlinNight)).toBe('2024-06-02T05:00:00.000Z');
  });

  it('treats the start as quiet and the end as allowed', () => {
    expect(next('2024-06-01T20:00:00Z', berlinNight)).toBe('2024-06-02T05:00:00.000Z'); // 22:00:00 local
    expect(next('2024-06-01T19:59:59Z', berlinNight)).toBe('2024-06-01T19:59:59.000Z'); // 21:59:59 local
    expect(next('2024-06-02T04:59:59Z', berlinNight)).toBe('2024-06-02T05:00:00.000Z'); // 06:59:59 local
    expect(next('2024-06-02T05:00:00Z', berlinNight)).toBe('2024-06-02T05:00:00.000Z'); // 07:00:00 local
  });

  it('handles a window within one day', () => {
    const lunch: QuietHours = { start: '12:00', end: '14:00', timeZone: 'Europe/Berlin' };
    expect(next('2024-01-15T11:30:00Z', lunch)).toBe('2024-01-15T13:00:00.000Z'); // 12:30 CET -> 14:00 CET
    expect(next('2024-01-15T13:30:00Z', lunch)).toBe('2024-01-15T13:30:00.000Z');
  });

  it('has no quiet time when start equals end', () => {
    const none: QuietHours = { start: '08:00', end: '08:00', timeZone: 'Europe/Berlin' };
    expect(next('2024-01-15T07:00:00Z', none)).toBe('2024-01-15T07:00:00.000Z');
    expect(isQuiet(at('2024-01-15T07:00:00Z'), none)).toBe(false);
  });

  describe('across daylight saving time in Europe/Berlin', () => {
    it('ends at 07:00 summer time on the night the clocks go forward (a 1 h shorter night)', () => {
      // 2024-03-30 22:30 CET (UTC+1); the clocks jump 02:00 -> 03:00 on 31 March.
      expect(next('2024-03-30T21:30:00Z', berlinNight)).toBe('2024-03-31T05:00:00.000Z');
    });

    it('ends at 07:00 winter time on the night the clocks go back (a 1 h longer night)', () => {
      // 2024-10-26 22:30 CEST (UTC+2); the clocks go 03:00 -> 02:00 on 27 October.
      expect(next('2024-10-26T20:30:00Z', berlinNight)).toBe('2024-10-27T06:00:00.000Z');
    });

    it('ends when the clock jumps past an end time that does not exist that day', () => {
      const early: QuietHours = { start: '01:00', end: '02:30', timeZone: 'Europe/Berlin' };
      // 01:15 CET on 31 March; 02:30 never happens, the clock goes 01:59:59 -> 03:00 at 01:00Z.
      expect(next('2024-03-31T00:15:00Z', early)).toBe('2024-03-31T01:00:00.000Z');
    });

    it('ends at the next occurrence of an end time the clock shows twice', () => {
      const early: QuietHours = { start: '01:00', end: '02:30', timeZone: 'Europe/Berlin' };
      // First pass through 02:00–03:00 (CEST): 02:10 -> 02:30 CEST.
      expect(next('2024-10-27T00:10:00Z', early)).toBe('2024-10-27T00:30:00.000Z');
      // 02:45 CEST is outside the window.
      expect(next('2024-10-27T00:45:00Z', early)).toBe('2024-10-27T00:45:00.000Z');
      // Second pass (CET): 02:10 again is quiet again, until 02:30 CET.
      expect(next('2024-10-27T01:10:00Z', early)).toBe('2024-10-27T01:30:00.000Z');
    });
  });

  it('works in other zones: New York spring forward, Sydney autumn, Kolkata half-hour offset', () => {
    const newYork: QuietHours = { start: '21:00', end: '08:00', timeZone: 'America/New_York' };
    // 22:00 EST on 9 March 2024; DST starts at 02:00 on 10 March -> 08:00 EDT = 12:00Z.
    expect(next('2024-03-10T03:00:00Z', newYork)).toBe('2024-03-10T12:00:00.000Z');
    const sydney: QuietHours = { start: '22:00', end: '07:00', timeZone: 'Australia/Sydney' };
    // 23:00 AEDT on 6 April 2024; DST ends at 03:00 on 7 April -> 07:00 AEST (UTC+10) = 21:00Z.
    expect(next('2024-04-06T12:00:00Z', sydney)).toBe('2024-04-06T21:00:00.000Z');
    const kolkata: QuietHours = { start: '21:00', end: '08:00', timeZone: 'Asia/Kolkata' };
    // 21:30 IST -> 08:00 IST next day = 02:30Z.
    expect(next('2024-06-01T16:00:00Z', kolkata)).toBe('2024-06-02T02:30:00.000Z');
  });

  it('always answers a time that is allowed, not before now, with only quiet time in between', () => {
    const random = new SeededRandom(20240331);
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Sydney',
      'America/Santiago',
      'Asia/Kolkata',
      'UTC',
    ];
    const from = Date.UTC(2024, 0, 1);
    const year = 366 * 86_400_000;
    for (let i = 0; i < 400; i++) {
      const time = (hour: number) =>
        `${String(hour).padStart(2, '0')}:${random.pick(['00', '15', '30', '45'])}`;
      const quietHours: QuietHours = {
        start: time(random.int(0, 23)),
        end: time(random.int(0, 23)),
        timeZone: random.pick(zones),
      };
      const now = new Date(from + Math.floor((random.next() * year) / 1000) * 1000);
      const allowed = nextAllowedTime(now, quietHours);
      const label = `${JSON.stringify(quietHours)} at ${now.toISOString()} -> ${allowed.toISOString()}`;
      expect(allowed.getTime(), label).toBeGreaterThanOrEqual(now.getTime());
      expect(isQuiet(allowed, quietHours), label).toBe(false);
      if (allowed.getTime() > now.getTime()) {
        expect(isQuiet(now, quietHours), label).toBe(true);
        expect(isQuiet(new Date(allowed.getTime() - 1000), quietHours), label).toBe(true);
        const between = new Date(
          now.getTime() + Math.floor((allowed.getTime() - now.getTime()) * random.next()),
        );
        expect(isQuiet(between, quietHours), label).toBe(true);
        expect(allowed.getTime() - now.getTime(), label).toBeLessThanOrEqual(25 * 3_600_000);
      }
    }
  });
});

describe('localDayWindow', () => {
  it('spans 24 h on an ordinary day, 23 h and 25 h on the DST change days', () => {
    const hours = (iso: string, zone: string) => {
      const { start, end } = localDayWindow(at(iso), zone);
      return [start.toISOString(), (end.getTime() - start.getTime()) / 3_600_000];
    };
    expect(hours('2024-06-01T12:00:00Z', 'Europe/Berlin')).toEqual(['2024-05-31T22:00:00.000Z', 24]);
    expect(hours('2024-03-31T12:00:00Z', 'Europe/Berlin')).toEqual(['2024-03-30T23:00:00.000Z', 23]);
    expect(hours('2024-10-27T12:00:00Z', 'Europe/Berlin')).toEqual(['2024-10-26T22:00:00.000Z', 25]);
    expect(hours('2024-06-01T23:30:00Z', 'UTC')).toEqual(['2024-06-01T00:00:00.000Z', 24]);
  });

  it('starts a day that has no midnight at the first instant it has', () => {
    // America/Santiago springs forward at 00:00 on 8 September 2024: the day begins at 01:00 (UTC-3).
    const { start, end } = localDayWindow(at('2024-09-08T12:00:00Z'), 'America/Santiago');
    expect(start.toISOString()).toBe('2024-09-08T04:00:00.000Z');
    expect(end.toISOString()).toBe('2024-09-09T03:00:00.000Z');
  });

  it('contains now', () => {
    const now = at('2024-10-27T01:30:00Z');
    const { start, end } = localDayWindow(now, 'Europe/Berlin');
    expect(start.getTime()).toBeLessThanOrEqual(now.getTime());
    expect(end.getTime()).toBeGreaterThan(now.getTime());
  });
});

describe('quietHoursSchema', () => {
  it('accepts HH:MM in 24-hour form and an IANA zone', () => {
    expect(quietHoursSchema.parse(berlinNight)).toEqual(berlinNight);
  });

  it.each([
    [{ ...berlinNight, start: '24:00' }, 'start'],
    [{ ...berlinNight, end: '7:00' }, 'end'],
    [{ ...berlinNight, end: '07:60' }, 'end'],
    [{ ...berlinNight, timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
  ])('rejects %j at %s', (input, path) => {
    const result = quietHoursSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([path]);
  });

  it('knows valid zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Nowhere/Special')).toBe(false);
  });
});
