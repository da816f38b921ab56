import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * How `otagw keys` reaches a running server. PGlite is opened by one process at a time, so while the
 * server runs the command must not open the data directory itself. The server generates a secret at
 * start, accepts it (from loopback peers only, on the API-key routes) and writes it with its URL to
 * ./var/run/api.json (mode 0600: whoever can read it could read the data directory anyway).
 * When that file names a live process, the command goes through the server; otherwise it opens the store.
 */

export const DEFAULT_VAR_DIR = './var';

export interface LocalAdminEndpoint {
  url: string;
  secret: string;
  pid: number;
}

export function localAdminFile(varDir: string = DEFAULT_VAR_DIR): string {
  return join(varDir, 'run', 'api.json');
}

export interface LocalAdminHandle {
  /** Pass to createApp({ localAdminSecret }). */
  secret: string;
  /** Call once the server listens. */
  publish(url: string): Promise<void>;
  /** Call on shutdown. */
  remove(): Promise<void>;
}

export function prepareLocalAdmin(varDir: string = DEFAULT_VAR_DIR): LocalAdminHandle {
  const secret = randomBytes(32).toString('base64url');
  const file = localAdminFile(varDir);
  return {
    secret,
    publish: async (url) => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const endpoint: LocalAdminEndpoint = { url, secret, pid: process.pid };
      await writeFile(file, JSON.stringify(endpoint), { mode: 0o600 });
    },
    remove: async () => {
      await rm(file, { force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running server's endpoint, or undefined when no server (a stale file from a crash counts as none). */
export async function findLocalAdmin(
  varDir: string = DEFAULT_VAR_DIR,
): Promise<LocalAdminEndpoint | undefined> {
  let text: string;
  try {
    text = await readFile(localAdminFile(varDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const endpoint = JSON.parse(text) as Partial<LocalAdminEndpoint>;
    if (
      typeof endpoint.url !== 'string' ||
      typeof endpoint.secret !== 'string' ||
      typeof endpoint.pid !== 'number'
    ) {
      return undefined;
    }
    return isAlive(endpoint.pid) ? (endpoint as LocalAdminEndpoint) : undefined;
  } catch {
    return undefined;
  }
}
