/**
 * Profiles in the store: `profiles` (one row per profile), `profile_versions` (immutable: every save is a
 * new version with who, when and a note; the database refuses updates) and `profile_rules`. Parameter
 * sets are validated before they are written and stored in their parsed form (defaults applied).
 */
import {
  asJson,
  genericPlan,
  isUuid,
  sqlState,
  SQLSTATE_FOREIGN_KEY_VIOLATION,
  type Db,
} from '../store/db.ts';
import { ProfileError } from './errors.ts';
import { profileRuleSchema, type ProfileRule } from './rules.ts';
import { parseProfileParameters, type ProfileParameters } from './schema.ts';
import type { ProfileSeed } from './seed-files.ts';
import { describeIssues, requiredFieldErrors, toValidationIssues } from './validation.ts';
import { contentHash, keepMaskedSecrets } from './versions.ts';

export interface Profile {
  id: string;
  /** Unique key, e.g. `northwind-standard` (a seed's id). */
  name: string;
  description: string | null;
  /** 0 until the first version is saved. */
  latestVersion: number;
  createdBy: string;
  createdAt: Date;
  archivedAt: Date | null;
}

export interface ProfileVersion {
  id: string;
  profileId: string;
  version: number;
  parameters: ProfileParameters;
  /** contentHash(parameters): equal hashes, equal content. */
  contentHash: string;
  createdBy: string;
  createdAt: Date;
  note: string | null;
}

export interface StoredProfileRule extends ProfileRule {
  id: string;
  /** Pin a version; null means the profile's latest version at the time of the push. */
  profileVersion: number | null;
  enabled: boolean;
  note: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProfileRuleInput extends ProfileRule {
  profileVersion?: number | null;
  enabled?: boolean;
  note?: string | null;
  createdBy: string;
}

interface ProfileRow {
  id: string;
  name: string;
  description: string | null;
  latest_version: number;
  created_by: string;
  created_at: Date;
  archived_at: Date | null;
}

interface VersionRow {
  id: string;
  profile_id: string;
  version: number;
  content: ProfileParameters;
  created_by: string;
  created_at: Date;
  note: string | null;
}

interface RuleRow {
  id: string;
  priority: number;
  manufacturer: string | null;
  model: string | null;
  firmware_min: string | null;
  firmware_max: string | null;
  subscriber_group: string | null;
  profile_id: string;
  profile_version: number | null;
  enabled: boolean;
  note: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const PROFILE_COLUMNS = 'id, name, description, latest_version, created_by, created_at, archived_at';
const VERSION_COLUMNS = 'id, profile_id, version, content, created_by, created_at, note';
const RULE_COLUMNS =
  'id, priority, manufacturer, model, firmware_min, firmware_max, subscriber_group, profile_id, profile_version, ' +
  'enabled, note, created_by, created_at, updated_at';

const toProfile = (row: ProfileRow): Profile => ({
  id: row.id,
  name: row.name,
  description: row.description,
  latestVersion: row.latest_version,
  createdBy: row.created_by,
  createdAt: row.created_at,
  archivedAt: row.archived_at,
});

const toVersion = (row: VersionRow): ProfileVersion => ({
  id: row.id,
  profileId: row.profile_id,
  version: row.version,
  parameters: row.content,
  contentHash: contentHash(row.content),
  createdBy: row.created_by,
  createdAt: row.created_at,
  note: row.note,
});

function toRule(row: RuleRow): StoredProfileRule {
  const optional = <K extends string>(key: K, value: string | null) =>
    (value === null ? {} : { [key]: value }) as Partial<Record<K, string>>;
  return {
    id: row.id,
    priority: row.priority,
    ...optional('manufacturer', row.manufacturer),
    ...optional('model', row.model),
    ...optional('firmwareMin', row.firmware_min),
    ...optional('firmwareMax', row.firmware_max),
    ...optional('group', row.subscriber_group),
    profileId: row.profile_id,
    profileVersion: row.profile_version,
    enabled: row.enabled,
    note: row.note,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Profiles and versions

export interface CreateProfileInput {
  name: string;
  description?: string | null;
  /** The first version's parameters (validated). */
  parameters: unknown;
  createdBy: string;
  note?: string | null;
}

/** Creates a profile with its first version, in one transaction. A taken name is a unique violation. */
export async function createProfile(
  db: Db,
  input: CreateProfileInput,
): Promise<{ profile: Profile; version: ProfileVersion }> {
  const parameters = parseProfileParameters(input.parameters);
  return db.transaction(async (tx) => {
    const row = await tx.one<ProfileRow>(
      `INSERT INTO profiles (name, description, created_by) VALUES ($1, $2, $3) RETURNING ${PROFILE_COLUMNS}`,
      [input.name, input.description ?? null, input.createdBy],
    );
    const version = await insertVersion(
      tx,
      (row as ProfileRow).id,
      parameters,
      input.createdBy,
      input.note ?? null,
    );
    return { profile: { ...toProfile(row as ProfileRow), latestVersion: version.version }, version };
  });
}

export interface SaveVersionInput {
  parameters: unknown;
  createdBy: string;
  note?: string | null;
}

/** Saves the parameters as the profile's next version (never changes an existing one). */
export async function saveVersion(
  db: Db,
  profileId: string,
  input: SaveVersionInput,
): Promise<ProfileVersion> {
  const parameters = parseProfileParameters(input.parameters);
  return db.transaction((tx) =>
    insertVersion(tx, profileId, parameters, input.createdBy, input.note ?? null),
  );
}

async function insertVersion(
  tx: Db,
  profileId: string,
  parameters: ProfileParameters,
  createdBy: string,
  note: string | null,
): Promise<ProfileVersion> {
  // The row lock makes concurrent saves of one profile take consecutive numbers instead of colliding.
  const bumped = await tx.one<{ latest_version: number }>(
    'UPDATE profiles SET latest_version = latest_version + 1 WHERE id = $1 RETURNING latest_version',
    [profileId],
  );
  if (!bumped) throw new ProfileError('UNKNOWN_REFERENCE', `no profile ${profileId}`, { profileId });
  // Read under the row lock just taken: the version this one follows, whose secrets a "***" keeps.
  const previous =
    bumped.latest_version > 1 ? await getVersion(tx, profileId, bumped.latest_version - 1) : undefined;
  const content = keepMaskedSecrets(parameters, previous?.parameters);
  const row = await tx.one<VersionRow>(
    `INSERT INTO profile_versions (profile_id, version, content, created_by, note)
     VALUES ($1, $2, $3::jsonb, $4, $5) RETURNING ${VERSION_COLUMNS}`,
    [profileId, bumped.latest_version, asJson(content), createdBy, note],
  );
  return toVersion(row as VersionRow);
}

export async function getProfile(db: Db, profileId: string): Promise<Profile | undefined> {
  const row = await db.one<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE id = $1`, [profileId]);
  return row && toProfile(row);
}

export async function findProfileByName(db: Db, name: string): Promise<Profile | undefined> {
  const row = await db.one<ProfileRow>(`SELECT ${PROFILE_COLUMNS} FROM profiles WHERE name = $1`, [name]);
  return row && toProfile(row);
}

/** A profile by its id or by its name: the API, the CLI and campaigns name a profile either way. */
export async function findProfile(db: Db, idOrName: string): Promise<Profile | undefined> {
  return isUuid(idOrName) ? getProfile(db, idOrName) : findProfileByName(db, idOrName);
}

/** All profiles by name; archived ones only when asked. */
export async function listProfiles(db: Db, options: { includeArchived?: boolean } = {}): Promise<Profile[]> {
  const rows = await db.query<ProfileRow>(
    `SELECT ${PROFILE_COLUMNS} FROM profiles ${options.includeArchived ? '' : 'WHERE archived_at IS NULL'} ORDER BY name`,
  );
  return rows.map(toProfile);
}

/** Every version of a profile, oldest first. */
export async function listVersions(db: Db, profileId: string): Promise<ProfileVersion[]> {
  const rows = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM profile_versions WHERE profile_id = $1 ORDER BY version`,
    [profileId],
  );
  return rows.map(toVersion);
}

/** One version of a profile; the latest when `version` is left out. */
export async function getVersion(
  db: Db,
  profileId: string,
  version?: number,
): Promise<ProfileVersion | undefined> {
  const row =
    version === undefined
      ? await db.one<VersionRow>(
          genericPlan(
            `SELECT ${VERSION_COLUMNS} FROM profile_versions WHERE profile_id = $1 ORDER BY version DESC LIMIT 1`,
          ),
          [profileId],
        )
      : await db.one<VersionRow>(
          genericPlan(
            `SELECT ${VERSION_COLUMNS} FROM profile_versions WHERE profile_id = $1 AND version = $2`,
          ),
          [profileId, version],
        );
  return row && toVersion(row);
}

/** A version by its own id (the id provisionings and rules point at). */
export async function getVersionById(db: Db, versionId: string): Promise<ProfileVersion | undefined> {
  const row = await db.one<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM profile_versions WHERE id = $1`, [
    versionId,
  ]);
  return row && toVersion(row);
}

// ---------------------------------------------------------------------------------------------------------
// Rules

function validatedRule(input: ProfileRule): ProfileRule {
  const result = profileRuleSchema.safeParse(
    {
      priority: input.priority,
      manufacturer: input.manufacturer,
      model: input.model,
      firmwareMin: input.firmwareMin,
      firmwareMax: input.firmwareMax,
      group: input.group,
      profileId: input.profileId,
    },
    { error: requiredFieldErrors },
  );
  if (result.success) return result.data;
  const issues = toValidationIssues(result.error);
  throw new ProfileError('PROFILE_INVALID', `invalid rule: ${describeIssues(issues, '(rule)')}`, { issues });
}

/** A rule naming a group or profile that does not exist reads as UNKNOWN_REFERENCE, not as a SQL error. */
async function withReferenceCheck<T>(rule: ProfileRule, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (sqlState(error) !== SQLSTATE_FOREIGN_KEY_VIOLATION) throw error;
    throw new ProfileError(
      'UNKNOWN_REFERENCE',
      `rule names a profile or group that does not exist (profile ${rule.profileId}` +
        `${rule.group !== undefined ? `, group "${rule.group}"` : ''})`,
      { profileId: rule.profileId, group: rule.group },
    );
  }
}

/** A rule's priority, criteria and profile, in the column order of the INSERT and UPDATE below. */
function ruleCriteria(rule: ProfileRule) {
  return [
    rule.priority,
    rule.manufacturer,
    rule.model,
    rule.firmwareMin,
    rule.firmwareMax,
    rule.group,
    rule.profileId,
  ];
}

export async function createRule(db: Db, input: ProfileRuleInput): Promise<StoredProfileRule> {
  const rule = validatedRule(input);
  const row = await withReferenceCheck(rule, () =>
    db.one<RuleRow>(
      `INSERT INTO profile_rules
         (priority, manufacturer, model, firmware_min, firmware_max, subscriber_group, profile_id, profile_version,
          enabled, note, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${RULE_COLUMNS}`,
      [
        ...ruleCriteria(rule),
        input.profileVersion ?? null,
        input.enabled ?? true,
        input.note ?? null,
        input.createdBy,
      ],
    ),
  );
  return toRule(row as RuleRow);
}

/** What updateRule changes: a field left out stays, null clears an optional one. */
export interface ProfileRuleChange {
  priority?: number;
  manufacturer?: string | null;
  model?: string | null;
  firmwareMin?: string | null;
  firmwareMax?: string | null;
  group?: string | null;
  profileId?: string;
  profileVersion?: number | null;
  enabled?: boolean;
  note?: string | null;
}

/** Changes a rule (validated as a whole afterwards); undefined when there is no such rule. */
export async function updateRule(
  db: Db,
  ruleId: string,
  change: ProfileRuleChange,
): Promise<StoredProfileRule | undefined> {
  return db.transaction(async (tx) => {
    const current = await tx.one<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM profile_rules WHERE id = $1 FOR UPDATE`,
      [ruleId],
    );
    if (!current) return undefined;
    const before = toRule(current);
    const criterion = (key: 'manufacturer' | 'model' | 'firmwareMin' | 'firmwareMax' | 'group') =>
      change[key] === undefined ? before[key] : (change[key] ?? undefined);
    const rule = validatedRule({
      priority: change.priority ?? before.priority,
      manufacturer: criterion('manufacturer'),
      model: criterion('model'),
      firmwareMin: criterion('firmwareMin'),
      firmwareMax: criterion('firmwareMax'),
      group: criterion('group'),
      profileId: change.profileId ?? before.profileId,
    });
    const row = await withReferenceCheck(rule, () =>
      tx.one<RuleRow>(
        `UPDATE profile_rules SET priority = $2, manufacturer = $3, model = $4, firmware_min = $5, firmware_max = $6,
           subscriber_group = $7, profile_id = $8, profile_version = $9, enabled = $10, note = $11, updated_at = now()
         WHERE id = $1 RETURNING ${RULE_COLUMNS}`,
        [
          ruleId,
          ...ruleCriteria(rule),
          change.profileVersion === undefined ? before.profileVersion : change.profileVersion,
          change.enabled ?? before.enabled,
          change.note === undefined ? before.note : change.note,
        ],
      ),
    );
    return row && toRule(row);
  });
}

/** Removes a rule; false when there was none. */
export async function deleteRule(db: Db, ruleId: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM profile_rules WHERE id = $1 RETURNING id', [ruleId]);
  return rows.length > 0;
}

export async function getRule(db: Db, ruleId: string): Promise<StoredProfileRule | undefined> {
  const row = await db.one<RuleRow>(`SELECT ${RULE_COLUMNS} FROM profile_rules WHERE id = $1`, [ruleId]);
  return row && toRule(row);
}

/**
 * Rules in the order selectProfile tries them (priority ascending, then creation order; selectProfile
 * adds the specificity tie-break). `enabledOnly` for selection; the admin view wants them all.
 */
export async function listRules(
  db: Db,
  options: { enabledOnly?: boolean } = {},
): Promise<StoredProfileRule[]> {
  const rows = await db.query<RuleRow>(
    `SELECT ${RULE_COLUMNS} FROM profile_rules ${options.enabledOnly ? 'WHERE enabled' : ''}
     ORDER BY priority, created_at, id`,
  );
  return rows.map(toRule);
}

// ---------------------------------------------------------------------------------------------------------
// Seeds

export interface SeedResult {
  /** Profile names created now. */
  created: string[];
  /** Profile names that already existed (left exactly as they are, rules included). */
  existing: string[];
}

/**
 * Puts the seeds of config/profiles (provisioning/seeds.ts reads them) in the store: a seed whose name is not there yet becomes
 * a profile with version 1 and its rules, all in one transaction; a name that exists is left alone, so
 * running it on every start is safe, also from several processes at once. Rule groups must exist already
 * (seed the groups first), else UNKNOWN_REFERENCE.
 */
export async function seedProfiles(
  db: Db,
  seeds: readonly ProfileSeed[],
  createdBy = 'seed',
): Promise<SeedResult> {
  const result: SeedResult = { created: [], existing: [] };
  for (const seed of seeds) {
    const created = await db.transaction(async (tx) => {
      const row = await tx.one<{ id: string }>(
        `INSERT INTO profiles (name, description, created_by) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING RETURNING id`,
        [seed.id, seed.description ?? null, createdBy],
      );
      if (!row) return false;
      await insertVersion(tx, row.id, seed.parameters, createdBy, `seeded from ${seed.source}`);
      for (const rule of seed.rules) await createRule(tx, { ...rule, profileId: row.id, createdBy });
      return true;
    });
    (created ? result.created : result.existing).push(seed.id);
  }
  return result;
}
