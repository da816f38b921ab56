/**
 * First-use detection (DESIGN "first-time provisioning"): a trigger whose IMEI differs from the one stored
 * for the subscriber (or none stored) starts provisioning; the same handset again does nothing; triggers
 * flapping between handsets within the debounce window send once. Pure: times come in as arguments.
 */

export type FirstUseDecision = 'provision' | 'unchanged' | 'debounced';

export interface StoredSubscriberState {
  /** The handset last seen with this SIM. */
  imei?: string;
  /** When the last trigger that started a provisioning arrived. */
  lastTriggerAt?: Date;
}

export interface FirstUseTrigger {
  imei: string;
  at: Date;
}

/**
 * - same handset as stored -> 'unchanged' (however often it is reported);
 * - another handset within `debounceMs` of the last provisioning trigger -> 'debounced';
 * - otherwise (new handset, or nothing stored) -> 'provision'.
 *
 * For a 'debounced' trigger the caller should leave the stored IMEI as it is, so that the next trigger
 * for the new handset after the window provisions it. Only a 'provision' moves `lastTriggerAt`.
 */
export function decideFirstUse(
  stored: StoredSubscriberState | undefined,
  trigger: FirstUseTrigger,
  debounceMs: number,
): FirstUseDecision {
  if (stored?.imei !== undefined && sameHandset(stored.imei, trigger.imei)) return 'unchanged';
  if (stored?.lastTriggerAt !== undefined) {
    const sinceLast = trigger.at.getTime() - stored.lastTriggerAt.getTime();
    // A trigger that arrives out of order (before the last one) counts as inside the window too.
    if (sinceLast < debounceMs) return 'debounced';
  }
  return 'provision';
}

/** Length of TAC + serial number, the part of an IMEI that identifies the handset (3GPP TS 23.003 §6.2). */
const IMEI_IDENTITY_DIGITS = 14;

/**
 * Whether two reported IMEIs are the same handset. Networks report the 15-digit IMEI (with its check
 * digit) or the 16-digit IMEISV (with a software version instead); both start with the same 14 digits
 * (TAC + serial, TS 23.003 §6.2), which is what is compared. Separators are ignored.
 */
export function sameHandset(a: string, b: string): boolean {
  const left = a.replace(/\D/g, '');
  const right = b.replace(/\D/g, '');
  if (left.length >= IMEI_IDENTITY_DIGITS && right.length >= IMEI_IDENTITY_DIGITS)
    return left.slice(0, IMEI_IDENTITY_DIGITS) === right.slice(0, IMEI_IDENTITY_DIGITS);
  return left !== '' || right !== '' ? left === right : a.trim() === b.trim();
}
