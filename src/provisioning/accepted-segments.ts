/**
 * The message ids of accepted segments, stored while their push is still being sent (issue #15 item 4).
 * A push's outcome is written once every segment is answered; a worker killed before that left no trace
 * of the segments that had gone out, so its job's retry sent the whole push again and a handset that
 * had it all got it twice. Written every FLUSH_MS for every push of the process in one statement, so
 * the hot path pays one write per interval, not one per segment. Best effort: a write that fails loses
 * nothing the push's own outcome will not write.
 */
import type { Logger } from 'pino';
import type { SegmentResult } from '../connectors/types.ts';
import type { Db } from '../store/db.ts';
import { recordAcceptedSegments, type AcceptedSegment } from './resend-repository.ts';

const FLUSH_MS = 50;

export class AcceptedSegmentWriter {
  private pending: AcceptedSegment[] = [];
  private timer: NodeJS.Timeout | undefined;

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
      this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    };
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const segments = this.pending;
    this.pending = [];
    if (segments.length === 0) return;
    try {
      await recordAcceptedSegments(this.db, segments);
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message, segments: segments.length },
        'early segment write failed',
      );
    }
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
