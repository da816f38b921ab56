import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError, type CliIo } from '../../src/cli/main.ts';
import { runSmscSim } from '../../src/cli/commands/smsc-sim.ts';
import { TestClient } from './smpp-test-client.ts';

function captureIo(): CliIo & { out: string[]; waitFor: (pattern: RegExp) => Promise<RegExpMatchArray> } {
  const out: string[] = [];
  const waiters: Array<() => void> = [];
  return {
    out,
    stdout: (text) => {
      out.push(text);
      for (const wake of waiters.splice(0)) wake();
    },
    stderr: (text) => out.push(text),
    readStdin: async () => '',
    async waitFor(pattern) {
      for (;;) {
        const match = out.join('').match(pattern);
        if (match) return match;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe('otagw smsc-sim', () => {
  it('listens where it says, takes accounts and behaviour from flags, and stops on abort', async () => {
    const io = captureIo();
    const stop = new AbortController();
    const running = runSmscSim(
      [
        '--port',
        '0',
        '--control-port',
        '0',
        '--account',
        'acme:s3cret',
        '--behaviour',
        '{"respIdBase":"hex"}',
      ],
      io,
      stop.signal,
      {},
    );
    const [, smppPort] = await io.waitFor(/SMPP listening on 127\.0\.0\.1:(\d+)/);
    // No token given: one is generated and printed, and asked for (issue 15 #12).
    const [, controlUrl, token] = await io.waitFor(
      /control API on (http:\/\/\S+) \(bearer token required: Authorization: Bearer (\S+)\)/,
    );
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(io.out.join('')).not.toContain('s3cret');

    const client = await TestClient.bound(Number(smppPort), 'acme', 's3cret');
    const response = await client.submit({});
    expect(response.message_id).toMatch(/^[0-9a-f]+$/);
    expect((await fetch(`${controlUrl}/behaviour`)).status).toBe(401);
    const authorised = await fetch(`${controlUrl}/behaviour`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const behaviour = (await authorised.json()) as { respIdBase: string };
    expect(behaviour.respIdBase).toBe('hex');
    client.close();

    stop.abort();
    expect(await running).toBe(0);
    expect(io.out.join('')).toMatch(/stopped after 1 binds, 1 submits/);
  });

  it('runs the control API only when --control-port asks for it, on loopback whatever --host is', async () => {
    const quiet = captureIo();
    const stop = new AbortController();
    const running = runSmscSim(['--port', '0'], quiet, stop.signal, {});
    await quiet.waitFor(/control API off \(--control-port N to turn it on\)/);
    stop.abort();
    expect(await running).toBe(0);

    const io = captureIo();
    const everywhere = new AbortController();
    const open = runSmscSim(
      ['--host', '0.0.0.0', '--port', '0', '--control-port', '0'],
      io,
      everywhere.signal,
      {},
    );
    await io.waitFor(/SMPP listening on 0\.0\.0\.0:\d+/);
    await io.waitFor(/control API on http:\/\/127\.0\.0\.1:\d+ /);
    everywhere.abort();
    expect(await open).toBe(0);
  });

  it('prints the default test account when none is given', async () => {
    const io = captureIo();
    const stop = new AbortController();
    const running = runSmscSim(['--port', '0', '--control-port', 'off'], io, stop.signal);
    await io.waitFor(/control API off/);
    expect(io.out.join('')).toContain('otagw (password otagwsim');
    stop.abort();
    expect(await running).toBe(0);
  });

  it('asks for the bearer token of --control-token, or of OTAGW_SIM_CONTROL_TOKEN (OTAGW_SMSC_SIM_CONTROL_TOKEN) without the flag', async () => {
    for (const [argv, env] of [
      [['--control-token', 'flag-token'], { OTAGW_SIM_CONTROL_TOKEN: 'env-token' }],
      [[], { OTAGW_SIM_CONTROL_TOKEN: 'env-token', OTAGW_SMSC_SIM_CONTROL_TOKEN: 'flag-token' }],
      [[], { OTAGW_SMSC_SIM_CONTROL_TOKEN: 'env-token' }],
    ] as const) {
      const token = argv.length > 0 ? 'flag-token' : 'env-token';
      const io = captureIo();
      const stop = new AbortController();
      const running = runSmscSim(['--port', '0', '--control-port', '0', ...argv], io, stop.signal, env);
      const [, controlUrl] = await io.waitFor(/control API on (http:\/\/\S+) \(bearer token required\)/);
      expect(io.out.join('')).not.toContain(token);
      const counters = (bearer?: string) =>
        fetch(`${controlUrl}/counters`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
      expect((await counters()).status).toBe(401);
      expect((await counters(token === 'flag-token' ? 'env-token' : 'flag-token')).status).toBe(401);
      expect((await counters(token)).status).toBe(200);
      stop.abort();
      expect(await running).toBe(0);
    }
  });

  it('says which flag a simulator configuration error is about, with its code', async () => {
    const refused = (argv: string[]) => runSmscSim(argv, captureIo(), new AbortController().signal, {});
    await expect(
      refused(['--port', '0', '--control-port', '0', '--control-token', 'no spaces']),
    ).rejects.toThrow(/^--control-token: .* \(SIM_INVALID_CONTROL_TOKEN\)$/);
    await expect(
      refused(['--port', '0', '--control-port', 'off', '--account', 'a:longerthan8']),
    ).rejects.toThrow(/^--account: .* \(SIM_INVALID_ACCOUNT\)$/);
  });

  it.each([
    [['--port', 'abc'], /--port must be a port number/],
    [['--account', 'nocolon'], /--account must be ID:PASSWORD/],
    [['--behaviour', '{'], /not valid JSON/],
    [['--behaviour', '{"receiptFormat":"xml"}', '--port', '0', '--control-port', 'off'], /receiptFormat/],
    [['--subscriber', '4477:12'], /--subscriber must be/],
    [['--account', 'acme:longerthan8', '--port', '0', '--control-port', 'off'], /longer than SMPP's 8/],
    [['--frobnicate'], /frobnicate/],
  ])('refuses %j with a usage error', async (argv, message) => {
    await expect(runSmscSim(argv, captureIo(), new AbortController().signal, {})).rejects.toThrow(UsageError);
    await expect(runSmscSim(argv, captureIo(), new AbortController().signal, {})).rejects.toThrow(message);
  });

  it('runs as a process and exits 0 on SIGTERM', async () => {
    const bin = fileURLToPath(new URL('../../bin/otagw.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'smsc-sim', '--port', '0', '--control-port', 'off'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('control API off')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('stopped after 0 binds');
  });
});
