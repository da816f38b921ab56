/** The DM server's SQL (migration 016): accounts, sessions and the commands of each session. */
import { asJson, type Db } from '../store/db.ts';

export const DM_AUTH_TYPES = ['basic', 'md5', 'hmac'] as const;
export type DmAuthType = (typeof DM_AUTH_TYPES)[number];

export interface DmAccount {
  id: string;
  deviceId: string;
  serverId: string;
  subscriberId: string | null;
  msisdn: string | null;
  origin: 'cp-w7' | 'admin';
  clientAuthType: DmAuthType;
  clientName: string;
  clientSecretSealed: string;
  clientNonce: string;
  serverAuthType: DmAuthType;
  serverName: string;
  serverSecretSealed: string;
  serverNonce: string;
  allowBasic: boolean;
  createdAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
}

const ACCOUNT_COLUMNS = `id, device_id, server_id, subscriber_id, msisdn, origin, client_auth_type, client_name,
  client_secret_enc, client_nonce, server_auth_type, server_name, server_secret_enc, server_nonce, allow_basic,
  created_at, rotated_at, revoked_at`;

type AccountRow = Record<string, unknown>;

function accountOf(row: AccountRow): DmAccount {
  return {
    id: row.id as string,
    deviceId: row.device_id as string,
    serverId: row.server_id as string,
    subscriberId: (row.subscriber_id as string | null) ?? null,
    msisdn: (row.msisdn as string | null) ?? null,
    origin: row.origin as DmAccount['origin'],
    clientAuthType: row.client_auth_type as DmAuthType,
    clientName: row.client_name as string,
    clientSecretSealed: row.client_secret_enc as string,
    clientNonce: row.client_nonce as string,
    serverAuthType: row.server_auth_type as DmAuthType,
    serverName: row.server_name as string,
    serverSecretSealed: row.server_secret_enc as string,
    serverNonce: row.server_nonce as string,
    allowBasic: row.allow_basic as boolean,
    createdAt: row.created_at as Date,
    rotatedAt: (row.rotated_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
  };
}

export interface NewDmAccount {
  deviceId: string;
  serverId: string;
  msisdn: string | null;
  origin: DmAccount['origin'];
  clientAuthType: DmAuthType;
  clientName: string;
  clientSecretSealed: string;
  clientNonce: string;
  serverAuthType: DmAuthType;
  serverName: string;
  serverSecretSealed: string;
  serverNonce: string;
  allowBasic: boolean;
}

/**
 * A device's account; the live one it had before is revoked in the same transaction (a handset
 * bootstrapped again takes the new credentials). The subscriber is the one with that MSISDN, if any.
 */
export async function insertDmAccount(db: Db, account: NewDmAccount): Promise<DmAccount> {
  return db.transaction(async (tx) => {
    await tx.query(`UPDATE dm_accounts SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL`, [
      account.deviceId,
    ]);
    const row = await tx.one<AccountRow>(
      `INSERT INTO dm_accounts (device_id, server_id, subscriber_id, msisdn, origin, client_auth_type,
         client_name, client_secret_enc, client_nonce, server_auth_type, server_name, server_secret_enc,
         server_nonce, allow_basic)
       VALUES ($1, $2, (SELECT id FROM subscribers WHERE msisdn = $3), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       RETURNING ${ACCOUNT_COLUMNS}`,
      [
        account.deviceId,
        account.serverId,
        account.msisdn,
        account.origin,
        account.clientAuthType,
        account.clientName,
        account.clientSecretSealed,
        account.clientNonce,
        account.serverAuthType,
        account.serverName,
        account.serverSecretSealed,
        account.serverNonce,
        account.allowBasic,
      ],
    );
    return accountOf(row!);
  });
}

export async function getDmAccount(db: Db, id: string): Promise<DmAccount | undefined> {
  const row = await db.one<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM dm_accounts WHERE id = $1`, [id]);
  return row && accountOf(row);
}

/** The live (not revoked) account of a DevId. */
export async function findLiveDmAccount(db: Db, deviceId: string): Promise<DmAccount | undefined> {
  const row = await db.one<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM dm_accounts WHERE device_id = $1 AND revoked_at IS NULL`,
    [deviceId],
  );
  return row && accountOf(row);
}

/** The newest live account of a subscriber's number (given with the account or the subscriber's own). */
export async function findLiveDmAccountByMsisdn(db: Db, msisdn: string): Promise<DmAccount | undefined> {
  const row = await db.one<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM dm_accounts a
      WHERE a.revoked_at IS NULL
        AND (a.msisdn = $1 OR a.subscriber_id = (SELECT id FROM subscribers WHERE msisdn = $1))
      ORDER BY a.created_at DESC LIMIT 1`,
    [msisdn],
  );
  return row && accountOf(row);
}

/** The live accounts of a subscriber (the timeline). */
export async function listDmAccountsOfSubscriber(db: Db, subscriberId: string): Promise<DmAccount[]> {
  const rows = await db.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM dm_accounts WHERE subscriber_id = $1 AND revoked_at IS NULL
      ORDER BY created_at DESC`,
    [subscriberId],
  );
  return rows.map(accountOf);
}

/** Accounts, newest first, after the cursor (an id of the previous page), revoked ones when asked. */
export async function listDmAccounts(
  db: Db,
  query: { limit: number; deviceId?: string; includeRevoked: boolean },
): Promise<DmAccount[]> {
  const rows = await db.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM dm_accounts
      WHERE ($1::text IS NULL OR device_id = $1) AND ($2 OR revoked_at IS NULL)
      ORDER BY created_at DESC, id LIMIT $3`,
    [query.deviceId ?? null, query.includeRevoked, query.limit],
  );
  return rows.map(accountOf);
}

/** New sealed secrets (and nonces reset: the handset is told them again with the secrets). */
export async function rotateDmAccountSecrets(
  db: Db,
  id: string,
  sealed: { client?: string; server?: string },
): Promise<DmAccount | undefined> {
  const row = await db.one<AccountRow>(
    `UPDATE dm_accounts SET rotated_at = now(),
        client_secret_enc = coalesce($2, client_secret_enc), server_secret_enc = coalesce($3, server_secret_enc)
      WHERE id = $1 AND revoked_at IS NULL RETURNING ${ACCOUNT_COLUMNS}`,
    [id, sealed.client ?? null, sealed.server ?? null],
  );
  return row && accountOf(row);
}

export async function revokeDmAccount(db: Db, id: string): Promise<DmAccount | undefined> {
  const row = await db.one<AccountRow>(
    `UPDATE dm_accounts SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${ACCOUNT_COLUMNS}`,
    [id],
  );
  return row && accountOf(row);
}

/** The NextNonce the server gave the client (for its next md5 Cred), or the one the client gave us. */
export async function setDmNonce(
  db: Db,
  id: string,
  which: 'client' | 'server',
  nonce: string,
): Promise<void> {
  const column = which === 'client' ? 'client_nonce' : 'server_nonce';
  await db.query(`UPDATE dm_accounts SET ${column} = $2 WHERE id = $1`, [id, nonce]);
}

/** The subscriber a device report tied the device to. */
export async function tieDmAccountToSubscriber(db: Db, id: string, subscriberId: string): Promise<void> {
  await db.query(
    `UPDATE dm_accounts SET subscriber_id = $2,
        msisdn = coalesce((SELECT msisdn FROM subscribers WHERE id = $2), msisdn)
      WHERE id = $1 AND subscriber_id IS DISTINCT FROM $2`,
    [id, subscriberId],
  );
}

// ---------------------------------------------------------------- sessions and commands

export type DmSessionState = 'queued' | 'active' | 'completed' | 'failed';

export interface DmCommandRecord {
  id: number;
  sessionId: string;
  position: number;
  cmd: string;
  target: string;
  action: Record<string, unknown>;
  code: string | null;
  status: string;
  result: unknown;
  correlator: string | null;
  updatedAt: Date;
}

export interface DmSessionRecord {
  id: string;
  accountId: string;
  deviceId: string;
  dmSessionId: string | null;
  initiator: 'server' | 'client';
  state: DmSessionState;
  actor: string | null;
  provisioningId: string | null;
  devInfo: Record<string, string> | null;
  devDetail: Record<string, string> | null;
  reportId: number | null;
  failure: string | null;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
}

export interface NewDmCommand {
  cmd: string;
  target: string;
  action: Record<string, unknown>;
  correlator?: string;
}

const SESSION_COLUMNS = `id, account_id, device_id, dm_session_id, initiator, state, actor, provisioning_id,
  dev_info, dev_detail, report_id, failure, created_at, started_at, ended_at`;
const COMMAND_COLUMNS = `id, session_id, position, cmd, target, action, code, status, result, correlator, updated_at`;

function sessionOf(row: AccountRow): DmSessionRecord {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    deviceId: row.device_id as string,
    dmSessionId: (row.dm_session_id as string | null) ?? null,
    initiator: row.initiator as DmSessionRecord['initiator'],
    state: row.state as DmSessionState,
    actor: (row.actor as string | null) ?? null,
    provisioningId: (row.provisioning_id as string | null) ?? null,
    devInfo: (row.dev_info as Record<string, string> | null) ?? null,
    devDetail: (row.dev_detail as Record<string, string> | null) ?? null,
    reportId: row.report_id === null || row.report_id === undefined ? null : Number(row.report_id),
    failure: (row.failure as string | null) ?? null,
    createdAt: row.created_at as Date,
    startedAt: (row.started_at as Date | null) ?? null,
    endedAt: (row.ended_at as Date | null) ?? null,
  };
}

function commandOf(row: AccountRow): DmCommandRecord {
  return {
    id: Number(row.id),
    sessionId: row.session_id as string,
    position: row.position as number,
    cmd: row.cmd as string,
    target: row.target as string,
    action: (row.action as Record<string, unknown>) ?? {},
    code: (row.code as string | null) ?? null,
    status: row.status as string,
    result: row.result ?? null,
    correlator: (row.correlator as string | null) ?? null,
    updatedAt: row.updated_at as Date,
  };
}

/** A session row with its first commands (positions from 0), in one transaction. */
export async function insertDmSession(
  db: Db,
  session: {
    accountId: string;
    deviceId: string;
    dmSessionId: string | null;
    initiator: 'server' | 'client';
    state: 'queued' | 'active';
    actor: string | null;
  },
  commands: NewDmCommand[],
): Promise<DmSessionRecord> {
  return db.transaction(async (tx) => {
    const row = await tx.one<AccountRow>(
      `INSERT INTO dm_sessions (account_id, device_id, dm_session_id, initiator, state, actor, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $5 = 'active' THEN now() END) RETURNING ${SESSION_COLUMNS}`,
      [
        session.accountId,
        session.deviceId,
        session.dmSessionId,
        session.initiator,
        session.state,
        session.actor,
      ],
    );
    await insertCommandsAt(tx, row!.id as string, 0, commands);
    return sessionOf(row!);
  });
}

async function insertCommandsAt(db: Db, sessionId: string, first: number, commands: NewDmCommand[]) {
  if (commands.length === 0) return [];
  const rows = await db.query<AccountRow>(
    `INSERT INTO dm_commands (session_id, position, cmd, target, action, correlator)
     SELECT $1, $2::int + ordinality - 1, c->>'cmd', c->>'target', coalesce(c->'action', '{}'::jsonb), c->>'correlator'
       FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS t(c, ordinality)
     RETURNING ${COMMAND_COLUMNS}`,
    [sessionId, first, asJson(commands)],
  );
  return rows.map(commandOf).sort((a, b) => a.position - b.position);
}

export async function setDmSessionProvisioning(db: Db, id: string, provisioningId: string): Promise<void> {
  await db.query(`UPDATE dm_sessions SET provisioning_id = $2 WHERE id = $1`, [id, provisioningId]);
}

/**
 * The session a handset opens (docs/protocol-dm.md §2.1): the queued one its notification named (same
 * SessionID) becomes active, else a new row. The commands of the account's other queued sessions move
 * into it (they run now), and those rows say where they went. Returns the session and its commands.
 */
export async function startDmSession(
  db: Db,
  session: { accountId: string; deviceId: string; dmSessionId: string; initiator: 'server' | 'client' },
): Promise<{ session: DmSessionRecord; commands: DmCommandRecord[] }> {
  // One statement (one round trip on the session's first package): the data-modifying CTEs see the
  // rows as they were before it, so the named session's own commands and the moved ones are joined.
  const row = await db.one<AccountRow & { commands: Array<Record<string, unknown>> }>(
    `WITH named AS (
       UPDATE dm_sessions SET state = 'active', started_at = now(), initiator = 'server'
        WHERE id = (SELECT id FROM dm_sessions WHERE account_id = $1::uuid AND state = 'queued'
                      AND dm_session_id = $2::text ORDER BY created_at DESC LIMIT 1 FOR UPDATE)
        RETURNING ${SESSION_COLUMNS}),
     made AS (
       INSERT INTO dm_sessions (account_id, device_id, dm_session_id, initiator, state, started_at)
       SELECT $1::uuid, $3::text, $2::text, $4::text, 'active', now() WHERE NOT EXISTS (SELECT 1 FROM named)
       RETURNING ${SESSION_COLUMNS}),
     chosen AS (SELECT * FROM named UNION ALL SELECT * FROM made),
     own AS (SELECT ${COMMAND_COLUMNS} FROM dm_commands WHERE session_id IN (SELECT id FROM named)),
     others AS (
       SELECT id FROM dm_sessions WHERE account_id = $1::uuid AND state = 'queued'
          AND id NOT IN (SELECT id FROM named)),
     moving AS (
       SELECT c.id, row_number() OVER (ORDER BY s.created_at, c.position) - 1 AS n
         FROM dm_commands c JOIN dm_sessions s ON s.id = c.session_id WHERE s.id IN (SELECT id FROM others)),
     moved AS (
       UPDATE dm_commands c SET session_id = (SELECT id FROM chosen), updated_at = now(),
           position = (SELECT coalesce(max(position) + 1, 0) FROM own) + moving.n
         FROM moving WHERE c.id = moving.id
       RETURNING ${COMMAND_COLUMNS.split(', ')
         .map((column) => `c.${column}`)
         .join(', ')}),
     closed AS (
       UPDATE dm_sessions SET state = 'completed', ended_at = now(),
           failure = 'its actions ran in session ' || (SELECT id FROM chosen)::text
        WHERE id IN (SELECT id FROM others) RETURNING id)
     SELECT chosen.*, (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.position), '[]'::jsonb)
                         FROM (SELECT * FROM own UNION ALL SELECT * FROM moved) AS x) AS commands
       FROM chosen`,
    [session.accountId, session.dmSessionId, session.deviceId, session.initiator],
  );
  const commands = row!.commands.map((command) =>
    commandOf({ ...command, updated_at: new Date(command.updated_at as string) }),
  );
  return { session: sessionOf(row!), commands };
}

export async function updateDmSession(
  db: Db,
  id: string,
  patch: {
    state?: DmSessionState;
    failure?: string | null;
    devInfo?: Record<string, string>;
    devDetail?: Record<string, string>;
    reportId?: number;
  },
): Promise<void> {
  await db.query(
    `UPDATE dm_sessions SET state = coalesce($2, state), failure = CASE WHEN $3 THEN $4 ELSE failure END,
        dev_info = coalesce($5::jsonb, dev_info), dev_detail = coalesce($6::jsonb, dev_detail),
        report_id = coalesce($7, report_id),
        ended_at = CASE WHEN $2 IN ('completed', 'failed') THEN now() ELSE ended_at END
      WHERE id = $1`,
    [
      id,
      patch.state ?? null,
      patch.failure !== undefined,
      patch.failure ?? null,
      patch.devInfo ? asJson(patch.devInfo) : null,
      patch.devDetail ? asJson(patch.devDetail) : null,
      patch.reportId ?? null,
    ],
  );
}

export async function updateDmCommand(
  db: Db,
  id: number,
  patch: { code?: string | null; status: string; result?: unknown },
): Promise<void> {
  await db.query(
    `UPDATE dm_commands SET code = coalesce($2, code), status = $3,
        result = coalesce($4::jsonb, result), updated_at = now() WHERE id = $1`,
    [id, patch.code ?? null, patch.status, patch.result === undefined ? null : asJson(patch.result)],
  );
}

export interface DmCommandPatch {
  id: number;
  code?: string | null;
  status: string;
  result?: unknown;
}

/** Several commands' statuses in one statement (what one message of the handset said of them). */
export async function updateDmCommands(db: Db, patches: readonly DmCommandPatch[]): Promise<void> {
  if (patches.length === 0) return;
  await db.query(
    `UPDATE dm_commands c SET code = coalesce(p.code, c.code), status = p.status,
        result = coalesce(p.result, c.result), updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS p(id bigint, code text, status text, result jsonb)
      WHERE c.id = p.id`,
    [asJson(patches.map((entry) => ({ ...entry, code: entry.code ?? null, result: entry.result ?? null })))],
  );
}

export async function listDmCommands(db: Db, sessionId: string): Promise<DmCommandRecord[]> {
  const rows = await db.query<AccountRow>(
    `SELECT ${COMMAND_COLUMNS} FROM dm_commands WHERE session_id = $1 ORDER BY position`,
    [sessionId],
  );
  return rows.map(commandOf);
}

/**
 * The Exec a Generic Alert reports on (docs/protocol-dm.md §6.4): by the Correlator it echoes, else the
 * newest Exec of the device on that node still waiting for its result.
 */
export async function findAwaitedDmExec(
  db: Db,
  deviceId: string,
  alert: { correlator?: string; source?: string },
): Promise<DmCommandRecord | undefined> {
  const row = await db.one<AccountRow>(
    `SELECT ${COMMAND_COLUMNS.split(', ')
      .map((column) => `c.${column}`)
      .join(', ')}
       FROM dm_commands c JOIN dm_sessions s ON s.id = c.session_id
      WHERE s.device_id = $1 AND c.cmd = 'Exec'
        AND (($2::text IS NOT NULL AND c.correlator = $2)
          OR ($2::text IS NULL AND c.code = '202' AND $3::text IS NOT NULL AND c.target LIKE $3 || '/%'))
      ORDER BY c.id DESC LIMIT 1`,
    [deviceId, alert.correlator ?? null, alert.source ?? null],
  );
  return row && commandOf(row);
}

/** A device's sessions, newest first, with their commands. */
export async function listDmSessionsOfDevice(
  db: Db,
  deviceId: string,
  limit: number,
): Promise<Array<DmSessionRecord & { commands: DmCommandRecord[] }>> {
  const sessions = (
    await db.query<AccountRow>(
      `SELECT ${SESSION_COLUMNS} FROM dm_sessions WHERE device_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [deviceId, limit],
    )
  ).map(sessionOf);
  if (sessions.length === 0) return [];
  const commands = (
    await db.query<AccountRow>(
      `SELECT ${COMMAND_COLUMNS} FROM dm_commands WHERE session_id = ANY($1::uuid[]) ORDER BY session_id, position`,
      [sessions.map((session) => session.id)],
    )
  ).map(commandOf);
  return sessions.map((session) => ({
    ...session,
    commands: commands.filter((command) => command.sessionId === session.id),
  }));
}

/** The last DevInfo and DevDetail a device reported (from its newest session that has them). */
export async function lastDmDeviceFacts(
  db: Db,
  deviceId: string,
): Promise<{ devInfo: Record<string, string> | null; devDetail: Record<string, string> | null }> {
  const row = await db.one<{
    dev_info: Record<string, string> | null;
    dev_detail: Record<string, string> | null;
  }>(
    `SELECT
       (SELECT dev_info FROM dm_sessions WHERE device_id = $1 AND dev_info IS NOT NULL ORDER BY created_at DESC LIMIT 1) AS dev_info,
       (SELECT dev_detail FROM dm_sessions WHERE device_id = $1 AND dev_detail IS NOT NULL ORDER BY created_at DESC LIMIT 1) AS dev_detail`,
    [deviceId],
  );
  return { devInfo: row?.dev_info ?? null, devDetail: row?.dev_detail ?? null };
}

/**
 * Sessions of a device still active when it opens a new one: their Redis state expired (dm.sessionTimeoutMs)
 * or the handset gave up; failed, saying so (their commands still show where they stopped; what was never
 * sent stays queued for the next session, failStoppedDmSessions).
 */
export async function failStaleDmSessions(db: Db, deviceId: string, reason: string): Promise<number> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM dm_sessions WHERE device_id = $1 AND state = 'active'`,
    [deviceId],
  );
  return failStoppedDmSessions(
    db,
    rows.map((row) => ({ id: row.id, failure: reason })),
  );
}

/** Active sessions started before `before` (a session younger than the timeout cannot have expired). */
export async function listActiveDmSessionsBefore(
  db: Db,
  before: Date,
  limit: number,
): Promise<Array<{ id: string; deviceId: string; dmSessionId: string }>> {
  const rows = await db.query<{ id: string; device_id: string; dm_session_id: string }>(
    `SELECT id, device_id, dm_session_id FROM dm_sessions
      WHERE state = 'active' AND started_at < $1 AND dm_session_id IS NOT NULL
      ORDER BY started_at LIMIT $2`,
    [before, limit],
  );
  return rows.map((row) => ({ id: row.id, deviceId: row.device_id, dmSessionId: row.dm_session_id }));
}

/**
 * Sessions the handset stopped answering, failed with why (only from active: several processes may
 * sweep at once). Commands sent without an answer say so; commands never sent move into a new queued
 * session of the account, which the device's next session takes over (startDmSession).
 */
export async function failStoppedDmSessions(
  db: Db,
  sessions: ReadonlyArray<{ id: string; failure: string }>,
): Promise<number> {
  if (sessions.length === 0) return 0;
  return db.transaction(async (tx) => {
    const failed = await tx.query<{
      id: string;
      account_id: string;
      device_id: string;
      actor: string | null;
    }>(
      `UPDATE dm_sessions s SET state = 'failed', failure = f.failure, ended_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS f(id uuid, failure text)
        WHERE s.id = f.id AND s.state = 'active'
        RETURNING s.id, s.account_id, s.device_id, s.actor`,
      [asJson(sessions)],
    );
    if (failed.length === 0) return 0;
    const ids = failed.map((row) => row.id);
    await tx.query(
      `UPDATE dm_commands SET status = 'sent, no status (session ended)', updated_at = now()
        WHERE session_id = ANY($1::uuid[]) AND status = 'sent'`,
      [ids],
    );
    for (const session of failed) {
      // positions are kept: the next session numbers them after its own (startDmSession)
      await tx.query(
        `WITH requeued AS (
           INSERT INTO dm_sessions (account_id, device_id, initiator, state, actor, failure)
           SELECT $2, $3, 'server', 'queued', $4, 'holds the actions session ' || $1::uuid::text || ' did not reach'
            WHERE EXISTS (SELECT 1 FROM dm_commands WHERE session_id = $1::uuid AND status = 'queued')
           RETURNING id)
         UPDATE dm_commands SET session_id = (SELECT id FROM requeued), updated_at = now()
          WHERE session_id = $1::uuid AND status = 'queued' AND EXISTS (SELECT 1 FROM requeued)`,
        [session.id, session.account_id, session.device_id, session.actor],
      );
    }
    return failed.length;
  });
}

/**
 * The end of a session in one statement: commands sent and never answered say so, and the session is
 * completed, or failed with `failure` (else with how many went unanswered).
 */
export async function closeDmSession(db: Db, id: string, failure: string | null): Promise<void> {
  await db.query(
    `WITH unanswered AS (
       UPDATE dm_commands SET status = 'sent, no status (session ended)', updated_at = now()
        WHERE session_id = $1 AND status IN ('sent', 'queued') RETURNING id),
     counted AS (SELECT count(*) AS n FROM unanswered)
     UPDATE dm_sessions SET ended_at = now(),
         state = CASE WHEN $2::text IS NOT NULL OR counted.n > 0 THEN 'failed' ELSE 'completed' END,
         failure = coalesce($2::text, CASE WHEN counted.n > 0 THEN counted.n || ' commands were not answered' END)
       FROM counted WHERE dm_sessions.id = $1`,
    [id, failure],
  );
}

export async function markDmCommandsSent(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE dm_commands SET status = 'sent', updated_at = now() WHERE id = ANY($1::bigint[]) AND status = 'queued'`,
    [ids],
  );
}

/** What a generated w7 account starts with (secrets already sealed). */
export interface NewW7DmAccount {
  serverId: string;
  clientAuthType: DmAuthType;
  clientName: string;
  clientSecretSealed: string;
  clientNonce: string;
  serverAuthType: DmAuthType;
  serverName: string;
  serverSecretSealed: string;
  serverNonce: string;
}

/**
 * The DevId (docs/protocol-dm.md §6.1) of the subscriber's current handset: `IMEI:` and the 15-digit
 * IMEI, whose check digit (3GPP TS 23.003 Annex B, Luhn) is worked out for a 14-digit IMEI or an IMEISV.
 */
const DEV_ID_OF_CURRENT_IMEI = `'IMEI:' || CASE WHEN length(s.current_imei) = 15 THEN s.current_imei
  ELSE left(s.current_imei, 14) || ((10 - (SELECT sum(CASE WHEN i % 2 = 0
      THEN (substr(s.current_imei, i, 1)::int * 2) / 10 + (substr(s.current_imei, i, 1)::int * 2) % 10
      ELSE substr(s.current_imei, i, 1)::int END) FROM generate_series(1, 14) AS i) % 10) % 10)::text END`;

/**
 * The live DM account of the handset the subscriber with this IMSI is in now, created from `candidate`
 * when the device has none (a CP push with w7 is being composed, docs/protocol-dm.md §4.5). One statement:
 * the push path makes one round trip. 'no-handset' when the subscriber or its handset is unknown;
 * 'raced' when a concurrent push created the device's account at the same instant (ask once more).
 */
export async function takeW7DmAccount(
  db: Db,
  imsi: string,
  candidate: NewW7DmAccount,
): Promise<DmAccount | 'no-handset' | 'raced'> {
  const row = await db.one<AccountRow>(
    `WITH sub AS (
       SELECT s.id, s.msisdn, ${DEV_ID_OF_CURRENT_IMEI} AS device_id
         FROM subscribers s WHERE s.imsi = $1 AND s.current_imei ~ '^[0-9]{14,16}$'),
     found AS (
       SELECT ${ACCOUNT_COLUMNS} FROM dm_accounts
        WHERE device_id = (SELECT device_id FROM sub) AND revoked_at IS NULL),
     made AS (
       INSERT INTO dm_accounts (device_id, server_id, subscriber_id, msisdn, origin, client_auth_type,
          client_name, client_secret_enc, client_nonce, server_auth_type, server_name, server_secret_enc,
          server_nonce, allow_basic)
       SELECT sub.device_id, $2, sub.id, sub.msisdn, 'cp-w7', $3, $4, $5, $6, $7, $8, $9, $10, $3 = 'basic'
         FROM sub WHERE NOT EXISTS (SELECT 1 FROM found)
       ON CONFLICT (device_id) WHERE revoked_at IS NULL DO NOTHING
       RETURNING ${ACCOUNT_COLUMNS})
     SELECT x.*, sub.device_id AS handset FROM sub
       LEFT JOIN (SELECT * FROM found UNION ALL SELECT * FROM made) AS x ON true LIMIT 1`,
    [
      imsi,
      candidate.serverId,
      candidate.clientAuthType,
      candidate.clientName,
      candidate.clientSecretSealed,
      candidate.clientNonce,
      candidate.serverAuthType,
      candidate.serverName,
      candidate.serverSecretSealed,
      candidate.serverNonce,
    ],
  );
  if (!row) return 'no-handset';
  return row.id ? accountOf(row) : 'raced';
}
