/**
 * subscribers and subscriber_devices: who the SIM is, which handset it was last seen in, and when a
 * trigger last started a provisioning (imei_changed_at, the debounce anchor of first-use detection).
 */
import type { Db } from '../store/db.ts';

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
  if (key.id) row = await db.one<SubscriberRow>(`SELECT ${COLUMNS} FROM subscribers WHERE id = $1`, [key.id]);
  else if (key.imsi)
    row = await db.one<SubscriberRow>(`SELECT ${COLUMNS} FROM subscribers WHERE imsi = $1`, [key.imsi]);
  else if (key.msisdn)
    row = await db.one<SubscriberRow>(`SELECT ${COLUMNS} FROM subscribers WHERE msisdn = $1`, [
      normaliseMsisdn(key.msisdn),
    ]);
  return row && toSubscriber(row);
}

/** The subscriber whose SIM is in this handset now (through subscriber_devices' imei index). */
export async function findSubscriberInHandset(db: Db, imei: string): Promise<Subscriber | undefined> {
  const row = await db.one<SubscriberRow>(
    `SELECT ${S_COLUMNS} FROM subscriber_devices d
       JOIN subscribers s ON s.id = d.subscriber_id AND s.current_imei = d.imei
     WHERE d.imei = $1 ORDER BY s.seen_at DESC NULLS LAST LIMIT 1`,
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
    `SELECT count(*)::int AS count FROM provisionings
     WHERE subscriber_id = $1 AND submitted_at >= $2 AND submitted_at < $3`,
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
    `UPDATE subscribers s SET msisdn = NULL, updated_at = now()
     FROM unnest($1::text[], $2::text[]) AS x(imsi, msisdn)
     WHERE s.msisdn = x.msisdn AND s.imsi <> x.imsi`,
    [imsis, msisdns],
  );
  const rows = await tx.query<SubscriberRow>(
    `INSERT INTO subscribers (imsi, msisdn, group_name)
     SELECT x.imsi, x.msisdn, 'default' FROM unnest($1::text[], $2::text[]) AS x(imsi, msisdn) ORDER BY x.imsi
     ON CONFLICT (imsi) DO UPDATE SET msisdn = EXCLUDED.msisdn,
       updated_at = CASE WHEN subscribers.msisdn IS DISTINCT FROM EXCLUDED.msisdn THEN now()
                         ELSE subscribers.updated_at END
     RETURNING ${COLUMNS}`,
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
    `WITH x AS (
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
       SET last_seen_at = greatest(subscriber_devices.last_seen_at, EXCLUDED.last_seen_at)`,
    [
      entries.map((entry) => entry.subscriberId),
      entries.map((entry) => entry.imei),
      entries.map((entry) => entry.at.toISOString()),
      entries.map((entry) => entry.newHandset),
    ],
  );
}
