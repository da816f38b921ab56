/**
 * Device resolution for the hot path. The answer depends only on the TAC (an IMEI's first 8 digits) and
 * the catalogue, which changes rarely: resolved devices are kept for a few seconds per TAC, so a burst of
 * pushes to one popular handset costs one catalogue query, not one per push.
 *
 * When the catalogue does not know the TAC, the handset's own newest device report may: the
 * manufacturer and model it named are resolved instead (that model's entry, else its manufacturer's
 * default, else the operator default). That costs one more query (the report), only for such handsets.
 */
import { parseImei } from '../devices/imei.ts';
import {
  resolveDevice,
  type DeviceQuery,
  type DeviceResolution,
  type OperatorDeviceDefault,
} from '../devices/resolve-device.ts';
import type { Db } from '../store/db.ts';
import { findReportedDevice } from '../store/repositories/device-reports.ts';

const MAX_ENTRIES = 10_000;

/**
 * True when the TAC settled it: the catalogue has a model for it (supported or not), or the IMEI is
 * malformed. Otherwise (unknown TAC, or only a default matched) a report may say more.
 */
function settledByTac(resolution: DeviceResolution): boolean {
  if (resolution.outcome === 'supported') {
    return resolution.device.matchedBy === 'tac' || resolution.device.matchedBy === 'legacy-tac';
  }
  // Asked by IMEI alone, an unsupported answer names a model only when its TAC found one.
  return resolution.reason === 'INVALID_IMEI' || resolution.model !== null;
}

export class DeviceCache {
  private readonly entries = new Map<string, { at: number; resolution: DeviceResolution }>();
  /** Lookups under way per key: a burst of triggers for one TAC waits for one query instead of each making its own. */
  private readonly inFlight = new Map<string, Promise<DeviceResolution>>();
  /** Bumped by clear(): a lookup started before the catalogue changed must not be kept after it. */
  private generation = 0;

  constructor(
    private readonly operatorDefault: OperatorDeviceDefault | null,
    private readonly ttlMs = 5_000,
  ) {}

  async resolve(db: Db, imei: string | null | undefined): Promise<DeviceResolution> {
    const parsed = imei ? parseImei(imei) : undefined;
    const tac = parsed?.ok ? parsed.imei.tac : undefined;
    const byTac = await this.cached(db, tac, { imei });
    if (!imei || tac === undefined || settledByTac(byTac)) return byTac;
    const reported = await findReportedDevice(db, imei);
    if (!reported) return byTac;
    const named = `${tac}\u0000${reported.manufacturer.toLowerCase()}\u0000${reported.model?.toLowerCase() ?? ''}`;
    return this.cached(db, named, { imei, manufacturer: reported.manufacturer, model: reported.model });
  }

  /** The resolution of `query`, kept under `key` (a TAC, or a TAC with reported names). */
  private async cached(db: Db, key: string | undefined, query: DeviceQuery): Promise<DeviceResolution> {
    if (key === undefined) return this.lookUp(db, query);
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at <= this.ttlMs) return hit.resolution;
    const pending = this.inFlight.get(key);
    if (pending) {
      // The shared query ran on its caller's handle (often a transaction), which may fail for reasons of
      // its own (that transaction aborted): then this caller asks on its own handle.
      return pending.catch(() => this.lookUp(db, query));
    }
    const lookup = this.lookUpAndKeep(db, key, query).finally(() => {
      if (this.inFlight.get(key) === lookup) this.inFlight.delete(key);
    });
    this.inFlight.set(key, lookup);
    return lookup;
  }

  private async lookUpAndKeep(db: Db, key: string, query: DeviceQuery): Promise<DeviceResolution> {
    const generation = this.generation;
    const resolution = await this.lookUp(db, query);
    // Only outcomes that depend on the key alone are shared (a malformed IMEI is the trigger's own).
    const keyedOutcome = resolution.outcome === 'supported' || resolution.reason !== 'INVALID_IMEI';
    if (keyedOutcome && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, { at: Date.now(), resolution });
    }
    return resolution;
  }

  private lookUp(db: Db, query: DeviceQuery): Promise<DeviceResolution> {
    return resolveDevice(db, query, { operatorDefault: this.operatorDefault });
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.inFlight.clear();
  }
}
