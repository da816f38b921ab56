import type { ProfileParameters } from '../profiles/schema.ts';
import type { Db } from '../store/db.ts';

/**
 * Read side of a subscriber's provisionings for the care view: the newest provisionings with their
 * profile, and the events and segments of many provisionings in one query each. (The write side, and
 * one provisioning's events and segments, are in repository.ts beside this file.)
 */

/** A provisioning as the care timeline lists it; `id` and `state` plus its other columns, camel-cased. */
export type ProvisioningEntry = Record<string, unknown> & { id: string; state: string };

/** The subscriber's newest `limit` provisionings, with the name and version of the profile pushed. */
export async function listSubscriberProvisionings(
  db: Db,
  subscriberId: string,
  limit: number,
): Promise<ProvisioningEntry[]> {
  return db.query<ProvisioningEntry>(
    `SELECT p.id, p.state, p.source, p.reason, p.actor, p.resend_of AS "resendOf", p.campaign_id AS "campaignId",
            p.imei, p.format, p.security_method AS "securityMethod", p.segment_count AS "segmentCount",
            p.failure_code AS "failureCode", p.failure_reason AS "failureReason",
            p.created_at AS "createdAt", p.queued_at AS "queuedAt", p.submitted_at AS "submittedAt",
            p.finished_at AS "finishedAt", p.applied_at AS "appliedAt",
            pr.name AS "profileName", pv.version AS "profileVersion", p.content
       FROM provisionings p
       LEFT JOIN profile_versions pv ON pv.id = p.profile_version_id
       LEFT JOIN profiles pr ON pr.id = pv.profile_id
      WHERE p.subscriber_id = $1
      ORDER BY p.created_at DESC, p.id
      LIMIT $2`,
    [subscriberId, limit],
  );
}

/** A row that belongs to one provisioning; its other columns camel-cased. */
export type OfProvisioning = Record<string, unknown> & { provisioningId: string };

/** The state changes of these provisionings, in the order they happened. */
export async function listEventsOfProvisionings(
  db: Db,
  provisioningIds: readonly string[],
): Promise<OfProvisioning[]> {
  if (provisioningIds.length === 0) return [];
  return db.query<OfProvisioning>(
    `SELECT provisioning_id AS "provisioningId", at, from_state AS "fromState", to_state AS "toState", cause,
            actor, details
       FROM provisioning_events WHERE provisioning_id = ANY($1::uuid[]) ORDER BY id`,
    [provisioningIds],
  );
}

/** The segments of these provisionings, by segment number. */
export async function listSegmentsOfProvisionings(
  db: Db,
  provisioningIds: readonly string[],
): Promise<OfProvisioning[]> {
  if (provisioningIds.length === 0) return [];
  return db.query<OfProvisioning>(
    `SELECT provisioning_id AS "provisioningId", segment_number AS "segmentNumber", smsc,
            message_id AS "messageId", submit_status AS "submitStatus", submit_error AS "submitError",
            submitted_at AS "submittedAt", receipt_state AS "receiptState", receipt_error AS "receiptError",
            receipt_at AS "receiptAt"
       FROM segments WHERE provisioning_id = ANY($1::uuid[]) ORDER BY segment_number`,
    [provisioningIds],
  );
}

/** The profile version a delivered push carried, and the latest version of that profile. */
export interface LastDeliveredProfile {
  /** The delivered provisioning. */
  provisioningId: string;
  /** When a device report showed its settings in use; null: not (yet) seen applied. */
  appliedAt: Date | null;
  deliveredVersion: number;
  /** The parameters of the version delivered. */
  deliveredContent: ProfileParameters;
  latestVersion: number | null;
  /** The parameters of the latest version. */
  latestContent: ProfileParameters | null;
}

/** What the subscriber's newest delivered provisioning pushed; undefined when none delivered a profile. */
export async function findLastDeliveredProfile(
  db: Db,
  subscriberId: string,
): Promise<LastDeliveredProfile | undefined> {
  return db.one<LastDeliveredProfile>(
    `SELECT p.id AS "provisioningId", p.applied_at AS "appliedAt", pv.version AS "deliveredVersion",
            pv.content AS "deliveredContent", pr.latest_version AS "latestVersion", latest.content AS "latestContent"
       FROM provisionings p
       JOIN profile_versions pv ON pv.id = p.profile_version_id
       JOIN profiles pr ON pr.id = pv.profile_id
       LEFT JOIN profile_versions latest ON latest.profile_id = pr.id AND latest.version = pr.latest_version
      WHERE p.subscriber_id = $1 AND p.state = 'delivered'
      ORDER BY p.created_at DESC LIMIT 1`,
    [subscriberId],
  );
}

/** The subscriber's newest provisioning from this source (e.g. stale-config), with its state. */
export async function findNewestProvisioningOfSource(
  db: Db,
  subscriberId: string,
  source: string,
): Promise<{ id: string; state: string } | undefined> {
  return db.one<{ id: string; state: string }>(
    `SELECT id, state FROM provisionings WHERE subscriber_id = $1 AND source = $2
      ORDER BY created_at DESC, id DESC LIMIT 1`,
    [subscriberId, source],
  );
}
