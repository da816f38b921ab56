/**
 * One HTTP exchange of a DM session (docs/protocol-dm.md §2): the handset's message in, the server's
 * message out. The session's state is loaded from and saved to Redis (session-store.ts), so the next
 * message may reach any process. Package 1 authenticates the handset (authenticate.ts) and opens the
 * session row; every session reads DevInfo, DevDetail and the SCOMO inventory (inventory.ts) and runs
 * the queued actions (actions.ts); a package without commands ends it.
 */
import {
  AUTH_MD5,
  buildChallenge,
  decodeSyncMl,
  newNonce,
  type SyncMlCommand,
  type SyncMlHeader,
  type SyncMlMessage,
  type SyncMlStatus,
} from '../../codecs/syncml/index.ts';
import type { Config } from '../config.ts';
import type { AuditEntryInput } from '../store/repositories/audit.ts';
import type { Db } from '../store/db.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProvisioningService } from '../provisioning/types.ts';
import { checkClient, serverCredential, serverHmacHeader } from './authenticate.ts';
import { takeClientCommands } from './client-commands.ts';
import { closeSession, openSession, planNextRound } from './session-flow.ts';
import {
  findLiveDmAccount,
  getDmAccount,
  markDmCommandsSent,
  setDmNonce,
  type DmAccount,
} from './repository.ts';
import { packMessage } from './reply.ts';
import type { DmSecretBox } from './secrets.ts';
import type { DmSessionState, DmSessionStore } from './session-store.ts';

export interface DmEngineDeps {
  db: Db;
  logger: Logger;
  settings: Config['dm'];
  sessions: DmSessionStore;
  box: DmSecretBox;
  provisioning: ProvisioningService;
  audit: (entry: AuditEntryInput) => Promise<void>;
}

export interface DmExchange {
  body: Uint8Array;
  contentType: string | undefined;
  /** the x-syncml-hmac request header */
  hmac: string | undefined;
  /** what the server calls itself (its Source LocURI): dm.serverUri or the URL the handset used */
  serverUri: string;
}

export interface DmAnswer {
  body: Uint8Array;
  contentType: string;
  headers: Record<string, string>;
}

/** Handsets send at least this much; below it a MaxMsgSize is not believed (docs/protocol-dm.md §2.7). */
const SMALLEST_MESSAGE = 512;

export interface Secrets {
  client: string;
  server: string;
}

/** The server's answer to one message of the handset. CodecError for a message that cannot be read. */
export async function exchange(deps: DmEngineDeps, request: DmExchange): Promise<DmAnswer> {
  const { message, encoding } = decodeSyncMl(request.body, request.contentType);
  const { header } = message;
  const deviceId = header.source.locUri;
  const state = (await deps.sessions.load(deviceId, header.sessionId)) ?? newState(header, encoding);
  state.encoding = encoding;
  const maxMsgSize = header.meta?.maxMsgSize;
  if (maxMsgSize !== undefined && maxMsgSize >= SMALLEST_MESSAGE) state.clientMaxMsgSize = maxMsgSize;
  const account = state.accountId
    ? await getDmAccount(deps.db, state.accountId)
    : await findLiveDmAccount(deps.db, deviceId);
  if (!account || account.revokedAt) return refuseUnknown(deps, request, message, state);
  state.accountId = account.id;
  const secrets = {
    client: deps.box.open(account.clientSecretSealed),
    server: deps.box.open(account.serverSecretSealed),
  };

  const headerStatus = await authenticate(deps, { request, message, state, account, secrets });
  const turn: Turn = { request, message, state, account, secrets };
  if (headerStatus.data !== '212' && headerStatus.data !== '200') {
    return answer(deps, turn, [headerStatus, ...statusesFor(message, headerStatus.data)], 'refuse');
  }
  const statuses = [headerStatus, ...(await takeClientCommands(deps, state, account, message))];
  if (!state.rowId) await openSession(deps, state, account, message);
  if (state.failure) return answer(deps, turn, statuses, 'end');
  // docs/protocol-dm.md §2.7: while the handset is still sending its package, only ask for the rest
  const askNext = !message.body.final && state.outbox.length === 0;
  if (!askNext && state.outbox.length === 0) await planNextRound(deps, state, account);
  return answer(deps, turn, statuses, 'continue', askNext);
}

function newState(header: SyncMlHeader, encoding: DmSessionState['encoding']): DmSessionState {
  return {
    deviceId: header.source.locUri,
    dmSessionId: header.sessionId,
    encoding,
    accountId: null,
    rowId: null,
    authenticated: false,
    nonce: '',
    serverMsgId: 0,
    clientMaxMsgSize: null,
    sent: {},
    outbox: [],
    stage: 'inventory',
    devInfo: {},
    devDetail: {},
    scomoApps: null,
    apps: {},
    reported: false,
  };
}

interface Turn {
  request: DmExchange;
  message: SyncMlMessage;
  state: DmSessionState;
  account: DmAccount;
  secrets: Secrets;
}

/** The Status of the handset's SyncHdr (docs/protocol-dm.md §1 "Status for the SyncHdr"). */
export function headerStatusOf(header: SyncMlHeader, code: string): SyncMlStatus {
  return {
    kind: 'Status',
    cmdId: '',
    msgRef: header.msgId,
    cmdRef: '0',
    cmd: 'SyncHdr',
    targetRefs: [header.target.locUri],
    sourceRefs: [header.source.locUri],
    data: code,
  };
}

/** One Status per command received, all with `code` (a refusal answers each, docs/protocol-dm.md §9 #8). */
function statusesFor(message: SyncMlMessage, code: string): SyncMlStatus[] {
  return message.body.commands
    .filter((command) => command.kind !== 'Status' && command.kind !== 'Results')
    .map((command) => ({
      kind: 'Status' as const,
      cmdId: '',
      msgRef: message.header.msgId,
      cmdRef: command.cmdId,
      cmd: command.kind === 'Unsupported' ? command.element : command.kind,
      data: code,
    }));
}

/**
 * The SyncHdr Status: 212 once the handset proved its account (200 under HMAC, every message), else
 * 401/407 with a challenge and a fresh nonce; wrong credentials are counted, audited and, past
 * dm.failureLimit within dm.failureWindowMs, refused without being checked.
 */
async function authenticate(deps: DmEngineDeps, turn: Turn): Promise<SyncMlStatus> {
  const { state, account, message, request } = turn;
  const status = headerStatusOf(message.header, '200');
  if (state.authenticated && account.clientAuthType !== 'hmac') return status;
  const { failureLimit, failureWindowMs } = deps.settings;
  const failures = await deps.sessions.failures(state.deviceId);
  const verdict = checkClient(
    account,
    turn.secrets.client,
    { cred: message.header.cred, hmac: request.hmac, body: request.body },
    {
      nonce: state.nonce || account.clientNonce,
      basicAllowed: deps.settings.allowBasic || account.allowBasic,
    },
  );
  const limited = failures >= failureLimit;
  state.nonce = verdict.nextNonce;
  await setDmNonce(deps.db, account.id, 'client', verdict.nextNonce);
  if (verdict.ok && !limited) {
    if (!state.authenticated) await deps.sessions.clearFailures(state.deviceId);
    state.authenticated = true;
    return { ...status, data: verdict.code, chal: verdict.chal };
  }
  const reason = limited
    ? `more than ${failureLimit} wrong credentials; refused for now`
    : verdict.ok
      ? 'authenticated'
      : verdict.reason;
  const code = limited ? '401' : verdict.code;
  const count =
    !limited && code === '401' ? await deps.sessions.countFailure(state.deviceId, failureWindowMs) : failures;
  await deps.audit({
    actor: `dm:${state.deviceId}`,
    action: 'dm.authenticate',
    subjectType: 'dm-device',
    subjectId: state.deviceId,
    outcome: 'denied',
    details: { code, reason, failures: count, sessionId: state.dmSessionId },
  });
  deps.logger.info({ deviceId: state.deviceId, code, reason }, 'dm: handset not authenticated');
  return { ...status, data: code, chal: verdict.chal };
}

/** A DevId without a live account: 401 to every command, nothing kept (an md5 challenge, §4.2). */
async function refuseUnknown(
  deps: DmEngineDeps,
  request: DmExchange,
  message: SyncMlMessage,
  state: DmSessionState,
): Promise<DmAnswer> {
  await deps.audit({
    actor: `dm:${state.deviceId}`,
    action: 'dm.authenticate',
    subjectType: 'dm-device',
    subjectId: state.deviceId,
    outcome: 'denied',
    details: { code: '401', reason: 'no DM account for this device' },
  });
  const status = { ...headerStatusOf(message.header, '401'), chal: buildChallenge(AUTH_MD5, newNonce()) };
  const packed = packMessage({
    header: replyHeader(message.header, request.serverUri, 1, deps.settings.maxMsgSize),
    statuses: [status, ...statusesFor(message, '401')],
    outbox: [],
    encoding: state.encoding,
    maxBytes: Number.MAX_SAFE_INTEGER,
    askNext: false,
  });
  return { body: packed.bytes, contentType: contentType(state.encoding), headers: {} };
}

function replyHeader(
  client: SyncMlHeader,
  serverUri: string,
  msgId: number,
  maxMsgSize: number,
): SyncMlHeader {
  return {
    verDtd: client.verDtd,
    verProto: client.verProto,
    sessionId: client.sessionId,
    msgId: String(msgId),
    target: { locUri: client.source.locUri },
    source: { locUri: serverUri },
    meta: { maxMsgSize },
  };
}

const contentType = (encoding: DmSessionState['encoding']): string =>
  encoding === 'wbxml' ? 'application/vnd.syncml.dm+wbxml' : 'application/vnd.syncml.dm+xml';

/** `Get ./DevDetail/FwV`: the last management command of a message (inside a Sequence or Atomic too). */
export function lastCommandOf(commands: readonly SyncMlCommand[]): string | undefined {
  for (let index = commands.length - 1; index >= 0; index -= 1) {
    const command = commands[index];
    if (command.kind === 'Status' || command.kind === 'Results' || command.kind === 'Unsupported') continue;
    if (command.kind === 'Atomic' || command.kind === 'Sequence') {
      const nested = lastCommandOf(command.commands);
      if (nested) return nested;
      continue;
    }
    const target = 'items' in command ? command.items?.[0]?.target?.locUri : undefined;
    return target ? `${command.kind} ${target}` : command.kind;
  }
  return undefined;
}

/**
 * Packs the answer and keeps or ends the session: a refusal keeps the state (the handset tries again
 * under the same SessionID with the new nonce, docs/protocol-dm.md §4.2); a message with Final and no
 * command ends the session (the handset does not answer it, §2.1); anything else is saved for the next.
 * Signed with the server's Cred, or the x-syncml-hmac header for HMAC accounts.
 */
async function answer(
  deps: DmEngineDeps,
  turn: Turn,
  statuses: SyncMlStatus[],
  mode: 'refuse' | 'end' | 'continue',
  askNext = false,
): Promise<DmAnswer> {
  const { state, account, secrets, message, request } = turn;
  state.serverMsgId += 1;
  const header = replyHeader(message.header, request.serverUri, state.serverMsgId, deps.settings.maxMsgSize);
  const cred = serverCredential(account, secrets.server);
  if (cred) header.cred = cred;
  const packed = packMessage({
    header,
    statuses,
    outbox: mode === 'continue' ? state.outbox : [],
    encoding: state.encoding,
    maxBytes: state.clientMaxMsgSize ?? Number.MAX_SAFE_INTEGER,
    askNext,
  });
  Object.assign(state.sent, packed.sent);
  state.outbox = packed.rest;
  state.lastCommand = lastCommandOf(packed.message.body.commands) ?? state.lastCommand;
  const sentIds = Object.values(packed.sent).flatMap((sent) => (sent.purpose === 'command' ? [sent.id] : []));
  await markDmCommandsSent(deps.db, sentIds);
  const ended = mode === 'end' || (packed.message.body.final && Object.keys(packed.sent).length === 0);
  if (mode === 'refuse') await deps.sessions.save(state);
  else if (ended) await closeSession(deps, state);
  else await deps.sessions.save(state);
  const hmac = serverHmacHeader(account, secrets.server, packed.bytes);
  return {
    body: packed.bytes,
    contentType: contentType(state.encoding),
    headers: hmac ? { 'x-syncml-hmac': hmac } : {},
  };
}
