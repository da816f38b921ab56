import { FINAL_STATES } from '../../provisioning/types.ts';
import { html, type SafeHtml } from '../html.ts';
import { failureInWords, receiptInWords, SOURCE_WORDS } from '../plain-words.ts';

/**
 * A subscriber's timeline as HTML: one list item per provisioning with its state as text, its trigger,
 * who asked and why, state changes, segments and receipts in words, and a Resend button. Rendered for
 * the page and again, alone, for the live refresh (care-subscriber.ts).
 */

type Row = Record<string, unknown>;
export type TimelineEntry = Row & { id: string; state: string; events: Row[]; segments: Row[] };

const FINAL: ReadonlySet<string> = FINAL_STATES;

/** A provisioning still on its way: Resend waits for it (a second push would race the first). */
export function inFlight(timeline: readonly TimelineEntry[]): TimelineEntry | undefined {
  return timeline.find((entry) => !FINAL.has(entry.state));
}

function when(value: unknown): SafeHtml | string {
  if (!value) return '';
  const date = value instanceof Date ? value : new Date(String(value));
  const text = date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  return html`<time datetime="${date.toISOString()}">${text}</time>`;
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function stateChanges(events: Row[]): SafeHtml {
  const items = events.map(
    (event) =>
      html`<li>
        ${when(event.at)}: ${text(event.fromState) || 'new'} → <strong>${text(event.toState)}</strong>${
          event.cause ? html` <span class="muted">(${text(event.cause)})</span>` : ''
        }${event.actor ? html` <span class="muted">by ${text(event.actor)}</span>` : ''}
      </li>`,
  );
  return html`<details>
    <summary>State changes (${events.length})</summary>
    <ol>
      ${items}
    </ol>
  </details>`;
}

/** "9 of 9: DELIVRD: delivered to the handset" — one line per distinct outcome, most common first. */
function segmentSummary(segments: Row[]): string {
  const counts = new Map<string, number>();
  for (const segment of segments) {
    const receipt = receiptInWords(
      segment.receiptState as string | null,
      segment.receiptError as string | null,
    );
    const outcome =
      receipt ?? (segment.submitStatus === 'submitted' ? 'waiting for the receipt' : 'not sent yet');
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([outcome, count]) => `${count} of ${segments.length}: ${outcome}`)
    .join('; ');
}

function segmentRows(segments: Row[]): SafeHtml {
  if (segments.length === 0) return html``;
  const rows = segments.map((segment) => {
    const receipt = receiptInWords(
      segment.receiptState as string | null,
      segment.receiptError as string | null,
    );
    const submit = segment.submitError
      ? `${text(segment.submitStatus)} (${text(segment.submitError)})`
      : text(segment.submitStatus);
    return html`<tr>
      <td>${text(segment.segmentNumber)}</td>
      <td>${submit || 'not sent yet'}</td>
      <td>${text(segment.smsc)}</td>
      <td class="mono">${text(segment.messageId)}</td>
      <td>
        ${receipt ?? 'no receipt yet'}${segment.receiptAt ? html`<br /><span class="muted">${when(segment.receiptAt)}</span>` : ''}
      </td>
    </tr>`;
  });
  // Open when a segment did not get through: that is what care is looking for.
  const troubled = segments.some((segment) => segment.receiptState && segment.receiptState !== 'DELIVRD');
  return html`<p class="segments-summary">Segments: ${segmentSummary(segments)}</p>
    <details${troubled ? html` open` : ''}><summary>Segments and receipts (${segments.length})</summary>
      <div class="scroll"><table>
        <thead><tr><th scope="col">#</th><th scope="col">Sent</th><th scope="col">SMSC</th><th scope="col">Message id</th><th scope="col">Receipt</th></tr></thead>
        <tbody>${rows}</tbody>
      </table></div></details>`;
}

function appliedLine(entry: TimelineEntry): SafeHtml | '' {
  if (entry.state !== 'delivered') return '';
  return entry.appliedAt
    ? html`<p>Applied: the handset reported these settings in use on ${when(entry.appliedAt)}.</p>`
    : html`<p class="muted">Not confirmed applied: no device report shows these settings yet.</p>`;
}

function resendButton(entry: TimelineEntry, busy: TimelineEntry | undefined): SafeHtml {
  const why = busy ? `Wait: provisioning ${busy.id.slice(0, 8)} is still ${busy.state}` : '';
  return html`<form
    method="get"
    action="/console/provisionings/${entry.id}/resend"
    class="resend-form"
    data-provisioning="${entry.id}"
  >
    <button type="submit" class="secondary" ${busy ? html` disabled title="${why}"` : ''}>Resend</button>
  </form>`;
}

function entryItem(entry: TimelineEntry, busy: TimelineEntry | undefined): SafeHtml {
  const source = text(entry.source);
  const profile = entry.profileName
    ? `${text(entry.profileName)} v${text(entry.profileVersion)}`
    : 'profile not chosen yet';
  const failure = failureInWords(entry.failureCode as string | null, entry.failureReason as string | null);
  return html`<li class="provisioning card" data-provisioning="${entry.id}" data-state="${entry.state}">
    <div class="head">
      <div class="what">
        <span class="state state-${entry.state}">${entry.state}</span>
        <strong>${SOURCE_WORDS[source] ?? source}</strong>
        <span class="muted">${when(entry.createdAt)} · ${profile}</span>
      </div>
      ${resendButton(entry, busy)}
    </div>
    <p>
      Asked by
      ${text(entry.actor)}${entry.reason ? html`: “${text(entry.reason)}”` : ''}${
        entry.resendOf
          ? html` <span class="muted">(again after ${text(entry.resendOf).slice(0, 8)})</span>`
          : ''
      }
    </p>
    ${failure ? html`<p class="failure">Failed: ${failure} <span class="muted mono">${text(entry.failureCode)}</span></p>` : ''}
    ${appliedLine(entry)} ${segmentRows(entry.segments)} ${stateChanges(entry.events)}
  </li>`;
}

/** The settings the SIM has now: the newest delivered profile version, and whether it was applied. */
export function currentProfile(timeline: readonly TimelineEntry[]): string {
  const delivered = timeline.find((entry) => entry.state === 'delivered' && entry.profileName);
  if (!delivered) return 'none delivered yet';
  return `${String(delivered.profileName)} v${String(delivered.profileVersion)}${delivered.appliedAt ? ' (applied)' : ' (delivered, not confirmed applied)'}`;
}

export function timelineList(timeline: readonly TimelineEntry[]): SafeHtml {
  if (timeline.length === 0) {
    return html`<ol class="timeline" id="timeline">
      <li class="empty">No settings were ever sent to this subscriber.</li>
    </ol>`;
  }
  const busy = inFlight(timeline);
  // data-current: the page's "Settings" line, which the live refresh updates from here.
  return html`<ol class="timeline" id="timeline" data-current="${currentProfile(timeline)}">
    ${timeline.map((entry) => entryItem(entry, busy))}
  </ol>`;
}
