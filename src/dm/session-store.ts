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
  /** the last command the server sent (`Get ./DevDetail/FwV`): where a session that stops, stopped */
  lastCommand?: string;
}

/** What outlives a session's state: how far it got (the sweep of stopped sessions reads it, sweep.ts). */
export interface DmSessionProgress {
  /** MsgID of the server's last message: its Nth package of the session */
  package: number;
  lastCommand: string | null;
}

/** A stopped session's progress is kept this many timeouts after its state expired. */
const PROGRESS_TIMEOUTS = 12;

export class DmSessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {}

  private key(deviceId: string, dmSessionId: string, what = 'session'): string {
    // hashed: a DevId is the handset's to choose, and may be long or hold any character
    const device = createHash('sha256').update(deviceId).digest('base64url');
    return `${this.prefix}:dm:${what}:${device}:${dmSessionId}`;
  }

  async load(deviceId: string, dmSessionId: string): Promise<DmSessionState | undefined> {
    const text = await this.redis.get(this.key(deviceId, dmSessionId));
    return text ? (JSON.parse(text) as DmSessionState) : undefined;
  }

  /** The state, and (once the session has a row) its progress, in one round trip. */
  async save(state: DmSessionState): Promise<void> {
    const stateKey = this.key(state.deviceId, state.dmSessionId);
    if (!state.rowId) {
      await this.redis.set(stateKey, JSON.stringify(state), 'PX', this.timeoutMs);
      return;
    }
    const progress: DmSessionProgress = {
      package: state.serverMsgId,
      lastCommand: state.lastCommand ?? null,
    };
    await this.redis
      .multi()
      .set(stateKey, JSON.stringify(state), 'PX', this.timeoutMs)
      .set(
        this.key(state.deviceId, state.dmSessionId, 'progress'),
        JSON.stringify(progress),
        'PX',
        this.timeoutMs * PROGRESS_TIMEOUTS,
      )
      .exec();
  }

  async drop(state: DmSessionState): Promise<void> {
    await this.redis.del(
      this.key(state.deviceId, state.dmSessionId),
      this.key(state.deviceId, state.dmSessionId, 'progress'),
    );
  }

  /**
   * For each session: whether its state is still there (the handset may still answer) and how far it
   * got; one round trip for all of them.
   */
  async probe(
    sessions: ReadonlyArray<{ deviceId: string; dmSessionId: string }>,
  ): Promise<Array<{ alive: boolean; progress: DmSessionProgress | null }>> {
    if (sessions.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { deviceId, dmSessionId } of sessions) {
      pipeline.exists(this.key(deviceId, dmSessionId));
      pipeline.get(this.key(deviceId, dmSessionId, 'progress'));
    }
    const replies = (await pipeline.exec()) ?? [];
    return sessions.map((_, index) => {
      const [existsError, exists] = replies[index * 2] ?? [];
      const [, progress] = replies[index * 2 + 1] ?? [];
      return {
        // an unanswered EXISTS counts as alive: the session is looked at again next time
        alive: existsError ? true : Number(exists) === 1,
        progress: typeof progress === 'string' ? (JSON.parse(progress) as DmSessionProgress) : null,
      };
    });
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
