/**
 * One SMPP bind: a TCP (or TLS) connection bound as transceiver, transmitter or receiver.
 * It owns the connection's life (connect, bind, enquire_link keep-alive and dead-link detection,
 * reconnect with exponential backoff and jitter, graceful unbind), the window of outstanding submit_sm
 * with their response timeouts, and the pacing of its submits (smooth token bucket + AIMD). Where the SMSC
 * account limits its binds over every worker (maxBinds), it opens only while it holds one of the account's
 * leases (connectors/account-limits/limits.ts BindLease) and closes when the lease is lost.
 * What a submit's answer means for the segment is decided by the connector (smpp-connector.ts).
 */
import smpp from 'smpp';
import type { PDU, PduFields } from 'smpp';
import type { Logger } from 'pino';
import type { SmscConfig } from '../config.ts';
import type { BindMode, BindState, BindStatus } from '../types.ts';
import { classifyBindStatus, commandStatusName, ESME_RINVCMDID } from './command-status.ts';
import { readDataSm, readDeliverSm, type IncomingMessage } from './deliver-sm.ts';
import { AimdRateController, DEFAULT_AIMD, reconnectDelayMs, SendRateMeter } from './rate-controller.ts';
import { INTERFACE_VERSION_34 } from './protocol.ts';
import { RawSession, rawPdu, sessionOptionsOf } from './raw-session.ts';
import { smoothCapacity, TokenBucket } from './token-bucket.ts';
import type { BindLease } from '../account-limits/limits.ts';

/** What became of a submit_sm; the connector turns it into a segment result or a retry. */
export type SubmitAnswer =
  /** `sendNumber` says which submit it was, so congestion is counted once per window (see onCongestion) */
  | { kind: 'response'; status: number; messageId: string; sendNumber: number }
  | { kind: 'generic-nack'; status: number }
  | { kind: 'timeout' }
  | { kind: 'link-lost' }
  /** the socket was not writable: the PDU never left */
  | { kind: 'not-sent' };

export interface BindHandlers<Job> {
  onState(bind: SmppBind<Job>): void;
  onAnswer(bind: SmppBind<Job>, job: Job, answer: SubmitAnswer): void;
  /** a submit that had already timed out got its response after all */
  onLateResponse(bind: SmppBind<Job>, job: Job, status: number, messageId: string): void;
  /**
   * A deliver_sm / data_sm read; `respond` sends its response (once) with this command_status: the
   * connector answers when what it carries is stored (issue #15 item 1).
   */
  onIncoming(bind: SmppBind<Job>, message: IncomingMessage, respond: (status: number) => void): void;
  /** a window slot or a token may be free now */
  onReady(bind: SmppBind<Job>): void;
}

interface Outstanding<Job> {
  job: Job;
  sentAt: number;
  /** running count of submits on this bind */
  sendNumber: number;
}

/** How many timed-out submits to remember for late responses (per connection). */
const LATE_RESPONSE_MEMORY = 10_000;

const BIND_COMMANDS = {
  trx: 'bind_transceiver',
  tx: 'bind_transmitter',
  rx: 'bind_receiver',
} as const;

export class SmppBind<Job> {
  state: BindState = 'idle';
  lastError: string | undefined;
  boundSince: Date | undefined;
  reconnects = 0;
  submitted = 0;
  throttled = 0;

  private session: RawSession | undefined;
  private readonly outstanding = new Map<number, Outstanding<Job>>();
  private readonly timedOut = new Map<number, Job>();
  private reconnectAttempt = 0;
  private stopping = false;
  private writable = false;
  private sendCount = 0;
  private corked = false;
  /** window in use: the configured one, halved on ESME_RMSGQFUL and grown back by one per round trip */
  private effectiveWindow: number;
  /** sendCount when the window or the rate was last cut: answers to older submits are old news */
  private windowCutAtSend = 0;
  private rateCutAtSend = 0;
  /** set while a submit_sm_resp is handled, once its answer went into the rate controller's share */
  private answerRecorded = false;
  private lastReceivedAt = 0;
  private enquireLinkSentAt: number | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private phaseTimer: NodeJS.Timeout | undefined;
  private readonly bucket: TokenBucket;
  private readonly aimd: AimdRateController;
  private readonly meter = new SendRateMeter();
  /** submit_sm round trip, smoothed as RFC 6298 smooths TCP's (gain 1/8) */
  private smoothedRttMs: number | undefined;
  private lastRttMs = 0;
  private firstAttemptDone: Promise<void>;
  private resolveFirstAttempt: () => void = () => {};
  private closed: Promise<void> = Promise.resolve();

  constructor(
    readonly id: string,
    readonly mode: BindMode,
    private readonly config: SmscConfig,
    /** this bind's share of the SMSC's configured throughput (Infinity = none configured) */
    maxTps: number,
    private readonly handlers: BindHandlers<Job>,
    private readonly logger: Logger,
    /** the account's permission to hold this bind open (maxBinds over every worker); absent: always */
    private readonly lease?: BindLease,
  ) {
    const now = Date.now();
    this.aimd = new AimdRateController(
      {
        maxRate: maxTps,
        minRate: config.minTps,
        decreaseFactor: config.aimdDecreaseFactor,
        ceilingFactor: config.aimdCeilingFactor,
        recoveryMs: config.aimdRecoveryMs,
        probeFractionPerSecond: config.aimdProbePercentPerSecond / 100,
        holdMs: config.aimdHoldMs,
        floorFractionOfMax: DEFAULT_AIMD.floorFractionOfMax,
        rateLimitShare: DEFAULT_AIMD.rateLimitShare,
      },
      now,
    );
    this.bucket = new TokenBucket(maxTps, smoothCapacity(maxTps, config.pacingSmoothingMs), now);
    this.firstAttemptDone = new Promise((resolve) => (this.resolveFirstAttempt = resolve));
    this.effectiveWindow = config.window;
    lease?.onLost((reason) => {
      this.lastError = reason;
      this.session?.destroy();
    });
  }

  get canTransmit(): boolean {
    return this.mode !== 'rx';
  }

  get isBound(): boolean {
    return this.state === 'bound';
  }

  /** bound, can transmit, and has a free window slot */
  get hasWindowSpace(): boolean {
    return (
      this.state === 'bound' && this.writable && this.mode !== 'rx' && this.outstanding.size < this.windowSize
    );
  }

  private get windowSize(): number {
    return Math.max(1, Math.floor(this.effectiveWindow));
  }

  get windowUsed(): number {
    return this.outstanding.size;
  }

  status(): BindStatus {
    const status: BindStatus = {
      smscId: this.config.id,
      bindId: this.id,
      mode: this.mode,
      state: this.state,
      reconnects: this.reconnects,
      windowUsed: this.outstanding.size,
      windowSize: this.canTransmit ? this.windowSize : 0,
      currentTps: this.canTransmit ? this.aimd.currentRate(Date.now()) : 0,
      sentPerSecond: Math.round(this.meter.rate(Date.now())),
      submitted: this.submitted,
      throttled: this.throttled,
    };
    if (this.lastError !== undefined) status.lastError = this.lastError;
    if (this.boundSince) status.boundSince = this.boundSince;
    if (this.smoothedRttMs !== undefined) {
      status.rttMs = {
        smoothed: Math.round(this.smoothedRttMs * 10) / 10,
        last: Math.round(this.lastRttMs * 10) / 10,
      };
    }
    return status;
  }

  /** Starts connecting; resolves once the first attempt has an outcome (bound, refused, or failed). */
  start(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'stopped') return this.firstAttemptDone;
    this.stopping = false;
    if (this.state === 'stopped') {
      this.firstAttemptDone = new Promise((resolve) => (this.resolveFirstAttempt = resolve));
      this.reconnectAttempt = 0;
    }
    this.openWhenLeased();
    return this.firstAttemptDone;
  }

  /** Connects now, or once this bind holds one of the account's leases (standby until then). */
  private openWhenLeased(): void {
    const lease = this.lease;
    if (!lease || lease.held) {
      this.connect();
      return;
    }
    this.setState('standby');
    void lease
      .acquire()
      .catch(() => false)
      .then((held) => {
        if (this.stopping) {
          if (held) void lease.release();
          return;
        }
        if (held) {
          this.connect();
          return;
        }
        this.lastError = 'waiting for a bind lease: the account allows no more binds now';
        this.resolveFirstAttempt();
        this.reconnectTimer = setTimeout(() => {
          this.reconnectTimer = undefined;
          if (!this.stopping) this.openWhenLeased();
        }, lease.retryMs);
      });
  }

  /**
   * Milliseconds until this bind may send (0 = now). Takes the token when it returns 0, so call it only
   * when about to submit.
   */
  takeToken(now: number): number {
    const rate = this.aimd.currentRate(now);
    if (rate !== this.bucket.rate) {
      this.bucket.setRate(rate, smoothCapacity(rate, this.config.pacingSmoothingMs), now);
    }
    if (this.bucket.tryTake(now)) return 0;
    return Math.max(1, this.bucket.msUntilAvailable(now));
  }

  /** Sends one submit_sm. The answer comes through handlers.onAnswer (possibly synchronously for not-sent). */
  submit(job: Job, fields: PduFields, now: number): void {
    const session = this.session;
    if (!session || this.state !== 'bound') {
      this.handlers.onAnswer(this, job, { kind: 'not-sent' });
      return;
    }
    const pdu = new smpp.PDU('submit_sm', fields);
    this.corkUntilNextTick(session);
    const sent = session.send(pdu, (response) => this.onSubmitResponse(response));
    if (!sent) {
      // the socket is closing; 'close' will follow and reconnect. Until then this bind takes nothing.
      this.writable = false;
      this.lastError = 'socket not writable';
      session.destroy();
      this.handlers.onAnswer(this, job, { kind: 'not-sent' });
      return;
    }
    this.outstanding.set(pdu.sequence_number, { job, sentAt: now, sendNumber: ++this.sendCount });
    this.meter.record(now);
    this.submitted++;
  }

  /**
   * Congestion answered to submit number `sendNumber`. ESME_RTHROTTLED cuts the rate (AIMD), ESME_RMSGQFUL
   * halves the window (the SMSC holds fewer unanswered submits than we may send). Only answers to submits
   * sent after the last cut count, so a window full of rejections is one congestion event.
   */
  onCongestion(kind: 'throttled' | 'queue-full', sendNumber: number, now: number): void {
    this.throttled++;
    if (kind === 'throttled') {
      this.aimd.recordAnswer(true);
      this.answerRecorded = true;
    }
    if (kind === 'queue-full') {
      if (sendNumber <= this.windowCutAtSend) return;
      this.windowCutAtSend = this.sendCount;
      this.effectiveWindow = Math.max(1, this.windowSize / 2);
      this.logger.warn({ bind: this.id, window: this.windowSize }, 'SMSC queue full: smaller window');
      return;
    }
    if (sendNumber <= this.rateCutAtSend) return;
    if (this.aimd.onThrottle(now, this.meter.rate(now))) {
      this.rateCutAtSend = this.sendCount;
      const rate = this.aimd.currentRate(now);
      this.bucket.setRate(rate, smoothCapacity(rate, this.config.pacingSmoothingMs), now);
      this.logger.warn({ bind: this.id, tps: Math.round(rate) }, 'SMSC throttling: slowing down');
    }
  }

  /**
   * Sends a query_sm and resolves with its response, or undefined when the bind cannot send it now or
   * no answer came within responseTimeoutMs (SMPP 3.4 §4.8).
   */
  query(fields: PduFields): Promise<PDU | undefined> {
    const session = this.session;
    if (!session || this.state !== 'bound' || !this.canTransmit) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const pdu = new smpp.PDU('query_sm', fields);
      const timer = setTimeout(() => {
        delete session._callbacks[pdu.sequence_number];
        resolve(undefined);
      }, this.config.responseTimeoutMs);
      const sent = session.send(pdu, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
      if (!sent) {
        clearTimeout(timer);
        resolve(undefined);
      }
    });
  }

  /** ESME_RINVBNDSTS: the SMSC does not consider us bound; drop the connection and bind again. */
  rebind(reason: string): void {
    if (this.state !== 'bound') return;
    this.lastError = reason;
    this.session?.destroy();
  }

  /**
   * Graceful stop: waits (up to drainTimeoutMs) for outstanding submits, unbinds (up to
   * unbindTimeoutMs), closes. Submits still outstanding then are reported as link-lost.
   */
  async stop(): Promise<void> {
    await this.closeForStop();
    // given back at once, so a bind of another worker need not wait for the lease to expire
    await this.lease?.release();
  }

  private async closeForStop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const session = this.session;
    if (!session) {
      this.setState('stopped');
      this.resolveFirstAttempt();
      return;
    }
    if (this.state !== 'bound') {
      session.destroy();
      await this.closed;
      this.setState('stopped');
      return;
    }
    await this.waitForDrain(this.config.drainTimeoutMs);
    if (this.state === 'bound') {
      this.setState('unbinding');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.unbindTimeoutMs);
        const sent = session.unbind(() => {
          clearTimeout(timer);
          resolve();
        });
        if (!sent) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    if (this.session === session) {
      session.close();
      const forced = setTimeout(() => session.destroy(), this.config.unbindTimeoutMs);
      await this.closed;
      clearTimeout(forced);
    }
    this.setState('stopped');
  }

  /**
   * node-smpp writes every PDU with its own socket write; corking until the end of the tick sends a
   * window's worth of submit_sm (or of deliver_sm_resp) in one write, which is most of the CPU saved.
   */
  private corkUntilNextTick(session: RawSession): void {
    if (this.corked) return;
    this.corked = true;
    session.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      session.socket.uncork();
    });
  }

  private waitForDrain(timeoutMs: number): Promise<void> {
    if (this.outstanding.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const check = setInterval(() => {
        if (this.outstanding.size === 0 || Date.now() >= deadline || this.state !== 'bound') {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
  }

  private setState(state: BindState): void {
    if (this.state === state) return;
    this.state = state;
    this.handlers.onState(this);
  }

  private connect(): void {
    this.setState('connecting');
    const config = this.config;
    const session = new RawSession(sessionOptionsOf(config));
    this.session = session;
    let resolveClosed: () => void = () => {};
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    session.socket.setNoDelay(true);

    this.phaseTimer = setTimeout(() => {
      this.lastError = `connect timeout after ${config.connectTimeoutMs} ms`;
      session.destroy();
    }, config.connectTimeoutMs);

    session.on(config.tls ? 'secureConnect' : 'connect', () => this.sendBind(session));
    session.on('error', (error: Error) => {
      this.lastError = error.message;
      this.logger.debug({ bind: this.id, err: error.message }, 'SMPP connection error');
    });
    session.on('close', () => {
      resolveClosed();
      this.onClose(session);
    });
    session.on('pdu', (pdu: PDU) => this.onPdu(session, pdu));
  }

  private sendBind(session: RawSession): void {
    clearTimeout(this.phaseTimer);
    this.setState('binding');
    const config = this.config;
    this.phaseTimer = setTimeout(() => {
      this.lastError = `bind timeout after ${config.bindTimeoutMs} ms`;
      session.destroy();
    }, config.bindTimeoutMs);
    const command = BIND_COMMANDS[this.mode];
    session.send(
      new smpp.PDU(command, {
        system_id: config.systemId,
        password: config.password,
        system_type: config.systemType,
        interface_version: INTERFACE_VERSION_34, // node-smpp defaults to 0x50, SMPP 5.0
        addr_ton: config.bindTon,
        addr_npi: config.bindNpi,
        address_range: config.addressRange,
      }),
      (response) => this.onBindResponse(session, response),
    );
  }

  private onBindResponse(session: RawSession, response: PDU): void {
    clearTimeout(this.phaseTimer);
    if (this.session !== session) return;
    const status = response.command_status;
    const verdict = response.command === 'generic_nack' ? 'retry' : classifyBindStatus(status);
    if (verdict === 'bound') {
      this.reconnectAttempt = 0;
      this.lastError = undefined;
      this.boundSince = new Date();
      this.lastReceivedAt = Date.now();
      this.enquireLinkSentAt = undefined;
      this.writable = true;
      this.startTicking(session);
      this.setState('bound');
      this.resolveFirstAttempt();
      this.handlers.onReady(this);
      return;
    }
    this.lastError = `bind refused: ${commandStatusName(status)}`;
    if (verdict === 'fatal') {
      this.logger.error(
        { bind: this.id, status: commandStatusName(status) },
        'SMSC refused the credentials; not retrying',
      );
      this.setState('failed');
      this.stopping = true;
    } else {
      this.logger.warn({ bind: this.id, status: commandStatusName(status) }, 'bind refused; will retry');
    }
    session.destroy();
  }

  private startTicking(session: RawSession): void {
    const config = this.config;
    const tickMs = Math.max(
      5,
      Math.min(
        1000,
        config.enquireLinkIntervalMs / 2,
        config.enquireLinkTimeoutMs / 2,
        config.responseTimeoutMs / 4,
      ),
    );
    clearInterval(this.tickTimer);
    this.tickTimer = setInterval(() => this.tick(session), tickMs);
  }

  /** Response timeouts, keep-alive and dead-link detection. */
  private tick(session: RawSession): void {
    if (this.session !== session || this.state !== 'bound') return;
    const now = Date.now();
    const config = this.config;
    for (const [sequence, entry] of this.outstanding) {
      if (now - entry.sentAt < config.responseTimeoutMs) break; // Map order = send order
      this.outstanding.delete(sequence);
      this.rememberTimedOut(session, sequence, entry.job);
      this.handlers.onAnswer(this, entry.job, { kind: 'timeout' });
    }
    if (this.enquireLinkSentAt !== undefined) {
      if (now - this.enquireLinkSentAt >= config.enquireLinkTimeoutMs) {
        this.lastError = `enquire_link unanswered for ${config.enquireLinkTimeoutMs} ms: dead link`;
        this.logger.warn({ bind: this.id }, 'dead link detected; reconnecting');
        session.destroy();
        return;
      }
    } else if (now - this.lastReceivedAt >= config.enquireLinkIntervalMs) {
      this.enquireLinkSentAt = now;
      session.enquire_link(() => {
        this.enquireLinkSentAt = undefined;
      });
    }
    if (this.outstanding.size < this.windowSize) this.handlers.onReady(this);
  }

  /** A late response still registers the message id for receipts (the segment was reported unknown). */
  private rememberTimedOut(session: RawSession, sequence: number, job: Job): void {
    this.timedOut.set(sequence, job);
    session._callbacks[sequence] = (response) => this.onLateResponse(sequence, response);
    if (this.timedOut.size > LATE_RESPONSE_MEMORY) {
      const oldest = this.timedOut.keys().next().value as number;
      this.timedOut.delete(oldest);
      delete session._callbacks[oldest];
    }
  }

  private onLateResponse(sequence: number, response: PDU): void {
    const job = this.timedOut.get(sequence);
    if (job === undefined) return;
    this.timedOut.delete(sequence);
    if (response.command === 'submit_sm_resp') {
      this.handlers.onLateResponse(this, job, response.command_status, response.message_id ?? '');
    }
  }

  private onSubmitResponse(response: PDU): void {
    const sequence = response.sequence_number;
    const entry = this.outstanding.get(sequence);
    if (!entry) return;
    this.outstanding.delete(sequence);
    this.lastRttMs = Math.max(0, Date.now() - entry.sentAt);
    this.smoothedRttMs =
      this.smoothedRttMs === undefined
        ? this.lastRttMs
        : this.smoothedRttMs + (this.lastRttMs - this.smoothedRttMs) / 8;
    if (response.command === 'generic_nack') {
      this.handlers.onAnswer(this, entry.job, { kind: 'generic-nack', status: response.command_status });
    } else {
      // additive increase of a cut window: one slot per window's worth of accepted submits
      if (response.command_status === 0 && this.effectiveWindow < this.config.window) {
        this.effectiveWindow = Math.min(this.config.window, this.effectiveWindow + 1 / this.windowSize);
      }
      this.answerRecorded = false;
      this.handlers.onAnswer(this, entry.job, {
        kind: 'response',
        status: response.command_status,
        messageId: response.message_id ?? '',
        sendNumber: entry.sendNumber,
      });
      // an answer the connector did not report as a throttle (onCongestion) counts as one that was not
      if (!this.answerRecorded) this.aimd.recordAnswer(false);
    }
    this.handlers.onReady(this);
  }

  private onPdu(session: RawSession, pdu: PDU): void {
    this.lastReceivedAt = Date.now();
    switch (pdu.command) {
      case 'deliver_sm':
      case 'data_sm': {
        // always answered, whatever happens to the content (docs/protocol.md §6.6), but only once what it
        // carries is stored: an SMSC resends what was not answered
        const respond = this.responder(session, pdu);
        const raw = rawPdu(pdu);
        if (!raw) return respond(0);
        let message: IncomingMessage;
        try {
          message = pdu.command === 'deliver_sm' ? readDeliverSm(raw) : readDataSm(raw);
        } catch (error) {
          this.logger.warn({ bind: this.id, err: (error as Error).message }, `unreadable ${pdu.command}`);
          return respond(0);
        }
        this.handlers.onIncoming(this, message, respond);
        return;
      }
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        this.lastError = 'unbound by the SMSC';
        session.send(pdu.response(), () => session.close());
        return;
      case 'unknown':
        session.send(
          new smpp.PDU('generic_nack', {
            sequence_number: pdu.sequence_number,
            command_status: ESME_RINVCMDID,
          }),
        );
        return;
      default:
        if (!pdu.isResponse() && pdu.command !== 'alert_notification' && pdu.command !== 'outbind') {
          // a request we do not serve (SMPP 3.4 §5.1.3: ESME_RINVCMDID)
          session.send(pdu.response({ command_status: ESME_RINVCMDID }));
        }
    }
  }

  /** Sends the response to a deliver_sm / data_sm once, on the link it came on (gone: the SMSC resends). */
  private responder(session: RawSession, pdu: PDU): (status: number) => void {
    let answered = false;
    return (status) => {
      if (answered) return;
      answered = true;
      if (this.session !== session || session.socket.destroyed) return;
      this.corkUntilNextTick(session);
      session.send(pdu.response({ message_id: '', command_status: status }));
    };
  }

  private onClose(session: RawSession): void {
    if (this.session !== session) return;
    this.session = undefined;
    this.writable = false;
    clearTimeout(this.phaseTimer);
    clearInterval(this.tickTimer);
    this.tickTimer = undefined;
    this.boundSince = undefined;
    this.enquireLinkSentAt = undefined;
    this.timedOut.clear();
    const lost = [...this.outstanding.values()];
    this.outstanding.clear();
    if (this.state === 'bound' || this.state === 'unbinding') {
      if (!this.stopping && this.lastError === undefined) this.lastError = 'connection lost';
    }
    for (const entry of lost) this.handlers.onAnswer(this, entry.job, { kind: 'link-lost' });
    if (this.state === 'failed') {
      void this.lease?.release();
      this.resolveFirstAttempt();
      return;
    }
    if (this.stopping) {
      this.setState('stopped');
      this.resolveFirstAttempt();
      return;
    }
    this.scheduleReconnect();
    this.resolveFirstAttempt();
  }

  private scheduleReconnect(): void {
    const delay = reconnectDelayMs(
      this.reconnectAttempt++,
      this.config.reconnectMinMs,
      this.config.reconnectMaxMs,
    );
    this.setState('reconnect-wait');
    this.logger.info({ bind: this.id, delayMs: Math.round(delay), reason: this.lastError }, 'reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopping) return;
      this.reconnects++;
      this.openWhenLeased();
    }, delay);
  }
}
