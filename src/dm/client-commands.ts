/**
 * What the handset's message says (docs/protocol-dm.md §2.1): Status and Results of the server's
 * commands (recorded against them), package 1's DevInfo Replace, Alerts (1200/1201, 1222 next message,
 * 1223 abort, 1226 Generic Alert with a FUMO result), large objects in chunks (§2.8). Returns the
 * Status commands the server owes for them.
 */
import {
  ALERT,
  type SyncMlAlert,
  type SyncMlCommand,
  type SyncMlData,
  type SyncMlMessage,
  type SyncMlResults,
  type SyncMlStatus,
} from '../../codecs/syncml/index.ts';
import { commandStatusWords, fumoResultWords, scomoResultWords, type DmCommandAction } from './actions.ts';
import type { DmEngineDeps } from './engine.ts';
import { childNames, devInfoLeafOf } from './inventory.ts';
import {
  findAwaitedDmExec,
  setDmNonce,
  updateDmCommand,
  updateDmCommands,
  type DmAccount,
  type DmCommandPatch,
} from './repository.ts';
import type { DmSessionState, SentPurpose } from './session-store.ts';

const textOf = (data: SyncMlData | undefined): string =>
  data === undefined ? '' : typeof data === 'string' ? data : Buffer.from(data).toString('utf8');

function statusOf(message: SyncMlMessage, command: SyncMlCommand, code: string): SyncMlStatus {
  const cmd = command.kind === 'Unsupported' ? command.element : command.kind;
  return { kind: 'Status', cmdId: '', msgRef: message.header.msgId, cmdRef: command.cmdId, cmd, data: code };
}

export async function takeClientCommands(
  deps: DmEngineDeps,
  state: DmSessionState,
  account: DmAccount,
  message: SyncMlMessage,
): Promise<SyncMlStatus[]> {
  const statuses: SyncMlStatus[] = [];
  // what the Statuses and Results say of the server's commands: written in one statement at the end
  const patches = new Map<number, DmCommandPatch>();
  for (const command of message.body.commands) {
    switch (command.kind) {
      case 'Status':
        await takeStatus(deps, state, account, command, patches);
        break;
      case 'Results': {
        const code = takeResults(state, command, patches);
        // docs/protocol-dm.md §2.1: no Status for Results unless it is not 200
        if (code !== '200') statuses.push(statusOf(message, command, code));
        break;
      }
      case 'Alert':
        statuses.push(statusOf(message, command, await takeAlert(deps, state, command)));
        break;
      case 'Replace':
        for (const item of command.items) {
          const leaf = devInfoLeafOf(item.source?.locUri ?? item.target?.locUri ?? '');
          if (leaf) state.devInfo[leaf] = textOf(item.data);
        }
        statuses.push(statusOf(message, command, '200'));
        break;
      case 'Unsupported':
        statuses.push(statusOf(message, command, '406'));
        break;
      default:
        // a client sends only Replace (DevInfo), Results and Alert (docs/protocol-dm.md §1)
        statuses.push(statusOf(message, command, '405'));
    }
  }
  await updateDmCommands(deps.db, [...patches.values()]);
  return statuses;
}

/** A later word on a command replaces its status; code and result are kept unless given again. */
function patch(patches: Map<number, DmCommandPatch>, next: DmCommandPatch): void {
  const before = patches.get(next.id);
  patches.set(next.id, {
    id: next.id,
    status: next.status,
    code: next.code ?? before?.code,
    result: next.result ?? before?.result,
  });
}

/** Our SyncHdr refused ends the session; its Chal is the nonce for our next Cred (§4.2, §4.3). */
async function takeStatus(
  deps: DmEngineDeps,
  state: DmSessionState,
  account: DmAccount,
  status: SyncMlStatus,
  patches: Map<number, DmCommandPatch>,
): Promise<void> {
  if (status.cmdRef === '0') {
    const nextNonce = status.chal?.meta.nextNonce;
    // only an authenticated handset may change the nonce we sign with (docs/protocol-dm.md §4.2)
    if (nextNonce && state.authenticated) {
      await setDmNonce(deps.db, account.id, 'server', nextNonce);
      account.serverNonce = nextNonce;
    }
    if (status.data === '401' || status.data === '407') {
      state.failure = `the handset refused the server's credentials (${status.data})`;
    }
    return;
  }
  const purpose = state.sent[`${status.msgRef}:${status.cmdRef}`];
  if (!purpose) return;
  if (purpose.purpose === 'scomo-list' && status.data !== '200') state.scomoApps = null;
  if (purpose.purpose !== 'command' || status.data === '213') return;
  const words = commandStatusWords({ cmd: purpose.cmd, action: { kind: purpose.kind } }, status.data);
  patch(patches, { id: purpose.id, code: status.data, status: words });
}

/**
 * The values of a Results, by what its Get was for. A chunk with MoreData is kept until the last one
 * (213 for each before it; 424 when the last does not add up to the Size of the first, §2.8).
 */
function takeResults(
  state: DmSessionState,
  results: SyncMlResults,
  patches: Map<number, DmCommandPatch>,
): string {
  const key = `${results.msgRef ?? String(state.serverMsgId)}:${results.cmdRef}`;
  const purpose = state.sent[key];
  for (const item of results.items) {
    let data = textOf(item.data);
    if (item.moreData) {
      const chunk =
        state.chunk?.ref === key
          ? state.chunk
          : { ref: key, parts: [], size: item.meta?.size ?? results.meta?.size };
      chunk.parts.push(data);
      state.chunk = chunk;
      return '213';
    }
    if (state.chunk?.ref === key) {
      const { parts, size } = state.chunk;
      state.chunk = undefined;
      data = parts.join('') + data;
      if (size !== undefined && Buffer.byteLength(data, 'utf8') !== size) return '424';
    }
    if (purpose) keepValue(state, purpose, item.source?.locUri, data, patches);
  }
  return '200';
}

function keepValue(
  state: DmSessionState,
  purpose: SentPurpose,
  source: string | undefined,
  data: string,
  patches: Map<number, DmCommandPatch>,
): void {
  switch (purpose.purpose) {
    case 'inventory':
      (purpose.tree === 'DevInfo' ? state.devInfo : state.devDetail)[purpose.leaf] = data;
      return;
    case 'scomo-list':
      state.scomoApps = childNames(data);
      return;
    case 'scomo-leaf':
      (state.apps[purpose.app] ??= {})[purpose.leaf] = data;
      return;
    case 'command':
      patch(patches, { id: purpose.id, status: 'ok', result: { source: source ?? null, data } });
      return;
    default:
  }
}

async function takeAlert(deps: DmEngineDeps, state: DmSessionState, alert: SyncMlAlert): Promise<string> {
  switch (alert.data) {
    case ALERT.SERVER_INITIATED_MGMT:
    case ALERT.CLIENT_INITIATED_MGMT:
    case ALERT.NEXT_MESSAGE:
    case ALERT.CLIENT_EVENT:
      return '200';
    case ALERT.SESSION_ABORT:
      state.failure = 'aborted by the handset (Alert 1223)';
      return '200';
    case ALERT.GENERIC_ALERT:
      await takeGenericAlert(deps, state, alert);
      return '200';
    default:
      return '406';
  }
}

/** `Reversed-Domain-Name: ` may prefix the Type (docs/protocol-dm.md §9 #5). */
const alertType = (type: string | undefined): string =>
  (type ?? '').replace(/^Reversed-Domain-Name:\s*/i, '');

/**
 * The asynchronous result of an Exec (docs/protocol-dm.md §2.6, §6.4, §6.6): the Exec is found by the
 * Correlator it echoes, else by its node; a FUMO result ends as updated or failed (reason), a SCOMO
 * install as installed or failed (reason).
 */
async function takeGenericAlert(
  deps: DmEngineDeps,
  state: DmSessionState,
  alert: SyncMlAlert,
): Promise<void> {
  for (const item of alert.items ?? []) {
    const code = textOf(item.data).trim();
    const source = item.source?.locUri;
    const exec = await findAwaitedDmExec(deps.db, state.deviceId, { correlator: alert.correlator, source });
    if (!exec) {
      deps.logger.info({ deviceId: state.deviceId, source, code }, 'dm: a Generic Alert for no Exec we know');
      continue;
    }
    const kind = (exec.action as DmCommandAction).kind;
    const scomo = kind === 'scomo-exec' ? scomoResultWords(code) : undefined;
    const status = scomo
      ? scomo.status
      : kind === 'fumo-exec'
        ? fumoResultWords(code).status
        : code === '200'
          ? 'ok'
          : `failed (result ${code})`;
    const result = {
      alert: {
        type: alertType(item.meta?.type),
        mark: item.meta?.mark ?? null,
        code: scomo?.code ?? code,
        source,
      },
    };
    await updateDmCommand(deps.db, exec.id, { status, result });
  }
}
