/**
 * A campaign's states as data (like src/provisioning/state-machine.ts): every change is one of these
 * rows, and the repository refuses anything else. completed and cancelled are final.
 */
import type { CampaignState } from './types.ts';

export type CampaignAction = 'start' | 'pause' | 'resume' | 'cancel' | 'breaker' | 'complete';

export interface CampaignTransition {
  from: CampaignState;
  to: CampaignState;
  action: CampaignAction;
}

export const CAMPAIGN_TRANSITIONS: readonly CampaignTransition[] = Object.freeze([
  { from: 'draft', to: 'running', action: 'start' },
  { from: 'draft', to: 'cancelled', action: 'cancel' },
  { from: 'running', to: 'paused', action: 'pause' },
  // The feeder's own: the receipts' failure rate crossed the breaker.
  { from: 'running', to: 'breaker-paused', action: 'breaker' },
  // The feeder's own: no target is left and every push is final.
  { from: 'running', to: 'completed', action: 'complete' },
  { from: 'running', to: 'cancelled', action: 'cancel' },
  { from: 'paused', to: 'running', action: 'resume' },
  { from: 'paused', to: 'cancelled', action: 'cancel' },
  { from: 'breaker-paused', to: 'running', action: 'resume' },
  { from: 'breaker-paused', to: 'cancelled', action: 'cancel' },
]);

export const FINAL_CAMPAIGN_STATES: ReadonlySet<CampaignState> = new Set(['completed', 'cancelled']);

/** The states an action may be taken from, and where each goes. */
export function transitionsOf(action: CampaignAction): readonly CampaignTransition[] {
  return CAMPAIGN_TRANSITIONS.filter((transition) => transition.action === action);
}

/** Where `action` takes a campaign in `from`; undefined: the table does not allow it. */
export function targetState(action: CampaignAction, from: CampaignState): CampaignState | undefined {
  return CAMPAIGN_TRANSITIONS.find((transition) => transition.action === action && transition.from === from)
    ?.to;
}
