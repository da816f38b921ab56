import type { DeviceReport } from '../../store/repositories/device-reports.ts';
import { html, type SafeHtml } from '../html.ts';

/**
 * What the subscriber's handsets reported about themselves, newest first. Of the configuration only
 * the settings the gateway compares (apn, proxy, mmsc: src/http/routes/devices/schema.ts) are shown;
 * other entries are counted, never printed (a handset may report credentials).
 */
const SHOWN_SETTINGS: readonly [string, string][] = [
  ['apn', 'APN'],
  ['proxy', 'proxy'],
  ['mmsc', 'MMSC'],
];

function handsetOf(report: DeviceReport): string {
  const { manufacturer, model, firmware } = report.properties as Record<string, string | undefined>;
  const name = [manufacturer, model].filter(Boolean).join(' ') || 'a handset that did not name itself';
  return firmware ? `${name}, firmware ${firmware}` : name;
}

function settingsOf(report: DeviceReport): string {
  const configuration = report.configuration ?? {};
  const shown = SHOWN_SETTINGS.filter(([key]) => configuration[key] !== undefined).map(
    ([key, label]) => `${label} ${String(configuration[key])}`,
  );
  const others = Object.keys(configuration).length - shown.length;
  const text = shown.length > 0 ? `settings in use: ${shown.join(', ')}` : 'no settings reported';
  return others > 0 ? `${text} (and ${others} other entr${others === 1 ? 'y' : 'ies'})` : text;
}

export function reportsSection(reports: readonly DeviceReport[]): SafeHtml {
  const items = reports.map(
    (report) =>
      html`<li>
        <time datetime="${report.receivedAt.toISOString()}"
          >${report.receivedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC</time
        >
        · ${handsetOf(report)} · ${settingsOf(report)} <span class="muted">(via ${report.source})</span>
      </li>`,
  );
  return html`<h2 id="reports-title">Device reports</h2>
    ${
      reports.length === 0
        ? html`<p class="empty">No device report yet: the handset never said which settings it uses.</p>`
        : html`<ol class="reports card" aria-labelledby="reports-title">
            ${items}
          </ol>`
    }`;
}
