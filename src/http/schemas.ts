import { z } from 'zod';
import { parseImei } from '../devices/imei.ts';

/** Field formats shared by the routes (issue 5, "Bad input"). */

/**
 * C0 controls other than tab, line feed and carriage return. NUL in particular: PostgreSQL refuses it in
 * text and jsonb, and one such value in a multi-row INSERT loses every row of the statement (issue 15 #8).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a string cannot be stored as text: a lone UTF-16 surrogate (JSON may carry `"\ud800"`; it has no
 * UTF-8 form, so PostgreSQL refuses it) or a control character; undefined when it is fine.
 */
export function unstorableTextReason(value: string): string | undefined {
  if (LONE_SURROGATE.test(value))
    return 'must not contain a lone UTF-16 surrogate (unpaired \\ud800-\\udfff)';
  const control = CONTROL_CHARACTER.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    return `must not contain control character U+${code} (tab and line breaks are allowed)`;
  }
  return undefined;
}

/** The zod check every free-text field shares (freeText below; the console's forms use it too). */
export function refuseUnstorableText(value: string, ctx: z.RefinementCtx): void {
  const reason = unstorableTextReason(value);
  if (reason) ctx.addIssue({ code: 'custom', message: reason, params: { text: 'unstorable' } });
}

/** Free text (notes, descriptions, names, search terms): any string schema, refusing what cannot be stored. */
export function freeText<S extends z.ZodType<string, string>>(schema: S): S {
  return schema.superRefine(refuseUnstorableText) as unknown as S;
}

/**
 * Every string inside a JSON value (profile parameters, device properties), keys too, checked like
 * freeText: the paths and reasons of those that cannot be stored.
 */
export function unstorableStringsIn(
  value: unknown,
  path: ReadonlyArray<string | number> = [],
): Array<{ path: Array<string | number>; message: string }> {
  const found: Array<{ path: Array<string | number>; message: string }> = [];
  const visit = (node: unknown, at: Array<string | number>, depth: number): void => {
    if (typeof node === 'string') {
      const message = unstorableTextReason(node);
      if (message) found.push({ path: at, message });
    } else if (Array.isArray(node) && depth < 64) {
      node.forEach((item, index) => visit(item, [...at, index], depth + 1));
    } else if (node !== null && typeof node === 'object' && depth < 64) {
      for (const [key, item] of Object.entries(node)) {
        const keyReason = unstorableTextReason(key);
        if (keyReason) found.push({ path: [...at, key], message: `field name ${keyReason}` });
        visit(item, [...at, key], depth + 1);
      }
    }
  };
  visit(value, [...path], 0);
  return found;
}

/** TS 23.003 §2.2: MCC (3) + MNC (2-3) + MSIN; at most 15 digits. Networks send short test IMSIs, so 6 is the floor. */
export const imsiSchema = z.string().regex(/^[0-9]{6,15}$/, 'IMSI must be 6 to 15 digits');

/** E.164: at most 15 digits, no leading zero; a leading '+' is accepted and dropped. */
export const msisdnSchema = z
  .string()
  .regex(/^\+?[1-9][0-9]{2,14}$/, 'MSISDN must be E.164 digits (3 to 15, no leading 0, optional +)')
  .transform((value) => (value.startsWith('+') ? value.slice(1) : value));

/** 14 digits, 15 with a valid Luhn check digit, or a 16-digit IMEISV (TS 23.003 §6.2). */
export const imeiSchema = z
  .string()
  .regex(/^[0-9]{14,16}$/, 'IMEI must be 14 to 16 digits')
  .superRefine((value, ctx) => {
    const parsed = parseImei(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

export const uuidSchema = z.uuid('must be a UUID');

/** Why care acts: required, one line, long enough to mean something. */
export const reasonSchema = freeText(
  z
    .string()
    .trim()
    .min(3, 'reason is required (at least 3 characters)')
    .max(500, 'reason may be at most 500 characters'),
);

export const isoTimeSchema = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

/** The error envelope every 4xx/5xx carries. */
export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});
