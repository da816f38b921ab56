/** Issue 15 #13: the first-start API key is written to a file of mode 0600; printed only to a terminal. */
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { firstStartKeyFile, generateApiKey } from '../../src/auth/api-keys.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { announceFirstKey } from '../../src/cli/commands/start.ts';

let varDir: string;
beforeEach(async () => {
  varDir = await mkdtemp(join(tmpdir(), 'otagw-first-key-'));
});
afterEach(async () => {
  await rm(varDir, { recursive: true, force: true });
});

function io(isTerminal: boolean): CliIo & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    isTerminal,
    stdout: (text) => out.push(text),
    stderr: () => undefined,
    readStdin: async () => '',
  };
}

it('without a terminal: the key only in var/run/first-start.key (0600, directory 0700), its path printed', async () => {
  const key = generateApiKey();
  const captured = io(false);
  const hint = await announceFirstKey(key, captured, varDir);
  const file = firstStartKeyFile(varDir);
  expect(file).toBe(join(varDir, 'run', 'first-start.key'));
  expect(captured.out.join('')).not.toContain(key);
  expect(captured.out.join('')).toContain(file);
  expect(hint).toBe(`$(cat ${file})`);
  expect(await readFile(file, 'utf8')).toBe(`${key}\n`);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect((await stat(join(varDir, 'run'))).mode & 0o777).toBe(0o700);
});

it('on a terminal the key is shown too; a file left readable by an earlier run is made 0600', async () => {
  await mkdir(join(varDir, 'run'), { recursive: true });
  await writeFile(firstStartKeyFile(varDir), 'old\n', { mode: 0o644 });
  const key = generateApiKey();
  const captured = io(true);
  expect(await announceFirstKey(key, captured, varDir)).toBe(key);
  expect(captured.out.join('')).toContain(key);
  expect((await stat(firstStartKeyFile(varDir))).mode & 0o777).toBe(0o600);
  expect(await readFile(firstStartKeyFile(varDir), 'utf8')).toBe(`${key}\n`);
});
