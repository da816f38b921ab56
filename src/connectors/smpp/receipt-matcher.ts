/**
 * Matches delivery receipts to the segments this process submitted, exactly once:
 * - each receipt is given back through its `done` callback once its fate is known: emitted and stored
 *   (or dropped as a duplicate of one stored) -> done(true); emitted and not stored -> done(false), and
 *   the state counts as not emitted, so the SMSC's resend is taken (issue #15 item 1). A duplicate of a
 *   receipt still being stored waits for that one's outcome.
 * - a receipt whose id is not known yet (it overtook its submit_sm_resp, or came on another bind first)
 *   is parked and matched as soon as the id is registered; after `parkMs` it is emitted unmatched
 *   (another worker may have submitted it — the store correlates by SMSC and message id)
 * - per message id, each intermediate state is emitted at most once and nothing after a final state, so
 *   duplicates and out-of-order receipts (a late ENROUTE after DELIVRD) are dropped
 * Ids are compared after normalisation (message-id.ts). Memory is bounded by `trackMs` and `trackMax`.
 * Pure apart from the `emit` callback: the clock is passed in.
 */
import type { DeliveryReport, DeliveryState } from '../types.ts';
import { isFinalState } from './receipt-state.ts';

export interface SubmittedSegment {
  pushId: string;
  segmentIndex: number;
  destination: string;
  bindId: string;
}

export interface ReceiptMatcherOptions {
  parkMs: number;
  trackMs: number;
  trackMax: number;
}

interface Progress {
  at: number;
  /** states already emitted, as bits (see STATE_BITS) */
  emitted: number;
  final: boolean;
  /** states emitted and not yet settled (stored or not), with the receipts waiting for that outcome */
  settling?: Map<number, ReceiptDone[]>;
}

/** Told once what became of a receipt given to the matcher: stored (or a duplicate of one stored) or not. */
export type ReceiptDone = (stored: boolean) => void;

/** Emits a receipt; `settled` is to be called once it is stored (true) or could not be (false). */
export type ReceiptEmitter = (report: DeliveryReport, settled: ReceiptDone) => void;

const IGNORE: ReceiptDone = () => undefined;

interface Tracked extends SubmittedSegment, Progress {}

interface Parked {
  since: number;
  reports: Array<{ report: DeliveryReport; done: ReceiptDone }>;
}

const STATE_BITS: Record<DeliveryState, number> = {
  delivered: 1,
  failed: 2,
  expired: 4,
  rejected: 8,
  deleted: 16,
  unknown: 32,
  enroute: 64,
  accepted: 128,
};

export interface ReceiptMatcherCounters {
  matched: number;
  unmatched: number;
  duplicatesDropped: number;
  parked: number;
  /** ids registered again for another segment (the SMSC reusing its message ids) */
  reusedIds: number;
}

export class ReceiptMatcher {
  private readonly tracked = new Map<string, Tracked>();
  /** progress of ids emitted unmatched, so their duplicates are dropped too */
  private readonly orphans = new Map<string, Progress>();
  private readonly parked = new Map<string, Parked>();
  private matched = 0;
  private unmatched = 0;
  private duplicatesDropped = 0;
  private reused = 0;

  constructor(
    private readonly options: ReceiptMatcherOptions,
    private readonly emit: ReceiptEmitter,
  ) {}

  /**
   * A submit_sm_resp gave this (normalised) id to a segment. Parked receipts for it go out now. An id
   * registered again for another segment is the SMSC using it again (a restart numbering from the start,
   * an unseeded generator): the new message starts with no receipts, so the old one's final state does
   * not drop the new one's receipt as a duplicate (issue #15 item 7). The same segment registered again
   * (a late response after a timeout) keeps its progress.
   */
  register(messageId: string, segment: SubmittedSegment, now: number): void {
    const existing = this.tracked.get(messageId);
    const sameSegment =
      existing !== undefined &&
      existing.pushId === segment.pushId &&
      existing.segmentIndex === segment.segmentIndex;
    if (existing && !sameSegment) this.reused++;
    const entry: Tracked = sameSegment
      ? { ...existing, ...segment }
      : { ...segment, at: now, emitted: 0, final: false };
    // re-inserted, so that the Map's order (oldest first, trimTracked) stays the order of registration
    this.tracked.delete(messageId);
    this.tracked.set(messageId, entry);
    this.orphans.delete(messageId);
    const waiting = this.parked.get(messageId);
    if (waiting) {
      this.parked.delete(messageId);
      for (const { report, done } of waiting.reports) this.deliver(report, entry, done);
    }
    this.trimTracked(now);
  }

  /** A receipt arrived (its messageId already normalised); `done` is told what became of it. */
  receive(report: DeliveryReport, now: number, done: ReceiptDone = IGNORE): void {
    const entry = this.tracked.get(report.messageId);
    if (entry) {
      this.deliver(report, entry, done);
      return;
    }
    const orphan = this.orphans.get(report.messageId);
    if (orphan) {
      // its first receipt was emitted unmatched already: treat the rest the same way
      this.deliver(report, orphan, done);
      return;
    }
    const waiting = this.parked.get(report.messageId);
    if (waiting) waiting.reports.push({ report, done });
    else this.parked.set(report.messageId, { since: now, reports: [{ report, done }] });
    if (this.parked.size > this.options.trackMax)
      this.release(this.parked.keys().next().value as string, now);
  }

  /** Emits parked receipts whose time is up (unmatched) and forgets old ids. Call it periodically. */
  sweep(now: number): void {
    for (const [messageId, waiting] of this.parked) {
      if (now - waiting.since < this.options.parkMs) break; // Map order = arrival order
      this.release(messageId, now);
    }
    this.trimTracked(now);
    for (const [messageId, progress] of this.orphans) {
      if (now - progress.at < this.options.trackMs && this.orphans.size <= this.options.trackMax) break;
      this.orphans.delete(messageId);
    }
  }

  /** The earliest time a parked receipt will be given up on (undefined when none is parked). */
  nextParkDeadline(): number | undefined {
    for (const waiting of this.parked.values()) return waiting.since + this.options.parkMs;
    return undefined;
  }

  counters(): ReceiptMatcherCounters {
    return {
      matched: this.matched,
      unmatched: this.unmatched,
      duplicatesDropped: this.duplicatesDropped,
      parked: this.parked.size,
      reusedIds: this.reused,
    };
  }

  /** Gives up waiting for the id: its receipts go out unmatched (duplicates still dropped). */
  private release(messageId: string, now: number): void {
    const waiting = this.parked.get(messageId);
    if (!waiting) return;
    this.parked.delete(messageId);
    const progress: Progress = { at: now, emitted: 0, final: false };
    this.orphans.set(messageId, progress);
    for (const { report, done } of waiting.reports) this.deliver(report, progress, done);
  }

  private deliver(report: DeliveryReport, progress: Progress | Tracked, done: ReceiptDone): void {
    const bit = STATE_BITS[report.state];
    const settling = progress.settling?.get(bit);
    if (settling) {
      // the same state is being stored: this copy is answered with that outcome
      this.duplicatesDropped++;
      settling.push(done);
      return;
    }
    if (progress.final || progress.emitted & bit) {
      this.duplicatesDropped++;
      done(true);
      return;
    }
    const wasFinal = progress.final;
    progress.emitted |= bit;
    if (isFinalState(report.state)) progress.final = true;
    const waiters = [done];
    (progress.settling ??= new Map()).set(bit, waiters);
    const settled: ReceiptDone = (stored) => {
      if (progress.settling?.get(bit) !== waiters) return;
      progress.settling.delete(bit);
      if (!stored) {
        // not stored: as if never emitted, so that the SMSC's resend goes out again
        progress.emitted &= ~bit;
        progress.final = wasFinal;
      }
      for (const waiter of waiters) waiter(stored);
    };
    if ('pushId' in progress) {
      this.matched++;
      this.emit({ ...report, pushId: progress.pushId, segmentIndex: progress.segmentIndex }, settled);
    } else {
      this.unmatched++;
      this.emit(report, settled);
    }
  }

  private trimTracked(now: number): void {
    for (const [messageId, entry] of this.tracked) {
      if (now - entry.at < this.options.trackMs && this.tracked.size <= this.options.trackMax) break;
      this.tracked.delete(messageId);
    }
  }
}
