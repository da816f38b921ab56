/**
 * What a server-initiated session may ask of a handset (POST /v1/dm/sessions `actions`), and the SyncML
 * commands each becomes (docs/protocol-dm.md §2.4, FUMO §6.4). Pure: no store, no clock.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { statusText, type SyncMlCommand, type SyncMlItem } from '../../codecs/syncml/index.ts';
import type { DmCommandRecord, NewDmCommand } from './repository.ts';

/** A node URI of the device's tree, relative to its root (docs/protocol-dm.md §6). */
const nodeUri = z
  .string()
  .max(1024, 'a node URI may be at most 1024 characters')
  .regex(
    /^\.\/[^\s?#]*[^\s?#/]$|^\.\/[^\s]*\?(?:list|prop)=[A-Za-z+-]+$/,
    'a node URI starting with ./ (e.g. ./DevDetail/FwV)',
  );

/** Meta Format values a leaf may carry (docs/protocol-dm.md §5.6). */
const FORMATS = ['chr', 'int', 'bool', 'b64', 'bin', 'node', 'null', 'xml', 'date', 'time', 'float'] as const;

const leafValue = {
  target: nodeUri,
  data: z.string().max(65_536, 'data may be at most 65536 characters').optional(),
  format: z.enum(FORMATS).optional().describe('default chr'),
  type: z.string().min(1).max(128).optional().describe('MIME type or MO id; default text/plain'),
};

export const dmActionSchema = z.union([
  z.strictObject({ get: z.strictObject({ target: nodeUri }) }),
  z.strictObject({ replace: z.strictObject(leafValue) }),
  z.strictObject({ add: z.strictObject(leafValue) }),
  z.strictObject({ delete: z.strictObject({ target: nodeUri }) }),
  z.strictObject({
    exec: z.strictObject({ target: nodeUri, data: z.string().max(4096).optional() }),
  }),
  z.strictObject({
    firmwareUpdate: z.strictObject({
      packageUrl: z
        .url({ protocol: /^https?$/, error: 'packageUrl must be an http:// or https:// URL' })
        .max(1024),
      version: z.string().min(1).max(64),
      node: nodeUri.default('./FUMO').describe("the device's FUMO node (./FUMO/<x> on most handsets)"),
    }),
  }),
  z.strictObject({
    softwareInstall: z.strictObject({
      packageUrl: z
        .url({ protocol: /^https?$/, error: 'packageUrl must be an http:// or https:// URL' })
        .max(1024),
      name: z.string().min(1).max(128),
      version: z.string().min(1).max(64),
      /** the package's node name under Download (and the component's under Inventory/Deployed) */
      id: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/, 'id: 1-64 letters, digits, dot, hyphen or underscore (a node name)'),
      node: nodeUri.default('./SCOMO').describe("the device's SCOMO node"),
    }),
  }),
]);
export type DmAction = z.infer<typeof dmActionSchema>;

/** What the server keeps of a command besides cmd and target (dm_commands.action). */
export interface DmCommandAction extends Record<string, unknown> {
  kind: 'get' | 'replace' | 'add' | 'delete' | 'exec' | 'fumo-url' | 'fumo-exec' | 'scomo-add' | 'scomo-exec';
  data?: string;
  format?: string;
  type?: string;
  /** the commands of one action travel in one Sequence (FUMO: the URL before the Exec) */
  group: number;
  version?: string;
}

/** The commands of the actions, in order; a firmware update is a Replace of PkgURL and an Exec. */
export function commandsOfActions(actions: readonly DmAction[]): NewDmCommand[] {
  return actions.flatMap((action, group): NewDmCommand[] => {
    if ('get' in action) return [{ cmd: 'Get', target: action.get.target, action: { kind: 'get', group } }];
    if ('replace' in action) return [valueCommand('Replace', 'replace', action.replace, group)];
    if ('add' in action) return [valueCommand('Add', 'add', action.add, group)];
    if ('delete' in action)
      return [{ cmd: 'Delete', target: action.delete.target, action: { kind: 'delete', group } }];
    if ('exec' in action) {
      const exec: DmCommandAction = { kind: 'exec', group, data: action.exec.data };
      return [{ cmd: 'Exec', target: action.exec.target, action: exec, correlator: newCorrelator() }];
    }
    if ('softwareInstall' in action) return scomoInstallCommands(action.softwareInstall, group);
    const { packageUrl, version, node } = action.firmwareUpdate;
    // docs/protocol-dm.md §6.4: PkgURL under DownloadAndUpdate, then Exec on DownloadAndUpdate.
    return [
      {
        cmd: 'Replace',
        target: `${node}/DownloadAndUpdate/PkgURL`,
        action: { kind: 'fumo-url', group, data: packageUrl, version },
      },
      {
        cmd: 'Exec',
        target: `${node}/DownloadAndUpdate`,
        action: { kind: 'fumo-exec', group, version },
        correlator: newCorrelator(),
      },
    ];
  });
}

/**
 * docs/protocol-dm.md §6.6: Add the package node under Download with PkgURL, Name and PkgVersion, then
 * Exec its Operations/DownloadInstall (202, the result by Generic Alert), all in one Sequence.
 */
function scomoInstallCommands(
  install: { packageUrl: string; name: string; version: string; id: string; node: string },
  group: number,
): NewDmCommand[] {
  const pkg = `${install.node}/Download/${install.id}`;
  const add = (target: string, data: string | undefined, format = 'chr'): NewDmCommand => ({
    cmd: 'Add',
    target,
    action: withoutUndefined({ kind: 'scomo-add', group, data, format, version: install.version }),
  });
  return [
    add(pkg, undefined, 'node'),
    add(`${pkg}/PkgURL`, install.packageUrl),
    add(`${pkg}/Name`, install.name),
    add(`${pkg}/PkgVersion`, install.version),
    {
      cmd: 'Exec',
      target: `${pkg}/Operations/DownloadInstall`,
      action: { kind: 'scomo-exec', group, version: install.version },
      correlator: newCorrelator(),
    },
  ];
}

function valueCommand(
  cmd: 'Replace' | 'Add',
  kind: 'replace' | 'add',
  value: { target: string; data?: string; format?: string; type?: string },
  group: number,
): NewDmCommand {
  const action: DmCommandAction = { kind, group, data: value.data, format: value.format, type: value.type };
  return { cmd, target: value.target, action: withoutUndefined(action) };
}

/** Echoed by the handset in the Generic Alert that reports an Exec's result (docs/protocol-dm.md §2.6). */
const newCorrelator = (): string => randomBytes(8).toString('hex');

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** The SyncML command of a stored one (its CmdID is given when it is sent). */
export function syncMlCommandOf(record: DmCommandRecord): SyncMlCommand {
  const action = record.action as DmCommandAction;
  const item: SyncMlItem = { target: { locUri: record.target } };
  switch (record.cmd) {
    case 'Get':
    case 'Delete':
      return { kind: record.cmd, cmdId: '', items: [item] };
    case 'Exec':
      if (action.data !== undefined) item.data = action.data;
      return {
        kind: 'Exec',
        cmdId: '',
        items: [item],
        ...(record.correlator ? { correlator: record.correlator } : {}),
      };
    default:
      // an interior node carries Format node and no Data (docs/protocol-dm.md §5.6)
      if (action.format === 'node') {
        item.meta = { format: 'node' };
        return { kind: record.cmd as 'Replace' | 'Add', cmdId: '', items: [item] };
      }
      item.meta = { format: action.format ?? 'chr', type: action.type ?? 'text/plain' };
      item.data = action.data ?? '';
      return { kind: record.cmd as 'Replace' | 'Add', cmdId: '', items: [item] };
  }
}

/**
 * A command's status in plain words (docs/protocol-dm.md §3); an Exec the handset accepted for later
 * (202) waits for its Generic Alert, and a firmware update that ran says updated.
 */
export function commandStatusWords(record: Pick<DmCommandRecord, 'cmd' | 'action'>, code: string): string {
  const kind = (record.action as DmCommandAction).kind;
  if (record.cmd === 'Exec' && code === '202') return 'accepted: waiting for the result';
  if (kind === 'fumo-exec') return code === '200' ? 'updated' : `failed (${statusText(code)})`;
  if (kind === 'scomo-exec') return code === '200' ? 'installed' : `failed (${statusText(code)})`;
  if (code === '200') return 'ok';
  return statusText(code);
}

/** FUMO result codes (docs/protocol-dm.md §6.4 table; §9 #3, #5b: keep the number, words loosely). */
const FUMO_RESULTS: Readonly<Record<string, string>> = {
  '400': 'client error',
  '401': 'user cancelled',
  '402': 'corrupted firmware package',
  '403': 'package does not match the device',
  '404': 'package signature check failed',
  '405': 'package not acceptable',
  '406': 'alternate download authentication failed',
  '407': 'alternate download timed out',
  '408': 'not implemented',
  '409': 'undefined error',
  '410': 'update failed',
  '411': 'malformed or bad URL',
  '412': 'alternate download server unavailable',
  '500': 'download server error or update failed',
  '501': 'download: out of memory',
  '502': 'update: out of memory',
  '503': 'download: network error',
};

/** A Generic Alert's FUMO result as the command's final status: updated, or failed (reason, code). */
export function fumoResultWords(code: string): { updated: boolean; status: string } {
  const value = Number(code);
  if (value === 200 || (value >= 250 && value <= 299)) return { updated: true, status: 'updated' };
  const reason =
    FUMO_RESULTS[code] ??
    (value >= 450 && value <= 499
      ? 'vendor client error'
      : value >= 550 && value <= 599
        ? 'vendor server error'
        : 'unknown result');
  return { updated: false, status: `failed (${reason}, result ${code})` };
}

/** SCOMO result codes (docs/protocol-dm.md §6.5, MTK): 1200 success, the rest failures. */
const SCOMO_RESULTS: Readonly<Record<string, string>> = {
  '1400': 'client error',
  '1401': 'user cancelled',
  '1402': 'download failed',
  '1403': 'download authentication failed',
  '1404': 'download: out of memory',
  '1405': 'install failed',
  '1406': 'install: out of memory',
  '1407': 'package signature check failed',
  '1408': 'remove failed',
  '1409': 'activate failed',
  '1410': 'deactivate failed',
  '1411': 'not implemented by the device',
  '1412': 'undefined error',
  '1413': 'unsupported environment',
  '1500': 'download server error',
  '1501': 'download server unavailable',
};

/**
 * A Generic Alert's SCOMO result (the code alone, or `<ResultCode>…</ResultCode>` in its Data, §6.5) as
 * the Exec's final status: installed, or failed (reason, result N).
 */
export function scomoResultWords(data: string): { installed: boolean; code: string; status: string } {
  const code = /<ResultCode>\s*(\d+)\s*<\/ResultCode>/i.exec(data)?.[1] ?? data.trim();
  if (code === '1200') return { installed: true, code, status: 'installed' };
  const reason = SCOMO_RESULTS[code] ?? 'unknown result';
  return { installed: false, code, status: `failed (${reason}, result ${code})` };
}
