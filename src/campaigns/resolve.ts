/**
 * A campaign document as given (validated in shape by the HTTP schema) -> what the store and the feeder
 * work with: the profile and version named, the selector with ids and numbers, the SMS rate of the
 * pacing. Mistakes only the store can see (an unknown profile, a version that does not exist, a bad
 * CSV line) are CAMPAIGN_INVALID (422) naming the field.
 */
import type { Config } from '../config.ts';
import { parseCsv } from '../devices/csv.ts';
import { findProfileByName, getProfile, getVersion, listRules } from '../profiles/repository.ts';
import { isUuid } from '../provisioning/repository.ts';
import type { Db } from '../store/db.ts';
import { totalSmsPerSecond } from './pacing.ts';
import type { ResolvedSelector } from './repository.ts';
import { CampaignError, type CampaignContent, type CampaignPacing, type CampaignSelector } from './types.ts';

export interface ResolvedContent {
  content: CampaignContent;
  profileId: string | null;
  profileVersion: number | null;
  /** the version pushed; null for SI/SL */
  versionId: string | null;
}

const MSISDN = /^[1-9][0-9]{2,14}$/;

export function invalid(field: string, message: string, code = 'invalid_value'): CampaignError {
  return new CampaignError('CAMPAIGN_INVALID', `${field}: ${message}`, {
    field,
    issues: [{ field, message, code }],
  });
}

async function findProfile(db: Db, ref: string, field: string): Promise<{ id: string; name: string }> {
  const profile = isUuid(ref) ? await getProfile(db, ref) : await findProfileByName(db, ref);
  if (!profile || profile.archivedAt !== null) throw invalid(field, `no profile '${ref}'`, 'unknown_profile');
  return profile;
}

/** The profile and version a profile campaign pushes (the latest when none is named), fixed at creation. */
export async function resolveContent(db: Db, content: CampaignContent): Promise<ResolvedContent> {
  // An SI/SL push was validated with its schema (pushContentSchema): it is pushed as it is.
  if (content.kind !== 'profile') return { content, profileId: null, profileVersion: null, versionId: null };
  const profile = await findProfile(db, content.profile, 'body.content.profile');
  const version = await getVersion(db, profile.id, content.version);
  if (!version) {
    throw invalid(
      'body.content.version',
      content.version === undefined
        ? `profile '${content.profile}' has no version`
        : `profile '${content.profile}' has no version ${content.version}`,
      'unknown_version',
    );
  }
  return {
    content: { kind: 'profile', profile: profile.name, version: version.version },
    profileId: profile.id,
    profileVersion: version.version,
    versionId: version.id,
  };
}

/** Numbers of a list, or of the first column of a CSV text (a header line that is not a number is skipped). */
export function msisdnsOf(given: string[] | string): string[] {
  const field = 'body.selector.msisdns';
  if (Array.isArray(given)) {
    return given.map((value, index) => {
      const digits = value.trim().replace(/^\+/, '');
      if (!MSISDN.test(digits)) throw invalid(`${field}.${index}`, `'${value}' is not an E.164 number`);
      return digits;
    });
  }
  const { records, issues } = parseCsv(given);
  if (issues.length > 0)
    throw invalid(field, `CSV line ${issues[0]!.line}: ${issues[0]!.message}`, 'csv_invalid');
  const numbers: string[] = [];
  records.forEach((record, index) => {
    const digits = (record.fields[0] ?? '').trim().replace(/^\+/, '');
    if (MSISDN.test(digits)) numbers.push(digits);
    else if (index > 0 || /[0-9]/.test(digits))
      throw invalid(
        field,
        `CSV line ${record.line}: '${record.fields[0]}' is not an E.164 number`,
        'csv_invalid',
      );
  });
  if (numbers.length === 0) throw invalid(field, 'the CSV holds no numbers', 'csv_empty');
  return numbers;
}

/**
 * The selector with its profile as an id. A profile without `versions` means "affected by the version
 * pushed": last delivered version below it (below the latest when the campaign pushes something else).
 * With `versions: { below: N }` (given or implied) "affected" also means the selection rules enabled now
 * would give the profile to a subscriber who never had it delivered; the rules are read here, so the
 * draft's preview and the start's target list each take the rules of their moment.
 */
export async function resolveSelector(
  db: Db,
  selector: CampaignSelector,
  content: ResolvedContent,
): Promise<ResolvedSelector> {
  const resolved: ResolvedSelector = {
    models: selector.models,
    manufacturers: selector.manufacturers,
    groups: selector.groups,
    msisdnPrefix: selector.msisdnPrefix?.replace(/^\+/, ''),
    never: selector.never,
  };
  if (selector.msisdns !== undefined) resolved.msisdns = msisdnsOf(selector.msisdns);
  if (selector.lastDeliveredBefore !== undefined)
    resolved.lastDeliveredBefore = new Date(selector.lastDeliveredBefore);
  if (selector.profile !== undefined) {
    const profile = await findProfile(db, selector.profile, 'body.selector.profile');
    resolved.profileId = profile.id;
    if (selector.versions !== undefined) resolved.versions = selector.versions;
    else if (content.profileId === profile.id) resolved.versions = { below: content.profileVersion! };
    else resolved.versions = { below: (await getVersion(db, profile.id))?.version ?? 1 };
    // "Affected by version N" (issue 12): also those the rules as they are now would give the profile.
    if (!Array.isArray(resolved.versions)) resolved.rules = await listRules(db, { enabledOnly: true });
  }
  return resolved;
}

/**
 * SMS per second of a pacing: its tps, or its share of the tps of each SMSC that is first on a route
 * (pacing.ts: the feeder paces each SMSC's lane on its own; this sum is the preview's and status's figure).
 */
export function ratePerSecondOf(pacing: CampaignPacing, config: Config): number {
  const rate = totalSmsPerSecond(pacing, config.smsc.routing);
  // tps 0 is "no limit": a share of it is no figure to pace by.
  if (rate === null || rate <= 0) {
    throw invalid(
      'body.pacing.shareOfSmsc',
      'the SMSCs have no configured throughput (tps) to take a share of: give pacing.tps instead',
      'no_smsc_throughput',
    );
  }
  return rate;
}
