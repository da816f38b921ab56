/**
 * What the virtual DM handset does with each command of a server package (docs/protocol-dm.md §2.1 pkg 3,
 * §2.4): a Status for every command, Results after the Status of a successful Get, and FUMO jobs for an
 * Exec of DownloadAndUpdate, Download or Update (§6.4: 202 now, the result later in a Generic Alert).
 */
import {
  ALERT,
  dataOctets,
  type SyncMlAlert,
  type SyncMlCommand,
  type SyncMlItem,
  type SyncMlItemCommand,
  type SyncMlNestedCommand,
  type SyncMlResults,
  type SyncMlStatus,
} from '../../codecs/syncml/index.ts';
import {
  FUMO_STATE,
  SCOMO_DOWNLOAD_STATUS,
  normaliseUri,
  prepareScomoDownload,
  type DmTree,
  type DmTreeResult,
} from './dm-tree.ts';

/** A FUMO operation accepted with 202, to be reported by Generic Alert 1226 (docs/protocol-dm.md §6.4). */
export interface FumoJob {
  /** the FUMO `<x>` node (SCOMO: the Download/<id> node): the Generic Alert's Source */
  source: string;
  /** FUMO operations, or a SCOMO DownloadInstall (docs/protocol-dm.md §6.6) */
  operation: 'download' | 'update' | 'downloadandupdate' | 'scomo-downloadinstall';
  correlator?: string;
  packageUrl: string;
}

/** A command the server sent and the status the handset gave it (for reports and tests). */
export interface DmCommandRecord {
  cmd: string;
  target?: string;
  status: string;
  data?: string;
}

/** A command before the packer gives it its CmdID (numbered per message, docs/protocol-dm.md §1). */
export type Unnumbered<T> = T extends unknown ? Omit<T, 'cmdId'> : never;

/** Statuses and Results the handset answers with (and Alert 1225 when a large object is cut short). */
export type DmAnswer = Unnumbered<SyncMlStatus | SyncMlResults | SyncMlAlert>;

/** A large object being received (docs/protocol-dm.md §2.8): its chunks so far. */
export interface DmChunkedObject {
  cmd: 'Replace' | 'Add';
  target: string;
  format?: string;
  type?: string;
  /** Meta Size of the first chunk: the whole object's octets */
  size?: number;
  octets: Uint8Array[];
}

export interface DmCommandContext {
  tree: DmTree;
  /** the object whose chunks are arriving, kept by the session between messages */
  chunked: { object?: DmChunkedObject };
  /** the MsgID of the server message being answered */
  msgRef: string;
  fumoJobs: FumoJob[];
  records: DmCommandRecord[];
}

const FUMO_OPERATIONS: Record<string, FumoJob['operation']> = {
  Download: 'download',
  Update: 'update',
  DownloadAndUpdate: 'downloadandupdate',
};

/** The answers to one server command; `abort` when it was Alert 1223 (the session ends, MR 2.3.1.2). */
export function answerCommand(
  command: SyncMlCommand,
  context: DmCommandContext,
): { answers: DmAnswer[]; abort: boolean } {
  if (command.kind === 'Status' || command.kind === 'Results') return { answers: [], abort: false };
  if (command.kind === 'Alert') return answerAlert(command, context);
  if (command.kind === 'Atomic' || command.kind === 'Sequence') {
    return { answers: answerContainer(command, context), abort: false };
  }
  if (command.kind === 'Unsupported') {
    return { answers: [status(context, command.cmdId, command.element, '406')], abort: false };
  }
  if (command.kind === 'Exec') return { answers: answerExec(command, context), abort: false };
  return { answers: answerItems(command as SyncMlItemCommand, context), abort: false };
}

function status(
  context: DmCommandContext,
  cmdRef: string,
  cmd: string,
  code: string,
  targets: string[] = [],
): Omit<SyncMlStatus, 'cmdId'> {
  for (const target of targets.length > 0 ? targets : [undefined]) {
    context.records.push({ cmd, ...(target !== undefined ? { target } : {}), status: code });
  }
  return {
    kind: 'Status',
    msgRef: context.msgRef,
    cmdRef,
    cmd,
    ...(targets.length > 0 ? { targetRefs: targets } : {}),
    data: code,
  };
}

/** UI alerts are taken as a user who says yes (1101 → 200) would (docs/protocol-dm.md §2.5). */
function answerAlert(alert: SyncMlAlert, context: DmCommandContext): { answers: DmAnswer[]; abort: boolean } {
  if (alert.data === ALERT.SESSION_ABORT) {
    context.records.push({ cmd: 'Alert', status: 'abort', data: alert.data });
    return { answers: [], abort: true };
  }
  const known = [ALERT.DISPLAY, ALERT.CONFIRM_OR_REJECT, ALERT.NEXT_MESSAGE] as string[];
  const code = known.includes(alert.data) ? '200' : '406';
  if (alert.noResp) return { answers: [], abort: false };
  const answer = status(context, alert.cmdId, 'Alert', code);
  context.records[context.records.length - 1].data = alert.data;
  return { answers: [answer], abort: false };
}

/**
 * Sequence in order (MR 4.1.6.14); Atomic all or nothing (MR 4.1.6.3): when a member fails the tree goes
 * back to what it was, the Atomic gets 507 and the members that had succeeded 216 (rolled back).
 */
function answerContainer(
  container: { kind: 'Atomic' | 'Sequence'; cmdId: string; commands: SyncMlNestedCommand[] },
  context: DmCommandContext,
): DmAnswer[] {
  const snapshot = container.kind === 'Atomic' ? context.tree.snapshot() : undefined;
  const firstRecord = context.records.length;
  const inner: DmAnswer[] = [];
  for (const command of container.commands) inner.push(...answerCommand(command, context).answers);
  const failed = inner.some((answer) => answer.kind === 'Status' && !answer.data.startsWith('2'));
  if (!snapshot || !failed) return [status(context, container.cmdId, container.kind, '200'), ...inner];
  context.tree.restore(snapshot);
  const rolledBack = (code: string) => (code.startsWith('2') ? '216' : code);
  for (const record of context.records.slice(firstRecord)) record.status = rolledBack(record.status);
  const answers = inner
    .filter((answer) => answer.kind === 'Status')
    .map((answer) => ({ ...answer, data: rolledBack(answer.data) }));
  return [status(context, container.cmdId, container.kind, '507'), ...answers];
}

const targetOf = (item: SyncMlItem): string => item.target?.locUri ?? item.source?.locUri ?? '';

const dataText = (item: SyncMlItem): string =>
  item.data === undefined
    ? ''
    : typeof item.data === 'string'
      ? item.data
      : Buffer.from(item.data).toString('base64');

/** One Status when every Item got the same code, else one per Item (each with its TargetRef). */
function answerItems(command: SyncMlItemCommand, context: DmCommandContext): DmAnswer[] {
  const chunk = takeChunk(command, context);
  if (chunk) return chunk;
  const outcomes = command.items.map((item) => ({ item, result: runItem(command, item, context.tree) }));
  if (command.noResp && command.kind !== 'Get') return [];
  const answers: DmAnswer[] = [];
  const codes = new Set(outcomes.map((outcome) => outcome.result.status));
  if (codes.size <= 1) {
    const code = outcomes[0]?.result.status ?? '200';
    answers.push(
      status(
        context,
        command.cmdId,
        command.kind,
        code,
        outcomes.map(({ item }) => targetOf(item)),
      ),
    );
  } else {
    for (const { item, result } of outcomes) {
      answers.push(status(context, command.cmdId, command.kind, result.status, [targetOf(item)]));
    }
  }
  if (command.kind === 'Get') {
    const items = outcomes
      .filter(({ result }) => result.status === '200')
      .map(({ item, result }) => resultItem(item, result));
    if (items.length > 0)
      answers.push({ kind: 'Results', msgRef: context.msgRef, cmdRef: command.cmdId, items });
  }
  return answers;
}

/**
 * Large objects (MR 2.2): a chunk with MoreData is kept and answered 213; the last one completes the
 * object, checked against the first chunk's Size (424, nothing written) before the command runs. Another
 * command while an object is open ends it (Alert 1225 with its target) and is then answered as usual.
 */
function takeChunk(command: SyncMlItemCommand, context: DmCommandContext): DmAnswer[] | undefined {
  const item = command.items[0];
  const open = context.chunked.object;
  const isChunk = (command.kind === 'Replace' || command.kind === 'Add') && command.items.length === 1;
  const continues = open && isChunk && open.cmd === command.kind && open.target === targetOf(item);
  if (open && !continues) {
    context.chunked.object = undefined;
    const ended = answerItems(command, context);
    const alert: DmAnswer = {
      kind: 'Alert',
      data: ALERT.NO_END_OF_DATA,
      items: [{ target: { locUri: open.target } }],
    };
    return [alert, ...ended];
  }
  if (!isChunk || (!open && !item.moreData)) return undefined;
  const object: DmChunkedObject = open ?? {
    cmd: command.kind as 'Replace' | 'Add',
    target: targetOf(item),
    format: item.meta?.format ?? command.meta?.format,
    type: item.meta?.type ?? command.meta?.type,
    size: item.meta?.size ?? command.meta?.size,
    octets: [],
  };
  object.octets.push(dataOctets(item, command.meta) ?? new Uint8Array(0));
  if (item.moreData) {
    context.chunked.object = object;
    return [status(context, command.cmdId, command.kind, '213', [object.target])];
  }
  context.chunked.object = undefined;
  const whole = Buffer.concat(object.octets);
  if (object.size !== undefined && whole.length !== object.size) {
    return [status(context, command.cmdId, command.kind, '424', [object.target])];
  }
  const binary = object.format === 'b64' || object.format === 'bin';
  const value = binary ? whole.toString('base64') : whole.toString('utf8');
  const format = object.format === 'bin' ? 'b64' : object.format;
  const result =
    object.cmd === 'Replace'
      ? context.tree.replace(object.target, value, format)
      : context.tree.add(object.target, value, format, object.type);
  return [status(context, command.cmdId, command.kind, result.status, [object.target])];
}

function runItem(command: SyncMlItemCommand, item: SyncMlItem, tree: DmTree): DmTreeResult {
  const uri = targetOf(item);
  const format = item.meta?.format ?? command.meta?.format;
  const type = item.meta?.type ?? command.meta?.type;
  switch (command.kind) {
    case 'Get':
      return tree.get(uri);
    case 'Replace':
      return tree.replace(uri, dataText(item), format?.toLowerCase());
    case 'Add': {
      const added = tree.add(uri, dataText(item), format?.toLowerCase() ?? 'chr', type);
      if (added.status === '200') prepareScomoDownload(tree, uri);
      return added;
    }
    case 'Delete':
      return tree.delete(uri);
    case 'Copy': {
      // Copy: leaf to leaf (MR 4.1.6.4); the source is the Item's Source
      const source = tree.get(item.source?.locUri ?? '');
      if (source.status !== '200' || !source.node || source.node.format === 'node') return { status: '404' };
      const target = item.target?.locUri ?? '';
      const value = source.node.value ?? '';
      return tree.has(target) ? tree.replace(target, value) : tree.add(target, value, source.node.format);
    }
  }
}

/** A Get's Result Item: Source LocURI, Meta Format/Type, Data (docs/protocol-dm.md §2.3). */
function resultItem(item: SyncMlItem, result: DmTreeResult): SyncMlItem {
  const uri = normaliseUri(targetOf(item));
  if (result.status !== '200' || !result.node) return { source: { locUri: uri } };
  if (result.node.format === 'node') {
    return { source: { locUri: uri }, meta: { format: 'node' }, data: (result.children ?? []).join('/') };
  }
  return {
    source: { locUri: uri },
    meta: { format: result.node.format, type: result.node.type ?? 'text/plain' },
    data: result.node.value ?? '',
  };
}

/** Exec (MR 4.1.6.6): FUMO operations answer 202 and become jobs (docs/protocol-dm.md §6.4). */
function answerExec(
  exec: { cmdId: string; correlator?: string; items: SyncMlItem[]; noResp?: boolean },
  context: DmCommandContext,
): DmAnswer[] {
  const uri = normaliseUri(targetOf(exec.items[0]));
  const allowed = context.tree.canExec(uri);
  let code: string = allowed.status;
  const leaf = uri.slice(uri.lastIndexOf('/') + 1);
  const operation = FUMO_OPERATIONS[leaf];
  const scomo = /^(\.\/SCOMO\/Download\/[^/]+)\/Operations\/DownloadInstall$/.exec(uri);
  if (allowed.status === '200' && scomo) {
    // docs/protocol-dm.md §6.6: accepted for later (202), the result by Generic Alert
    context.fumoJobs.push({
      source: scomo[1],
      operation: 'scomo-downloadinstall',
      ...(exec.correlator !== undefined ? { correlator: exec.correlator } : {}),
      packageUrl: context.tree.read(`${scomo[1]}/PkgURL`) ?? '',
    });
    context.tree.write(`${scomo[1]}/Status`, SCOMO_DOWNLOAD_STATUS.downloading);
    code = '202';
  } else if (allowed.status === '200' && operation) {
    const fumoRoot = uri.slice(0, uri.lastIndexOf('/'));
    context.fumoJobs.push({
      source: fumoRoot,
      operation,
      ...(exec.correlator !== undefined ? { correlator: exec.correlator } : {}),
      packageUrl: context.tree.read(`${uri}/PkgURL`) ?? '',
    });
    context.tree.write(
      `${fumoRoot}/State`,
      operation === 'update' ? FUMO_STATE.updateProgressing : FUMO_STATE.downloadProgressing,
    );
    code = '202';
  }
  if (exec.noResp) return [];
  return [status(context, exec.cmdId, 'Exec', code, [uri])];
}
