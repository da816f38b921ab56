/**
 * The SMSC page's per-minute chart, drawn on the server as inline SVG: no script and no charting
 * library, so it shows as soon as the page does and passes the console's Content-Security-Policy.
 * Submitted segments are a filled area, receipts a line and failed receipts (when there are any) a
 * second line over it.
 */
import { html, type SafeHtml } from '../html.ts';
import type { SmscMinute } from '../../store/repositories/smsc-history.ts';

const MINUTE_MS = 60_000;

/** One SMSC's counts for each minute of the window, oldest first; minutes without rows are 0. */
export interface MinuteSeries {
  submitted: number[];
  receipts: number[];
  failedReceipts: number[];
}

/** The minutes of `rows` for `smsc` laid out over `minutes` minutes from `windowStart` (a minute start). */
export function minuteSeries(
  rows: readonly SmscMinute[],
  smsc: string,
  windowStart: Date,
  minutes: number,
): MinuteSeries {
  const series: MinuteSeries = {
    submitted: new Array<number>(minutes).fill(0),
    receipts: new Array<number>(minutes).fill(0),
    failedReceipts: new Array<number>(minutes).fill(0),
  };
  for (const row of rows) {
    if (row.smsc !== smsc) continue;
    const slot = Math.floor((row.minute.getTime() - windowStart.getTime()) / MINUTE_MS);
    if (slot < 0 || slot >= minutes) continue;
    series.submitted[slot] += row.submitted;
    series.receipts[slot] += row.receipts;
    series.failedReceipts[slot] += row.failedReceipts;
  }
  return series;
}

/** The start of the window that ends with the current minute: `minutes` whole minutes, this one last. */
export function windowStartOf(now: Date, minutes: number): Date {
  const currentMinute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  return new Date(currentMinute - (minutes - 1) * MINUTE_MS);
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** The drawing's own units; the SVG is stretched to its box (the strokes keep their width). */
const WIDTH = 600;
const HEIGHT = 100;

/** x, y of each value: x spread over the width, y from the bottom, `peak` at the top. */
function points(values: readonly number[], peak: number): Array<[number, number]> {
  const step = values.length > 1 ? WIDTH / (values.length - 1) : 0;
  return values.map((value, index) => [
    Math.round(index * step * 10) / 10,
    Math.round((HEIGHT - (value / peak) * HEIGHT) * 10) / 10,
  ]);
}

function linePath(values: readonly number[], peak: number): string {
  return points(values, peak)
    .map(([x, y], index) => `${index === 0 ? 'M' : 'L'}${x},${y}`)
    .join(' ');
}

function areaPath(values: readonly number[], peak: number): string {
  const line = points(values, peak).map(([x, y]) => `L${x},${y}`);
  return `M0,${HEIGHT} ${line.join(' ')} L${WIDTH},${HEIGHT} Z`;
}

/** The highest count in any series and minute (at least 1, so an empty hour draws a flat line). */
export function peakPerMinute(series: MinuteSeries): number {
  return Math.max(1, ...series.submitted, ...series.receipts);
}

/** What the chart shows, in words: its accessible name. */
export function chartSummary(smsc: string, series: MinuteSeries): string {
  const minutes = series.submitted.length;
  return (
    `${smsc}, last ${minutes} minutes: ${sum(series.submitted)} segments submitted, ` +
    `${sum(series.receipts)} receipts (${sum(series.failedReceipts)} failed); ` +
    `busiest minute ${Math.max(0, ...series.submitted, ...series.receipts)}`
  );
}

/** The chart as an inline SVG element (role img, named by chartSummary). */
export function minuteChart(smsc: string, series: MinuteSeries): SafeHtml {
  const peak = peakPerMinute(series);
  const summary = chartSummary(smsc, series);
  return html`<svg
    class="smsc-chart"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    preserveAspectRatio="none"
    role="img"
    aria-label="${summary}"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title>${summary}</title>
    <path class="smsc-chart-submitted" d="${areaPath(series.submitted, peak)}" />
    <path
      class="smsc-chart-receipts"
      d="${linePath(series.receipts, peak)}"
      fill="none"
      vector-effect="non-scaling-stroke"
    />
    ${
      sum(series.failedReceipts) === 0
        ? ''
        : html`<path
            class="smsc-chart-failed"
            d="${linePath(series.failedReceipts, peak)}"
            fill="none"
            vector-effect="non-scaling-stroke"
          />`
    }
  </svg>`;
}
