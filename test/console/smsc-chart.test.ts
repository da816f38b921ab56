import { describe, expect, it } from 'vitest';
import {
  chartSummary,
  minuteChart,
  minuteSeries,
  peakPerMinute,
  windowStartOf,
} from '../../src/console/pages/smsc-chart.ts';
import type { SmscMinute } from '../../src/store/repositories/smsc-history.ts';

const start = new Date('2026-03-01T10:00:00Z');
const minute = (n: number): Date => new Date(start.getTime() + n * 60_000);
const row = (smsc: string, n: number, submitted: number, receipts = 0, failedReceipts = 0): SmscMinute => ({
  smsc,
  minute: minute(n),
  submitted,
  receipts,
  failedReceipts,
});

/** The numbers of a path's `d`, as [x, y] pairs. */
function pathPoints(svg: string, className: string): Array<[number, number]> {
  const d = new RegExp(`class="${className}"\\s+d="([^"]+)"`).exec(svg)?.[1] ?? '';
  const numbers = [...d.matchAll(/-?\d+(\.\d+)?/g)].map((match) => Number(match[0]));
  return numbers.flatMap((_, index) =>
    index % 2 === 0 ? [[numbers[index], numbers[index + 1]] as [number, number]] : [],
  );
}

describe('the per-minute chart', () => {
  it('ends the window with the current minute', () => {
    expect(windowStartOf(new Date('2026-03-01T10:59:42Z'), 60)).toEqual(start);
  });

  it("lays one SMSC's rows out per minute, 0 where nothing happened, ignoring other SMSCs and minutes outside", () => {
    const series = minuteSeries(
      [row('a', 0, 3, 1), row('a', 2, 5, 4, 2), row('b', 1, 9), row('a', -1, 7), row('a', 4, 7)],
      'a',
      start,
      4,
    );
    expect(series).toEqual({ submitted: [3, 0, 5, 0], receipts: [1, 0, 4, 0], failedReceipts: [0, 0, 2, 0] });
  });

  it('draws the busiest minute at the top and empty minutes on the baseline, oldest at the left', () => {
    const svg = minuteChart('a', {
      submitted: [0, 10, 5],
      receipts: [0, 0, 10],
      failedReceipts: [0, 0, 0],
    }).text;
    // Area: from the bottom-left corner over each minute back down to the bottom-right corner.
    expect(pathPoints(svg, 'smsc-chart-submitted')).toEqual([
      [0, 100],
      [0, 100],
      [300, 0],
      [600, 50],
      [600, 100],
    ]);
    expect(pathPoints(svg, 'smsc-chart-receipts')).toEqual([
      [0, 100],
      [300, 100],
      [600, 0],
    ]);
    expect(svg).toContain('role="img"');
  });

  it('draws the failed receipts line only when some receipts failed', () => {
    const none = { submitted: [1, 2], receipts: [1, 2], failedReceipts: [0, 0] };
    expect(minuteChart('a', none).text).not.toContain('smsc-chart-failed');
    const some = { ...none, failedReceipts: [0, 2] };
    expect(pathPoints(minuteChart('a', some).text, 'smsc-chart-failed')).toEqual([
      [0, 100],
      [600, 0],
    ]);
  });

  it('draws an empty hour as a flat line instead of dividing by zero', () => {
    const empty = { submitted: [0, 0], receipts: [0, 0], failedReceipts: [0, 0] };
    expect(peakPerMinute(empty)).toBe(1);
    expect(minuteChart('a', empty).text).not.toMatch(/NaN|Infinity/);
  });

  it('names the chart by what it shows, and escapes an SMSC id in it', () => {
    const series = { submitted: [2, 8], receipts: [1, 6], failedReceipts: [0, 2] };
    expect(chartSummary('sim', series)).toBe(
      'sim, last 2 minutes: 10 segments submitted, 7 receipts (2 failed); busiest minute 8',
    );
    const svg = minuteChart('<x>"', series).text;
    expect(svg).toContain('aria-label="&lt;x&gt;&quot;, last 2 minutes');
    expect(svg).not.toContain('<x>');
  });
});
