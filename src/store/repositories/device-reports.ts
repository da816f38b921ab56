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
    return { id: row!.id, subscriberId: subscriber?.id ?? null };
  });
}

/** A stored report as the care view shows it. */
export interface DeviceReport {
  id: number;
  imei: string | null;
  source: string;
  properties: Record<string, unknown>;
  configuration: Record<string, unknown>;
  software: unknown[];
  receivedAt: Date;
}

/** The subscriber's latest report. */
export async function findLatestDeviceReport(
  db: Db,
  subscriberId: string,
): Promise<DeviceReport | undefined> {
  return db.one<DeviceReport>(
    `SELECT id, imei, source, properties, configuration, software, received_at AS "receivedAt"
       FROM device_reports WHERE subscriber_id = $1 ORDER BY received_at DESC, id DESC LIMIT 1`,
    [subscriberId],
  );
}
