/**
 * DM accounts: the credentials a handset and the server present to each other (docs/protocol-dm.md §4.5),
 * sealed at rest (secrets.ts). A secret leaves here only in the answer that created or rotated it.
 */
import type { Db } from '../store/db.ts';
import { insertDmAccount, rotateDmAccountSecrets, type DmAccount, type DmAuthType } from './repository.ts';
import { newDmSecret, type DmSecretBox } from './secrets.ts';

export interface DmCredentialInput {
  type: DmAuthType;
  name: string;
  /** absent: generated */
  secret?: string;
  /** the nonce the other side holds (AAUTHDATA), base64 text */
  nonce?: string;
}

export interface NewAccountInput {
  deviceId: string;
  serverId: string;
  msisdn?: string;
  clientAuth: DmCredentialInput;
  serverAuth: DmCredentialInput;
  origin: DmAccount['origin'];
}

/** An account as the API shows it: names and types, never a secret or a nonce. */
export interface DmAccountView {
  id: string;
  deviceId: string;
  serverId: string;
  msisdn: string | null;
  subscriberId: string | null;
  origin: DmAccount['origin'];
  clientAuth: { type: DmAuthType; name: string };
  serverAuth: { type: DmAuthType; name: string };
  state: 'active' | 'revoked';
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

export function accountView(account: DmAccount): DmAccountView {
  return {
    id: account.id,
    deviceId: account.deviceId,
    serverId: account.serverId,
    msisdn: account.msisdn,
    subscriberId: account.subscriberId,
    origin: account.origin,
    clientAuth: { type: account.clientAuthType, name: account.clientName },
    serverAuth: { type: account.serverAuthType, name: account.serverName },
    state: account.revokedAt ? 'revoked' : 'active',
    createdAt: account.createdAt.toISOString(),
    rotatedAt: account.rotatedAt?.toISOString() ?? null,
    revokedAt: account.revokedAt?.toISOString() ?? null,
  };
}

/** The secrets as they were set: in the one answer that creates or rotates them, and nowhere else. */
export interface DmSecretsOnce {
  clientSecret?: string;
  serverSecret?: string;
}

export async function createDmAccount(
  db: Db,
  box: DmSecretBox,
  input: NewAccountInput,
): Promise<{ account: DmAccount; secrets: DmSecretsOnce }> {
  const clientSecret = input.clientAuth.secret ?? newDmSecret();
  const serverSecret = input.serverAuth.secret ?? newDmSecret();
  const account = await insertDmAccount(db, {
    deviceId: input.deviceId,
    serverId: input.serverId,
    msisdn: input.msisdn ?? null,
    origin: input.origin,
    clientAuthType: input.clientAuth.type,
    clientName: input.clientAuth.name,
    clientSecretSealed: box.seal(clientSecret),
    clientNonce: input.clientAuth.nonce ?? '',
    serverAuthType: input.serverAuth.type,
    serverName: input.serverAuth.name,
    serverSecretSealed: box.seal(serverSecret),
    serverNonce: input.serverAuth.nonce ?? '',
    // basic sends the secret in clear base64: only for an account registered as basic
    allowBasic: input.clientAuth.type === 'basic',
  });
  return { account, secrets: { clientSecret, serverSecret } };
}

/** New secrets for one or both sides (generated unless given); undefined when the account is gone or revoked. */
export async function rotateDmSecrets(
  db: Db,
  box: DmSecretBox,
  id: string,
  which: { client: boolean | string; server: boolean | string },
): Promise<{ account: DmAccount; secrets: DmSecretsOnce } | undefined> {
  const pick = (side: boolean | string): string | undefined =>
    side === false ? undefined : typeof side === 'string' ? side : newDmSecret();
  const clientSecret = pick(which.client);
  const serverSecret = pick(which.server);
  const account = await rotateDmAccountSecrets(db, id, {
    client: clientSecret && box.seal(clientSecret),
    server: serverSecret && box.seal(serverSecret),
  });
  return account && { account, secrets: { clientSecret, serverSecret } };
}
