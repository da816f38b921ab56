import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.ts';

const BIN = fileURLToPath(new URL('../../bin/otagw.js', import.meta.url));
const TYPICAL = fixturePath('typical-cp.xml');
const run = promisify(execFile);

/** Runs the real `otagw` command as field engineers do, through the package bin. */
async function otagw(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = run(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function expectOneLineError(result: { code: number; stderr: string }, pattern: RegExp) {
  expect(result.code).not.toBe(0);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('otagw encode / decode', () => {
  it('encodes a file to JSON and decodes the segments back, verifying the MAC', async () => {
    const encoded = await otagw(['encode', '--imsi', '234150123456789', '--ref', '9', '--json', TYPICAL]);
    expect(encoded.code).toBe(0);
    const push = JSON.parse(encoded.stdout);
    expect(push).toMatchObject({ contentType: 'application/vnd.wap.connectivity-wbxml', sec: 'NETWPIN' });
    expect(push.mac).toMatch(/^[0-9A-F]{40}$/);
    expect(push.segments.length).toBeGreaterThan(1);

    const shuffled = [...push.segments].reverse();
    const decoded = await otagw(['decode', '--imsi', '234150123456789', '--json', ...shuffled]);
    expect(decoded.code).toBe(0);
    const result = JSON.parse(decoded.stdout);
    expect(result).toMatchObject({
      sec: 'NETWPIN',
      mac: push.mac,
      macValid: true,
      segments: push.segments.length,
    });
    expect(result.xml).toContain('wap-provisioningdoc');

    const wrong = await otagw(['decode', '--imsi', '234150123456788', '--json', ...shuffled]);
    expect(JSON.parse(wrong.stdout).macValid).toBe(false);
    expect(wrong.code).toBe(3);
  });

  it('reads the document from stdin and decodes one WSP PDU with --wsp', async () => {
    const encoded = await otagw(
      ['encode', '--sec', 'USERPIN', '--pin', '1234', '--json', '-'],
      '<sl href="http://www.example.com/x"/>',
    );
    // SL carries no SEC/MAC, so asking for USERPIN is a clear error
    expectOneLineError(encoded, /OTA_SECURITY_UNSUPPORTED/);
    const unsigned = await otagw(['encode', '--json', '-'], '<sl href="http://www.example.com/x"/>');
    const wsp = JSON.parse(unsigned.stdout).wsp;
    const decoded = await otagw(['decode', '--wsp', '--json', wsp]);
    expect(JSON.parse(decoded.stdout)).toMatchObject({
      contentType: 'application/vnd.wap.slc',
      sec: 'none',
      macValid: null,
    });
  });

  it.each([
    [['decode', 'abc'], /odd number of hex digits/],
    [['decode', 'zz'], /not hex/],
    [['encode', '--imsi', '12', TYPICAL], /OTA_BAD_IMSI/],
    [['encode', '--sec', 'USERPIN', TYPICAL], /OTA_MISSING_PIN/],
    [['encode', '--sec', 'BOGUS', TYPICAL], /--sec must be one of/],
    [['encode', '--dcs', '8', TYPICAL], /--dcs must be 4 or 245/],
    [['encode', '/nonexistent/file.xml'], /cannot read/],
    [['decode', '--imsi', '12x', '00'], /--imsi must be 6 to 15 digits/],
    [['bogus-command'], /unknown command/],
  ])('fails on %j with one clear line and no stack trace', async (args, pattern) => {
    expectOneLineError(await otagw(args), pattern);
  });

  it('names the line of broken XML', async () => {
    expectOneLineError(
      await otagw(
        ['encode', '--sec', 'none', '-'],
        '<wap-provisioningdoc>\n<characteristic type="NAPDEF">\n</wap-provisioningdoc>',
      ),
      /XML_MALFORMED.*line 3/,
    );
  });
});
