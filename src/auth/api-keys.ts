import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Db } from '../store/db.ts';
import { isRole, type Role } from './roles.ts';

/**
 * API keys: `otagw_<43 base64url characters>` (256 random bits). Only a SHA-256 of the key is stored;
 * a salted slow hash buys nothing for a secret with this much entropy, and SHA-256 lets a request be
 * checked with one indexed lookup. The key is shown once, when it is created.
 */

const KEY_PREFIX = 'otagw_';
const KEY_RANDOM_BYTES = 32;
/** Characters of the key kept in clear to tell keys apart in lists (prefix + 6 of the random part). */
const SHOWN_PREFIX_LENGTH = KEY_PREFIX.length + 6;
const KEY_PATTERN = /^otagw_[A-Za-z0-9_-]{43}$/;

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  keyPrefix: string;
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedApiKey {
  /** The secret: give it to the caller once, never store or log it. */
  key: string;
  record: ApiKeyRecord;
}

interface ApiKeyRow {
  id: string;
  name: string;
  role: string;
  key_hash: string;
  key_prefix: string;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS =
  'id, name, role, key_hash, key_prefix, created_by, created_at, last_used_at, expires_at, revoked_at';

export class ApiKeyError extends Error {
  override readonly name = 'ApiKeyError';
  constructor(
    readonly code: 'API_KEY_UNKNOWN_ROLE' | 'API_KEY_BAD_NAME',
    message: string,
  ) {
    super(message);
  }
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    // The column is free text; a row with an unknown role can never authorise anything.
    role: (isRole(row.role) ? row.role : 'network') as Role,
    keyPrefix: row.key_prefix,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(KEY_RANDOM_BYTES).toString('base64url');
}

/** Hex SHA-256 of the key: what the store keeps. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Cheap syntax check before any lookup: anything else is not one of our keys. */
export function looksLikeApiKey(text: string): boolean {
  return KEY_PATTERN.test(text);
}

export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,79}$/;

export interface CreateApiKeyInput {
  name: string;
  role: string;
  createdBy?: string | null;
  expiresAt?: Date | null;
}

export async function createApiKey(db: Db, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  if (!isRole(input.role)) {
    throw new ApiKeyError(
      'API_KEY_UNKNOWN_ROLE',
      `unknown role '${input.role}' (network, care, operator, admin)`,
    );
  }
  if (!API_KEY_NAME_PATTERN.test(input.name)) {
    throw new ApiKeyError('API_KEY_BAD_NAME', 'name: 1-80 letters, digits, space, . _ @ : -');
  }
  const key = generateApiKey();
  const row = await db.one<ApiKeyRow>(
    `INSERT INTO api_keys (name, role, key_hash, key_prefix, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [
      input.name,
      input.role,
      hashApiKey(key),
      key.slice(0, SHOWN_PREFIX_LENGTH),
      input.createdBy ?? null,
      input.expiresAt ?? null,
    ],
  );
  return { key, record: toRecord(row!) };
}

export async function listApiKeys(
  db: Db,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiKeyRecord[]> {
  const rows = await db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys WHERE $1::boolean OR revoked_at IS NULL ORDER BY created_at, id`,
    [options.includeRevoked ?? false],
  );
  return rows.map(toRecord);
}

/** Every key ever created, revoked and expired ones included (none at all: a first start). */
export async function countApiKeys(db: Db): Promise<number> {
  const row = await db.one<{ count: number }>(`SELECT count(*)::int AS count FROM api_keys`);
  return row?.count ?? 0;
}

/** Revokes a key by id (or by its unique name prefix shown in lists); undefined when there is no such live key. */
export async function revokeApiKey(db: Db, idOrPrefix: string): Promise<ApiKeyRecord | undefined> {
  const rows = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = now()
      WHERE revoked_at IS NULL AND (id::text = $1 OR key_prefix = $1)
      RETURNING ${COLUMNS}`,
    [idOrPrefix],
  );
  return rows.length === 1 ? toRecord(rows[0]) : undefined;
}

/**
 * The live key record for a presented secret, or undefined. The lookup is by hash; the final comparison
 * is constant-time so that timing says nothing about how much of a hash matched.
 */
export async function verifyApiKey(
  db: Db,
  presented: string,
  now: Date = new Date(),
): Promise<ApiKeyRecord | undefined> {
  if (!looksLikeApiKey(presented)) return undefined;
  const hash = hashApiKey(presented);
  const row = await db.one<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1`, [hash]);
  if (!row) return undefined;
  const expected = Buffer.from(row.key_hash, 'hex');
  const actual = Buffer.from(hash, 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  if (row.revoked_at !== null) return undefined;
  if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime()) return undefined;
  if (!isRole(row.role)) return undefined;
  return toRecord(row);
}

/** Marks keys as used (batched by the caller: one statement for many keys). */
export async function touchApiKeys(db: Db, ids: readonly string[], at: Date = new Date()): Promise<void> {
  if (ids.length === 0) return;
  await db.query(`UPDATE api_keys SET last_used_at = $2 WHERE id = ANY($1::uuid[])`, [ids, at]);
}

/** Where `otagw start` keeps the API key it made on a first start: <varDir>/run/first-start.key. */
export function firstStartKeyFile(varDir = './var'): string {
  return join(varDir, 'run', 'first-start.key');
}

/**
 * Writes the first-start key to its file, readable by the gateway's user only (mode 0600, in a 0700
 * directory; issue 15 #13), and returns the path. The key is then printed only to a terminal: a
 * service manager's log or a CI transcript would keep it for anyone who can read those.
 */
export async function writeFirstStartKey(key: string, varDir?: string): Promise<string> {
  const file = firstStartKeyFile(varDir);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // a file left from an earlier run keeps its mode otherwise
  return file;
}
