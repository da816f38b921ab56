/**
 * Campaigns (issue 12): find every affected subscriber and push to each one, paced, pausable and
 * restart-safe. What a campaign is, as the HTTP API, the CLI and the feeder see it.
 */
import type { PushContent } from '../provisioning/types.ts';

export const CAMPAIGN_STATES = [
  'draft',
  'running',
  'paused',
  'breaker-paused',
  'completed',
  'cancelled',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** Who is targeted. Every field given narrows the selection (they combine with AND). */
export interface CampaignSelector {
  /** a profile by id or name; with `versions`, or alone meaning "affected by the version pushed" */
  profile?: string;
  /**
   * the subscriber's last delivered version of `profile`: below N, or one of a list. Below N ("affected by
   * version N") also takes the subscribers the selection rules would now give `profile` and who never had
   * it delivered (a rule that moves a model to this profile brings its subscribers in).
   */
  versions?: { below: number } | number[];
  /** model names ("6230i" or "Nokia 6230i"), case-insensitive */
  models?: string[];
  manufacturers?: string[];
  groups?: string[];
  msisdnPrefix?: string;
  /** a list of numbers, or the text of a CSV whose first column holds them */
  msisdns?: string[] | string;
  /** ISO time: the subscriber's last delivered push finished before it */
  lastDeliveredBefore?: string;
  /** true: subscribers never delivered any push */
  never?: boolean;
}

/** A profile's version (settings), or an SI/SL push (software download) to every target. */
export type CampaignContent = { kind: 'profile'; profile: string; version?: number } | PushContent;

/** SMS per second (`tps`), or a share of the SMSCs' configured throughput. */
export type CampaignPacing = { tps: number } | { shareOfSmsc: number };

/** Campaign hours, local time in each group's time zone ('HH:MM'; end before start crosses midnight). */
export interface CampaignWindow {
  start: string;
  end: string;
}

export interface CampaignBreaker {
  /** failed share of the last `window` finished pushes that pauses the campaign (0..1) */
  threshold: number;
  window: number;
}

export interface CampaignDocument {
  name: string;
  selector: CampaignSelector;
  content: CampaignContent;
  pacing?: CampaignPacing;
  window?: CampaignWindow;
  breaker?: Partial<CampaignBreaker>;
}

/** How many subscribers a selection has per device model and group. */
export interface CountEntry {
  key: string;
  count: number;
}

export interface CampaignPreview {
  subscribers: number;
  /** subscribers a push would go to (the supported ones) */
  pushes: number;
  /** SMS those pushes take, rendered per (model, version) as the worker renders them */
  segments: number;
  unsupported: { count: number; reasons: Record<string, number> };
  byModel: CountEntry[];
  byGroup: CountEntry[];
  sample: string[];
  /** at the pacing and windows given, from now */
  estimatedSeconds: number;
  /** SMS per second the pacing comes to */
  smsPerSecond: number;
}

export interface CampaignCounts {
  /** targets materialised at start (before: the preview's subscribers) */
  selected: number;
  /** a provisioning exists and has not gone out yet (queued, asking first, submitting) */
  queued: number;
  /** accepted by the SMSC, waiting for receipts */
  submitted: number;
  delivered: number;
  /** delivered and confirmed by a device report (a subset of delivered) */
  applied: number;
  failed: number;
  skipped: number;
  /** targets not yet handed to the provisioning service */
  remaining: number;
  failedByReason: Record<string, number>;
  skippedByReason: Record<string, number>;
}

export interface Campaign {
  id: string;
  name: string;
  state: CampaignState;
  selector: CampaignSelector;
  content: CampaignContent;
  pacing: CampaignPacing;
  window: CampaignWindow | null;
  breaker: CampaignBreaker;
  preview: CampaignPreview;
  /** why it is in its state (a breaker's figures, a pause's reason) */
  stateReason: Record<string, unknown> | null;
  /** SMS per second */
  ratePerSecond: number;
  targetCount: number | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface CampaignStatus extends Campaign {
  counts: CampaignCounts;
  /** measured over the last few seconds */
  rate: { pushesPerSecond: number; smsPerSecond: number };
  /** ISO time; null when nothing is left or nothing moves */
  estimatedCompletion: string | null;
}

export type CampaignErrorCode = 'CAMPAIGN_NOT_FOUND' | 'CAMPAIGN_STATE_CONFLICT' | 'CAMPAIGN_INVALID';

const STATUS_OF: Record<CampaignErrorCode, number> = {
  CAMPAIGN_NOT_FOUND: 404,
  CAMPAIGN_STATE_CONFLICT: 409,
  CAMPAIGN_INVALID: 422,
};

/** `status` says which HTTP answer it is (the error handler maps a domain error's 4xx status and code). */
export class CampaignError extends Error {
  override readonly name = 'CampaignError';
  readonly status: number;
  constructor(
    readonly code: CampaignErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = STATUS_OF[code];
  }
}

export const DEFAULT_BREAKER: CampaignBreaker = Object.freeze({ threshold: 0.2, window: 200 });
export const DEFAULT_PACING: CampaignPacing = Object.freeze({ tps: 10 });
