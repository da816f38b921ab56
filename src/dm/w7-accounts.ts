/**
 * DM accounts made when a CP push with w7 is composed (issue 16): the first push to a subscriber's handset
 * creates its account (random user name and secrets, nonces; secrets sealed, secrets.ts), a later push or
 * a resend reuses it (rotated secrets included), and the w7 carries exactly those credentials
 * (w7-credentials.ts, docs/protocol-dm.md §4.5). Nothing here is logged.
 */
import { randomBytes } from 'node:crypto';
import type { DeviceManagement, DmCredentials } from '../profiles/schema.ts';
import type { Db } from '../store/db.ts';
import { takeW7DmAccount, type DmAccount, type DmAuthType } from './repository.ts';
import { newDmSecret, type DmSecretBox } from './secrets.ts';
import type { W7AccountSource, W7Credentials } from './w7-credentials.ts';

/** AAUTHTYPE (docs/protocol-dm.md §4.5: BASIC = auth-basic, DIGEST = auth-md5, HMAC = auth-MAC) and ours. */
const AUTH_TYPE_OF: Record<NonNullable<DmCredentials['type']>, DmAuthType> = {
  BASIC: 'basic',
  DIGEST: 'md5',
  HMAC: 'hmac',
};
const AAUTHTYPE_OF: Record<DmAuthType, NonNullable<DmCredentials['type']>> = {
  basic: 'BASIC',
  md5: 'DIGEST',
  hmac: 'HMAC',
};

/** 12 octets (≡ 0 mod 3: no base64 padding, docs/protocol-dm.md §9 #7), 16 characters of base64. */
const newNonceText = (): string => randomBytes(12).toString('base64');

/** A user name that says nothing of the subscriber: `dm` and 14 hex digits (GENERATED_LENGTHS.name). */
const newUserName = (): string => `dm${randomBytes(7).toString('hex')}`;

export class W7Accounts implements W7AccountSource {
  private box: Promise<DmSecretBox> | undefined;

  /** `loadBox`: the key every process shares (dm.secretKey), loaded at the first w7 push. */
  constructor(
    private readonly db: Db,
    private readonly loadBox: () => Promise<DmSecretBox>,
  ) {}

  async credentialsFor(imsi: string, dm: DeviceManagement): Promise<W7Credentials | undefined> {
    const box = await (this.box ??= this.loadBox());
    const candidate = {
      serverId: dm.serverId,
      clientAuthType: AUTH_TYPE_OF[dm.serverAuth?.type ?? 'DIGEST'],
      clientName: newUserName(),
      clientSecretSealed: box.seal(newDmSecret()),
      clientNonce: newNonceText(),
      serverAuthType: AUTH_TYPE_OF[dm.clientAuth?.type ?? 'DIGEST'],
      serverName: dm.serverId,
      serverSecretSealed: box.seal(newDmSecret()),
      serverNonce: newNonceText(),
    };
    let account = await takeW7DmAccount(this.db, imsi, candidate);
    // another push made the device's account at the same instant: it is the one to send
    if (account === 'raced') account = await takeW7DmAccount(this.db, imsi, candidate);
    if (typeof account === 'string') return undefined;
    return credentialsOf(account, box);
  }
}

/** The account as the w7 gives it to the handset (the nonces each side starts from, §4.2). */
export function credentialsOf(account: DmAccount, box: DmSecretBox): W7Credentials {
  return {
    serverId: account.serverId,
    client: {
      type: AAUTHTYPE_OF[account.clientAuthType],
      name: account.clientName,
      secret: box.open(account.clientSecretSealed),
      ...(account.clientNonce ? { nonce: account.clientNonce } : {}),
    },
    server: {
      type: AAUTHTYPE_OF[account.serverAuthType],
      name: account.serverName,
      secret: box.open(account.serverSecretSealed),
      ...(account.serverNonce ? { nonce: account.serverNonce } : {}),
    },
  };
}
