/**
 * What every session reads from the handset (docs/protocol-dm.md §6.1, §6.2, §6.5): DevInfo, DevDetail
 * and, when it has one, the SCOMO inventory; and the device report made of them (the same history as
 * POST /v1/devices/{imei}/reports).
 */
import type { SyncMlCommand } from '../../codecs/syncml/index.ts';
import { parseImei } from '../devices/imei.ts';
import type { DeviceReportInput } from '../store/repositories/device-reports.ts';
import type { DmSessionState, OutboxItem } from './session-store.ts';

export const DEV_INFO_LEAVES = ['DevId', 'Man', 'Mod', 'DmV', 'Lang'] as const;
export const DEV_DETAIL_LEAVES = ['DevTyp', 'OEM', 'FwV', 'SwV', 'HwV'] as const;
/** docs/protocol-dm.md §6.5: the deployed components, one interior node each. */
export const SCOMO_DEPLOYED = './SCOMO/Inventory/Deployed';
const SCOMO_LEAVES = ['Name', 'Version', 'State'] as const;

const get = (locUri: string): SyncMlCommand => ({ kind: 'Get', cmdId: '', items: [{ target: { locUri } }] });

/** The Gets of a session's first server package: DevInfo leaves package 1 did not carry, DevDetail, SCOMO. */
export function inventoryGets(state: DmSessionState): OutboxItem[] {
  const items: OutboxItem[] = [];
  for (const leaf of DEV_INFO_LEAVES) {
    if (state.devInfo[leaf] !== undefined) continue;
    items.push({
      command: get(`./DevInfo/${leaf}`),
      purposes: [{ purpose: 'inventory', tree: 'DevInfo', leaf }],
    });
  }
  for (const leaf of DEV_DETAIL_LEAVES) {
    items.push({
      command: get(`./DevDetail/${leaf}`),
      purposes: [{ purpose: 'inventory', tree: 'DevDetail', leaf }],
    });
  }
  items.push({ command: get(SCOMO_DEPLOYED), purposes: [{ purpose: 'scomo-list' }] });
  return items;
}

/** The Gets of each deployed component's Name, Version and State. */
export function scomoGets(apps: readonly string[]): OutboxItem[] {
  return apps.flatMap((app) =>
    SCOMO_LEAVES.map((leaf) => ({
      command: get(`${SCOMO_DEPLOYED}/${app}/${leaf}`),
      purposes: [{ purpose: 'scomo-leaf' as const, app, leaf }],
    })),
  );
}

/** A DevInfo node URI of package 1's Replace (`./DevInfo/Man`, also without `./`) as its leaf name. */
export function devInfoLeafOf(locUri: string): string | undefined {
  const match = /^(?:\.\/)?DevInfo\/([A-Za-z]+)$/.exec(locUri);
  return match?.[1];
}

/** The child names of an interior node's Get: Format node, names joined by `/` (docs/protocol-dm.md §2.4). */
export const childNames = (data: string): string[] => data.split('/').filter((name) => name.length > 0);

/** The IMEI a DevId names (`IMEI:490154203237518`, docs/protocol-dm.md §6.1), if it names one. */
export function imeiOfDevId(devId: string): string | undefined {
  const match = /^IMEI:(\d{14,16})$/i.exec(devId.trim());
  if (!match) return undefined;
  return parseImei(match[1]).ok ? match[1] : undefined;
}

/** The report of what was read: the properties POST /v1/devices/{imei}/reports takes, and SCOMO's software. */
export function deviceReportOf(state: DmSessionState): DeviceReportInput {
  const info = state.devInfo;
  const detail = state.devDetail;
  const properties: Record<string, string | undefined> = {
    manufacturer: info.Man,
    model: info.Mod,
    firmware: detail.FwV,
    software: detail.SwV,
    hardware: detail.HwV,
    oem: detail.OEM,
    deviceType: detail.DevTyp,
    language: info.Lang,
    dmVersion: info.DmV,
    devId: info.DevId ?? state.deviceId,
  };
  const software = Object.values(state.apps)
    .filter((app) => app.Name)
    .map((app) => ({ name: app.Name!, version: app.Version ?? 'unknown' }));
  return {
    properties: Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)),
    configuration: {},
    software,
    source: 'dm-session',
  };
}
