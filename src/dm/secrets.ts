/**
 * DM account secrets at rest: AES-256-GCM under the key of dm.secretKey (env OTAGW_DM_SECRET_KEY), else
 * the key kept in dm.secretKeyFile, generated at first start. Stored as `v1.<iv>.<tag>.<ciphertext>`
 * (base64url), so a copy of the table gives no secret, and a changed row fails its tag check.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config.ts';

const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // the GCM nonce size NIST SP 800-38D recommends
const FORMAT = 'v1';

export class DmSecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES)
      throw new Error(`the DM secret key must be ${KEY_BYTES} bytes, not ${key.length}`);
    this.key = Buffer.from(key);
  }

  seal(secret: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [FORMAT, iv, cipher.getAuthTag(), sealed].map(encodePart).join('.');
  }

  open(stored: string): string {
    const [format, iv, tag, sealed] = stored.split('.');
    if (format !== FORMAT || !iv || !tag || sealed === undefined) throw new Error('not a sealed DM secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

const encodePart = (part: string | Buffer): string =>
  typeof part === 'string' ? part : part.toString('base64url');

/** A fresh secret for a generated account: 16 random bytes as text (MR 5.1.3.2: at least 16 octets). */
export const newDmSecret = (): string => randomBytes(18).toString('base64url');

function keyFromText(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${where} must be base64 of ${KEY_BYTES} bytes`);
  return key;
}

/** The key of dm.secretKey, else of dm.secretKeyFile (written at first start, mode 0600). */
export async function loadDmSecretBox(settings: Config['dm']): Promise<DmSecretBox> {
  if (settings.secretKey) return new DmSecretBox(keyFromText(settings.secretKey, 'dm.secretKey'));
  const file = settings.secretKeyFile;
  const existing = await readKeyFile(file);
  if (existing) return new DmSecretBox(keyFromText(existing, file));
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const generated = randomBytes(KEY_BYTES).toString('base64');
  try {
    // wx: two processes starting together keep one key (the loser reads the winner's).
    await writeFile(file, generated + '\n', { mode: 0o600, flag: 'wx' });
    return new DmSecretBox(keyFromText(generated, file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readKeyFile(file);
    if (!written) throw new Error(`${file} exists but holds no DM secret key`, { cause: error });
    return new DmSecretBox(keyFromText(written, file));
  }
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return text.length > 0 ? text : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
