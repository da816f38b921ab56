import { commandStatusName } from '../connectors/smpp/command-status.ts';

export interface SimCounters {
  binds: {
    current: number;
    total: number;
    rejected: number;
    byMode: { transmitter: number; receiver: number; transceiver: number };
  };
  submits: {
    received: number;
    accepted: number;
    rejected: number;
    /** accepted but, by behaviour, never answered */
    unanswered: number;
  };
  receipts: {
    sent: number;
    duplicates: number;
    /** waiting for a receiver-capable bind of their system_id */
    parked: number;
    /** suppressed by lostReceiptPercent */
    lost: number;
    /** sent again: the bind closed before deliver_sm_resp, it was refused, or not answered in time */
    redelivered: number;
    /** deliver_sm_resp with an error status (the ESME could not take it now) */
    refused: number;
  };
  mo: { sent: number };
  /** query_sm answered (known message or ESME_RQUERYFAIL) */
  queries: number;
  /** deliver_sm_resp received (receipts and MO) */
  deliverSmResps: number;
  genericNacks: number;
  enquireLinks: { received: number; answered: number };
  connectionsDropped: number;
  /** error answers by SMPP status name (`ESME_RTHROTTLED: 12`) */
  errors: Record<string, number>;
  throughput: {
    /** over the last second */
    submitsPerSecond: number;
    receiptsPerSecond: number;
    peakSubmitsPerSecond: number;
  };
}

const SAMPLE_INTERVAL_MS = 250;
const SAMPLES_PER_SECOND = 1000 / SAMPLE_INTERVAL_MS;

/**
 * Plain number fields bumped on the hot path; rates come from a sampling timer rather than a clock read
 * per PDU.
 */
export class CounterBoard {
  bindsCurrent = 0;
  bindsTotal = 0;
  bindsRejected = 0;
  bindsTransmitter = 0;
  bindsReceiver = 0;
  bindsTransceiver = 0;
  submitsReceived = 0;
  submitsAccepted = 0;
  submitsRejected = 0;
  submitsUnanswered = 0;
  receiptsSent = 0;
  receiptsDuplicated = 0;
  receiptsLost = 0;
  receiptsRedelivered = 0;
  receiptsRefused = 0;
  queriesAnswered = 0;
  moSent = 0;
  deliverSmResps = 0;
  genericNacks = 0;
  enquireLinksReceived = 0;
  enquireLinksAnswered = 0;
  connectionsDropped = 0;
  private readonly errorsByStatus = new Map<number, number>();

  /** counter values at each sampling tick, the oldest one second back; starts from zero */
  private readonly submitSamples: number[] = [0];
  private readonly receiptSamples: number[] = [0];
  private submitsPerSecond = 0;
  private receiptsPerSecond = 0;
  private peakSubmitsPerSecond = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  error(status: number): void {
    this.errorsByStatus.set(status, (this.errorsByStatus.get(status) ?? 0) + 1);
  }

  private sample(): void {
    this.submitSamples.push(this.submitsReceived);
    this.receiptSamples.push(this.receiptsSent);
    if (this.submitSamples.length > SAMPLES_PER_SECOND + 1) {
      this.submitSamples.shift();
      this.receiptSamples.shift();
    }
    const span = this.submitSamples.length - 1;
    if (span === 0) return;
    const perSecond = (samples: number[]) => ((samples[span] - samples[0]) * SAMPLES_PER_SECOND) / span;
    this.submitsPerSecond = perSecond(this.submitSamples);
    this.receiptsPerSecond = perSecond(this.receiptSamples);
    if (span === SAMPLES_PER_SECOND) {
      this.peakSubmitsPerSecond = Math.max(this.peakSubmitsPerSecond, this.submitsPerSecond);
    }
  }

  snapshot(parkedReceipts: number): SimCounters {
    const errors: Record<string, number> = {};
    for (const [status, count] of this.errorsByStatus) errors[commandStatusName(status)] = count;
    return {
      binds: {
        current: this.bindsCurrent,
        total: this.bindsTotal,
        rejected: this.bindsRejected,
        byMode: {
          transmitter: this.bindsTransmitter,
          receiver: this.bindsReceiver,
          transceiver: this.bindsTransceiver,
        },
      },
      submits: {
        received: this.submitsReceived,
        accepted: this.submitsAccepted,
        rejected: this.submitsRejected,
        unanswered: this.submitsUnanswered,
      },
      receipts: {
        sent: this.receiptsSent,
        duplicates: this.receiptsDuplicated,
        parked: parkedReceipts,
        lost: this.receiptsLost,
        redelivered: this.receiptsRedelivered,
        refused: this.receiptsRefused,
      },
      mo: { sent: this.moSent },
      queries: this.queriesAnswered,
      deliverSmResps: this.deliverSmResps,
      genericNacks: this.genericNacks,
      enquireLinks: { received: this.enquireLinksReceived, answered: this.enquireLinksAnswered },
      connectionsDropped: this.connectionsDropped,
      errors,
      throughput: {
        submitsPerSecond: Math.round(this.submitsPerSecond),
        receiptsPerSecond: Math.round(this.receiptsPerSecond),
        peakSubmitsPerSecond: Math.round(this.peakSubmitsPerSecond),
      },
    };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
