/**
 * The provisioning state machine as data: the one table of the state changes a provisioning may make.
 * transition()/transitionMany() and insertProvisionings() (repository.ts) refuse anything it does not
 * list, and docs/architecture.md draws it. A change of the table is a change of the state machine.
 */
import type { ProvisioningState } from './types.ts';

export interface AllowedTransition {
  /** null: the provisioning is created (its first event) */
  from: ProvisioningState | null;
  /** equal to `from`: an event that records why the state stays (e.g. quiet hours) */
  to: ProvisioningState;
  /**
   * the causes its events carry; `<failure code>`: the code in lower case with dashes (NO_PROFILE ->
   * no-profile); `<source>`: the request's source (care, api, campaign ...); `<first cause>`: the cause
   * of the move to the first state
   */
  causes: readonly string[];
  /** who makes it */
  by: string;
}

/** A failure of the job (PermanentFailure, the last attempt, a job that failed outside the processor). */
const FAILURE_CODE = '<failure code>';

export const TRANSITIONS: readonly AllowedTransition[] = [
  { from: null, to: 'requested', causes: ['<first cause>'], by: 'every new provisioning' },
  {
    from: 'requested',
    to: 'queued',
    causes: ['first-use', '<source>', 'resend', 'resend-after-unknown-outcome'],
    by: 'a trigger, request or resend, as the row is written',
  },
  {
    from: 'requested',
    to: 'awaiting-confirmation',
    causes: ['ask-first'],
    by: 'a trigger or request from a source the ask-first group asks for',
  },
  { from: 'requested', to: 'failed', causes: ['unsupported-device', FAILURE_CODE], by: 'a trigger; the job' },
  {
    from: 'awaiting-confirmation',
    to: 'queued',
    causes: ['confirmed'],
    by: 'the subscriber answers yes (the job is queued)',
  },
  {
    from: 'awaiting-confirmation',
    to: 'awaiting-confirmation',
    causes: ['handset-changed'],
    by: 'a trigger inside the debounce window: the last handset wins',
  },
  { from: 'awaiting-confirmation', to: 'cancelled', causes: ['declined'], by: 'the subscriber answers no' },
  { from: 'awaiting-confirmation', to: 'expired', causes: ['confirmation-timeout'], by: 'the expiry sweep' },
  {
    from: 'awaiting-confirmation',
    to: 'failed',
    causes: [FAILURE_CODE],
    by: 'the job: the SMSC refuses the question',
  },
  {
    from: 'queued',
    to: 'queued',
    causes: ['quiet-hours', 'daily-cap', 'handset-changed'],
    by: 'the job, deferred into the allowed window or the next day; a trigger inside the debounce window',
  },
  { from: 'queued', to: 'submitting', causes: ['submit'], by: 'the job, first submit_sm' },
  { from: 'queued', to: 'failed', causes: [FAILURE_CODE], by: 'the job' },
  {
    from: 'submitting',
    to: 'submitting',
    causes: ['resubmit-after-unknown-outcome', 'quiet-hours', 'daily-cap'],
    by: 'the job, again after an attempt without a known outcome',
  },
  { from: 'submitting', to: 'submitted', causes: ['submitted'], by: 'the job, every segment accepted' },
  { from: 'submitting', to: 'failed', causes: [FAILURE_CODE, 'receipt'], by: 'the job; a failing receipt' },
  { from: 'submitted', to: 'delivered', causes: ['receipts'], by: 'the last segment delivered' },
  { from: 'submitted', to: 'failed', causes: ['receipt'], by: 'a failing receipt' },
  { from: 'submitted', to: 'expired', causes: ['receipt-timeout'], by: 'the expiry sweep' },
];

/** Thrown for a state change the table does not list: a programming error, nothing is written. */
export class TransitionNotAllowed extends Error {
  override readonly name = 'TransitionNotAllowed';
  readonly code = 'TRANSITION_NOT_ALLOWED';
  /** @param from  null: a new provisioning; undefined: from any state */
  constructor(
    readonly from: ProvisioningState | null | undefined,
    readonly to: ProvisioningState,
  ) {
    super(
      from === undefined
        ? `the provisioning state machine has no transition into ${to}`
        : `the provisioning state machine has no transition ${from ?? '(new)'} -> ${to}`,
    );
  }
}

const ENTERED_FROM = new Map<ProvisioningState, ReadonlyArray<ProvisioningState | null>>();
for (const { from, to } of TRANSITIONS) ENTERED_FROM.set(to, [...(ENTERED_FROM.get(to) ?? []), from]);
/** ENTERED_FROM without creation: the states a transition() into each state may start from */
const TRANSITION_SOURCES = new Map(
  [...ENTERED_FROM].map(([to, froms]) => [
    to,
    froms.filter((from): from is ProvisioningState => from !== null),
  ]),
);

export function isAllowed(from: ProvisioningState | null, to: ProvisioningState): boolean {
  return ENTERED_FROM.get(to)?.includes(from) ?? false;
}

export function assertAllowed(from: ProvisioningState | null, to: ProvisioningState): void {
  if (!isAllowed(from, to)) throw new TransitionNotAllowed(from, to);
}

/**
 * The states a provisioning may enter `to` from: every one the table lists, or `only` (a call site that
 * must be narrower, e.g. only from 'submitting'), which must be a subset of them.
 */
export function statesEntering(
  to: ProvisioningState,
  only?: readonly ProvisioningState[],
): readonly ProvisioningState[] {
  if (only === undefined) {
    const states = TRANSITION_SOURCES.get(to) ?? [];
    if (states.length === 0) throw new TransitionNotAllowed(undefined, to);
    return states;
  }
  for (const from of only) assertAllowed(from, to);
  return only;
}
