/**
 * The SMSC operators' page as HTML: the binds, each SMSC's last hour and the live tail. Pure: it renders
 * what smsc.ts loaded (smsc-data.ts), so the page and its fragments (re-read by static/smsc.js) are the
 * same markup.
 */
import type { WorkerBindStatus } from '../../smsc/worker-binds.ts';
import { TAIL_STATES, type TailEntry } from '../../store/repositories/smsc-history.ts';
import { html, type SafeHtml } from '../html.ts';
import { minuteChart, peakPerMinute } from './smsc-chart.ts';
import type { SmscOverview, SmscSummary, TailQuery } from './smsc-data.ts';
import {
  BIND_STATE_TEXTS,
  bindStateMeaning,
  bindStateText,
  receiptStatWords,
  submitErrorWords,
} from './smsc-words.ts';

/** 850 ms, 12.3 s, 4.2 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

const perSecond = (value: number): string => `${value < 10 ? value.toFixed(1) : Math.round(value)}/s`;

function bindCard(bind: WorkerBindStatus): SafeHtml {
  const state = bindStateText(bind.state);
  return html`<li class="bind card" data-smsc="${bind.smscId}" data-bind="${bind.bindId}">
    <div class="bind-head">
      <span class="bind-name"><strong>${bind.smscId}</strong> · ${bind.bindId} (${bind.mode})</span>
      <span class="state bind-state state-${state}" title="${bindStateMeaning(bind.state)}">${state}</span>
    </div>
    <dl class="figures">
      <div>
        <dt>Worker</dt>
        <dd>${bind.workerId}</dd>
      </div>
      <div>
        <dt>Window</dt>
        <dd>${bind.windowUsed} of ${bind.windowSize}</dd>
      </div>
      <div>
        <dt>Rate now</dt>
        <dd>
          ${perSecond(bind.sentPerSecond)}${bind.currentTps === null ? '' : ` of ${perSecond(bind.currentTps)}`}
        </dd>
      </div>
      <div>
        <dt>Submit RTT</dt>
        <dd>
          ${bind.rttMs ? `${formatDuration(bind.rttMs.smoothed)} (last ${formatDuration(bind.rttMs.last)})` : '–'}
        </dd>
      </div>
      <div>
        <dt>Throttling answers</dt>
        <dd>${bind.throttled}</dd>
      </div>
      <div>
        <dt>Submitted</dt>
        <dd>${bind.submitted}</dd>
      </div>
      <div>
        <dt>Reconnects</dt>
        <dd>${bind.reconnects}</dd>
      </div>
      <div>
        <dt>Bound since</dt>
        <dd>${bind.state === 'bound' && bind.boundSince ? timeOf(new Date(bind.boundSince)) : '–'}</dd>
      </div>
    </dl>
    ${bind.lastError ? html`<p class="bind-error">Last error: ${bind.lastError}</p>` : ''}
  </li>`;
}

/** The binds of every worker; the script fills states from live events with data-state-texts. */
export function bindsFragment(overview: Pick<SmscOverview, 'binds' | 'bindsComplete'>): SafeHtml {
  const partial = overview.bindsComplete
    ? ''
    : html`<p class="notice notice-error" role="alert">
        Redis cannot be reached: only this process's own binds are shown, not the other workers'.
      </p>`;
  if (overview.binds.length === 0) {
    return html`${partial}
      <p class="empty">
        No binds. This process has no SMSC connection (an api process without workers?), and no worker has
        published its binds in the last seconds.
      </p>`;
  }
  return html`${partial}
    <ul class="binds" data-state-texts="${JSON.stringify(BIND_STATE_TEXTS)}">
      ${overview.binds.map(bindCard)}
    </ul>`;
}

function errorsTable(errors: SmscSummary['errors']): SafeHtml {
  if (errors.length === 0) return html`<p class="muted">No refused submits.</p>`;
  return html`<table class="smsc-errors">
    <caption>
      Refused submits by command status
    </caption>
    <thead>
      <tr>
        <th scope="col">Command status</th>
        <th scope="col" class="count">Count</th>
      </tr>
    </thead>
    <tbody>
      ${errors.map(
        (error) =>
          html`<tr>
            <td>${submitErrorWords(error.status)}</td>
            <td class="count">${error.count}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function summaryCard(summary: SmscSummary): SafeHtml {
  const { series, latency } = summary;
  const hourTotal = series.submitted.reduce((total, value) => total + value, 0);
  const receipts = series.receipts.reduce((total, value) => total + value, 0);
  const failed = series.failedReceipts.reduce((total, value) => total + value, 0);
  return html`<article class="smsc card" aria-labelledby="smsc-${summary.smsc}-title">
    <h3 id="smsc-${summary.smsc}-title">${summary.smsc}</h3>
    <div class="smsc-body">
    <figure class="chart">
      ${minuteChart(summary.smsc, series)}
      <figcaption>
        <span class="legend legend-submitted">submitted</span>
        <span class="legend legend-receipts">receipts</span>
        <span class="legend legend-failed">failed receipts</span>
        <span class="axis"
          >per minute, top ${peakPerMinute(series)} · ${series.submitted.length} min ago → now</span
        >
      </figcaption>
    </figure>
    <dl class="figures">
      <div>
        <dt>Rate now</dt>
        <dd>${perSecond(summary.rateNow)}</dd>
      </div>
      <div>
        <dt>Last hour</dt>
        <dd>${hourTotal} submitted, ${perSecond(hourTotal / 3600)} average</dd>
      </div>
      <div>
        <dt>Receipts</dt>
        <dd>${receipts} (${failed} failed)</dd>
      </div>
      <div>
        <dt>Receipt latency</dt>
        <dd>
          ${latency ? `p50 ${formatDuration(latency.p50Ms)} · p95 ${formatDuration(latency.p95Ms)}` : 'no receipts'}
        </dd>
      </div>
      <div>
        <dt>Throttling answers</dt>
        <dd>${summary.throttled}</dd>
      </div>
      <div>
        <dt>Unmatched receipts</dt>
        <dd>${summary.unmatched}</dd>
      </div>
    </dl>
    ${errorsTable(summary.errors)}
  </article>`;
}

/** Each SMSC's last hour. */
export function summaryFragment(overview: Pick<SmscOverview, 'smscs'>): SafeHtml {
  if (overview.smscs.length === 0) {
    return html`<p class="empty">No SMSC has binds or traffic in the last hour.</p>`;
  }
  return html`<div class="smscs">${overview.smscs.map(summaryCard)}</div>`;
}

function timeOf(at: Date): SafeHtml {
  return html`<time datetime="${at.toISOString()}">${at.toISOString().slice(11, 19)}</time>`;
}

/** One line of the tail: the segments of one push that got the same answer, newest time first. */
export interface TailLine extends TailEntry {
  /** segment numbers, ascending */
  parts: number[];
}

/**
 * The tail's segments folded into one line per push and answer (a 9-part push delivered is one line,
 * not nine), in the order of each line's newest segment.
 */
export function tailLines(entries: readonly TailEntry[]): TailLine[] {
  const lines = new Map<string, TailLine>();
  for (const entry of entries) {
    const key = [entry.provisioningId, entry.smsc, entry.state, entry.code, entry.error].join('\u0000');
    const line = lines.get(key);
    if (line) line.parts.push(entry.segmentNumber);
    else lines.set(key, { ...entry, parts: [entry.segmentNumber] });
  }
  return [...lines.values()].map((line) => ({ ...line, parts: line.parts.sort((a, b) => a - b) }));
}

/** `3`, `1–9`, `1, 3–4`. */
export function partsText(parts: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < parts.length;) {
    let j = i;
    while (j + 1 < parts.length && parts[j + 1] === parts[j] + 1) j += 1;
    runs.push(j === i ? String(parts[i]) : `${parts[i]}–${parts[j]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

function tailReason(entry: TailEntry): string {
  if (!entry.code) return '';
  const words = entry.state === 'rejected' ? submitErrorWords(entry.code) : receiptStatWords(entry.code);
  // err:000 (or none) says nothing: SMPP 3.4 Appendix B leaves the field to the SMSC.
  return entry.error && !/^0+$/.test(entry.error) ? `${words} (err ${entry.error})` : words;
}

function tailRow(line: TailLine): SafeHtml {
  return html`<tr>
    <td data-label="Time">${timeOf(line.at)}</td>
    <td data-label="SMSC">${line.smsc}</td>
    <td data-label="MSISDN" class="mono">${line.msisdn ?? '–'}</td>
    <td data-label="Parts">${partsText(line.parts)}</td>
    <td data-label="State">
      <span class="state tail-state-${line.state.replace(' ', '-')}">${line.state}</span>
    </td>
    <td data-label="Reason" class="reason">${tailReason(line)}</td>
  </tr>`;
}

/** The newest receipts and refused submits, as the filter asks. */
export function tailFragment(entries: readonly TailEntry[], filtered: boolean): SafeHtml {
  if (entries.length === 0) {
    return html`<p class="empty">
      No receipts or refused submits in the last hour${filtered ? ' that match the filter' : ''}.
    </p>`;
  }
  return html`<table class="tail">
    <thead>
      <tr>
        <th scope="col">Time (UTC)</th>
        <th scope="col">SMSC</th>
        <th scope="col">MSISDN</th>
        <th scope="col">Parts</th>
        <th scope="col">State</th>
        <th scope="col">Reason</th>
      </tr>
    </thead>
    <tbody>
      ${tailLines(entries).map(tailRow)}
    </tbody>
  </table>`;
}

function option(value: string, label: string, selected: string | undefined): SafeHtml {
  return html`<option value="${value}" ${value === (selected ?? '') ? html`selected` : ''}>${label}</option>`;
}

/** The tail's filter: a plain GET form (works without the script, which applies it live). */
export function tailFilterForm(smscs: readonly string[], query: TailQuery): SafeHtml {
  return html`<form id="tail-filter" class="tail-filter" method="get" action="/console/smsc">
    <div>
      <label for="tail-smsc">SMSC</label>
      <select id="tail-smsc" name="smsc">
        ${option('', 'All', query.smsc)} ${smscs.map((smsc) => option(smsc, smsc, query.smsc))}
      </select>
    </div>
    <div>
      <label for="tail-state">State</label>
      <select id="tail-state" name="state">
        ${option('', 'Any', query.state)} ${TAIL_STATES.map((state) => option(state, state, query.state))}
      </select>
    </div>
    <div>
      <label for="tail-msisdn">MSISDN prefix</label>
      <input
        id="tail-msisdn"
        name="msisdn"
        type="search"
        inputmode="numeric"
        value="${query.msisdn ?? ''}"
        autocomplete="off"
      />
    </div>
    <button type="submit">Filter</button>
  </form>`;
}
