/**
 * Device resolution for the hot path. The answer depends only on the TAC (an IMEI's first 8 digits) and
 * the catalogue, which changes rarely: resolved devices are kept for a few seconds per TAC, so a burst of
 * pushes to one popular handset costs one catalogue query, not one per push.
 */
import { parseImei } from '../devices/imei.ts';
import {
  resolveDevice,
  type DeviceResolution,
  type OperatorDeviceDefault,
} from '../devices/resolve-device.ts';
import type { Db } from '../store/db.ts';

const MAX_ENTRIES = 10_000;

export class DeviceCache {
  private readonly entries = new Map<string, { at: number; resolution: DeviceResolution }>();

  constructor(
    private readonly operatorDefault: OperatorDeviceDefault | null,
    private readonly ttlMs = 5_000,
  ) {}

  async resolve(db: Db, imei: string | null | undefined): Promise<DeviceResolution> {
    const parsed = imei ? parseImei(imei) : undefined;
    const key = parsed?.ok ? parsed.imei.tac : undefined;
    if (key !== undefined) {
      const hit = this.entries.get(key);
      if (hit && Date.now() - hit.at <= this.ttlMs) return hit.resolution;
    }
    const resolution = await resolveDevice(db, { imei }, { operatorDefault: this.operatorDefault });
    // Only outcomes that depend on the TAC alone are shared (a malformed IMEI is the trigger's own).
    if (key !== undefined && (resolution.outcome === 'supported' || resolution.reason !== 'INVALID_IMEI')) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(key, { at: Date.now(), resolution });
    }
    return resolution;
  }

  clear(): void {
    this.entries.clear();
  }
}
