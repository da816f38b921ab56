/**
 * The campaign service: drafts with their preview, the state changes of the transition table
 * (state-machine.ts), the target list materialised at start, and the status with its counts.
 *
 * Every change is announced on the event bus (`campaign.state`). Changes through the HTTP API are
 * audited by the API's audit trail; the feeder's own (breaker, completion) are audited here.
 */
import type { Config } from '../config.ts';
import type { EventBus } from '../events/types.ts';
import type { Logger } from '../observability/logger.ts';
import { PushComposer } from '../provisioning/compose.ts';
import { DeviceCache } from '../provisioning/device-cache.ts';
import { isUuid } from '../provisioning/repository.ts';
import type { Actor, ProvisioningRequest } from '../provisioning/types.ts';
import type { Db } from '../store/db.ts';
import { appendAudit } from '../store/repositories/audit.ts';
import { GroupPolicies } from '../subscribers/group-policies.ts';
import { computePreview, smsPerPush, type ComputedPreview } from './preview.ts';
import {
  countCampaign,
  countSubmittedSince,
  getCampaign,
  insertCampaign,
  listCampaigns,
  materialiseTargets,
  skipPendingTargets,
  updateCampaignState,
  type CampaignFilter,
} from './repository.ts';
import { ratePerSecondOf, resolveContent, resolveSelector, type ResolvedContent } from './resolve.ts';
import { transitionsOf, type CampaignAction } from './state-machine.ts';
import {
  CampaignError,
  DEFAULT_BREAKER,
  DEFAULT_PACING,
  type Campaign,
  type CampaignCounts,
  type CampaignDocument,
  type CampaignStatus,
} from './types.ts';

export interface CampaignDeps {
  db: Db;
  config: Config;
  events: EventBus;
  logger: Logger;
  now?: () => Date;
  composer?: PushComposer;
  devices?: DeviceCache;
  policies?: GroupPolicies;
}

/** How far back the status measures the rate now. */
const RATE_WINDOW_SECONDS = 10;

/** What a campaign's content adds to each provisioning request: the profile version, or the SI/SL push. */
export function contentRequest(
  resolved: ResolvedContent,
): Pick<ProvisioningRequest, 'profileVersionId' | 'content'> {
  if (resolved.content.kind === 'profile') return { profileVersionId: resolved.versionId! };
  return { content: resolved.content };
}

export class CampaignService {
  private readonly now: () => Date;
  private readonly composer: PushComposer;
  private readonly devices: DeviceCache;
  private readonly policies: GroupPolicies;

  constructor(private readonly deps: CampaignDeps) {
    this.now = deps.now ?? (() => new Date());
    this.composer = deps.composer ?? new PushComposer(deps.db);
    this.devices = deps.devices ?? new DeviceCache(deps.config.devices.operatorDefault);
    this.policies = deps.policies ?? new GroupPolicies(deps.db, deps.config.groups);
  }

  /** A draft and its preview; nothing is sent. */
  async create(document: CampaignDocument, actor: Actor): Promise<Campaign> {
    const { db, config } = this.deps;
    const content = await resolveContent(db, document.content);
    const pacing = document.pacing ?? DEFAULT_PACING;
    const ratePerSecond = ratePerSecondOf(pacing, config);
    const window = document.window ?? null;
    const selector = await resolveSelector(db, document.selector, content);
    const { preview } = await this.preview(content, selector, ratePerSecond, window);
    return insertCampaign(db, {
      name: document.name,
      selector: document.selector,
      content: content.content,
      profileId: content.profileId,
      profileVersion: content.profileVersion,
      pacing,
      window,
      breaker: { ...DEFAULT_BREAKER, ...document.breaker },
      preview,
      ratePerSecond,
      createdBy: actor.name,
    });
  }

  private preview(
    content: ResolvedContent,
    selector: Awaited<ReturnType<typeof resolveSelector>>,
    ratePerSecond: number,
    window: Campaign['window'],
  ): Promise<ComputedPreview> {
    const mode = this.deps.config.smsc.routing?.smscs[0]?.segmentMode ?? 'udh';
    return computePreview(
      {
        db: this.deps.db,
        composer: this.composer,
        devices: this.devices,
        policies: this.policies,
        segmentMode: mode,
        now: this.now,
      },
      { selector, content: content.content, versionId: content.versionId, ratePerSecond, window },
    );
  }

  private async found(id: string): Promise<Campaign> {
    const campaign = isUuid(id) ? await getCampaign(this.deps.db, id) : undefined;
    if (!campaign) throw new CampaignError('CAMPAIGN_NOT_FOUND', `no campaign ${id}`, { id });
    return campaign;
  }

  /**
   * Starts a draft: the selection is taken again and written as the target list, in the same
   * transaction as the state change, so the list never changes under the campaign.
   */
  async start(id: string, actor: Actor): Promise<Campaign> {
    const { db } = this.deps;
    const draft = await this.found(id);
    this.allowed(draft, 'start');
    const content = await resolveContent(db, draft.content);
    const selector = await resolveSelector(db, draft.selector, content);
    const { preview, skipReasons } = await this.preview(content, selector, draft.ratePerSecond, draft.window);
    const started = await db.transaction(async (tx) => {
      const moved = await updateCampaignState(tx, {
        id,
        from: ['draft'],
        to: 'running',
        reason: null,
        preview,
      });
      if (!moved) return undefined;
      await materialiseTargets(tx, id, selector, skipReasons);
      return getCampaign(tx, id);
    });
    if (!started) throw this.conflict(await this.found(id), 'start');
    this.announce(draft, started, 'start', actor);
    return started;
  }

  pause(id: string, actor: Actor, reason?: string): Promise<Campaign> {
    return this.change(id, 'pause', actor, reason === undefined ? null : { reason });
  }

  resume(id: string, actor: Actor): Promise<Campaign> {
    return this.change(id, 'resume', actor, null);
  }

  /** Pending targets are skipped; pushes already handed to the provisioning service run to their end. */
  async cancel(id: string, actor: Actor, reason?: string): Promise<Campaign> {
    return this.change(id, 'cancel', actor, reason === undefined ? null : { reason });
  }

  /** The feeder's breaker: the receipts' failure rate crossed the threshold (audited here). */
  async trip(
    campaign: Campaign,
    figures: Record<string, unknown>,
    actor: Actor,
  ): Promise<Campaign | undefined> {
    return this.automatic(campaign, 'breaker', figures, actor);
  }

  /** The feeder's: nothing is left and every push is final. */
  async complete(campaign: Campaign, actor: Actor): Promise<Campaign | undefined> {
    return this.automatic(campaign, 'complete', null, actor);
  }

  private async automatic(
    campaign: Campaign,
    action: CampaignAction,
    reason: Record<string, unknown> | null,
    actor: Actor,
  ): Promise<Campaign | undefined> {
    const moved = await this.deps.db.transaction(async (tx) => {
      const changed = await this.apply(tx, campaign.id, action, reason);
      if (changed) {
        await appendAudit(tx, {
          actor: actor.name,
          role: actor.role ?? null,
          action: `campaign.${action}`,
          subjectType: 'campaign',
          subjectId: campaign.id,
          details: { from: campaign.state, to: changed.state, ...(reason ?? {}) },
        });
      }
      return changed;
    });
    if (moved) this.announce(campaign, moved, action, actor);
    return moved;
  }

  private async change(
    id: string,
    action: CampaignAction,
    actor: Actor,
    reason: Record<string, unknown> | null,
  ): Promise<Campaign> {
    const before = await this.found(id);
    this.allowed(before, action);
    const moved = await this.deps.db.transaction((tx) => this.apply(tx, id, action, reason));
    if (!moved) throw this.conflict(await this.found(id), action);
    this.announce(before, moved, action, actor);
    return moved;
  }

  /** One row of the table, from the state the campaign is in; the cancel skips the pending targets. */
  private async apply(
    tx: Db,
    id: string,
    action: CampaignAction,
    reason: Record<string, unknown> | null,
  ): Promise<Campaign | undefined> {
    for (const transition of transitionsOf(action)) {
      const moved = await updateCampaignState(tx, { id, from: [transition.from], to: transition.to, reason });
      if (!moved) continue;
      if (action === 'cancel') await skipPendingTargets(tx, id);
      return moved;
    }
    return undefined;
  }

  private allowed(campaign: Campaign, action: CampaignAction): void {
    if (!transitionsOf(action).some((transition) => transition.from === campaign.state))
      throw this.conflict(campaign, action);
  }

  private conflict(campaign: Campaign, action: CampaignAction): CampaignError {
    const from = transitionsOf(action).map((transition) => transition.from);
    return new CampaignError(
      'CAMPAIGN_STATE_CONFLICT',
      `campaign ${campaign.id} is ${campaign.state}: ${action} is allowed only from ${from.join(', ')}`,
      { state: campaign.state, action, allowedFrom: from },
    );
  }

  private announce(before: Campaign, after: Campaign, action: CampaignAction, actor: Actor): void {
    this.deps.events.publish({
      type: 'campaign.state',
      campaignId: after.id,
      name: after.name,
      from: before.state,
      to: after.state,
      action,
      actor: actor.name,
      at: this.now().toISOString(),
      ...(after.stateReason ? { reason: after.stateReason } : {}),
    });
  }

  async get(id: string): Promise<CampaignStatus> {
    return this.status(await this.found(id));
  }

  async list(filter: CampaignFilter): Promise<Campaign[]> {
    return listCampaigns(this.deps.db, filter);
  }

  /** The campaign with its counts, its rate over the last seconds and when it should be done. */
  async status(campaign: Campaign): Promise<CampaignStatus> {
    const { db } = this.deps;
    if (campaign.state === 'draft') return { ...campaign, ...draftProgress(campaign) };
    const [counts, recent] = await Promise.all([
      countCampaign(db, campaign.id),
      countSubmittedSince(db, campaign.id, RATE_WINDOW_SECONDS),
    ]);
    const perPush = smsPerPush(campaign.preview);
    const pushesPerSecond = recent / RATE_WINDOW_SECONDS;
    const left = counts.remaining + counts.queued;
    const pace = pushesPerSecond > 0 ? pushesPerSecond : campaign.ratePerSecond / perPush;
    const estimatedCompletion =
      campaign.state === 'running' && left > 0 && pace > 0
        ? new Date(this.now().getTime() + (left / pace) * 1000).toISOString()
        : null;
    return {
      ...campaign,
      counts,
      rate: { pushesPerSecond, smsPerSecond: pushesPerSecond * perPush },
      estimatedCompletion,
    };
  }
}

/** Before start there are no targets: the preview's figures stand for them. */
function draftProgress(campaign: Campaign): Pick<CampaignStatus, 'counts' | 'rate' | 'estimatedCompletion'> {
  const { preview } = campaign;
  const counts: CampaignCounts = {
    selected: preview.subscribers,
    queued: 0,
    submitted: 0,
    delivered: 0,
    applied: 0,
    failed: 0,
    skipped: preview.unsupported.count,
    remaining: preview.pushes,
    failedByReason: {},
    skippedByReason: { ...preview.unsupported.reasons },
  };
  return { counts, rate: { pushesPerSecond: 0, smsPerSecond: 0 }, estimatedCompletion: null };
}
