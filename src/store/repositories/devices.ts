import type {
  DeviceAttributes,
  DeviceFormat,
  DeviceModel,
  DeviceModelInput,
  DeviceModelStatus,
  DeviceModelWithTacs,
  DeviceSecurityMethod,
} from '../../devices/catalogue.ts';
import { tacLookupKeys } from '../../devices/imei.ts';
import { genericPlan, type Db } from '../db.ts';

/** The device catalogue: device_models and tacs. */

interface DeviceModelRow {
  id: number;
  manufacturer: string;
  model: string;
  format: DeviceFormat | null;
  security_methods: DeviceSecurityMethod[] | null;
  max_segments: number | null;
  capabilities: string[] | null;
  notes: string | null;
  status: DeviceModelStatus;
  reported_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const MODEL_COLUMNS =
  'm.id, m.manufacturer, m.model, m.format, m.security_methods, m.max_segments, m.capabilities, m.notes, m.status, m.reported_at, m.created_at, m.updated_at';

function toDeviceModel(row: DeviceModelRow): DeviceModel {
  return {
    id: row.id,
    manufacturer: row.manufacturer,
    model: row.model,
    format: row.format,
    securityMethods: row.security_methods,
    maxSegments: row.max_segments,
    capabilities: row.capabilities,
    notes: row.notes,
    status: row.status,
    reportedAt: row.reported_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Models are identified by manufacturer and model name, case-insensitively. */
export function deviceModelKey(manufacturer: string, model: string): string {
  return `${manufacturer.toLowerCase()}\u0000${model.toLowerCase()}`;
}

/** Rows per statement in bulk writes: keeps parameter arrays moderate on both stores. */
const BULK_CHUNK = 2000;

function chunks<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += BULK_CHUNK)
    result.push(items.slice(start, start + BULK_CHUNK));
  return result;
}

export interface UpsertCounts {
  added: number;
  updated: number;
  unchanged: number;
}

/**
 * Inserts or replaces models by (manufacturer, model), case-insensitively: every attribute is set to
 * what the input says (left out = null = inherited), including the spelling of the names. An import is
 * an admin's word, so a model added unverified from a device report becomes verified. Returns the
 * id of every input model by `deviceModelKey` and what changed. Keys must be unique within `inputs`.
 */
export async function upsertDeviceModels(
  db: Db,
  inputs: DeviceModelInput[],
): Promise<UpsertCounts & { ids: Map<string, number> }> {
  const counts: UpsertCounts = { added: 0, updated: 0, unchanged: 0 };
  const ids = new Map<string, number>();
  for (const chunk of chunks(inputs)) {
    // Lists travel as comma-joined text: unnest() cannot carry an array per row.
    const changed = await db.query<{ inserted: boolean }>(
      `INSERT INTO device_models AS m
         (manufacturer, model, format, security_methods, max_segments, capabilities, notes)
       SELECT manufacturer, model, format, string_to_array(security_methods, ','), max_segments,
              string_to_array(capabilities, ','), notes
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[])
           AS input (manufacturer, model, format, security_methods, max_segments, capabilities, notes)
       ON CONFLICT ((lower(manufacturer)), (lower(model))) DO UPDATE SET
         manufacturer = excluded.manufacturer, model = excluded.model, format = excluded.format,
         security_methods = excluded.security_methods, max_segments = excluded.max_segments,
         capabilities = excluded.capabilities, notes = excluded.notes, status = 'verified', updated_at = now()
       WHERE (m.manufacturer, m.model, m.format, m.security_methods, m.max_segments, m.capabilities, m.notes,
              m.status)
         IS DISTINCT FROM (excluded.manufacturer, excluded.model, excluded.format, excluded.security_methods,
                           excluded.max_segments, excluded.capabilities, excluded.notes, 'verified')
       RETURNING (xmax = 0) AS inserted`,
      [
        chunk.map((input) => input.manufacturer),
        chunk.map((input) => input.model),
        chunk.map((input) => input.format ?? null),
        chunk.map((input) => input.securityMethods?.join(',') ?? null),
        chunk.map((input) => input.maxSegments ?? null),
        chunk.map((input) => input.capabilities?.join(',') ?? null),
        chunk.map((input) => input.notes ?? null),
      ],
    );
    const added = changed.filter((row) => row.inserted).length;
    counts.added += added;
    counts.updated += changed.length - added;
    counts.unchanged += chunk.length - changed.length;
    const rows = await db.query<{ id: number; manufacturer: string; model: string }>(
      `SELECT id, manufacturer, model FROM device_models
        WHERE (lower(manufacturer), lower(model)) IN
          (SELECT lower(manufacturer), lower(model) FROM unnest($1::text[], $2::text[]) AS key (manufacturer, model))`,
      [chunk.map((input) => input.manufacturer), chunk.map((input) => input.model)],
    );
    for (const row of rows) ids.set(deviceModelKey(row.manufacturer, row.model), row.id);
  }
  return { ...counts, ids };
}

export interface TacCounts {
  added: number;
  /** TACs that belonged to another model before. */
  moved: number;
  unchanged: number;
}

/** Points each TAC at its model, taking it from another model if need be. TACs must be unique. */
export async function assignTacs(
  db: Db,
  assignments: Array<{ tac: string; modelId: number }>,
): Promise<TacCounts> {
  const counts: TacCounts = { added: 0, moved: 0, unchanged: 0 };
  for (const chunk of chunks(assignments)) {
    const changed = await db.query<{ inserted: boolean }>(
      `INSERT INTO tacs AS t (tac, model_id)
       SELECT tac, model_id FROM unnest($1::text[], $2::bigint[]) AS input (tac, model_id)
       ON CONFLICT (tac) DO UPDATE SET model_id = excluded.model_id, updated_at = now()
       WHERE t.model_id <> excluded.model_id
       RETURNING (xmax = 0) AS inserted`,
      [chunk.map((assignment) => assignment.tac), chunk.map((assignment) => assignment.modelId)],
    );
    const added = changed.filter((row) => row.inserted).length;
    counts.added += added;
    counts.moved += changed.length - added;
    counts.unchanged += chunk.length - changed.length;
  }
  return counts;
}

export async function getDeviceModel(db: Db, id: number): Promise<DeviceModel | undefined> {
  const row = await db.one<DeviceModelRow>(`SELECT ${MODEL_COLUMNS} FROM device_models m WHERE m.id = $1`, [
    id,
  ]);
  return row && toDeviceModel(row);
}

/** A model by manufacturer and model name (case-insensitive); model '*' finds the manufacturer default. */
export async function findDeviceModel(
  db: Db,
  manufacturer: string,
  model: string,
): Promise<DeviceModel | undefined> {
  const row = await db.one<DeviceModelRow>(
    `SELECT ${MODEL_COLUMNS} FROM device_models m WHERE lower(m.manufacturer) = lower($1) AND lower(m.model) = lower($2)`,
    [manufacturer, model],
  );
  return row && toDeviceModel(row);
}

/** The model a catalogue TAC (8 or 6 digits, exactly as stored) points at. */
export async function findModelByTac(db: Db, tac: string): Promise<DeviceModel | undefined> {
  const row = await db.one<DeviceModelRow>(
    `SELECT ${MODEL_COLUMNS} FROM tacs t JOIN device_models m ON m.id = t.model_id WHERE t.tac = $1`,
    [tac],
  );
  return row && toDeviceModel(row);
}

/**
 * The model of a handset: the one its IMEI's 8-digit TAC points at, else its 6-digit legacy TAC's
 * (tacLookupKeys, most specific first), in one query.
 */
export async function findModelOfImei(db: Db, imei: string): Promise<DeviceModel | undefined> {
  const row = await db.one<DeviceModelRow>(
    `SELECT ${MODEL_COLUMNS} FROM unnest($1::text[]) WITH ORDINALITY AS key (tac, preference)
       JOIN tacs t ON t.tac = key.tac JOIN device_models m ON m.id = t.model_id
      ORDER BY key.preference LIMIT 1`,
    [tacLookupKeys(imei)],
  );
  return row && toDeviceModel(row);
}

export interface DeviceModelFilter {
  /** Case-insensitive exact manufacturer. */
  manufacturer?: string;
  status?: DeviceModelStatus;
  limit?: number;
  offset?: number;
}

/** Models with their TACs, by manufacturer then model ('*' defaults first). */
export async function listDeviceModels(
  db: Db,
  filter: DeviceModelFilter = {},
): Promise<DeviceModelWithTacs[]> {
  const rows = await db.query<DeviceModelRow & { tacs: string[] }>(
    `SELECT ${MODEL_COLUMNS},
            coalesce(array_agg(t.tac ORDER BY t.tac) FILTER (WHERE t.tac IS NOT NULL), '{}') AS tacs
       FROM device_models m LEFT JOIN tacs t ON t.model_id = m.id
      WHERE ($1::text IS NULL OR lower(m.manufacturer) = lower($1)) AND ($4::text IS NULL OR m.status = $4)
      GROUP BY m.id
      ORDER BY lower(m.manufacturer), m.model <> '*', lower(m.model)
      LIMIT $2 OFFSET $3`,
    [filter.manufacturer ?? null, filter.limit ?? 1000, filter.offset ?? 0, filter.status ?? null],
  );
  return rows.map((row) => ({ ...toDeviceModel(row), tacs: row.tacs }));
}

/** How many models the catalogue has (0: not imported yet). */
export async function countDeviceModels(db: Db): Promise<number> {
  const row = await db.one<{ count: number }>(`SELECT count(*)::int AS count FROM device_models`);
  return row?.count ?? 0;
}

/** A catalogue row that may take part in resolving one device. */
export interface CatalogueCandidate extends DeviceModel {
  /** The TAC it matched, when it was found by TAC. */
  matchedTac: string | null;
}

export interface CandidateQuery {
  /** Catalogue TACs to look for (an IMEI's first 8 digits and its 6-digit legacy prefix). */
  tacs: string[];
  /** A manufacturer and model the trigger or a device report named, when the TAC is not enough. */
  manufacturer?: string | null;
  model?: string | null;
}

/**
 * In one round trip, every row resolution may need: the models the TACs point at, the named model, and
 * the manufacturer defaults of the manufacturers involved. Unverified models (added from device reports)
 * are left out: what a handset says about itself is not the catalogue until an admin confirms it.
 */
export async function findCatalogueCandidates(db: Db, query: CandidateQuery): Promise<CatalogueCandidate[]> {
  // Three indexed lookups joined with UNION ALL (an OR across them would scan device_models): the
  // TAC hits, the named model, and the '*' rows of the manufacturers involved. A row may come twice
  // (found by TAC and by name); resolution takes the first that fits.
  const rows = await db.query<DeviceModelRow & { matched_tac: string | null }>(
    genericPlan(`WITH hits AS (SELECT tac, model_id FROM tacs WHERE tac = ANY($1::text[])),
          makers AS (
            SELECT lower(hm.manufacturer) AS maker FROM device_models hm JOIN hits ON hits.model_id = hm.id
             WHERE hm.status = 'verified'
            UNION SELECT lower($2::text) WHERE $2::text IS NOT NULL),
          found AS (
            SELECT model_id AS id, tac FROM hits
            UNION ALL
            SELECT id, NULL FROM device_models
             WHERE lower(manufacturer) = lower($2::text) AND lower(model) = lower($3::text)
            UNION ALL
            SELECT d.id, NULL FROM device_models d JOIN makers ON lower(d.manufacturer) = makers.maker
             WHERE lower(d.model) = '*')
     SELECT ${MODEL_COLUMNS}, found.tac AS matched_tac FROM found JOIN device_models m ON m.id = found.id
      WHERE m.status = 'verified'`),
    [query.tacs, query.manufacturer ?? null, query.model ?? null],
  );
  return rows.map((row) => ({ ...toDeviceModel(row), matchedTac: row.matched_tac }));
}

/** What a device report said the handset is. */
export interface ReportedModel {
  manufacturer: string;
  model: string;
  /** The handset's 8-digit TAC: given to the new model when no catalogue model has it yet. */
  tac: string;
}

/**
 * Adds a reported model the catalogue lacks as 'unverified', with no attributes of its own, and gives it
 * the handset's TAC when that TAC is free. Undefined when the catalogue has the model already (any
 * status: a second report of it changes nothing). One statement, so two reports racing add it once.
 */
export async function addReportedModel(
  db: Db,
  reported: ReportedModel,
): Promise<{ id: number; tacAssigned: boolean } | undefined> {
  const row = await db.one<{ id: number; tac_assigned: boolean }>(
    `WITH added AS (
       INSERT INTO device_models (manufacturer, model, status, reported_at, notes)
       VALUES ($1, $2, 'unverified', now(), 'reported by a handset')
       ON CONFLICT ((lower(manufacturer)), (lower(model))) DO NOTHING
       RETURNING id),
     tac AS (
       INSERT INTO tacs (tac, model_id) SELECT $3, id FROM added
       ON CONFLICT (tac) DO NOTHING
       RETURNING tac)
     SELECT added.id, EXISTS (SELECT 1 FROM tac) AS tac_assigned FROM added`,
    [reported.manufacturer, reported.model, reported.tac],
  );
  return row && { id: row.id, tacAssigned: row.tac_assigned };
}

/**
 * Confirms an unverified model, setting the attributes given (the rest stay null: inherited). Undefined
 * when no unverified model has this id.
 */
export async function confirmReportedModel(
  db: Db,
  id: number,
  attributes: Partial<DeviceAttributes>,
): Promise<DeviceModel | undefined> {
  const row = await db.one<DeviceModelRow>(
    `UPDATE device_models m SET status = 'verified', format = $2, security_methods = $3::text[],
            max_segments = $4, capabilities = $5::text[], notes = coalesce($6, m.notes), updated_at = now()
      WHERE m.id = $1 AND m.status = 'unverified'
      RETURNING ${MODEL_COLUMNS}`,
    [
      id,
      attributes.format ?? null,
      attributes.securityMethods ?? null,
      attributes.maxSegments ?? null,
      attributes.capabilities ?? null,
      attributes.notes ?? null,
    ],
  );
  return row && toDeviceModel(row);
}
