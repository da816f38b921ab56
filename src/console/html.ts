/**
 * The console's templating: a tagged template that escapes every interpolated value, so that text from
 * the store (an MSISDN, a reason a care agent typed, an SMSC's error text) can never become markup.
 * Only fragments that were themselves built with `html` (or passed through raw(), for trusted constants)
 * are inserted as they are. Arrays are joined, null/undefined/false render nothing.
 */

const SAFE = Symbol('safe-html');

export interface SafeHtml {
  readonly [SAFE]: true;
  readonly text: string;
  toString(): string;
}

function safe(text: string): SafeHtml {
  return { [SAFE]: true, text, toString: () => text };
}

export function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && (value as { [SAFE]?: unknown })[SAFE] === true;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char]);
}

/** A value as it goes into the page: trusted fragments as they are, everything else escaped. */
function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (isSafeHtml(value)) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof Date) return escapeHtml(value.toISOString());
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + strings[i + 1];
  return safe(out);
}

/** A trusted fragment (a constant of our own): inserted without escaping. Never pass request or store text. */
export function raw(text: string): SafeHtml {
  return safe(text);
}
