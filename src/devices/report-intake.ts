/**
 * What a device report sets off, once it is stored (recordDeviceReport):
 *
 *   - a model the catalogue lacks is added as unverified, for an admin to confirm;
 *   - settings that are those of the subscriber's last delivered version mark that provisioning applied
 *     (delivered is the SMSC's word, applied the handset's);
 *   - settings that are not in the latest version of that profile start a stale-config re-provision,
 *     the same one the stale-config trigger starts, at most one open at a time.
 */
import { recordDeviceReport, markProvisioningApplied } from '../store/repositories/device-reports.ts';
import type { DeviceReportInput } from '../store/repositories/device-reports.ts';
import { addReportedModel } from '../store/repositories/devices.ts';
import type { Db } from '../store/db.ts';
import {
  judgeSettings,
  namesAnySetting,
  observedSettingsOf,
  requestStaleReprovision,
  settingsNotIn,
  type SettingsVerdict,
  type StaleReprovision,
} from '../provisioning/stale-settings.ts';
import type { Actor, ProvisioningService } from '../provisioning/types.ts';
import { MANUFACTURER_DEFAULT_MODEL } from './catalogue.ts';
import { parseImei } from './imei.ts';

export interface ReportIntakeDeps {
  db: Db;
  provisioning: ProvisioningService;
}

export interface ReportOutcome {
  id: number;
  subscriberId: string | null;
  /** The catalogue model added, unverified, because the report named one it lacked. */
  addedModel: { id: number; tacAssigned: boolean } | null;
  /** The delivered provisioning this report marked applied. */
  applied: { provisioningId: string; appliedAt: Date } | null;
  /** The stale-config re-provision it started, or the open one it left alone. */
  reprovision: StaleReprovision | null;
}

/** A manufacturer and model named by the report and missing from the catalogue: added unverified. */
async function noteReportedModel(db: Db, imei: string, properties: DeviceReportInput['properties']) {
  const { manufacturer, model } = properties;
  if (!manufacturer || !model || model === MANUFACTURER_DEFAULT_MODEL) return null;
  const parsed = parseImei(imei);
  if (!parsed.ok) return null;
  return (await addReportedModel(db, { manufacturer, model, tac: parsed.imei.tac })) ?? null;
}

/** Marks the last delivered provisioning applied when the report shows its version's settings. */
async function noteApplied(
  db: Db,
  verdict: SettingsVerdict,
  observed: ReturnType<typeof observedSettingsOf>,
  context: { reportId: number; actor: Actor },
): Promise<ReportOutcome['applied']> {
  if (verdict.verdict === 'never-delivered') return null;
  const { last } = verdict;
  if (last.appliedAt !== null || settingsNotIn(last.deliveredContent, observed).length > 0) return null;
  const appliedAt = await markProvisioningApplied(db, last.provisioningId, context.actor, {
    reportId: context.reportId,
    version: last.deliveredVersion,
  });
  return appliedAt ? { provisioningId: last.provisioningId, appliedAt } : null;
}

/** Stores a handset's report and acts on it (see the top of this file). */
export async function takeDeviceReport(
  deps: ReportIntakeDeps,
  imei: string,
  report: DeviceReportInput,
  actor: Actor,
): Promise<ReportOutcome> {
  const stored = await recordDeviceReport(deps.db, imei, report);
  const outcome: ReportOutcome = {
    id: stored.id,
    subscriberId: stored.subscriberId,
    addedModel: await noteReportedModel(deps.db, imei, report.properties),
    applied: null,
    reprovision: null,
  };
  const observed = observedSettingsOf(report.configuration);
  if (!stored.subscriberId || !stored.subscriber || !namesAnySetting(observed)) return outcome;
  const verdict = await judgeSettings(deps.db, stored.subscriberId, observed);
  outcome.applied = await noteApplied(deps.db, verdict, observed, { reportId: stored.id, actor });
  // Settings with nothing delivered to compare with are first use's business, not a stale config.
  if (verdict.verdict === 'stale') {
    outcome.reprovision = await requestStaleReprovision(
      deps,
      { subscriberId: stored.subscriberId, who: { imsi: stored.subscriber.imsi } },
      `stale configuration reported by the handset: ${verdict.why}`,
      actor,
    );
  }
  return outcome;
}
