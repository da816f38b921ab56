/**
 * Server-initiated sessions (POST /v1/dm/sessions): the actions are queued as a session of the account,
 * and the handset is told to call in by a DM notification (package #0, docs/protocol.md §9.2, signed with
 * the account's server secret and the nonce the handset gave us) pushed over SMPP as a provisioning of
 * content kind dm-notification. The actions run when the handset opens its session (session-flow.ts).
 */
import { randomInt } from 'node:crypto';
import { decodeNonce } from '../../codecs/syncml/index.ts';
import { encodeDmNotification, type DmUiMode } from '../../codecs/dm/notification.ts';
import type { Db } from '../store/db.ts';
import type { Actor, ProvisioningService } from '../provisioning/types.ts';
import { commandsOfActions, type DmAction } from './actions.ts';
import {
  findLiveDmAccountByMsisdn,
  insertDmSession,
  setDmSessionProvisioning,
  type DmAccount,
  type DmSessionRecord,
} from './repository.ts';
import type { DmSecretBox } from './secrets.ts';

export class DmAccountMissing extends Error {
  override readonly name = 'DmAccountMissing';
  readonly code = 'DM_ACCOUNT_NOT_FOUND';
}

export interface QueueSessionDeps {
  db: Db;
  box: DmSecretBox;
  provisioning: ProvisioningService;
}

export interface QueuedSession {
  session: DmSessionRecord;
  account: DmAccount;
  provisioningId: string;
  provisioningState: string;
}

/** The SessionID of package #0 as the handset writes it: upper-case hex, no leading zeros (§9.2). */
const sessionIdText = (value: number): string => value.toString(16).toUpperCase();

/** The nonce octets the handset expects the digest with: its last NextNonce to us, else none (§4.2). */
function serverNonceOctets(account: DmAccount): Uint8Array {
  if (account.serverNonce === '') return new Uint8Array(0);
  try {
    return decodeNonce(account.serverNonce);
  } catch {
    return new Uint8Array(Buffer.from(account.serverNonce, 'utf8'));
  }
}

export async function queueDmSession(
  deps: QueueSessionDeps,
  input: { msisdn: string; actions: DmAction[]; reason: string; actor: Actor; uiMode?: DmUiMode },
): Promise<QueuedSession> {
  const account = await findLiveDmAccountByMsisdn(deps.db, input.msisdn);
  if (!account) throw new DmAccountMissing(`no live DM account for the subscriber ${input.msisdn}`);
  // 0 is left out: some clients read a zero SessionID as "none" (docs/protocol.md §9.2 gives 16 bits)
  const sessionNumber = randomInt(1, 0x10000);
  const sessionId = sessionIdText(sessionNumber);
  const session = await insertDmSession(
    deps.db,
    {
      accountId: account.id,
      deviceId: account.deviceId,
      dmSessionId: sessionId,
      initiator: 'server',
      state: 'queued',
      actor: input.actor.name,
    },
    commandsOfActions(input.actions),
  );
  const body = encodeDmNotification(
    {
      uiMode: input.uiMode ?? 'background',
      initiator: 'server',
      sessionId: sessionNumber,
      serverId: account.serverId,
    },
    { serverPassword: deps.box.open(account.serverSecretSealed), nonce: serverNonceOctets(account) },
  );
  const provisioning = await deps.provisioning.request({
    msisdn: input.msisdn,
    content: {
      kind: 'dm-notification',
      serverId: account.serverId,
      sessionId,
      body: Buffer.from(body).toString('base64'),
    },
    reason: input.reason,
    source: 'care',
    actor: input.actor,
  });
  await setDmSessionProvisioning(deps.db, session.id, provisioning.id);
  return {
    session: { ...session, provisioningId: provisioning.id },
    account,
    provisioningId: provisioning.id,
    provisioningState: provisioning.state,
  };
}
