import { describe, expect, it } from 'vitest';
import {
  bindsFragment,
  formatDuration,
  partsText,
  tailFragment,
  tailLines,
} from '../../src/console/pages/smsc-view.ts';
import type { WorkerBindStatus } from '../../src/smsc/worker-binds.ts';
import type { TailEntry } from '../../src/store/repositories/smsc-history.ts';

const at = new Date('2026-03-01T10:00:00Z');
const entry = (
  provisioningId: string,
  segmentNumber: number,
  state: TailEntry['state'],
  code: string,
): TailEntry => ({
  provisioningId,
  segmentNumber,
  smsc: 'sim',
  msisdn: '491700000001',
  state,
  code,
  error: null,
  at: new Date(at.getTime() - segmentNumber),
});

const bind: WorkerBindStatus = {
  workerId: 'worker-a',
  smscId: 'sim',
  bindId: 'sim/0',
  mode: 'trx',
  state: 'reconnect-wait',
  lastError: 'connection lost <closed>',
  reconnects: 2,
  windowUsed: 3,
  windowSize: 10,
  currentTps: null,
  sentPerSecond: 0,
  submitted: 12,
  throttled: 1,
};

describe('the SMSC page views', () => {
  it('folds the segments of one push with the same answer into one line, keeping apart other answers', () => {
    const lines = tailLines([
      entry('p1', 3, 'delivered', 'DELIVRD'),
      entry('p1', 1, 'delivered', 'DELIVRD'),
      entry('p2', 1, 'rejected', 'ESME_RINVDSTADR'),
      entry('p1', 2, 'failed', 'UNDELIV'),
      entry('p1', 4, 'delivered', 'DELIVRD'),
    ]);
    expect(lines.map((line) => [line.provisioningId, line.state, line.parts])).toEqual([
      ['p1', 'delivered', [1, 3, 4]],
      ['p2', 'rejected', [1]],
      ['p1', 'failed', [2]],
    ]);
    expect(partsText([1, 3, 4])).toBe('1, 3–4');
    expect(partsText([1, 2, 3, 4, 5, 6, 7, 8, 9])).toBe('1–9');
    expect(partsText([7])).toBe('7');
  });

  it('writes a tail line with the reason in plain words, leaving out an err that says nothing', () => {
    const quiet = tailFragment([{ ...entry('p1', 1, 'delivered', 'DELIVRD'), error: '000' }], false).text;
    expect(quiet).toContain('DELIVRD: delivered to the handset<');
    const failed = tailFragment([{ ...entry('p1', 1, 'failed', 'UNDELIV'), error: '027' }], false).text;
    expect(failed).toContain('UNDELIV: handset out of coverage or memory full (err 027)');
    expect(tailFragment([], true).text).toContain('that match the filter');
    expect(tailFragment([], false).text).not.toContain('that match the filter');
  });

  it('shows a bind in reconnect-wait as reconnecting, its error escaped, and says when other workers are missing', () => {
    const fragment = bindsFragment({ binds: [bind], bindsComplete: false }).text;
    expect(fragment).toMatch(/class="state bind-state state-reconnecting"[^>]*>reconnecting</);
    expect(fragment).toContain('connection lost &lt;closed&gt;');
    expect(fragment).toContain('Redis cannot be reached');
    expect(fragment).toContain('worker-a');
    expect(bindsFragment({ binds: [], bindsComplete: true }).text).toContain('No binds.');
  });

  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(252_000)).toBe('4.2 min');
  });
});
