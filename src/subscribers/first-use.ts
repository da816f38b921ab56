/**
 * First-use detection (DESIGN "first-time provisioning"): a trigger whose IMEI differs from the one stored
 * for the subscriber (or none stored) starts provisioning; the same handset again does nothing. A trigger
 * that provisions opens the debounce window: its push waits until the window closes, and a later trigger
 * inside the window with another handset makes that handset the one pushed to (the last handset wins), so
 * a SIM flapping between handsets gets one push, for the handset it ended in. Pure: times come in as
 * arguments.
 */

/**
 * - 'provision': a new handset outside any window: start a provisioning (and a window);
 * - 'unchanged': the handset stored (however often it is reported);
 * - 'last-in-window': another handset, the newest report inside the window: it replaces the handset of
 *   the provisioning the window holds;
 * - 'debounced': another handset inside the window, but an older report than one already seen (it
 *   arrived out of order): it says nothing about where the SIM is now.
 */
export type FirstUseDecision = 'provision' | 'unchanged' | 'last-in-window' | 'debounced';

export interface StoredSubscriberState {
  /** The handset last seen with this SIM (inside a window: the last one reported). */
  imei?: string;
  /** When the trigger that opened the last window was observed (imei_changed_at). */
  lastTriggerAt?: Date;
  /** The newest observation of the SIM by any trigger (seen_at). */
  lastSeenAt?: Date;
}

export interface FirstUseTrigger {
  imei: string;
  at: Date;
}

/** A stored time later than now (written before observedAt was checked) is no time to measure from. */
const pastOrUndefined = (at: Date | undefined, now: Date): Date | undefined =>
  at !== undefined && at.getTime() <= now.getTime() ? at : undefined;

/**
 * What a trigger means for the subscriber (see FirstUseDecision). The window is `debounceMs` from
 * `lastTriggerAt`; a trigger observed before that start (out of order) counts as inside it. A window
 * stored in the future (a bogus observedAt of old) is ignored, so it cannot debounce a SIM forever.
 */
export function decideFirstUse(
  stored: StoredSubscriberState | undefined,
  trigger: FirstUseTrigger,
  debounceMs: number,
  now: Date,
): FirstUseDecision {
  if (stored?.imei !== undefined && sameHandset(stored.imei, trigger.imei)) return 'unchanged';
  const windowStart = pastOrUndefined(stored?.lastTriggerAt, now);
  if (windowStart === undefined || debounceMs <= 0) return 'provision';
  const sinceStart = trigger.at.getTime() - windowStart.getTime();
  if (sinceStart >= debounceMs) return 'provision';
  const newestSeen = pastOrUndefined(stored?.lastSeenAt, now) ?? windowStart;
  const newest = Math.max(newestSeen.getTime(), windowStart.getTime());
  return trigger.at.getTime() >= newest ? 'last-in-window' : 'debounced';
}

/** When the window opened by a trigger observed at `at` closes: its push goes then. */
export const debounceWindowEnd = (at: Date, debounceMs: number): Date =>
  new Date(at.getTime() + Math.max(debounceMs, 0));

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
