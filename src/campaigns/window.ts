/**
 * Campaign hours: a daily local-time window in a group's time zone when the campaign may send, on top
 * of the group's quiet hours (which the worker applies to every push). The quiet-hours arithmetic is
 * the same (DST-safe local times), so it is reused: "inside the campaign hours" is "inside a window".
 */
import { isQuiet, nextAllowedTime, type QuietHours } from '../subscribers/quiet-hours.ts';
import type { CampaignWindow } from './types.ts';

const asWindow = (window: CampaignWindow, timeZone: string): QuietHours => ({ ...window, timeZone });
const complement = (window: CampaignWindow, timeZone: string): QuietHours => ({
  start: window.end,
  end: window.start,
  timeZone,
});

/** Whether the campaign may send to a group in `timeZone` now; no window (or start = end): always. */
export function windowOpen(now: Date, window: CampaignWindow | null, timeZone: string): boolean {
  if (window === null || window.start === window.end) return true;
  return isQuiet(now, asWindow(window, timeZone));
}

/**
 * Seconds from `now` until `sendSeconds` of sending are done, sending only inside the window (in one
 * time zone: the preview's estimate takes the largest group's).
 */
export function estimateSeconds(
  now: Date,
  sendSeconds: number,
  window: CampaignWindow | null,
  timeZone: string,
): number {
  if (window === null || window.start === window.end || sendSeconds <= 0) return Math.ceil(sendSeconds);
  let at = now.getTime();
  let left = sendSeconds * 1000;
  // Each turn crosses one opening or one closing: a year of days is far more than any campaign needs.
  for (let turn = 0; turn < 800 && left > 0; turn += 1) {
    const instant = new Date(at);
    if (windowOpen(instant, window, timeZone)) {
      const closes = nextAllowedTime(instant, asWindow(window, timeZone)).getTime();
      const open = Math.max(closes - at, 1000);
      if (open >= left) return Math.ceil((at + left - now.getTime()) / 1000);
      left -= open;
      at += open;
    } else {
      at = Math.max(nextAllowedTime(instant, complement(window, timeZone)).getTime(), at + 1000);
    }
  }
  return Math.ceil((at - now.getTime()) / 1000);
}
