/**
 * The message ids of accepted segments, stored while their push is still being sent (issue #15 item 4).
 * A push's outcome is written once every segment is answered; a worker killed before that left no trace
 * of the segments that had gone out, so its job's retry sent the whole push again and a handset that
 * had it all got it twice. Written every FLUSH_MS for every push of the process in one statement, so
 * the hot path pays one write per interval, not one per segment. Best effort: a write that fails loses
 * nothing the push's own outcome will not write. deliver.ts sends a push's last segment only once the
 * others are written (written()), so that a handset never completes a push no record shows.
 */
import type { Logger } from 'pino';
import type { SegmentResult } from '../connectors/types.ts';
import type { Db } from '../store/db.ts';
import { recordAcceptedSegments, type AcceptedSegment } from './resend-repository.ts';

const FLUSH_MS = 50;

export class AcceptedSegmentWriter {
  private pending: AcceptedSegment[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** the flush the pending segments go out with, and the one under way */
  private next: { written: Promise<boolean>; done: (ok: boolean) => void } | undefined;
  private inFlight: Promise<boolean> = Promise.resolve(true);

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** The hook for OutboundPush.onAccepted of provisioning `id`. */
  forPush(id: string): (result: Extract<SegmentResult, { ok: true }>) => void {
    return (result) => {
      if (!result.messageId) return;
      this.pending.push({
        provisioningId: id,
        segmentNumber: result.index,
        smsc: result.smscId,
        messageId: result.messageId,
        rawMessageId: result.rawMessageId ?? result.messageId,
      });
      if (!this.next) {
        let done!: (ok: boolean) => void;
        const written = new Promise<boolean>((resolve) => (done = resolve));
        this.next = { written, done };
      }
      this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    };
  }

  /**
   * Resolves once every segment reported so far is written (true) or its write failed (false): what
   * deliver.ts waits for before it sends the segment that completes a push on the handset.
   */
  async written(): Promise<boolean> {
    // writes run one after the other: the last one under way ends after every earlier one
    const [earlier, pending] = await Promise.all([this.inFlight, this.next?.written ?? true]);
    return earlier && pending;
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const segments = this.pending;
    const next = this.next;
    this.pending = [];
    this.next = undefined;
    if (segments.length === 0 || !next) return next?.done(true);
    const write = this.inFlight
      .then(() => recordAcceptedSegments(this.db, segments))
      .then(
        () => true,
        (error: unknown) => {
          this.logger.warn(
            { err: (error as Error).message, segments: segments.length },
            'early segment write failed',
          );
          return false;
        },
      );
    this.inFlight = write;
    next.done(await write);
  }
}

const writers = new WeakMap<Db, AcceptedSegmentWriter>();

/** The writer of this store (one per process and store: the worker's pushes share its interval). */
export function acceptedSegmentWriter(db: Db, logger: Logger): AcceptedSegmentWriter {
  let writer = writers.get(db);
  if (!writer) {
    writer = new AcceptedSegmentWriter(db, logger);
    writers.set(db, writer);
  }
  return writer;
}
