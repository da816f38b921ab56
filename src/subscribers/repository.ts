/**
 * subscribers and subscriber_devices: who the SIM is, which handset it was last seen in, and when a
 * trigger last started a provisioning (imei_changed_at, the debounce anchor of first-use detection).
 */
import { genericPlan, type Db } from '../store/db.ts';

export interface Subscriber {
  id: string;
  imsi: string;
  msisdn: string | null;
  groupName: string;
  currentImei: string | null;
  imeiChangedAt: Date | null;
  firmwareVersion: string | null;
  seenAt: Date | null;
  createdAt: Date;
}

interface SubscriberRow {
  id: string;
  imsi: string;
  msisdn: string | null;
  group_name: string;
  current_imei: string | null;
  imei_changed_at: Date | null;
  firmware_version: string | null;
  seen_at: Date | null;
  created_at: Date;
}

const COLUMN_NAMES = [
  'id',
  'imsi',
  'msisdn',
  'group_name',
  'current_imei',
  'imei_changed_at',
  'firmware_version',
  'seen_at',
  'created_at',
] as const;
const COLUMNS = COLUMN_NAMES.join(', ');
/** COLUMNS of the subscribers table aliased `s`. */
const S_COLUMNS = COLUMN_NAMES.map((column) => `s.${column}`).join(', ');

function toSubscriber(row: SubscriberRow): Subscriber {
  return {
    id: row.id,
    imsi: row.imsi,
    msisdn: row.msisdn,
    groupName: row.group_name,
    currentImei: row.current_imei,
    imeiChangedAt: row.imei_changed_at,
    firmwareVersion: row.firmware_version,
    seenAt: row.seen_at,
    createdAt: row.created_at,
  };
}

/** Digits only, international form without '+' (the spelling the subscribers table keeps). */
export function normaliseMsisdn(msisdn: string): string {
  return msisdn.replace(/^\+/, '').replace(/[\s-]/g, '');
}

export async function findSubscriber(
  db: Db,
  key: { imsi?: string; msisdn?: string; id?: string },
): Promise<Subscriber | undefined> {
  let row: SubscriberRow | undefined;
  if (key.id)
    row = await db.one<SubscriberRow>(genericPlan(`SELECT ${COLUMNS} FROM subscribers WHERE id = $1`), [
      key.id,
    ]);
  else if (key.imsi)
    row = await db.one<SubscriberRow>(genericPlan(`SELECT ${COLUMNS} FROM subscribers WHERE imsi = $1`), [
      key.imsi,
    ]);
  else if (key.msisdn)
    row = await db.one<SubscriberRow>(genericPlan(`SELECT ${COLUMNS} FROM subscribers WHERE msisdn = $1`), [
      normaliseMsisdn(key.msisdn),
    ]);
  return row && toSubscriber(row);
}

/** The subscriber whose SIM is in this handset now (through subscriber_devices' imei index). */
export async function findSubscriberInHandset(db: Db, imei: string): Promise<Subscriber | undefined> {
  const row = await db.one<SubscriberRow>(
    genericPlan(`SELECT ${S_COLUMNS} FROM subscriber_devices d
       JOIN subscribers s ON s.id = d.subscriber_id AND s.current_imei = d.imei
     WHERE d.imei = $1 ORDER BY s.seen_at DESC NULLS LAST LIMIT 1`),
    [imei],
  );
  return row && toSubscriber(row);
}

/** The firmware the subscriber's handset last reported (profile rules match on it). */
export async function recordFirmwareVersion(db: Db, subscriberId: string, firmware: string): Promise<void> {
  await db.query('UPDATE subscribers SET firmware_version = $2, updated_at = now() WHERE id = $1', [
    subscriberId,
    firmware,
  ]);
}

/** A handset the subscriber's SIM was seen in. */
export interface SubscriberHandset {
  imei: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/** Every handset the subscriber's SIM was seen in, most recently seen first. */
export async function listSubscriberHandsets(db: Db, subscriberId: string): Promise<SubscriberHandset[]> {
  return db.query<SubscriberHandset>(
    `SELECT imei, first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt"
       FROM subscriber_devices WHERE subscriber_id = $1 ORDER BY last_seen_at DESC`,
    [subscriberId],
  );
}

/** Pushes that count against the daily cap: sent (or being sent) in [start, end). */
export async function countPushesBetween(
  db: Db,
  subscriberId: string,
  start: Date,
  end: Date,
): Promise<number> {
  const row = await db.one<{ count: number }>(
    genericPlan(`SELECT count(*)::int AS count FROM provisionings
     WHERE subscriber_id = $1 AND submitted_at >= $2 AND submitted_at < $3`),
    [subscriberId, start, end],
  );
  return row?.count ?? 0;
}

/**
 * The subscribers of these IMSIs (one trigger alone is a batch of one), created when new, locked for the
 * rest of the transaction (first-use decisions for one SIM are serialised). A number that moved to
 * another SIM is taken from its old one. Two statements: numbers moved, then one multi-row upsert, whose
 * INSERT ... ON CONFLICT DO UPDATE locks the rows it returns (PostgreSQL docs, INSERT). The IMSIs and the
 * MSISDNs must each be distinct: the caller serialises triggers of one SIM or number. Rows are upserted
 * in IMSI order, so concurrent batches lock subscribers in the same order.
 */
export async function lockSubscribersForTriggers(
  tx: Db,
  identities: ReadonlyArray<{ imsi: string; msisdn: string }>,
): Promise<Map<string, Subscriber>> {
  const imsis = identities.map((identity) => identity.imsi);
  const msisdns = identities.map((identity) => normaliseMsisdn(identity.msisdn));
  await tx.query(
    genericPlan(`UPDATE subscribers s SET msisdn = NULL, updated_at = now()
     FROM unnest($1::text[], $2::text[]) AS x(imsi, msisdn)
     WHERE s.msisdn = x.msisdn AND s.imsi <> x.imsi`),
    [imsis, msisdns],
  );
  const rows = await tx.query<SubscriberRow>(
    genericPlan(`INSERT INTO subscribers (imsi, msisdn, group_name)
     SELECT x.imsi, x.msisdn, 'default' FROM unnest($1::text[], $2::text[]) AS x(imsi, msisdn) ORDER BY x.imsi
     ON CONFLICT (imsi) DO UPDATE SET msisdn = EXCLUDED.msisdn,
       updated_at = CASE WHEN subscribers.msisdn IS DISTINCT FROM EXCLUDED.msisdn THEN now()
                         ELSE subscribers.updated_at END
     RETURNING ${COLUMNS}`),
    [imsis, msisdns],
  );
  return new Map(rows.map((row) => [row.imsi, toSubscriber(row)]));
}

/**
 * What the triggers saw, one statement for all, one entry per subscriber: the SIM in a new handset
 * (newHandset: a first use that starts a provisioning) or seen (in the same handset, or in a new one
 * during the debounce window); the handset recorded in subscriber_devices either way.
 */
export async function recordTriggerHandsets(
  tx: Db,
  entries: ReadonlyArray<{ subscriberId: string; imei: string; at: Date; newHandset: boolean }>,
): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    genericPlan(`WITH x AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::boolean[])
         AS x(subscriber_id, imei, at, new_handset)
     ), moved AS (
       UPDATE subscribers s SET
         current_imei = CASE WHEN x.new_handset THEN x.imei ELSE s.current_imei END,
         imei_changed_at = CASE WHEN x.new_handset THEN x.at ELSE s.imei_changed_at END,
         seen_at = CASE WHEN x.new_handset THEN x.at ELSE greatest(s.seen_at, x.at) END,
         updated_at = CASE WHEN x.new_handset THEN now() ELSE s.updated_at END
       FROM x WHERE s.id = x.subscriber_id
     )
     INSERT INTO subscriber_devices (subscriber_id, imei, first_seen_at, last_seen_at)
     SELECT subscriber_id, imei, at, at FROM x
     ON CONFLICT (subscriber_id, imei) DO UPDATE
       SET last_seen_at = greatest(subscriber_devices.last_seen_at, EXCLUDED.last_seen_at)`),
    [
      entries.map((entry) => entry.subscriberId),
      entries.map((entry) => entry.imei),
      entries.map((entry) => entry.at.toISOString()),
      entries.map((entry) => entry.newHandset),
    ],
  );
}

/** A subscriber as the admin and care lists show it: its handset's catalogue model and what it last got. */
export interface SubscriberListing extends Subscriber {
  /** The catalogue model of current_imei (8-digit TAC, else the legacy 6-digit one); null when unknown. */
  model: { manufacturer: string; model: string } | null;
  /** The profile version of the newest delivered provisioning; null when none delivered a profile. */
  lastDelivered: { profile: string; version: number; at: Date | null } | null;
}

export interface SubscriberSearch {
  /** Digits anywhere in the number (a prefix is a substring too). */
  msisdn?: string;
  imsiPrefix?: string;
  group?: string;
  /** Case-insensitive model name, or "manufacturer model". */
  model?: string;
  /** Profile name or id of the last delivered version. */
  profile?: string;
  profileVersion?: number;
  /** Keyset: only subscribers whose id sorts after this one. */
  afterId?: string;
  limit: number;
}

interface ListingRow extends SubscriberRow {
  model_manufacturer: string | null;
  model_name: string | null;
  profile_name: string | null;
  profile_version: number | null;
  delivered_at: Date | null;
}

/**
 * Subscribers matching every given filter, in id order (ids never change, so a page boundary stays
 * where it was while numbers are ported or groups change). The number is matched as a substring:
 * care types part of it; no B-tree index serves that, so a rare fragment reads the whole table.
 */
export async function searchSubscribers(db: Db, search: SubscriberSearch): Promise<SubscriberListing[]> {
  const rows = await db.query<ListingRow>(
    `SELECT ${S_COLUMNS}, dm.manufacturer AS model_manufacturer, dm.model AS model_name,
            ld.profile_name, ld.profile_version, ld.delivered_at
       FROM subscribers s
       LEFT JOIN LATERAL (
         SELECT m.manufacturer, m.model FROM tacs t JOIN device_models m ON m.id = t.model_id
          WHERE t.tac IN (substr(s.current_imei, 1, 8), substr(s.current_imei, 1, 6))
          ORDER BY length(t.tac) DESC LIMIT 1) dm ON true
       LEFT JOIN LATERAL (
         SELECT pr.id AS profile_id, pr.name AS profile_name, pv.version AS profile_version,
                p.finished_at AS delivered_at
           FROM provisionings p
           JOIN profile_versions pv ON pv.id = p.profile_version_id
           JOIN profiles pr ON pr.id = pv.profile_id
          WHERE p.subscriber_id = s.id AND p.state = 'delivered'
          ORDER BY p.created_at DESC LIMIT 1) ld ON true
      WHERE ($1::text IS NULL OR strpos(s.msisdn, $1) > 0)
        AND ($2::text IS NULL OR starts_with(s.imsi, $2))
        AND ($3::text IS NULL OR s.group_name = $3)
        AND ($4::text IS NULL OR lower(dm.model) = lower($4)
             OR lower(dm.manufacturer || ' ' || dm.model) = lower($4))
        AND ($5::text IS NULL OR ld.profile_name = $5 OR ld.profile_id::text = $5)
        AND ($6::int IS NULL OR ld.profile_version = $6)
        AND ($7::uuid IS NULL OR s.id > $7::uuid)
      ORDER BY s.id
      LIMIT $8`,
    [
      search.msisdn ?? null,
      search.imsiPrefix ?? null,
      search.group ?? null,
      search.model ?? null,
      search.profile ?? null,
      search.profileVersion ?? null,
      search.afterId ?? null,
      search.limit,
    ],
  );
  return rows.map((row) => ({
    ...toSubscriber(row),
    model: row.model_name === null ? null : { manufacturer: row.model_manufacturer!, model: row.model_name },
    lastDelivered:
      row.profile_name === null
        ? null
        : { profile: row.profile_name, version: row.profile_version!, at: row.delivered_at },
  }));
}

/** A subscriber as an admin or an import declares it. */
export interface DeclaredSubscriber {
  imsi: string;
  msisdn: string;
  group: string;
  /** The handset the SIM is in, when known: kept as current_imei and in the handset history. */
  imei?: string;
}

/** Who holds these IMSIs or numbers now (to tell which of the two a new subscriber collides on). */
export async function findSubscribersHolding(
  db: Db,
  keys: { imsis: readonly string[]; msisdns: readonly string[] },
): Promise<Subscriber[]> {
  const rows = await db.query<SubscriberRow>(
    genericPlan(
      `SELECT ${COLUMNS} FROM subscribers WHERE imsi = ANY($1::text[]) OR msisdn = ANY($2::text[])`,
    ),
    [keys.imsis, keys.msisdns],
  );
  return rows.map(toSubscriber);
}

/** How an import updates a SIM it already has; rows that would not change are left alone (and not returned). */
const UPDATE_DECLARED = `ON CONFLICT (imsi) DO UPDATE SET msisdn = EXCLUDED.msisdn, group_name = EXCLUDED.group_name,
       current_imei = coalesce(s.current_imei, EXCLUDED.current_imei), updated_at = now()
       WHERE (s.msisdn, s.group_name) IS DISTINCT FROM (EXCLUDED.msisdn, EXCLUDED.group_name)
          OR (s.current_imei IS NULL AND EXCLUDED.current_imei IS NOT NULL)`;

/**
 * Adds or updates subscribers by IMSI, one statement for all: a new IMSI is inserted; an existing one
 * takes the declared number and group. A declared IMEI becomes current_imei only where the store has
 * none, since a trigger's newer sighting wins over a file's. Returns the IMSIs it inserted and updated
 * (rows that already said the same are neither). The caller checks first that no other SIM holds a number.
 * `insertOnly` (one subscriber created by an admin): an IMSI that exists is a unique violation (409).
 */
export async function upsertDeclaredSubscribers(
  tx: Db,
  declared: readonly DeclaredSubscriber[],
  options: { insertOnly?: boolean } = {},
): Promise<{ added: string[]; updated: string[] }> {
  if (declared.length === 0) return { added: [], updated: [] };
  const rows = await tx.query<{ id: string; imsi: string; inserted: boolean; imei: string | null }>(
    `INSERT INTO subscribers AS s (imsi, msisdn, group_name, current_imei)
     SELECT x.imsi, x.msisdn, x.group_name, x.imei
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(imsi, msisdn, group_name, imei)
      ORDER BY x.imsi
     ${options.insertOnly ? '' : UPDATE_DECLARED}
     RETURNING s.id, s.imsi, (s.xmax = 0) AS inserted, s.current_imei AS imei`,
    [
      declared.map((entry) => entry.imsi),
      declared.map((entry) => normaliseMsisdn(entry.msisdn)),
      declared.map((entry) => entry.group),
      declared.map((entry) => entry.imei ?? null),
    ],
  );
  const handsets = rows.filter((row) => row.imei !== null);
  if (handsets.length > 0) {
    await tx.query(
      `INSERT INTO subscriber_devices (subscriber_id, imei)
       SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT (subscriber_id, imei) DO NOTHING`,
      [handsets.map((row) => row.id), handsets.map((row) => row.imei)],
    );
  }
  return {
    added: rows.filter((row) => row.inserted).map((row) => row.imsi),
    updated: rows.filter((row) => !row.inserted).map((row) => row.imsi),
  };
}

/** Moves a subscriber to another group and/or number (number porting); undefined when the id is unknown. */
export async function updateSubscriber(
  db: Db,
  id: string,
  change: { group?: string; msisdn?: string },
): Promise<Subscriber | undefined> {
  const row = await db.one<SubscriberRow>(
    `UPDATE subscribers SET group_name = coalesce($2, group_name), msisdn = coalesce($3, msisdn),
            updated_at = now()
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, change.group ?? null, change.msisdn === undefined ? null : normaliseMsisdn(change.msisdn)],
  );
  return row && toSubscriber(row);
}
