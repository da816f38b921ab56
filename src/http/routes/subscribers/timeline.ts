import { dmDevicesOfSubscriber } from '../../../dm/device-view.ts';
import type { Db } from '../../../store/db.ts';
import { findLatestDeviceReport, listDeviceReports } from '../../../store/repositories/device-reports.ts';
import { findModelOfImei } from '../../../store/repositories/devices.ts';
import { findGroupSettings } from '../../../store/repositories/groups.ts';
import {
  listEventsOfProvisionings,
  listSegmentsOfProvisionings,
  listSubscriberProvisionings,
  type OfProvisioning,
} from '../../../provisioning/history-repository.ts';
import { findSubscriber, listSubscriberHandsets, type Subscriber } from '../../../subscribers/repository.ts';

/** The care view: one subscriber and everything that happened to their settings, from the repositories. */

/** The handset the SIM is in: its catalogue model, every handset it was seen in, its latest report. */
async function deviceOf(db: Db, subscriber: Subscriber) {
  const imei = subscriber.currentImei;
  if (!imei) return null;
  const [model, handsets, lastReport] = await Promise.all([
    findModelOfImei(db, imei),
    listSubscriberHandsets(db, subscriber.id),
    findLatestDeviceReport(db, subscriber.id),
  ]);
  return {
    imei,
    since: subscriber.imeiChangedAt,
    model: model
      ? {
          id: model.id,
          manufacturer: model.manufacturer,
          model: model.model,
          format: model.format,
          status: model.status,
        }
      : null,
    handsets,
    lastReport: lastReport ?? null,
  };
}

/** The rows of one provisioning, without the provisioningId that grouped them. */
function rowsOf(rows: OfProvisioning[], provisioningId: string): Record<string, unknown>[] {
  return rows
    .filter((row) => row.provisioningId === provisioningId)
    .map(({ provisioningId: _, ...rest }) => rest);
}

/** The newest `limit` provisionings, each with its events and segments. */
async function timelineOf(db: Db, subscriberId: string, limit: number) {
  const provisionings = await listSubscriberProvisionings(db, subscriberId, limit);
  const ids = provisionings.map((provisioning) => provisioning.id);
  const [events, segments] = await Promise.all([
    listEventsOfProvisionings(db, ids),
    listSegmentsOfProvisionings(db, ids),
  ]);
  return provisionings.map((provisioning) => ({
    ...provisioning,
    events: rowsOf(events, provisioning.id),
    segments: rowsOf(segments, provisioning.id),
  }));
}

/** Undefined when no subscriber has this MSISDN. */
export async function subscriberTimeline(db: Db, msisdn: string, limit: number) {
  const subscriber = await findSubscriber(db, { msisdn });
  if (!subscriber) return undefined;
  const [device, group, timeline, reports, dm] = await Promise.all([
    deviceOf(db, subscriber),
    findGroupSettings(db, subscriber.groupName),
    timelineOf(db, subscriber.id, limit),
    // What the handsets said, newest first: beside the provisionings (each with appliedAt) they confirm.
    listDeviceReports(db, { subscriberId: subscriber.id }, { limit }),
    // The OMA DM devices tied to the subscriber (src/dm/): account, DevInfo/DevDetail, sessions.
    dmDevicesOfSubscriber(db, subscriber.id, limit),
  ]);
  return {
    subscriber: {
      id: subscriber.id,
      imsi: subscriber.imsi,
      msisdn: subscriber.msisdn,
      group: subscriber.groupName,
      firmwareVersion: subscriber.firmwareVersion,
      seenAt: subscriber.seenAt,
      createdAt: subscriber.createdAt,
    },
    device,
    group: group ?? null,
    timeline,
    reports,
    dm,
  };
}
