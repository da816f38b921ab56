/**
 * The rounds of a session: open (the session row, the queued actions taken over, the inventory Gets),
 * the next round once the handset answered a package (SCOMO leaves, then nothing), and the end (the
 * device report stored, unanswered commands marked, the Redis state dropped).
 */
import type { SyncMlCommand, SyncMlMessage } from '../../codecs/syncml/index.ts';
import { takeDeviceReport } from '../devices/report-intake.ts';
import { syncMlCommandOf, type DmCommandAction } from './actions.ts';
import type { DmEngineDeps } from './engine.ts';
import { deviceReportOf, imeiOfDevId, inventoryGets, scomoGets } from './inventory.ts';
import {
  closeDmSession,
  failStaleDmSessions,
  startDmSession,
  tieDmAccountToSubscriber,
  updateDmSession,
  type DmAccount,
  type DmCommandRecord,
} from './repository.ts';
import type { DmSessionState, OutboxItem, SentPurpose } from './session-store.ts';

const DM_ACTOR = { name: 'dm-server' };

/** Alert 1200 in package 1: the session answers a notification (docs/protocol-dm.md §2.1). */
function initiatorOf(message: SyncMlMessage): 'server' | 'client' {
  const alert = message.body.commands.find((command) => command.kind === 'Alert');
  return alert && alert.kind === 'Alert' && alert.data === '1200' ? 'server' : 'client';
}

/** The session row, the queued actions moved into it, and the first package's commands. */
export async function openSession(
  deps: DmEngineDeps,
  state: DmSessionState,
  account: DmAccount,
  message: SyncMlMessage,
): Promise<void> {
  const timeoutS = Math.round(deps.settings.sessionTimeoutMs / 1000);
  await failStaleDmSessions(
    deps.db,
    state.deviceId,
    `timed out: no message from the handset for ${timeoutS} s`,
  );
  const { session, commands } = await startDmSession(deps.db, {
    accountId: account.id,
    deviceId: state.deviceId,
    dmSessionId: state.dmSessionId,
    initiator: initiatorOf(message),
  });
  state.rowId = session.id;
  state.outbox = [...inventoryGets(state), ...actionItems(commands)];
}

/** The stored commands as outbox items; the commands of one action (FUMO) go in one Sequence, in order. */
export function actionItems(commands: readonly DmCommandRecord[]): OutboxItem[] {
  const items: OutboxItem[] = [];
  for (let start = 0; start < commands.length;) {
    const group = (commands[start].action as DmCommandAction).group;
    let end = start + 1;
    while (end < commands.length && (commands[end].action as DmCommandAction).group === group) end += 1;
    const members = commands.slice(start, end);
    const purposes: SentPurpose[] = members.map((record) => ({
      purpose: 'command',
      id: record.id,
      cmd: record.cmd,
      kind: (record.action as DmCommandAction).kind,
    }));
    const nested = members.map(syncMlCommandOf);
    items.push(
      members.length === 1
        ? { command: nested[0], purposes }
        : {
            command: {
              kind: 'Sequence',
              cmdId: '',
              commands: nested as Extract<SyncMlCommand, { kind: 'Replace' }>[],
            },
            purposes: [{ purpose: 'container' }, ...purposes],
          },
    );
    start = end;
  }
  return items;
}

/** Once the handset answered the whole package: the SCOMO components' leaves, else the report and the end. */
export async function planNextRound(
  deps: DmEngineDeps,
  state: DmSessionState,
  account: DmAccount,
): Promise<void> {
  if (state.stage === 'inventory' && state.scomoApps && state.scomoApps.length > 0) {
    state.stage = 'scomo';
    state.outbox = scomoGets(state.scomoApps);
    return;
  }
  state.stage = 'done';
  await storeReport(deps, state, account);
}

/** DevInfo, DevDetail and the SCOMO software as a device report, once per session. */
async function storeReport(deps: DmEngineDeps, state: DmSessionState, account: DmAccount): Promise<void> {
  if (state.reported || !state.rowId) return;
  state.reported = true;
  const imei = imeiOfDevId(state.devInfo.DevId ?? state.deviceId);
  let reportId: number | undefined;
  if (imei) {
    const outcome = await takeDeviceReport(deps, imei, deviceReportOf(state), DM_ACTOR);
    reportId = outcome.id;
    if (outcome.subscriberId) await tieDmAccountToSubscriber(deps.db, account.id, outcome.subscriberId);
  }
  await updateDmSession(deps.db, state.rowId, {
    devInfo: state.devInfo,
    devDetail: state.devDetail,
    reportId,
  });
}

/** The end of a session: completed, or failed saying why; what was sent and never answered says where. */
export async function closeSession(deps: DmEngineDeps, state: DmSessionState): Promise<void> {
  await deps.sessions.drop(state);
  if (!state.rowId || !state.accountId) return;
  if (!state.reported && Object.keys(state.devInfo).length > 0) {
    await updateDmSession(deps.db, state.rowId, { devInfo: state.devInfo, devDetail: state.devDetail });
  }
  await closeDmSession(deps.db, state.rowId, state.failure ?? null);
}
