/**
 * A campaign's preview, computed from the store before anything is sent: who the selector finds, which
 * of them a push can reach, and how many SMS it takes. The selection is counted per (model, group) in
 * one query; each model is resolved once as the worker resolves a handset (DeviceCache) and the content
 * is rendered once per (model, version, security method) through the worker's PushComposer, so the
 * segment count is what the worker will send.
 */
import type { SegmentMode } from '../connectors/types.ts';
import type { DeviceResolution, ResolvedDevice } from '../devices/resolve-device.ts';
import { composeContent } from '../provisioning/compose-content.ts';
import { contentNotAllowedReason } from '../provisioning/push-content.ts';
import type { PushContent } from '../provisioning/types.ts';
import { capabilitiesOf, chooseSecurity, type PushComposer } from '../provisioning/compose.ts';
import type { DeviceCache } from '../provisioning/device-cache.ts';
import type { Db } from '../store/db.ts';
import type { GroupPolicies } from '../subscribers/group-policies.ts';
import { policyFor, policyTimeZone, type GroupPolicy } from '../subscribers/policy.ts';
import {
  countSelection,
  NO_HANDSET_KEY,
  sampleSelection,
  type ResolvedSelector,
  type SelectionGroup,
} from './repository.ts';
import type { CampaignContent, CampaignPreview, CampaignWindow, CountEntry } from './types.ts';
import { estimateSeconds } from './window.ts';

export interface PreviewDeps {
  db: Db;
  composer: PushComposer;
  devices: DeviceCache;
  policies: GroupPolicies;
  /** how the SMSC carries the push (udh or tlv): it changes the segment count */
  segmentMode: SegmentMode;
  now: () => Date;
}

export interface PreviewInput {
  selector: ResolvedSelector;
  content: CampaignContent;
  /** the profile version pushed; null for an SI/SL push */
  versionId: string | null;
  /** SMS per second */
  ratePerSecond: number;
  window: CampaignWindow | null;
}

export interface ComputedPreview {
  preview: CampaignPreview;
  /** why the subscribers of a `<model_key>|<group>` get no push (materialiseTargets skips them) */
  skipReasons: Record<string, string>;
}

const SAMPLE_SIZE = 5;

/** SMS one push takes for this (model, group), or why none can be sent. */
type Sizing = { segments: number } | { unsupported: string };

function modelName(group: SelectionGroup): string {
  if (group.modelKey === NO_HANDSET_KEY) return '(no handset)';
  if (group.modelId === null) return '(not in the catalogue)';
  return `${group.manufacturer} ${group.model}`;
}

function add(entries: Map<string, number>, key: string, count: number): void {
  entries.set(key, (entries.get(key) ?? 0) + count);
}

function sorted(entries: Map<string, number>): CountEntry[] {
  return [...entries]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

class Sizer {
  private readonly resolutions = new Map<string, Promise<DeviceResolution>>();

  constructor(
    private readonly deps: PreviewDeps,
    private readonly content: CampaignContent,
    private readonly versionId: string | null,
  ) {}

  async size(group: SelectionGroup, policy: GroupPolicy): Promise<Sizing> {
    if (group.imei === null) return { unsupported: 'NO_HANDSET' };
    let resolving = this.resolutions.get(group.modelKey);
    if (!resolving) {
      resolving = this.deps.devices.resolve(this.deps.db, group.imei);
      this.resolutions.set(group.modelKey, resolving);
    }
    const resolution = await resolving;
    if (resolution.outcome === 'unsupported') return { unsupported: resolution.reason };
    const { device } = resolution;
    if (this.content.kind !== 'profile') return this.sizeContent(this.content, device, group, policy);
    const fitted = await this.deps.composer.fit(this.versionId!, {
      format: device.format,
      capabilities: capabilitiesOf(device.capabilities),
      maxSegments: device.maxSegments,
      sec: chooseSecurity(policy.securityMethod, device),
      mode: this.deps.segmentMode,
    });
    return fitted.fits ? { segments: fitted.segmentCount } : { unsupported: 'TOO_MANY_SEGMENTS' };
  }

  /** An SI/SL push as the worker composes it (compose-content.ts), and the group's say on SL execute-high. */
  private sizeContent(
    content: PushContent,
    device: ResolvedDevice,
    group: SelectionGroup,
    policy: GroupPolicy,
  ): Sizing {
    const composed = composeContent(content, device, { mode: this.deps.segmentMode, reference: 0 });
    if (!composed.ok) return { unsupported: composed.code };
    if (contentNotAllowedReason(content, policy, group.groupName) !== undefined)
      return { unsupported: 'CONTENT_NOT_ALLOWED' };
    return { segments: composed.segments.length };
  }
}

export async function computePreview(deps: PreviewDeps, input: PreviewInput): Promise<ComputedPreview> {
  const [groups, sample, policies] = await Promise.all([
    countSelection(deps.db, input.selector),
    sampleSelection(deps.db, input.selector, SAMPLE_SIZE),
    deps.policies.all(),
  ]);
  const sizer = new Sizer(deps, input.content, input.versionId);
  const byModel = new Map<string, number>();
  const byGroup = new Map<string, number>();
  const reasons: Record<string, number> = {};
  const skipReasons: Record<string, string> = {};
  let subscribers = 0;
  let pushes = 0;
  let segments = 0;
  for (const group of groups) {
    subscribers += group.count;
    add(byModel, modelName(group), group.count);
    add(byGroup, group.groupName, group.count);
    const sizing = await sizer.size(group, policyFor(policies, group.groupName));
    if ('unsupported' in sizing) {
      reasons[sizing.unsupported] = (reasons[sizing.unsupported] ?? 0) + group.count;
      skipReasons[`${group.modelKey}|${group.groupName}`] = sizing.unsupported;
      continue;
    }
    pushes += group.count;
    segments += group.count * sizing.segments;
  }
  const largestGroup = sorted(byGroup)[0]?.key;
  const timeZone = policyTimeZone(policyFor(policies, largestGroup));
  const sendSeconds = input.ratePerSecond > 0 ? segments / input.ratePerSecond : 0;
  const unsupported = subscribers - pushes;
  return {
    preview: {
      subscribers,
      pushes,
      segments,
      unsupported: { count: unsupported, reasons },
      byModel: sorted(byModel),
      byGroup: sorted(byGroup),
      sample,
      estimatedSeconds: estimateSeconds(deps.now(), sendSeconds, input.window, timeZone),
      smsPerSecond: input.ratePerSecond,
    },
    skipReasons,
  };
}

/** SMS per push on average over the supported selection (at least 1): the feeder paces pushes by it. */
export function smsPerPush(preview: CampaignPreview): number {
  return preview.pushes > 0 ? Math.max(1, preview.segments / preview.pushes) : 1;
}
