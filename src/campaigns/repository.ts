/**
 * Campaigns' SQL: the campaign rows, the selector compiled to one query, the target list materialised
 * at start, and what the feeder and the status read.
 */
import { firmwareKey, orderRules, type ProfileRule } from '../profiles/rules.ts';
import { asJson, type Db, type SqlParam } from '../store/db.ts';
import type {
  Campaign,
  CampaignBreaker,
  CampaignContent,
  CampaignCounts,
  CampaignPacing,
  CampaignPreview,
  CampaignSelector,
  CampaignState,
  CampaignWindow,
} from './types.ts';

/** A selector with its profile resolved to an id and its numbers and time parsed. */
export interface ResolvedSelector {
  profileId?: string;
  versions?: { below: number } | number[];
  models?: string[];
  manufacturers?: string[];
  groups?: string[];
  msisdnPrefix?: string;
  msisdns?: string[];
  lastDeliveredBefore?: Date;
  never?: boolean;
  /**
   * The enabled selection rules (as listRules gives them), for "affected by version N": with
   * `versions: { below: N }` the selection also takes every subscriber the rules would now give
   * `profileId` and who never had it delivered.
   */
  rules?: readonly ProfileRule[];
}

/** A subscriber with no handset, or one whose TAC the catalogue lacks, in the per-model keys. */
export const NO_HANDSET_KEY = 'no-handset';
export const UNKNOWN_MODEL_KEY = 'unknown';

interface CompiledSelector {
  sql: string;
  params: SqlParam[];
}

/**
 * The subscriber's catalogue model by the IMEI's 8-digit TAC, else its legacy 6-digit one: plain joins
 * on the (small) catalogue, which the planner hashes once, not a lookup per subscriber.
 */
const MODEL_JOIN = `LEFT JOIN tacs t8 ON t8.tac = left(s.current_imei, 8)
    LEFT JOIN tacs t6 ON t6.tac = left(s.current_imei, 6)
    LEFT JOIN device_models m ON m.id = coalesce(t8.model_id, t6.model_id)`;

type Param = (value: SqlParam) => string;

/** A rule's text criterion against a subscriber's column, compared as selectProfile's sameText does. */
const sameTextSql = (column: string, value: string, param: Param): string =>
  `lower(btrim(${column})) = ${param(value.trim().toLowerCase())}`;

/**
 * The device a rule sees, as the worker resolves it (src/devices/resolve-device.ts): the verified model of
 * the IMEI's 8-digit TAC, else of its 6-digit legacy TAC; a manufacturer default row ('*') names the
 * manufacturer and no model; no catalogue model: neither (the worker passes '' for both). A model known only
 * from a device report is not looked up here.
 */
const RULE_DEVICE_JOIN = `LEFT JOIN device_models r8 ON r8.id = t8.model_id AND r8.status = 'verified'
    LEFT JOIN device_models r6 ON r6.id = t6.model_id AND r6.status = 'verified'`;
const RULE_MANUFACTURER = `coalesce(r8.manufacturer, r6.manufacturer, '')`;
const RULE_MODEL = `coalesce(nullif(CASE WHEN r8.id IS NOT NULL THEN r8.model ELSE r6.model END, '*'), '')`;

/**
 * firmwareKey (src/profiles/rules.ts) of every firmware the base holds, computed once per distinct value
 * (not per subscriber): the digit runs without leading zeros, each as '.', its length in 10 digits and its
 * digits; then the trailing zero runs dropped ('.' + '0000000001' + '0' each).
 */
const FIRMWARE_KEY_JOIN = `LEFT JOIN (
      SELECT f.firmware_version, regexp_replace(coalesce((
               SELECT string_agg('.' || lpad(length(r.digits)::text, 10, '0') || r.digits, '' ORDER BY r.n)
                 FROM (SELECT coalesce(nullif(ltrim(x.m[1], '0'), ''), '0') AS digits, x.n
                         FROM regexp_matches(f.firmware_version, '[0-9]+', 'g') WITH ORDINALITY AS x(m, n)) r), ''),
             '(\\.00000000010)+$', '') AS key
        FROM (SELECT DISTINCT firmware_version FROM subscribers WHERE firmware_version IS NOT NULL) f
    ) fk ON fk.firmware_version = s.firmware_version`;

/** One rule's criteria as a condition on the subscriber (matches() of src/profiles/rules.ts). */
function ruleMatchSql(rule: ProfileRule, param: Param): string {
  const conditions: string[] = [];
  if (rule.manufacturer !== undefined)
    conditions.push(sameTextSql(RULE_MANUFACTURER, rule.manufacturer, param));
  if (rule.model !== undefined) conditions.push(sameTextSql(RULE_MODEL, rule.model, param));
  if (rule.group !== undefined) conditions.push(sameTextSql('s.group_name', rule.group, param));
  // A firmware bound never matches a handset whose firmware is unknown (fk.key is NULL then).
  if (rule.firmwareMin !== undefined)
    conditions.push(`fk.key >= ${param(firmwareKey(rule.firmwareMin))} COLLATE "C"`);
  if (rule.firmwareMax !== undefined)
    conditions.push(`fk.key <= ${param(firmwareKey(rule.firmwareMax))} COLLATE "C"`);
  return conditions.length === 0 ? 'true' : conditions.join(' AND ');
}

/**
 * "The rules would now give this subscriber `profileId`", compiled from the rules into one CASE over the
 * subscriber's device, firmware and group: the rules in selectProfile's order (orderRules), the first
 * that matches decides, so the CASE stops at the last rule that gives the profile. Set-based: no rule is
 * evaluated per subscriber in JS. Null when no rule gives the profile (nobody is picked by the rules).
 */
function compileRulePick(
  rules: readonly ProfileRule[],
  profileId: string,
  param: Param,
): { joins: string[]; predicate: string } | null {
  const ordered = orderRules(rules);
  let last = -1;
  ordered.forEach((rule, index) => {
    if (rule.profileId === profileId) last = index;
  });
  if (last < 0) return null;
  const deciding = ordered.slice(0, last + 1);
  const branches = deciding.map(
    (rule) => `WHEN ${ruleMatchSql(rule, param)} THEN ${rule.profileId === profileId ? 'true' : 'false'}`,
  );
  const joins = [RULE_DEVICE_JOIN];
  if (deciding.some((rule) => rule.firmwareMin !== undefined || rule.firmwareMax !== undefined))
    joins.push(FIRMWARE_KEY_JOIN);
  // Without a handset the worker selects no profile at all (the push fails NO_HANDSET first).
  return { joins, predicate: `(s.current_imei IS NOT NULL AND CASE ${branches.join(' ')} ELSE false END)` };
}

/**
 * The selector as ONE query over subscribers (every field given is one more condition): the columns
 * are subscriber_id, msisdn, group_name, current_imei, model_id, manufacturer, model and model_key.
 */
export function compileSelector(selector: ResolvedSelector): CompiledSelector {
  const params: SqlParam[] = [];
  const param = (value: SqlParam): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const joins = [MODEL_JOIN];
  const where = ['s.msisdn IS NOT NULL'];
  if (selector.groups) where.push(`s.group_name = ANY(${param(selector.groups)}::text[])`);
  if (selector.msisdnPrefix) where.push(`s.msisdn LIKE ${param(`${selector.msisdnPrefix}%`)}`);
  if (selector.msisdns) where.push(`s.msisdn = ANY(${param(selector.msisdns)}::text[])`);
  if (selector.manufacturers) {
    const names = selector.manufacturers.map((name) => name.toLowerCase());
    where.push(`lower(m.manufacturer) = ANY(${param(names)}::text[])`);
  }
  if (selector.models) {
    const names = param(selector.models.map((name) => name.toLowerCase()));
    where.push(
      `(lower(m.model) = ANY(${names}::text[]) OR lower(m.manufacturer || ' ' || m.model) = ANY(${names}::text[]))`,
    );
  }
  if (selector.never) {
    where.push(
      `NOT EXISTS (SELECT 1 FROM provisionings d WHERE d.subscriber_id = s.id AND d.state = 'delivered')`,
    );
  }
  // The history conditions read every delivered push once (one pass, hashed against the subscribers)
  // rather than one index lookup per subscriber: a base of millions is read in seconds.
  if (selector.lastDeliveredBefore) {
    joins.push(`JOIN (SELECT d.subscriber_id, max(d.finished_at) AS finished_at FROM provisionings d
       WHERE d.state = 'delivered' GROUP BY d.subscriber_id) last ON last.subscriber_id = s.id`);
    where.push(`last.finished_at < ${param(selector.lastDeliveredBefore)}::timestamptz`);
  }
  if (selector.profileId) where.push(profileCondition(selector, selector.profileId, param, joins));
  const sql = `SELECT s.id AS subscriber_id, s.msisdn, s.group_name, s.current_imei,
         m.id AS model_id, m.manufacturer, m.model,
         coalesce(m.id::text, CASE WHEN s.current_imei IS NULL THEN '${NO_HANDSET_KEY}' ELSE '${UNKNOWN_MODEL_KEY}' END) AS model_key
    FROM subscribers s ${joins.join('\n    ')}
   WHERE ${where.join('\n     AND ')}`;
  return { sql, params };
}

/**
 * The profile part: the subscriber's last delivered version of the profile is one of a list, or below N;
 * with the rules given and below N, also "affected": the rules would now give the profile to a subscriber
 * who never had it delivered (then the join to the history is a LEFT JOIN and `had` is NULL for them).
 */
function profileCondition(
  selector: ResolvedSelector,
  profileId: string,
  param: Param,
  joins: string[],
): string {
  const versions = selector.versions;
  const picked =
    selector.rules !== undefined && versions !== undefined && !Array.isArray(versions)
      ? compileRulePick(selector.rules, profileId, param)
      : null;
  joins.push(`${picked ? 'LEFT ' : ''}JOIN (SELECT DISTINCT ON (d.subscriber_id) d.subscriber_id, pv.version
       FROM provisionings d JOIN profile_versions pv ON pv.id = d.profile_version_id
       WHERE d.state = 'delivered' AND pv.profile_id = ${param(profileId)}::uuid
       ORDER BY d.subscriber_id, d.finished_at DESC NULLS LAST) had ON had.subscriber_id = s.id`);
  if (Array.isArray(versions)) return `had.version = ANY(${param(versions)}::int[])`;
  if (!versions) return 'had.subscriber_id IS NOT NULL';
  const older = `had.version < ${param(versions.below)}::int`;
  if (!picked) return older;
  joins.push(...picked.joins);
  return `(${older} OR (had.subscriber_id IS NULL AND ${picked.predicate}))`;
}

/** The selection per (model, group): what the preview renders once per model and counts. */
export interface SelectionGroup {
  modelKey: string;
  modelId: number | null;
  manufacturer: string | null;
  model: string | null;
  groupName: string;
  count: number;
  /** one IMEI of the group, to resolve its device as the worker would */
  imei: string | null;
}

export async function countSelection(db: Db, selector: ResolvedSelector): Promise<SelectionGroup[]> {
  const { sql, params } = compileSelector(selector);
  const rows = await db.query<{
    model_key: string;
    model_id: string | null;
    manufacturer: string | null;
    model: string | null;
    group_name: string;
    count: number;
    imei: string | null;
  }>(
    `SELECT model_key, model_id, manufacturer, model, group_name, count(*)::int AS count, min(current_imei) AS imei
       FROM (${sql}) selected GROUP BY model_key, model_id, manufacturer, model, group_name
      ORDER BY count(*) DESC, model_key, group_name`,
    params,
  );
  return rows.map((row) => ({
    modelKey: row.model_key,
    modelId: row.model_id === null ? null : Number(row.model_id),
    manufacturer: row.manufacturer,
    model: row.model,
    groupName: row.group_name,
    count: row.count,
    imei: row.imei,
  }));
}

export async function sampleSelection(db: Db, selector: ResolvedSelector, limit: number): Promise<string[]> {
  const { sql, params } = compileSelector(selector);
  const rows = await db.query<{ msisdn: string }>(
    `SELECT msisdn FROM (${sql}) selected ORDER BY msisdn LIMIT ${Math.max(0, Math.floor(limit))}`,
    params,
  );
  return rows.map((row) => row.msisdn);
}

// ---------------------------------------------------------------------------------------------------------
// Campaign rows

interface CampaignRow {
  id: string;
  name: string;
  state: CampaignState;
  selector: CampaignSelector;
  content: CampaignContent;
  pacing: CampaignPacing;
  send_window: CampaignWindow | null;
  breaker: CampaignBreaker;
  preview: CampaignPreview;
  state_reason: Record<string, unknown> | null;
  rate_per_second: number;
  target_count: number | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toCampaign(row: CampaignRow): Campaign {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    selector: row.selector,
    content: row.content,
    pacing: row.pacing,
    window: row.send_window,
    breaker: row.breaker,
    preview: row.preview,
    stateReason: row.state_reason,
    ratePerSecond: Number(row.rate_per_second),
    targetCount: row.target_count,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export interface NewCampaign {
  name: string;
  selector: CampaignSelector;
  content: CampaignContent;
  /** the profile and version pushed (content kind 'profile') */
  profileId: string | null;
  profileVersion: number | null;
  pacing: CampaignPacing;
  window: CampaignWindow | null;
  breaker: CampaignBreaker;
  preview: CampaignPreview;
  ratePerSecond: number;
  createdBy: string;
}

export async function insertCampaign(db: Db, campaign: NewCampaign): Promise<Campaign> {
  const row = await db.one<CampaignRow>(
    `INSERT INTO campaigns (name, selector, content, profile_id, profile_version, pacing, send_window, breaker,
                            preview, rate_per_second, created_by)
     VALUES ($1, $2::jsonb, $3::jsonb, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11) RETURNING *`,
    [
      campaign.name,
      asJson(campaign.selector),
      asJson(campaign.content),
      campaign.profileId,
      campaign.profileVersion,
      asJson(campaign.pacing),
      campaign.window === null ? null : asJson(campaign.window),
      asJson(campaign.breaker),
      asJson(campaign.preview),
      campaign.ratePerSecond,
      campaign.createdBy,
    ],
  );
  return toCampaign(row!);
}

export async function getCampaign(db: Db, id: string): Promise<Campaign | undefined> {
  const row = await db.one<CampaignRow>(`SELECT * FROM campaigns WHERE id = $1`, [id]);
  return row && toCampaign(row);
}

export interface CampaignFilter {
  state?: CampaignState;
  limit: number;
  /** the next page: campaigns created before this one */
  before?: { createdAt: Date; id: string };
}

/** Newest first. */
export async function listCampaigns(db: Db, filter: CampaignFilter): Promise<Campaign[]> {
  const rows = await db.query<CampaignRow>(
    `SELECT * FROM campaigns
      WHERE ($1::text IS NULL OR state = $1)
        AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    [filter.state ?? null, filter.before?.createdAt ?? null, filter.before?.id ?? null, filter.limit],
  );
  return rows.map(toCampaign);
}

export async function listRunningCampaigns(db: Db): Promise<Campaign[]> {
  const rows = await db.query<CampaignRow>(
    `SELECT * FROM campaigns WHERE state = 'running' ORDER BY created_at`,
  );
  return rows.map(toCampaign);
}

export interface CampaignChange {
  id: string;
  from: readonly CampaignState[];
  to: CampaignState;
  reason: Record<string, unknown> | null;
  preview?: CampaignPreview;
}

/** Moves a campaign still in one of `from`; undefined when it is not (the caller reads why). */
export async function updateCampaignState(db: Db, change: CampaignChange): Promise<Campaign | undefined> {
  const row = await db.one<CampaignRow>(
    `UPDATE campaigns SET state = $2, state_reason = $3::jsonb, updated_at = now(),
            preview = coalesce($5::jsonb, preview),
            started_at = CASE WHEN $2 = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
            finished_at = CASE WHEN $2 IN ('completed', 'cancelled') THEN now() ELSE finished_at END
      WHERE id = $1 AND state = ANY($4::text[]) RETURNING *`,
    [
      change.id,
      change.to,
      change.reason === null ? null : asJson(change.reason),
      change.from,
      change.preview === undefined ? null : asJson(change.preview),
    ],
  );
  return row && toCampaign(row);
}

// ---------------------------------------------------------------------------------------------------------
// Targets

/**
 * The target list, written once at start from the selector's query: a subscriber whose model and group
 * the preview found unsupported (`skipReasons` by `<model_key>|<group>`) is skipped with that reason,
 * the others pending. Unique per (campaign, subscriber): writing it again adds nothing.
 */
export async function materialiseTargets(
  db: Db,
  campaignId: string,
  selector: ResolvedSelector,
  skipReasons: Readonly<Record<string, string>>,
): Promise<number> {
  const { sql, params } = compileSelector(selector);
  const id = `$${params.length + 1}`;
  const skips = `$${params.length + 2}::jsonb ->> (selected.model_key || '|' || selected.group_name)`;
  await db.query(
    `INSERT INTO campaign_targets (campaign_id, subscriber_id, group_name, state, skip_reason)
     SELECT ${id}::uuid, selected.subscriber_id, selected.group_name,
            CASE WHEN ${skips} IS NULL THEN 'pending' ELSE 'skipped' END, ${skips}
       FROM (${sql}) selected
     ON CONFLICT (campaign_id, subscriber_id) DO NOTHING`,
    [...params, campaignId, asJson(skipReasons)],
  );
  const counted = await db.one<{ count: number }>(
    `UPDATE campaigns SET target_count = (SELECT count(*)::int FROM campaign_targets WHERE campaign_id = $1)
      WHERE id = $1 RETURNING target_count AS count`,
    [campaignId],
  );
  return counted?.count ?? 0;
}

export interface PendingTarget {
  subscriberId: string;
  msisdn: string | null;
  groupName: string;
}

/** A place in the feed order (group, subscriber): a read continues after it. */
export interface FeedPosition {
  groupName: string;
  subscriberId: string;
}

/**
 * Pending targets in the groups given (null: any group), in the feed order, after `after` when given.
 * One group at a time, so each read is a range of the feed index (campaign, group, subscriber) in its
 * order, however many targets a campaign has: no sort of the pending ones per round.
 */
export async function listPendingTargets(
  db: Db,
  campaignId: string,
  groups: readonly string[] | null,
  limit: number,
  after?: FeedPosition,
): Promise<PendingTarget[]> {
  const read = (
    group: string | null,
    count: number,
  ): Promise<Array<{ subscriber_id: string; msisdn: string | null; group_name: string }>> => {
    const params: SqlParam[] = [campaignId, count];
    const param = (value: SqlParam): string => `$${params.push(value)}`;
    const where = ['t.campaign_id = $1', "t.state = 'pending'"];
    if (group !== null) where.push(`t.group_name = ${param(group)}`);
    if (after && group === after.groupName)
      where.push(`t.subscriber_id > ${param(after.subscriberId)}::uuid`);
    else if (after && group === null)
      where.push(
        `(t.group_name, t.subscriber_id) > (${param(after.groupName)}, ${param(after.subscriberId)}::uuid)`,
      );
    return db.query(
      `SELECT t.subscriber_id, s.msisdn, t.group_name FROM campaign_targets t JOIN subscribers s ON s.id = t.subscriber_id
        WHERE ${where.join(' AND ')}
        ORDER BY t.campaign_id, t.group_name, t.subscriber_id LIMIT $2`,
      params,
    );
  };
  const rows = [];
  // groups before the position's come after a read that starts again from the beginning
  const ordered = groups && after ? [...groups].sort().filter((group) => group >= after.groupName) : groups;
  for (const group of ordered ?? [null]) {
    if (rows.length >= limit) break;
    rows.push(...(await read(group, limit - rows.length)));
  }
  return rows.map((row) => ({
    subscriberId: row.subscriber_id,
    msisdn: row.msisdn,
    groupName: row.group_name,
  }));
}

export async function hasPendingTargets(db: Db, campaignId: string): Promise<boolean> {
  const row = await db.one<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM campaign_targets WHERE campaign_id = $1 AND state = 'pending') AS found`,
    [campaignId],
  );
  return row?.found ?? false;
}

/** Why the pending targets of a cancelled campaign get no push. */
export const CANCELLED_REASON = 'CAMPAIGN_CANCELLED';

/**
 * Row locks on a campaign's targets are always taken in the feed index's order (group, subscriber), by
 * every statement that changes several targets: the feeder's links and skips and a cancel's skip of the
 * pending ones. Two of them at once then wait for each other instead of deadlocking (PostgreSQL 40P01:
 * a cancel while the feeder linked a round, each holding rows the other wanted, in the orders their plans
 * happened to take).
 */
const LOCK_ORDER = 'ORDER BY t.group_name, t.subscriber_id FOR UPDATE OF t';

/**
 * Each target now has its provisioning. A pending target moves to queued; so does one a cancel skipped
 * while its push was being requested (that push goes out: counted queued, not skipped). A second write
 * changes nothing.
 */
export async function linkTargets(
  db: Db,
  campaignId: string,
  links: ReadonlyArray<{ subscriberId: string; provisioningId: string }>,
): Promise<void> {
  if (links.length === 0) return;
  const provisioningIds = links.map((link) => link.provisioningId);
  await db.transaction(async (tx) => {
    // The foreign key's check takes a key-share lock on each provisioning, in the order of the targets;
    // the worker and the receipts lock provisionings FOR UPDATE in id order. Taking them first, in id
    // order, keeps the two from deadlocking (found with a campaign at 500/s: 40P01 without a cancel).
    await tx.query(`SELECT id FROM provisionings WHERE id = ANY($1::uuid[]) ORDER BY id FOR KEY SHARE`, [
      provisioningIds,
    ]);
    await tx.query(
      `WITH v AS (SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS v (subscriber_id, provisioning_id)),
          locked AS (
            SELECT t.subscriber_id, v.provisioning_id FROM campaign_targets t JOIN v ON v.subscriber_id = t.subscriber_id
             WHERE t.campaign_id = $1
               AND (t.state = 'pending'
                    OR (t.state = 'skipped' AND t.skip_reason = $4 AND t.provisioning_id IS NULL))
             ${LOCK_ORDER})
     UPDATE campaign_targets t SET state = 'queued', provisioning_id = locked.provisioning_id, skip_reason = NULL,
            updated_at = now()
       FROM locked WHERE t.campaign_id = $1 AND t.subscriber_id = locked.subscriber_id`,
      [campaignId, links.map((link) => link.subscriberId), provisioningIds, CANCELLED_REASON],
    );
  });
}

/** Targets no push will go to, with why (a subscriber gone, a request refused, the campaign cancelled). */
export async function skipTargets(
  db: Db,
  campaignId: string,
  skips: ReadonlyArray<{ subscriberId: string; reason: string }>,
): Promise<void> {
  if (skips.length === 0) return;
  await db.query(
    `WITH v AS (SELECT * FROM unnest($2::uuid[], $3::text[]) AS v (subscriber_id, reason)),
          locked AS (
            SELECT t.subscriber_id, v.reason FROM campaign_targets t JOIN v ON v.subscriber_id = t.subscriber_id
             WHERE t.campaign_id = $1 AND t.state = 'pending' ${LOCK_ORDER})
     UPDATE campaign_targets t SET state = 'skipped', skip_reason = locked.reason, updated_at = now()
       FROM locked WHERE t.campaign_id = $1 AND t.subscriber_id = locked.subscriber_id`,
    [campaignId, skips.map((skip) => skip.subscriberId), skips.map((skip) => skip.reason)],
  );
}

/** A cancel: every pending target is skipped (in the lock order above: the feeder may be linking some). */
export async function skipPendingTargets(db: Db, campaignId: string): Promise<number> {
  const rows = await db.query<{ subscriber_id: string }>(
    `WITH locked AS (SELECT t.subscriber_id FROM campaign_targets t
                      WHERE t.campaign_id = $1 AND t.state = 'pending' ${LOCK_ORDER})
     UPDATE campaign_targets t SET state = 'skipped', skip_reason = $2, updated_at = now()
       FROM locked WHERE t.campaign_id = $1 AND t.subscriber_id = locked.subscriber_id
     RETURNING t.subscriber_id`,
    [campaignId, CANCELLED_REASON],
  );
  return rows.length;
}

// ---------------------------------------------------------------------------------------------------------
// Progress

const OPEN_STATES = `('requested', 'awaiting-confirmation', 'queued', 'submitting')`;
const FAILED_STATES = `('failed', 'expired', 'cancelled')`;

export async function countCampaign(db: Db, campaignId: string): Promise<CampaignCounts> {
  const row = await db.one<Omit<CampaignCounts, 'failedByReason' | 'skippedByReason'>>(
    `SELECT count(*)::int AS selected,
            count(*) FILTER (WHERE t.state = 'pending')::int AS remaining,
            count(*) FILTER (WHERE t.state = 'skipped')::int AS skipped,
            count(*) FILTER (WHERE p.state IN ${OPEN_STATES})::int AS queued,
            count(*) FILTER (WHERE p.state = 'submitted')::int AS submitted,
            count(*) FILTER (WHERE p.state = 'delivered')::int AS delivered,
            count(*) FILTER (WHERE p.state = 'delivered' AND p.applied_at IS NOT NULL)::int AS applied,
            count(*) FILTER (WHERE p.state IN ${FAILED_STATES})::int AS failed
       FROM campaign_targets t LEFT JOIN provisionings p ON p.id = t.provisioning_id
      WHERE t.campaign_id = $1`,
    [campaignId],
  );
  const reasons = await db.query<{ kind: 'failed' | 'skipped'; reason: string; count: number }>(
    `SELECT CASE WHEN t.state = 'skipped' THEN 'skipped' ELSE 'failed' END AS kind,
            coalesce(CASE WHEN t.state = 'skipped' THEN t.skip_reason ELSE p.failure_code END, 'UNKNOWN') AS reason,
            count(*)::int AS count
       FROM campaign_targets t LEFT JOIN provisionings p ON p.id = t.provisioning_id
      WHERE t.campaign_id = $1 AND (t.state = 'skipped' OR p.state IN ${FAILED_STATES})
      GROUP BY 1, 2`,
    [campaignId],
  );
  const failedByReason: Record<string, number> = {};
  const skippedByReason: Record<string, number> = {};
  for (const entry of reasons) {
    (entry.kind === 'failed' ? failedByReason : skippedByReason)[entry.reason] = entry.count;
  }
  return { ...row!, failedByReason, skippedByReason };
}

/**
 * Pushes of the campaign that are about to go to the SMSC (the feeder keeps these few). Those deferred
 * to later (quiet hours, a daily cap: not_before ahead) do not count, or they would hold the campaign.
 */
export async function countInFlight(db: Db, campaignId: string): Promise<number> {
  const row = await db.one<{ count: number }>(
    `SELECT count(*)::int AS count FROM provisionings
      WHERE campaign_id = $1 AND state IN ('requested', 'queued', 'submitting')
        AND (not_before IS NULL OR not_before <= now())`,
    [campaignId],
  );
  return row?.count ?? 0;
}

/** The numbers countInFlight counts (at most `limit`): the feeder tells them apart by SMSC. */
export async function listInFlightNumbers(db: Db, campaignId: string, limit: number): Promise<string[]> {
  const rows = await db.query<{ msisdn: string | null }>(
    `SELECT s.msisdn FROM provisionings p JOIN subscribers s ON s.id = p.subscriber_id
      WHERE p.campaign_id = $1 AND p.state IN ('requested', 'queued', 'submitting')
        AND (p.not_before IS NULL OR p.not_before <= now())
      LIMIT $2`,
    [campaignId, limit],
  );
  return rows.map((row) => row.msisdn ?? '');
}

/** Pushes of the campaign not final yet (none, with no pending target: the campaign is complete). */
export async function countUnfinished(db: Db, campaignId: string): Promise<number> {
  const row = await db.one<{ count: number }>(
    `SELECT count(*)::int AS count FROM provisionings
      WHERE campaign_id = $1 AND state NOT IN ('delivered', 'failed', 'expired', 'cancelled')`,
    [campaignId],
  );
  return row?.count ?? 0;
}

/** The last `window` pushes that went out and ended since `since`: how many, and how many of them failed. */
export async function breakerWindow(
  db: Db,
  campaignId: string,
  window: number,
  since: Date,
): Promise<{ finished: number; failed: number; codes: Record<string, number> }> {
  const rows = await db.query<{ code: string | null; count: number }>(
    `SELECT CASE WHEN state = 'delivered' THEN NULL ELSE coalesce(failure_code, state) END AS code, count(*)::int AS count
       FROM (SELECT state, failure_code FROM provisionings
              WHERE campaign_id = $1 AND finished_at IS NOT NULL AND submitted_at IS NOT NULL
                AND state IN ('delivered', 'failed', 'expired') AND finished_at >= $3
              ORDER BY finished_at DESC LIMIT $2) recent
      GROUP BY 1`,
    [campaignId, window, since],
  );
  const codes: Record<string, number> = {};
  let finished = 0;
  let failed = 0;
  for (const row of rows) {
    finished += row.count;
    if (row.code === null) continue;
    failed += row.count;
    codes[row.code] = row.count;
  }
  return { finished, failed, codes };
}

/** Pushes of the campaign that went out in the last `seconds`. */
export async function countSubmittedSince(db: Db, campaignId: string, seconds: number): Promise<number> {
  const row = await db.one<{ count: number }>(
    `SELECT count(*)::int AS count FROM provisionings
      WHERE campaign_id = $1 AND submitted_at IS NOT NULL AND submitted_at > now() - make_interval(secs => $2)`,
    [campaignId, seconds],
  );
  return row?.count ?? 0;
}
