import { z } from 'zod';
import { parseImei } from '../devices/imei.ts';

/** Field formats shared by the routes (issue 5, "Bad input"). */

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
export const reasonSchema = z
  .string()
  .trim()
  .min(3, 'reason is required (at least 3 characters)')
  .max(500, 'reason may be at most 500 characters');

export const isoTimeSchema = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

/** The error envelope every 4xx/5xx carries. */
export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});
