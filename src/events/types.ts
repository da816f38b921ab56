/**
 * Gateway events for live views (the console's SSE stream): provisioning state changes, receipts,
 * bind changes and campaigns' progress.
 * Published through Redis pub/sub so api and worker processes see each other's events.
 */
import type { ProvisioningState } from '../provisioning/types.ts';

export type GatewayEvent =
  | {
      type: 'provisioning.state';
      provisioningId: string;
      subscriberId: string;
      msisdn: string | null;
      from: ProvisioningState | null;
      to: ProvisioningState;
      cause: string;
      /** ISO time */
      at: string;
      details?: Record<string, unknown>;
    }
  | {
      type: 'segment.receipt';
      provisioningId: string;
      segmentNumber: number;
      smscId: string;
      messageId: string;
      /** DeliveryReport state: delivered, failed, expired, ... */
      state: string;
      error?: string;
      at: string;
    }
  | {
      /** a campaign changed state (src/campaigns/state-machine.ts): by an admin, or by its feeder */
      type: 'campaign.state';
      campaignId: string;
      name: string;
      from: string | null;
      to: string;
      action: string;
      actor: string;
      at: string;
      /** why (a breaker's figures, a pause's reason) */
      reason?: Record<string, unknown>;
    }
  | {
      /** a running campaign's counts (src/campaigns/types.ts CampaignCounts), every few seconds */
      type: 'campaign.progress';
      campaignId: string;
      state: string;
      counts: Record<string, number | Record<string, number>>;
      /** SMS per second over the last seconds */
      smsPerSecond: number;
      at: string;
    }
  | {
      type: 'smsc.bind-state';
      smscId: string;
      bindId: string;
      state: string;
      lastError?: string;
      at: string;
    };

export type GatewayEventListener = (event: GatewayEvent) => void;

export interface EventBus {
  /** delivers to every subscriber in every process; never throws (a lost live event is only a live view) */
  publish(event: GatewayEvent): void;
  /** returns the function that unsubscribes */
  subscribe(listener: GatewayEventListener): () => void;
  close(): Promise<void>;
}
