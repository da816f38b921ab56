/**
 * The provisioning service as the rest of the gateway (HTTP routes, MO keywords, campaigns) sees it.
 * States and their order: DESIGN "States of a provisioning".
 */
import type { SecurityChoice } from '../../codecs/ota/security.ts';

export const PROVISIONING_STATES = [
  'requested',
  'awaiting-confirmation',
  'queued',
  'submitting',
  'submitted',
  'delivered',
  'failed',
  'expired',
  'cancelled',
] as const;
export type ProvisioningState = (typeof PROVISIONING_STATES)[number];

export const FINAL_STATES: ReadonlySet<ProvisioningState> = new Set([
  'delivered',
  'failed',
  'expired',
  'cancelled',
]);

/** Who did it: an API key name, a care agent, 'network', 'campaign:<id>', 'system'. */
export interface Actor {
  name: string;
  role?: string;
  /** correlates the audit entries of one HTTP request or job */
  requestId?: string;
}

/** How a push is secured: a SEC method or 'none' (the codecs' list, docs/protocol.md §3). */
export type SecurityMethod = SecurityChoice;

/** SI actions (docs/protocol.md §8.1): how loudly the handset tells the user; delete removes the SI with that si-id. */
export const SI_ACTIONS = ['signal-none', 'signal-low', 'signal-medium', 'signal-high', 'delete'] as const;
export type SiAction = (typeof SI_ACTIONS)[number];
/** SL actions (docs/protocol.md §8.2): execute-high loads the href without asking the user. */
export const SL_ACTIONS = ['execute-low', 'execute-high', 'cache'] as const;
export type SlAction = (typeof SL_ACTIONS)[number];

/** A Service Indication: a text and a link the user may open (software download, news). */
export interface ServiceIndicationContent {
  kind: 'si';
  href: string;
  text?: string;
  action?: SiAction;
  siId?: string;
  /** `YYYY-MM-DDThh:mm:ssZ` (the %Datetime form, docs/protocol.md §8.3) */
  created?: string;
  expires?: string;
}

/** A Service Loading: the handset loads (or caches) the href itself. */
export interface ServiceLoadingContent {
  kind: 'sl';
  href: string;
  action?: SlAction;
}

/**
 * What a provisioning pushes instead of a profile (POST /v1/pushes, a campaign's `content`); the same
 * field names as the /v1/pushes body. Validated by push-content.ts pushContentSchema.
 */
export type PushContent = ServiceIndicationContent | ServiceLoadingContent | DmNotificationContent;

/**
 * A DM notification (package #0, docs/protocol.md §9.2) that asks the handset to open a DM session: made
 * by the DM server (src/dm/notify.ts), signed with the account's server secret, never by an API caller.
 */
export interface DmNotificationContent {
  kind: 'dm-notification';
  /** the DM ServerID the package names */
  serverId: string;
  /** the SyncML SessionID the handset will use (upper-case hex) */
  sessionId: string;
  /** package #0, base64 */
  body: string;
}

export interface Provisioning {
  id: string;
  subscriberId: string;
  msisdn: string | null;
  source: string;
  reason: string | null;
  actor: string;
  state: ProvisioningState;
  /** BullMQ priority of its job (smaller = sooner) */
  priority: number;
  idempotencyKey: string | null;
  resendOf: string | null;
  campaignId: string | null;
  imei: string | null;
  deviceModelId: number | null;
  format: 'oma-cp' | 'nokia-ota' | null;
  profileVersionId: string | null;
  securityMethod: SecurityMethod | null;
  segmentCount: number | null;
  notBefore: Date | null;
  confirmBy: Date | null;
  expiresAt: Date | null;
  failureCode: string | null;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  queuedAt: Date | null;
  submittedAt: Date | null;
  finishedAt: Date | null;
  /** A device report showed the delivered settings in use (a flag beside delivered, not a state). */
  appliedAt: Date | null;
  /** An SI or SL push instead of a profile; null for settings. */
  content: PushContent | null;
}

export interface ProvisioningEvent {
  id: number;
  at: Date;
  fromState: ProvisioningState | null;
  toState: ProvisioningState;
  cause: string;
  actor: string | null;
  details: Record<string, unknown>;
}

export interface SegmentView {
  segmentNumber: number;
  smsc: string | null;
  messageId: string | null;
  submitStatus: 'pending' | 'submitted' | 'rejected';
  submitError: string | null;
  submitAttempts: number;
  submittedAt: Date | null;
  receiptState: string | null;
  receiptError: string | null;
  receiptAt: Date | null;
}

export interface ProvisioningView extends Provisioning {
  events: ProvisioningEvent[];
  segments: SegmentView[];
}

export interface FirstUseTrigger {
  imsi: string;
  msisdn: string;
  imei: string;
  /** IMEISV: its last two digits are the software version number, kept as the firmware hint */
  imeisv?: string;
  observedAt?: Date | string;
  /** first-use (default), dial, sms, ussd ... */
  source?: string;
}

export type FirstUseOutcome =
  'queued' | 'unchanged' | 'debounced' | 'awaiting-confirmation' | 'unsupported-device';

export interface FirstUseResult {
  outcome: FirstUseOutcome;
  provisioningId?: string;
}

export interface ProvisioningRequest {
  msisdn?: string;
  imsi?: string;
  /** a profile name or id to push instead of what the selection rules pick */
  profileId?: string;
  /** an SI or SL push instead of settings (not with profileId) */
  content?: PushContent;
  /** one version of a profile to push (a campaign's content); wins over profileId */
  profileVersionId?: string;
  reason: string;
  /** care, dial, sms, ussd, campaign, stale-config, api ... */
  source: string;
  actor: Actor;
  /** the same key never makes a second provisioning; default: a fresh one */
  idempotencyKey?: string;
  campaignId?: string;
  /** care only: push without asking first even where the group's policy would ask (audited) */
  skipConfirmation?: boolean;
}

export interface ResendOptions {
  /** 'current' (default): the latest version of the same profile; 'same': the version sent before */
  version?: 'current' | 'same';
  /** push without asking first even where the group's policy asks care's requests first */
  skipConfirmation?: boolean;
}

export interface ProvisioningService {
  requestFirstUse(trigger: FirstUseTrigger, actor: Actor): Promise<FirstUseResult>;
  request(input: ProvisioningRequest): Promise<Provisioning>;
  resend(id: string, reason: string, actor: Actor, options?: ResendOptions): Promise<Provisioning>;
  get(id: string): Promise<ProvisioningView | undefined>;
  /** the subscriber answered an ask-first text (MO keyword) */
  confirm(msisdn: string, answer: string, actor: Actor): Promise<Provisioning | undefined>;
}

export type ProvisioningErrorCode =
  | 'SUBSCRIBER_NOT_FOUND'
  | 'PROVISIONING_NOT_FOUND'
  | 'PROFILE_NOT_FOUND'
  | 'INVALID_REQUEST'
  /** the MSISDN and the IMSI of a request name different subscribers: HTTP 409, nothing recorded */
  | 'SUBSCRIBER_MISMATCH'
  /** the content is not allowed for the subscriber's group (SL execute-high): HTTP 422 naming the field */
  | 'CONTENT_NOT_ALLOWED'
  /** Redis (the queue) cannot take the job: nothing was recorded; HTTP answers 503 */
  | 'QUEUE_UNAVAILABLE';

export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
  constructor(
    readonly code: ProvisioningErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
