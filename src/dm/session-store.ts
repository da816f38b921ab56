/**
 * Where a DM session lives between two HTTP exchanges: Redis, keyed by SyncML SessionID and the source
 * LocURI (docs/protocol-dm.md §1), so that any process serving dm.path can take the next package. The
 * state expires after dm.sessionTimeoutMs without a message. Also the per-device count of wrong
 * credentials (dm.failureLimit within dm.failureWindowMs).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SyncMlCommand, SyncMlEncoding } from '../../codecs/syncml/index.ts';

/** What a command the server sent is for, found again by the MsgRef/CmdRef of its Status or Results. */
export type SentPurpose =
  | { purpose: 'inventory'; tree: 'DevInfo' | 'DevDetail'; leaf: string }
  | { purpose: 'scomo-list' }
  | { purpose: 'scomo-leaf'; app: string; leaf: string }
  | { purpose: 'command'; id: number; cmd: string; kind: string }
  | { purpose: 'container' };

/** A command waiting for room in a message (MaxMsgSize), with what each of its CmdIDs will stand for. */
export interface OutboxItem {
  command: SyncMlCommand;
  /** depth first: the command, then the members of a Sequence */
  purposes: SentPurpose[];
  /** the rest of a large object whose first chunk was sent (docs/protocol-dm.md §2.8) */
  continuation?: boolean;
}

export interface DmSessionState {
  deviceId: string;
  dmSessionId: string;
  encoding: SyncMlEncoding;
  accountId: string | null;
  /** dm_sessions.id once the handset is authenticated */
  rowId: string | null;
  authenticated: boolean;
  /** the NextNonce (base64) of the last challenge in this session ('' before one) */
  nonce: string;
  /** MsgID of the server's last message */
  serverMsgId: number;
  /** the client's MaxMsgSize (docs/protocol-dm.md §2.7); null: none said */
  clientMaxMsgSize: number | null;
  /** `${MsgID}:${CmdID}` of each command sent and not yet answered */
  sent: Record<string, SentPurpose>;
  outbox: OutboxItem[];
  stage: 'inventory' | 'scomo' | 'done';
  devInfo: Record<string, string>;
  devDetail: Record<string, string>;
  /** names under ./SCOMO/Inventory/Deployed; null: no SCOMO inventory (or not read yet) */
  scomoApps: string[] | null;
  apps: Record<string, Record<string, string>>;
  reported: boolean;
  /** why the session ends early: the handset aborted, or refused the server's credentials */
  failure?: string;
  /** a large object being received (docs/protocol-dm.md §2.8) */
  chunk?: { ref: string; parts: string[]; size?: number };
}

export class DmSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {}

  private key(deviceId: string, dmSessionId: string): string {
    // hashed: a DevId is the handset's to choose, and may be long or hold any character
    const device = createHash('sha256').update(deviceId).digest('base64url');
    return `${this.prefix}:dm:session:${device}:${dmSessionId}`;
  }

  async load(deviceId: string, dmSessionId: string): Promise<DmSessionState | undefined> {
    const text = await this.redis.get(this.key(deviceId, dmSessionId));
    return text ? (JSON.parse(text) as DmSessionState) : undefined;
  }

  async save(state: DmSessionState): Promise<void> {
    await this.redis.set(
      this.key(state.deviceId, state.dmSessionId),
      JSON.stringify(state),
      'PX',
      this.timeoutMs,
    );
  }

  async drop(state: DmSessionState): Promise<void> {
    await this.redis.del(this.key(state.deviceId, state.dmSessionId));
  }

  private failureKey(deviceId: string): string {
    return `${this.prefix}:dm:failures:${createHash('sha256').update(deviceId).digest('base64url')}`;
  }

  /** One more wrong credential for the device; the count within the window. */
  async countFailure(deviceId: string, windowMs: number): Promise<number> {
    const key = this.failureKey(deviceId);
    const count = await this.redis.incr(key);
    // the window starts at the first failure (a later one does not extend it)
    if (count === 1) await this.redis.pexpire(key, windowMs);
    return count;
  }

  async failures(deviceId: string): Promise<number> {
    return Number((await this.redis.get(this.failureKey(deviceId))) ?? 0);
  }

  async clearFailures(deviceId: string): Promise<void> {
    await this.redis.del(this.failureKey(deviceId));
  }
}
