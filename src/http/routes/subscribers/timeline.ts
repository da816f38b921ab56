import { findModelByTac } from '../../../store/repositories/devices.ts';
import type { Db } from '../../../store/db.ts';

/** Read model of the care view: one subscriber and everything that happened to their settings. */

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

export async function subscriberTimeline(db: Db, msisdn: string, limit: number) {
  const subscriber = await db.one<SubscriberRow>(
    `SELECT id, imsi, msisdn, group_name, current_imei, imei_changed_at, firmware_version, seen_at, created_at
       FROM subscribers WHERE msisdn = $1`,
    [msisdn],
  );
  if (!subscriber) return undefined;
  const imei = subscriber.current_imei;
  const model = imei
    ? ((await findModelByTac(db, imei.slice(0, 8))) ?? (await findModelByTac(db, imei.slice(0, 6))))
    : undefined;
  const group = await db.one(
    `SELECT name, description, confirmation_mode AS "confirmationMode", security_method AS "securityMethod",
            quiet_hours_start AS "quietHoursStart", quiet_hours_end AS "quietHoursEnd", time_zone AS "timeZone",
            daily_push_cap AS "dailyPushCap", policy
       FROM groups WHERE name = $1`,
    [subscriber.group_name],
  );
  const handsets = await db.query(
    `SELECT imei, first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt"
       FROM subscriber_devices WHERE subscriber_id = $1 ORDER BY last_seen_at DESC`,
    [subscriber.id],
  );
  const lastReport = await db.one(
    `SELECT id, imei, source, properties, configuration, software, received_at AS "receivedAt"
       FROM device_reports WHERE subscriber_id = $1 ORDER BY received_at DESC, id DESC LIMIT 1`,
    [subscriber.id],
  );
  const provisionings = await db.query<Record<string, unknown> & { id: string }>(
    `SELECT p.id, p.state, p.source, p.reason, p.actor, p.resend_of AS "resendOf", p.campaign_id AS "campaignId",
            p.imei, p.format, p.security_method AS "securityMethod", p.segment_count AS "segmentCount",
            p.failure_code AS "failureCode", p.failure_reason AS "failureReason",
            p.created_at AS "createdAt", p.queued_at AS "queuedAt", p.submitted_at AS "submittedAt",
            p.finished_at AS "finishedAt",
            pr.name AS "profileName", pv.version AS "profileVersion"
       FROM provisionings p
       LEFT JOIN profile_versions pv ON pv.id = p.profile_version_id
       LEFT JOIN profiles pr ON pr.id = pv.profile_id
      WHERE p.subscriber_id = $1
      ORDER BY p.created_at DESC, p.id
      LIMIT $2`,
    [subscriber.id, limit],
  );
  const ids = provisionings.map((row) => row.id);
  const events = ids.length
    ? await db.query<{ provisioningId: string }>(
        `SELECT provisioning_id AS "provisioningId", at, from_state AS "fromState", to_state AS "toState", cause,
                actor, details
           FROM provisioning_events WHERE provisioning_id = ANY($1::uuid[]) ORDER BY id`,
        [ids],
      )
    : [];
  const segments = ids.length
    ? await db.query<{ provisioningId: string }>(
        `SELECT provisioning_id AS "provisioningId", segment_number AS "segmentNumber", smsc,
                message_id AS "messageId", submit_status AS "submitStatus", submit_error AS "submitError",
                submitted_at AS "submittedAt", receipt_state AS "receiptState", receipt_error AS "receiptError",
                receipt_at AS "receiptAt"
           FROM segments WHERE provisioning_id = ANY($1::uuid[]) ORDER BY segment_number`,
        [ids],
      )
    : [];
  const timeline = provisionings.map((provisioning) => ({
    ...provisioning,
    events: events
      .filter((event) => event.provisioningId === provisioning.id)
      .map(({ provisioningId: _, ...rest }) => rest),
    segments: segments
      .filter((segment) => segment.provisioningId === provisioning.id)
      .map(({ provisioningId: _, ...rest }) => rest),
  }));
  return {
    subscriber: {
      id: subscriber.id,
      imsi: subscriber.imsi,
      msisdn: subscriber.msisdn,
      group: subscriber.group_name,
      firmwareVersion: subscriber.firmware_version,
      seenAt: subscriber.seen_at,
      createdAt: subscriber.created_at,
    },
    device: imei
      ? {
          imei,
          since: subscriber.imei_changed_at,
          model: model
            ? { id: model.id, manufacturer: model.manufacturer, model: model.model, format: model.format }
            : null,
          handsets,
          lastReport: lastReport ?? null,
        }
      : null,
    group: group ?? null,
    timeline,
  };
}
