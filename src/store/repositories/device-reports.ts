import { appendEvent } from '../../provisioning/repository.ts';
import type { Actor } from '../../provisioning/types.ts';
import { findSubscriberInHandset, recordFirmwareVersion } from '../../subscribers/repository.ts';
import { asJson, type Db } from '../db.ts';

/** device_reports: what handsets reported about themselves, kept with history. */

export interface DeviceReportInput {
  /** DevInfo-like facts: manufacturer, model, firmware, language ... */
  properties: Record<string, string | undefined>;
  configuration: Record<string, unknown>;
  software: Array<{ name: string; version: string }>;
  /** How it reached us: dm-session, sms, api ... */
  source: string;
}

export interface StoredDeviceReport {
  id: number;
  /** The subscriber whose SIM was in the handset, when one was. */
  subscriberId: string | null;
  /** That subscriber's IMSI and MSISDN (what a re-provision is requested with). */
  subscriber: { imsi: string; msisdn: string | null } | null;
}

/**
 * Stores a handset's report, in one transaction: the report, with the subscriber whose SIM is in the
 * handset now; and the firmware it reports as that subscriber's (what the next push is chosen by).
 */
export async function recordDeviceReport(
  db: Db,
  imei: string,
  report: DeviceReportInput,
): Promise<StoredDeviceReport> {
  return db.transaction(async (tx) => {
    const subscriber = await findSubscriberInHandset(tx, imei);
    const row = await tx.one<{ id: number }>(
      `INSERT INTO device_reports (subscriber_id, imei, msisdn, source, properties, configuration, software)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb) RETURNING id`,
      [
        subscriber?.id ?? null,
        imei,
        subscriber?.msisdn ?? null,
        report.source,
        asJson(report.properties),
        asJson(report.configuration),
        asJson(report.software),
      ],
    );
    const firmware = report.properties.firmware;
    if (subscriber && firmware !== undefined) await recordFirmwareVersion(tx, subscriber.id, firmware);
    return {
      id: row!.id,
      subscriberId: subscriber?.id ?? null,
      subscriber: subscriber ? { imsi: subscriber.imsi, msisdn: subscriber.msisdn } : null,
    };
  });
}

/** A stored report as the care view shows it. */
export interface DeviceReport {
  id: number;
  imei: string | null;
  subscriberId: string | null;
  source: string;
  properties: Record<string, unknown>;
  configuration: Record<string, unknown>;
  software: unknown[];
  receivedAt: Date;
}

const REPORT_COLUMNS = `id, imei, subscriber_id AS "subscriberId", source, properties, configuration, software,
  received_at AS "receivedAt"`;

/** The subscriber's latest report. */
export async function findLatestDeviceReport(
  db: Db,
  subscriberId: string,
): Promise<DeviceReport | undefined> {
  return db.one<DeviceReport>(
    `SELECT ${REPORT_COLUMNS} FROM device_reports WHERE subscriber_id = $1 ORDER BY received_at DESC, id DESC LIMIT 1`,
    [subscriberId],
  );
}

/** Whose reports: one handset (by its first 14 digits: TAC + serial) or one subscriber. */
export type ReportOwner = { imei: string } | { subscriberId: string };

/**
 * Reports newest first (by arrival: the identity id), `limit` of them, after the report `beforeId` when
 * given (keyset pagination: stable while new reports arrive).
 */
export async function listDeviceReports(
  db: Db,
  owner: ReportOwner,
  page: { limit: number; beforeId?: number },
): Promise<DeviceReport[]> {
  const where = 'imei' in owner ? 'left(imei, 14) = left($1::text, 14)' : 'subscriber_id = $1::uuid';
  return db.query<DeviceReport>(
    `SELECT ${REPORT_COLUMNS} FROM device_reports
      WHERE ${where} AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY id DESC LIMIT $3`,
    ['imei' in owner ? owner.imei : owner.subscriberId, page.beforeId ?? null, page.limit],
  );
}

/**
 * The manufacturer and model the handset's newest report named (by its first 14 digits); undefined when
 * no report of it named a manufacturer.
 */
export async function findReportedDevice(
  db: Db,
  imei: string,
): Promise<{ manufacturer: string; model: string | null } | undefined> {
  return db.one<{ manufacturer: string; model: string | null }>(
    `SELECT properties->>'manufacturer' AS manufacturer, properties->>'model' AS model
       FROM device_reports
      WHERE left(imei, 14) = left($1::text, 14) AND properties ? 'manufacturer'
      ORDER BY id DESC LIMIT 1`,
    [imei],
  );
}

/**
 * Marks a delivered provisioning applied (a handset report showed its settings in use) and records the
 * `applied` event on its timeline, in one transaction. The time when it was marked now; undefined when
 * it was applied already or is not delivered.
 */
export async function markProvisioningApplied(
  db: Db,
  provisioningId: string,
  actor: Actor,
  details: Record<string, unknown>,
): Promise<Date | undefined> {
  return db.transaction(async (tx) => {
    const row = await tx.one<{ appliedAt: Date }>(
      `UPDATE provisionings SET applied_at = now(), updated_at = now()
        WHERE id = $1 AND state = 'delivered' AND applied_at IS NULL
        RETURNING applied_at AS "appliedAt"`,
      [provisioningId],
    );
    if (!row) return undefined;
    await appendEvent(tx, { id: provisioningId, state: 'delivered' }, 'applied', actor, details);
    return row.appliedAt;
  });
}
