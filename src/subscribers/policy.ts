/**
 * Group policies (prepaid, postpaid, corporate, ...): whether the subscriber must confirm first, how the
 * push is secured, when it may be sent, how urgent it is and how many pushes a day a subscriber may get.
 * Schema and pure decisions only; config.ts reads config/groups.yaml, the store keeps the groups table.
 */
import { z } from 'zod';
import { SECURITY_METHODS, type SecurityMethod } from '../../codecs/ota/security.ts';
import {
  describeIssues,
  requiredFieldErrors,
  toValidationIssues,
  type ValidationIssue,
} from '../profiles/validation.ts';
import { isValidTimeZone, localDayWindow, quietHoursSchema } from './quiet-hours.ts';
import { languageTagSchema } from '../texts/templates.ts';

export {
  isQuiet,
  localDayWindow,
  nextAllowedTime,
  quietHoursSchema,
  type QuietHours,
} from './quiet-hours.ts';
export {
  decideFirstUse,
  sameHandset,
  type FirstUseDecision,
  type FirstUseTrigger,
  type StoredSubscriberState,
} from './first-use.ts';

export { SECURITY_METHODS, type SecurityMethod };

const MINUTES_PER_WEEK = 7 * 24 * 60;

/** Why a provisioning is requested, as far as ask-first is concerned (the provisioning's source). */
export const CONFIRMABLE_SOURCES = [
  'first-use',
  'dial',
  'sms',
  'ussd',
  'stale-config',
  'campaign',
  'care',
] as const;
export type ConfirmableSource = (typeof CONFIRMABLE_SOURCES)[number];

/**
 * The sources an ask-first group asks for when its policy names none: those that are not the
 * subscriber's own explicit request (a dial-in, keyword or USSD request is its own yes) nor care's.
 */
export const DEFAULT_CONFIRM_FOR: readonly ConfirmableSource[] = Object.freeze([
  'first-use',
  'stale-config',
  'campaign',
]);

/** What a push beyond the daily cap does: wait for the next local day (default) or fail. */
export const DAILY_CAP_ACTIONS = ['defer', 'fail'] as const;
export type DailyCapAction = (typeof DAILY_CAP_ACTIONS)[number];

export const groupPolicySchema = z.strictObject({
  /** 'ask-first': the subscriber gets a text and must answer YES within confirmationTimeoutMinutes. */
  confirmation: z.enum(['automatic', 'ask-first']).default('automatic'),
  confirmationTimeoutMinutes: z.int().min(1).max(MINUTES_PER_WEEK).default(60),
  /**
   * Which sources ask first under 'ask-first' (a resend counts as 'care'); absent = DEFAULT_CONFIRM_FOR.
   * No default in the schema: a document without it reads back as it was written.
   */
  confirmFor: z.array(z.enum(CONFIRMABLE_SOURCES)).max(CONFIRMABLE_SOURCES.length).optional(),
  /** NETWPIN keys the MAC with the IMSI; the USER* methods need a PIN the subscriber gets in a separate text. */
  // `none` only when named here: the worker never falls back to unsigned on its own (compose.ts chooseSecurity).
  securityMethod: z.enum([...SECURITY_METHODS, 'none']).default('NETWPIN'),
  quietHours: quietHoursSchema.optional(),
  /** Lower runs first (BullMQ convention); the queue combines it with the priority of the trigger's source. */
  priority: z.int().min(1).max(100).default(10),
  /** Most pushes per subscriber per local day (see policyTimeZone); absent = no cap. */
  dailyCap: z.int().min(1).optional(),
  /** What a push beyond dailyCap does; absent = 'defer' (to the start of the next local day). */
  dailyCapAction: z.enum(DAILY_CAP_ACTIONS).optional(),
  /** The group's IANA zone for counting "today"; defaults to the quiet-hours zone, else UTC. */
  timeZone: z
    .string()
    .refine(isValidTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Berlin' })
    .optional(),
  /** The language of the texts the group's subscribers get (config texts.languages); absent: texts.defaultLanguage. */
  language: languageTagSchema.optional(),
  /**
   * SL pushes with action execute-high: the handset loads the href without asking the user
   * (docs/protocol.md §8.2), so they are refused unless the group says true. Absent = false.
   */
  allowSlExecuteHigh: z.boolean().optional(),
});

export type GroupPolicy = z.output<typeof groupPolicySchema>;
export type GroupPolicyInput = z.input<typeof groupPolicySchema>;

/** What a group without a policy of its own gets: automatic, NETWPIN, any time, no cap. */
export const DEFAULT_GROUP_POLICY: GroupPolicy = Object.freeze(groupPolicySchema.parse({}));

const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** config/groups.yaml: `groups: { <name>: <policy> }`. */
export const groupPoliciesFileSchema = z.strictObject({
  groups: z.record(
    z.string().regex(GROUP_NAME, 'group names are lower-case letters, digits, "_" or "-"'),
    groupPolicySchema,
  ),
});

export class PolicyError extends Error {
  readonly code = 'POLICY_INVALID';
  readonly details: { issues: ValidationIssue[] };

  constructor(message: string, issues: ValidationIssue[]) {
    super(message);
    this.name = 'PolicyError';
    this.details = { issues };
  }
}

/** Validates one policy and applies defaults; throws PolicyError naming every bad field. */
export function parseGroupPolicy(input: unknown): GroupPolicy {
  const result = groupPolicySchema.safeParse(input, { error: requiredFieldErrors });
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error);
  throw new PolicyError(`invalid group policy: ${describeIssues(issues, '(policy)')}`, issues);
}

/** Validates the parsed content of config/groups.yaml; throws PolicyError (`groups.prepaid.quietHours.end: ...`). */
export function parseGroupPolicies(input: unknown): Record<string, GroupPolicy> {
  const result = groupPoliciesFileSchema.safeParse(input, { error: requiredFieldErrors });
  if (result.success) return result.data.groups;
  const issues = toValidationIssues(result.error);
  throw new PolicyError(`invalid group policies: ${describeIssues(issues, '(file)')}`, issues);
}

/** The policy of a group: its own, else the one named "default", else DEFAULT_GROUP_POLICY. */
export function policyFor(
  policies: Readonly<Record<string, GroupPolicy>>,
  group: string | undefined,
): GroupPolicy {
  if (group !== undefined && Object.hasOwn(policies, group)) return policies[group];
  return Object.hasOwn(policies, 'default') ? policies.default : DEFAULT_GROUP_POLICY;
}

/** Whether the subscriber has had as many pushes today as the group allows. */
export function capReached(countToday: number, policy: GroupPolicy): boolean {
  return policy.dailyCap !== undefined && countToday >= policy.dailyCap;
}

/** The zone "today" is counted in for the daily cap: the group's zone, else the quiet-hours zone, else UTC. */
export const policyTimeZone = (policy: GroupPolicy): string =>
  policy.timeZone ?? policy.quietHours?.timeZone ?? 'UTC';

/** The [start, end) instants of the subscriber's "today" for counting pushes against the cap. */
export const capWindow = (now: Date, policy: GroupPolicy): { start: Date; end: Date } =>
  localDayWindow(now, policyTimeZone(policy));

/** Care's own requests: a care push and a care resend (no quiet hours; 'care' for confirmFor). */
const CARE_SOURCES: ReadonlySet<string> = new Set(['care', 'resend']);
export const isCareSource = (source: string): boolean => CARE_SOURCES.has(source);

/** Whether a provisioning from `source` must wait for the subscriber's YES under this policy. */
export function asksFirst(policy: GroupPolicy, source: string): boolean {
  if (policy.confirmation !== 'ask-first') return false;
  const asked: readonly string[] = policy.confirmFor ?? DEFAULT_CONFIRM_FOR;
  return asked.includes(isCareSource(source) ? 'care' : source);
}

/** What a push beyond the daily cap does under this policy. */
export const dailyCapActionOf = (policy: GroupPolicy): DailyCapAction => policy.dailyCapAction ?? 'defer';

/** When an ask-first request stops waiting for YES. */
export const confirmationDeadline = (askedAt: Date, policy: GroupPolicy): Date =>
  new Date(askedAt.getTime() + policy.confirmationTimeoutMinutes * 60_000);

/** The USER* methods key the MAC with a PIN the subscriber must be told, in a separate text (docs/protocol.md §3.4–3.6). */
export const requiresSeparatePin = (
  method: SecurityMethod | 'none',
): method is Exclude<SecurityMethod, 'NETWPIN'> => method !== 'NETWPIN' && method !== 'none';
