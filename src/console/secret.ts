import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config.ts';

/** Bytes of a generated secret (HMAC-SHA256 keys gain nothing beyond the hash's block of 64). */
const SECRET_BYTES = 32;

/**
 * The secret the session cookie and the CSRF tokens are signed with: console.cookieSecret when set,
 * else the one kept in console.secretFile, generated at first start (mode 0600, like var/run/api.json of
 * src/auth/local-admin.ts). Kept in a file, not made up per process, so that sessions survive a restart
 * and every api process behind a load balancer signs alike.
 */
export async function loadCookieSecret(settings: Config['console']): Promise<string> {
  if (settings.cookieSecret) return settings.cookieSecret;
  const file = settings.secretFile;
  const existing = await readSecretFile(file);
  if (existing) return existing;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  try {
    // wx: two processes starting together keep one secret (the loser reads the winner's).
    await writeFile(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readSecretFile(file);
    if (!written) throw new Error(`${file} exists but holds no console secret`, { cause: error });
    return written;
  }
}

async function readSecretFile(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text.length > 0 ? text : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
