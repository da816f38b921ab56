/**
 * What care sees of a DM device (GET /v1/dm/devices/{deviceId}, the subscriber's timeline): its account
 * without secrets, the last DevInfo and DevDetail, and its sessions with each command's status in words.
 */
import type { Db } from '../store/db.ts';
import { accountView, type DmAccountView } from './accounts.ts';
import {
  lastDmDeviceFacts,
  listDmAccounts,
  listDmAccountsOfSubscriber,
  listDmSessionsOfDevice,
  type DmCommandRecord,
  type DmSessionRecord,
} from './repository.ts';

export interface DmSessionView {
  id: string;
  dmSessionId: string | null;
  initiator: DmSessionRecord['initiator'];
  state: DmSessionRecord['state'];
  failure: string | null;
  provisioningId: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  commands: Array<{
    cmd: string;
    target: string;
    code: string | null;
    status: string;
    result?: unknown;
    updatedAt: string;
  }>;
}

export interface DmDeviceView {
  deviceId: string;
  account: DmAccountView | null;
  devInfo: Record<string, string> | null;
  devDetail: Record<string, string> | null;
  sessions: DmSessionView[];
}

const commandView = (command: DmCommandRecord): DmSessionView['commands'][number] => ({
  cmd: command.cmd,
  target: command.target,
  code: command.code,
  status: command.status,
  ...(command.result === null ? {} : { result: command.result }),
  updatedAt: command.updatedAt.toISOString(),
});

export function sessionView(session: DmSessionRecord & { commands: DmCommandRecord[] }): DmSessionView {
  return {
    id: session.id,
    dmSessionId: session.dmSessionId,
    initiator: session.initiator,
    state: session.state,
    failure: session.failure,
    provisioningId: session.provisioningId,
    createdAt: session.createdAt.toISOString(),
    startedAt: session.startedAt?.toISOString() ?? null,
    endedAt: session.endedAt?.toISOString() ?? null,
    commands: session.commands.map(commandView),
  };
}

/** undefined when the server never had an account for the device. */
export async function dmDeviceView(
  db: Db,
  deviceId: string,
  limit: number,
): Promise<DmDeviceView | undefined> {
  const [account] = await listDmAccounts(db, { deviceId, includeRevoked: true, limit: 1 });
  if (!account) return undefined;
  const facts = await lastDmDeviceFacts(db, deviceId);
  const sessions = await listDmSessionsOfDevice(db, deviceId, limit);
  return { deviceId, account: accountView(account), ...facts, sessions: sessions.map(sessionView) };
}

/** The DM devices of a subscriber's live accounts (the subscriber's timeline). */
export async function dmDevicesOfSubscriber(
  db: Db,
  subscriberId: string,
  limit: number,
): Promise<DmDeviceView[]> {
  const accounts = await listDmAccountsOfSubscriber(db, subscriberId);
  const views = await Promise.all(accounts.map((account) => dmDeviceView(db, account.deviceId, limit)));
  return views.filter((view): view is DmDeviceView => view !== undefined);
}
