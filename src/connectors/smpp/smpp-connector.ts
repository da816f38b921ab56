/**
 * An SMSC reached over SMPP: several binds (transceivers, or transmitter + receiver pairs), one queue of
 * segments feeding them, per-segment results, and receipts and MO messages as events.
 *
 * Policy lives here, transport in bind.ts:
 * - a segment is sent on the next bind with a free window slot and a token (round robin)
 * - ESME_RTHROTTLED / ESME_RMSGQFUL: that bind slows down (when it is a rate limit: rate-controller.ts)
 *   and the segment goes back to the front of the queue after a short back-off (up to throttleRetryLimit
 *   times); ESME_RINVBNDSTS: rebind and resend (docs/protocol.md §6.8)
 * - a submit that was never written is resent; one that was written but not answered (timeout, link
 *   loss) is reported `unknown`, since the SMSC may have accepted it
 * - receipts are matched through one ReceiptMatcher per SMSC, so the bind they arrive on does not matter
 * - with `shared` limits (worker role), each submit also takes one of the account's tokens, shared with
 *   every worker bound to it, and binds open only with one of its leases (connectors/account-limits/)
 */
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import type { PduFields } from 'smpp';
import type { SmscConfig } from '../config.ts';
import type {
  Acknowledgement,
  BindStatus,
  DeliveryReport,
  OutboundPush,
  SegmentMode,
  SegmentResult,
  SmscConnector,
  SmscConnectorEvents,
  SmsSegment,
  StatusAnswer,
  StatusQuery,
} from '../types.ts';
import { SmppBind, type BindHandlers, type SubmitAnswer } from './bind.ts';
import {
  classifySubmitStatus,
  commandStatusCode,
  commandStatusName,
  ESME_RMSGQFUL,
  ESME_ROK,
  ESME_RQUERYFAIL,
  ESME_RSYSERR,
  type StatusOverrides,
} from './command-status.ts';
import { isReceipt, readMo, readReceipt, type IncomingMessage } from './deliver-sm.ts';
import { normaliseMessageId, type MessageIdBase } from './message-id.ts';
import { ReceiptMatcher } from './receipt-matcher.ts';
import { isFinalState, stateFromMessageState } from './receipt-state.ts';
import { SegmentQueue } from './segment-queue.ts';
import { smoothCapacity } from './token-bucket.ts';
import { buildSubmitSm, SubmitSmBuildError, submitSmTemplate } from './submit-sm.ts';
import { SharedTokenStock, type SharedAccountLimits } from '../account-limits/limits.ts';

interface SegmentJob {
  push: OutboundPush;
  segment: SmsSegment;
  fields: PduFields;
  enqueuedAt: number;
  retries: number;
  settled: boolean;
  settle(result: SegmentResult): void;
}

export interface SmppConnectorOptions {
  logger?: Logger;
  /** the account's limits shared with other workers (worker role); absent: this process paces alone */
  shared?: SharedAccountLimits;
}

/**
 * A throttled segment waits this long before it goes back to the queue, doubled with each throttle of
 * the same segment up to THROTTLE_BACKOFF_MAX_MS: sent again at once, a segment would meet a real
 * limit again at once; a random refusal costs it a few milliseconds.
 */
const THROTTLE_BACKOFF_MS = 20;
const THROTTLE_BACKOFF_MAX_MS = 1_000;

/** Account tokens unused for this many pacing windows are dropped (connectors/account-limits/limits.ts). */
const SHARED_TOKEN_MAX_AGE_WINDOWS = 5;

export interface SmppConnectorCounters {
  submitted: number;
  accepted: number;
  failed: Record<string, number>;
  throttled: number;
  receipts: {
    matched: number;
    unmatched: number;
    duplicatesDropped: number;
    parked: number;
    unreadable: number;
    /** answered with an error because the store did not take them (in time): the SMSC resends */
    notStored: number;
  };
  mo: number;
  /** MO messages answered with an error for the same reason */
  moNotStored: number;
  /** receipts and MO answered ESME_RSYSERR because their store took longer than ackTimeoutMs */
  ackTimeouts: number;
}

export class SmppConnector extends EventEmitter<SmscConnectorEvents> implements SmscConnector {
  readonly id: string;
  private readonly binds: SmppBind<SegmentJob>[] = [];
  private readonly transmitters: SmppBind<SegmentJob>[] = [];
  private readonly queue = new SegmentQueue<SegmentJob>();
  private readonly matcher: ReceiptMatcher;
  private readonly template: PduFields;
  private readonly overrides: StatusOverrides;
  private readonly logger: Logger;
  private readonly receiptBases: { text: MessageIdBase; tlv: MessageIdBase };
  private nextBind = 0;
  private pumping = false;
  private pumpAgain = false;
  private pumpTimer: NodeJS.Timeout | undefined;
  private pumpDueAt = Infinity;
  private housekeepingTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopping = false;
  private accepted = 0;
  private throttledCount = 0;
  private unreadableReceipts = 0;
  private notStored = { receipts: 0, mo: 0 };
  private notAnsweredInTime = 0;
  private moCount = 0;
  private readonly failures = new Map<string, number>();
  /** throttled segments waiting out their back-off before they go back to the queue */
  private readonly backingOff = new Map<SegmentJob, NodeJS.Timeout>();
  /** this worker's stock of the account's shared tokens; undefined: paced by this process alone */
  private readonly sharedTokens: SharedTokenStock | undefined;

  constructor(
    private readonly config: SmscConfig,
    options: SmppConnectorOptions = {},
  ) {
    super();
    this.id = config.id;
    this.logger = (options.logger ?? pino({ level: 'silent' })).child({ smsc: config.id });
    this.template = submitSmTemplate(config);
    this.receiptBases = { text: config.msgIdReceipt, tlv: config.msgIdReceiptTlv ?? config.msgIdReceipt };
    const overrides: Record<number, 'permanent' | 'transient' | 'throttle' | 'rebind'> = {};
    for (const [key, verdict] of Object.entries(config.statusOverrides)) {
      const code = commandStatusCode(key);
      if (code !== undefined) overrides[code] = verdict;
    }
    this.overrides = overrides;
    this.matcher = new ReceiptMatcher(
      { parkMs: config.receiptParkMs, trackMs: config.receiptTrackMs, trackMax: config.receiptTrackMax },
      (report, settled) =>
        this.emitHeld('receipt', report, (stored) => {
          if (!stored) this.notStored.receipts++;
          settled(stored);
        }),
    );

    const handlers: BindHandlers<SegmentJob> = {
      onState: (bind) => this.onBindState(bind),
      onAnswer: (bind, job, answer) => this.onAnswer(bind, job, answer),
      onLateResponse: (bind, job, status, messageId) => this.onLateResponse(bind, job, status, messageId),
      onIncoming: (bind, message, respond) => this.onIncoming(bind, message, respond),
      onReady: () => this.pump(),
    };
    const shared = options.shared;
    const perBindTps = config.tps > 0 ? config.tps / config.binds : Infinity;
    const bind = (id: string, mode: 'trx' | 'tx' | 'rx', tps: number): SmppBind<SegmentJob> =>
      new SmppBind(id, mode, config, tps, handlers, this.logger, shared?.leaseFor?.(id));
    for (let i = 0; i < config.binds; i++) {
      if (config.bindMode === 'trx') {
        this.addBind(bind(`${config.id}/${i}`, 'trx', perBindTps));
      } else {
        this.addBind(bind(`${config.id}/${i}/tx`, 'tx', perBindTps));
        this.addBind(bind(`${config.id}/${i}/rx`, 'rx', Infinity));
      }
    }
    this.sharedTokens =
      shared?.tokens &&
      new SharedTokenStock(shared.tokens, {
        // a pacing window's worth per round trip: few round trips, never a burst beyond that window
        batch: Math.max(1, Math.floor(smoothCapacity(config.tps, config.pacingSmoothingMs))),
        maxAgeMs: Math.max(50, config.pacingSmoothingMs * SHARED_TOKEN_MAX_AGE_WINDOWS),
        onRefill: () => this.pump(),
      });
  }

  private addBind(bind: SmppBind<SegmentJob>): void {
    this.binds.push(bind);
    if (bind.canTransmit) this.transmitters.push(bind);
  }

  /** Connects every bind; resolves when each has had its first attempt (check status() for the outcome). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    const config = this.config;
    const housekeepingMs = Math.max(5, Math.min(1000, config.queueTimeoutMs / 4, config.receiptParkMs / 4));
    this.housekeepingTimer = setInterval(() => this.housekeeping(), housekeepingMs);
    this.housekeepingTimer.unref();
    await Promise.all(this.binds.map((bind) => bind.start()));
  }

  /** Fails what is still queued (transient), lets outstanding submits finish, unbinds every bind. */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    for (const job of this.queue.removeWhere(() => true)) {
      this.fail(job, 'transient', 'connector stopping; segment was not sent');
    }
    for (const [job, timer] of this.backingOff) {
      clearTimeout(timer);
      this.fail(job, 'transient', 'connector stopping; segment was not sent');
    }
    this.backingOff.clear();
    await Promise.all(this.binds.map((bind) => bind.stop()));
    clearInterval(this.housekeepingTimer);
    clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    this.sharedTokens?.stop();
    this.matcher.sweep(Infinity);
    this.started = false;
  }

  submit(push: OutboundPush): Promise<SegmentResult[]> {
    const segments = push.segments;
    if (segments.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const results = new Array<SegmentResult>(segments.length);
      let remaining = segments.length;
      const now = Date.now();
      const jobs: SegmentJob[] = [];
      segments.forEach((segment, position) => {
        const job: SegmentJob = {
          push,
          segment,
          fields: {},
          enqueuedAt: now,
          retries: 0,
          settled: false,
          settle: (result) => {
            if (job.settled) return;
            job.settled = true;
            if (result.ok) push.onAccepted?.(result);
            results[position] = result;
            if (--remaining === 0) resolve(results);
          },
        };
        jobs.push(job);
      });
      for (const job of jobs) {
        if (!this.started || this.stopping) {
          this.fail(job, 'transient', 'connector is not running; segment was not sent');
          continue;
        }
        try {
          job.fields = buildSubmitSm(this.template, this.config, push, job.segment);
        } catch (error) {
          if (!(error instanceof SubmitSmBuildError)) throw error;
          this.fail(job, 'local-bug', `${error.code}: ${error.message}`);
          continue;
        }
        this.queue.push(job);
      }
      if (this.queue.length > 0 && this.noBindCanEverTransmit())
        this.failQueued('every bind was refused for good');
      else if (this.queue.length > 0 && this.holdsNoLease())
        // another worker holds the account's binds: the job is better retried there than waiting here
        this.failQueued("this worker holds none of the SMSC account's bind leases (maxBinds)");
      this.pump();
    });
  }

  status(): BindStatus[] {
    return this.binds.map((bind) => bind.status());
  }

  statusQueries(): Array<{ smscId: string; afterMs: number }> {
    return this.config.querySm ? [{ smscId: this.id, afterMs: this.config.statusQueryAfterMs }] : [];
  }

  /**
   * query_sm on a bound transmitter, from the address the segments were sent from (the SMSC matches
   * message id and source address: SMPP 3.4 §4.8.1).
   */
  async queryStatus(query: StatusQuery): Promise<StatusAnswer> {
    const bind = this.transmitters.find((candidate) => candidate.isBound);
    if (!bind) return { outcome: 'no-answer', reason: 'no bound transmitter' };
    const response = await bind.query({
      message_id: query.rawMessageId,
      source_addr_ton: this.template.source_addr_ton,
      source_addr_npi: this.template.source_addr_npi,
      source_addr: this.template.source_addr,
    });
    if (!response)
      return { outcome: 'no-answer', reason: `no query_sm_resp within ${this.config.responseTimeoutMs} ms` };
    if (response.command_status === ESME_RQUERYFAIL) return { outcome: 'unknown-message' };
    if (response.command !== 'query_sm_resp' || response.command_status !== 0) {
      return {
        outcome: 'no-answer',
        reason: `query_sm refused: ${commandStatusName(response.command_status)}`,
      };
    }
    const state = stateFromMessageState(response.message_state ?? 7);
    const answer: StatusAnswer = { outcome: 'state', state, final: isFinalState(state) };
    if (response.error_code) answer.errorCode = response.error_code;
    if (response.final_date instanceof Date) answer.finalDate = response.final_date;
    return answer;
  }

  isAvailable(): boolean {
    return this.transmitters.some((bind) => bind.isBound);
  }

  segmentModeFor(_destination: string): SegmentMode {
    return this.config.segmentMode;
  }

  counters(): SmppConnectorCounters {
    let submitted = 0;
    for (const bind of this.transmitters) submitted += bind.submitted;
    return {
      submitted,
      accepted: this.accepted,
      failed: Object.fromEntries(this.failures),
      throttled: this.throttledCount,
      receipts: {
        ...this.matcher.counters(),
        unreadable: this.unreadableReceipts,
        notStored: this.notStored.receipts,
      },
      mo: this.moCount,
      moNotStored: this.notStored.mo,
      ackTimeouts: this.notAnsweredInTime,
    };
  }

  /** segments waiting for a bind or a token */
  get queued(): number {
    return this.queue.length;
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const binds = this.transmitters;
    const count = binds.length;
    const now = Date.now();
    let waitMs = Infinity;
    while (this.queue.length > 0) {
      // the account's token is taken only when a bind could send now, and given back when none takes it
      if (this.sharedTokens && !binds.some((bind) => bind.hasWindowSpace)) break;
      if (this.sharedTokens && !this.sharedTokens.tryTake(this.queue.length)) break;
      let chosen: SmppBind<SegmentJob> | undefined;
      for (let k = 0; k < count; k++) {
        const candidate = binds[(this.nextBind + k) % count];
        if (!candidate.hasWindowSpace) continue;
        const wait = candidate.takeToken(now);
        if (wait > 0) {
          waitMs = Math.min(waitMs, wait);
          continue;
        }
        chosen = candidate;
        this.nextBind = (this.nextBind + k + 1) % count;
        break;
      }
      if (!chosen) {
        this.sharedTokens?.giveBack();
        break;
      }
      const job = this.queue.shift() as SegmentJob;
      chosen.submit(job, job.fields, now);
    }
    if (this.queue.length > 0 && waitMs < Infinity) this.schedulePump(waitMs);
  }

  private schedulePump(delayMs: number): void {
    const dueAt = Date.now() + delayMs;
    if (this.pumpTimer && this.pumpDueAt <= dueAt) return;
    clearTimeout(this.pumpTimer);
    this.pumpDueAt = dueAt;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = undefined;
      this.pumpDueAt = Infinity;
      this.pump();
    }, Math.ceil(delayMs));
  }

  private onAnswer(bind: SmppBind<SegmentJob>, job: SegmentJob, answer: SubmitAnswer): void {
    switch (answer.kind) {
      case 'response':
        this.onResponse(bind, job, answer.status, answer.messageId, answer.sendNumber);
        return;
      case 'generic-nack':
        this.fail(job, 'local-bug', 'the SMSC answered generic_nack: it could not parse our submit_sm', {
          status: answer.status,
          bindId: bind.id,
        });
        return;
      case 'timeout':
        this.fail(job, 'unknown', `no submit_sm_resp within ${this.config.responseTimeoutMs} ms`, {
          bindId: bind.id,
        });
        return;
      case 'link-lost':
        this.fail(job, 'unknown', 'connection lost before submit_sm_resp', { bindId: bind.id });
        return;
      case 'not-sent':
        this.requeue(job);
        return;
    }
  }

  private onResponse(
    bind: SmppBind<SegmentJob>,
    job: SegmentJob,
    status: number,
    rawMessageId: string,
    sendNumber: number,
  ): void {
    const verdict = classifySubmitStatus(status, this.overrides);
    switch (verdict) {
      case 'ok': {
        this.accepted++;
        const messageId = this.expectReceipt(bind, job, rawMessageId);
        job.settle({
          index: job.segment.index,
          ok: true,
          messageId,
          rawMessageId,
          smscId: this.id,
          bindId: bind.id,
        });
        return;
      }
      case 'throttle':
        this.throttledCount++;
        bind.onCongestion(status === ESME_RMSGQFUL ? 'queue-full' : 'throttled', sendNumber, Date.now());
        if (job.retries++ < this.config.throttleRetryLimit) {
          this.requeueAfter(
            job,
            Math.min(THROTTLE_BACKOFF_MAX_MS, THROTTLE_BACKOFF_MS * 2 ** (job.retries - 1)),
          );
        } else {
          this.fail(job, 'transient', `still throttled after ${this.config.throttleRetryLimit} retries`, {
            status,
            bindId: bind.id,
          });
        }
        return;
      case 'rebind':
        bind.rebind(`submit refused with ${commandStatusName(status)}; rebinding`);
        if (job.retries++ < this.config.throttleRetryLimit) this.requeue(job);
        else
          this.fail(job, 'transient', 'the SMSC keeps saying we are not bound', { status, bindId: bind.id });
        return;
      case 'transient':
        this.fail(job, 'transient', `the SMSC could not take the segment now`, { status, bindId: bind.id });
        return;
      case 'permanent':
        this.fail(job, 'permanent', `the SMSC refused the segment`, { status, bindId: bind.id });
        return;
    }
  }

  private onLateResponse(
    bind: SmppBind<SegmentJob>,
    job: SegmentJob,
    status: number,
    rawMessageId: string,
  ): void {
    if (status !== 0) return;
    const messageId = this.expectReceipt(bind, job, rawMessageId);
    this.logger.info(
      { bind: bind.id, pushId: job.push.id, messageId },
      'late submit_sm_resp; receipts will still match',
    );
  }

  /** An accepted segment's message id, normalised and registered (when not empty) so that its receipt finds the segment. */
  private expectReceipt(bind: SmppBind<SegmentJob>, job: SegmentJob, rawMessageId: string): string {
    const messageId = normaliseMessageId(rawMessageId, this.config.msgIdResp);
    if (messageId) {
      const segment = {
        pushId: job.push.id,
        segmentIndex: job.segment.index,
        destination: job.push.destination,
        bindId: bind.id,
      };
      this.matcher.register(messageId, segment, Date.now());
    }
    return messageId;
  }

  private requeueAfter(job: SegmentJob, delayMs: number): void {
    const timer = setTimeout(() => {
      this.backingOff.delete(job);
      this.requeue(job);
    }, delayMs);
    this.backingOff.set(job, timer);
  }

  private requeue(job: SegmentJob): void {
    if (this.stopping) {
      this.fail(job, 'transient', 'connector stopping; segment was not sent');
      return;
    }
    this.queue.pushFront(job);
    this.pumpAgain = true;
    if (!this.pumping) queueMicrotask(() => this.pump());
  }

  private fail(
    job: SegmentJob,
    outcome: 'permanent' | 'transient' | 'unknown' | 'local-bug',
    message: string,
    detail: { status?: number; bindId?: string } = {},
  ): void {
    const result: SegmentResult = { index: job.segment.index, ok: false, outcome, message, smscId: this.id };
    if (detail.status !== undefined) {
      result.status = detail.status;
      result.statusName = commandStatusName(detail.status);
      result.message = `${message} (${result.statusName})`;
    }
    if (detail.bindId !== undefined) result.bindId = detail.bindId;
    const key = result.statusName ?? outcome;
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    job.settle(result);
  }

  /** A receipt or MO message: answered (respond) once stored, with an error when it could not be. */
  private onIncoming(
    bind: SmppBind<SegmentJob>,
    message: IncomingMessage,
    respond: (status: number) => void,
  ): void {
    if (isReceipt(message)) {
      const report = readReceipt(message, this.id, this.receiptBases, this.config.timeZone);
      if (!report) {
        this.unreadableReceipts++;
        this.logger.warn({ bind: bind.id }, 'receipt without a message id; answered and dropped');
        respond(ESME_ROK);
        return;
      }
      const withBind: DeliveryReport = { ...report, bindId: bind.id, receivedAt: new Date() };
      this.matcher.receive(withBind, Date.now(), this.answerWhenKnown(respond));
      return;
    }
    const answer = this.answerWhenKnown(respond);
    this.moCount++;
    this.emitHeld('mo', { ...readMo(message, this.id), bindId: bind.id }, (stored) => {
      if (!stored) this.notStored.mo++;
      answer(stored);
    });
  }

  /**
   * Emits a receipt or MO message with an Acknowledgement: `done` hears whether what the listeners
   * hold it for was stored (issue #15 item 1). Nobody holding it: stored at once.
   */
  private emitHeld<E extends 'receipt' | 'mo'>(
    event: E,
    payload: SmscConnectorEvents[E][0],
    done: (stored: boolean) => void,
  ): void {
    const held: Promise<unknown>[] = [];
    const ack: Acknowledgement = { waitFor: (stored) => void held.push(stored) };
    (this.emit as (event: E, payload: SmscConnectorEvents[E][0], ack: Acknowledgement) => boolean)(
      event,
      payload,
      ack,
    );
    if (held.length === 0) return done(true);
    Promise.all(held).then(
      () => done(true),
      (error: unknown) => {
        this.logger.warn(
          { event, err: (error as Error).message },
          `${event} not stored; answered with an error`,
        );
        done(false);
      },
    );
  }

  /**
   * The answer to one deliver_sm once its content's fate is known: ESME_ROK when stored, ESME_RSYSERR when
   * not, or when it is not known within ackTimeoutMs. Only the answer has that deadline: a write still
   * under way goes on, and the SMSC's resend is answered with its outcome (the matcher holds the copy), so
   * a slow store is never made slower by writing receipts twice.
   */
  private answerWhenKnown(respond: (status: number) => void): (stored: boolean) => void {
    const timer = setTimeout(() => {
      this.notAnsweredInTime++;
      respond(ESME_RSYSERR);
    }, this.config.ackTimeoutMs);
    timer.unref();
    return (stored) => {
      clearTimeout(timer);
      respond(stored ? ESME_ROK : ESME_RSYSERR);
    };
  }

  private onBindState(bind: SmppBind<SegmentJob>): void {
    this.emit('bind-state', bind.status());
    if (bind.isBound) this.pump();
    else if (this.queue.length > 0 && this.noBindCanEverTransmit())
      this.failQueued('every bind was refused for good');
  }

  private noBindCanEverTransmit(): boolean {
    return this.transmitters.every((bind) => bind.state === 'failed');
  }

  private holdsNoLease(): boolean {
    return this.transmitters.every((bind) => bind.state === 'standby');
  }

  private failQueued(reason: string): void {
    for (const job of this.queue.removeWhere(() => true))
      this.fail(job, 'transient', `${reason}; segment was not sent`);
  }

  private housekeeping(): void {
    const now = Date.now();
    this.matcher.sweep(now);
    const timeoutMs = this.config.queueTimeoutMs;
    if (this.queue.length > 0) {
      const stale = this.queue.removeWhere((job) => now - job.enqueuedAt >= timeoutMs);
      for (const job of stale) {
        const reason = this.isAvailable() ? 'waited too long for a send slot' : 'no bound bind';
        this.fail(job, 'transient', `${reason} (${timeoutMs} ms); segment was not sent`);
      }
    }
  }
}
