/**
 * Runs Debian's libwbxml command-line tools (package libwbxml2-utils: `xml2wbxml`, `wbxml2xml`) over a
 * batch of documents: all inputs are written to one temporary directory under os.tmpdir() and converted by a
 * few shell scripts side by side (one process per document, a handful of spawns from Node), so a corpus of
 * a hundred documents converts in about a second. The directory is removed afterwards.
 *
 * Flags (why: below and in the cross-check tests):
 * - `xml2wbxml [-n] -v <version> -o out in`: `-n` disables libwbxml's own string table (which splits values
 *   into words and puts repeated words in the table); without it the output exercises STR_T in our decoder.
 * - `wbxml2xml -m 0 -k [-l OTA] -o out in`: compact output; `-k` keeps leading/trailing whitespace in text
 *   (without it libwbxml trims text nodes); `-l OTA` because Nokia OTA has public id 0x01 (unknown), which
 *   wbxml2xml otherwise refuses ("Unknown Public ID").
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

import type { NormaliseOptions } from './tree-compare.ts';

const execFileAsync = promisify(execFile);
const BATCH_SHELLS = Math.max(1, Math.min(8, availableParallelism()));

/**
 * libwbxml's faults, allowed for when comparing what libwbxml WROTE AS XML (direction a) — and only there:
 *
 * 1. wbxml2xml writes TAB, LF and CR inside attribute values raw instead of as character references
 *    (`value="a<TAB>b"`; checked: `87 07 06 03 "tab" 09 "nl" 0A "x" 00 01` decodes to `value="tab	nl
 *    x"`). Any XML parser then normalises them to spaces (XML 1.0 §3.3.3), so the value libwbxml meant is
 *    lost in its own output. We compare attribute values with TAB/LF/CR read as spaces.
 * 2. libwbxml's PROV table misspells two bearer tokens: 0xB5 decodes as "TRETRA-SDS" and 0xB6 as
 *    "TRETRA-PACKET" (docs/protocol.md §10 #4; WS, PW, GK and K spell them TETRA-; ProvCont's name is TETRA-). Our
 *    `87 10 06 B5 01` comes back as `value="TRETRA-SDS"`. (The other way round is unaffected: xml2wbxml does not
 *    know "TETRA-SDS", so it sends it as a string, which reads back correctly.) We read TRETRA- as TETRA-.
 *
 * Other libwbxml behaviours that need NO allowance here (found by hand with libwbxml 0.11.8):
 * - it writes `<?xml version="1.0"?>` and a DOCTYPE (PUBLIC FPI for PROV/SI/SL, SYSTEM for Nokia OTA): parseXml
 *   ignores both;
 * - wbxml2xml refuses Nokia OTA (public id 0x01 = unknown) with "Unknown Public ID" unless told `-l OTA`;
 * - without `-k`, both tools trim leading/trailing whitespace of text nodes: the harness passes `-k` to wbxml2xml,
 *   and the corpus has no text with leading/trailing whitespace for xml2wbxml to trim;
 * - xml2wbxml's string table splits values into words (STR_T + STR_I pieces of one value) and it tokenises
 *   value tokens as substrings with page switches (`myAPNx` -> `"my" 89 "x"`): valid WBXML that our decoder
 *   must (and does) read, exercised by direction (b);
 * - it switches the attribute page per attribute (the Gecko "CHT" style) where we switch and stay: both valid.
 */
export const LIBWBXML_XML_OUTPUT_QUIRKS: NormaliseOptions = {
  attributeValue: (value) => value.replace(/[\t\n\r]/g, ' ').replace(/^TRETRA-(SDS|PACKET)$/, 'TETRA-$1'),
};

export const SKIP_LIBWBXML_ENV = 'OTAGW_SKIP_LIBWBXML';

export interface LibwbxmlTools {
  xml2wbxml: string;
  wbxml2xml: string;
}

/** OTAGW_LIBWBXML_DIR=<dir>: look for the tools only there (a custom libwbxml build). */
export const LIBWBXML_DIR_ENV = 'OTAGW_LIBWBXML_DIR';

function findExecutable(name: string): string | undefined {
  const only = process.env[LIBWBXML_DIR_ENV];
  const directories = only ? [only] : (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const directory of directories) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Both tools, or undefined when either is missing. */
export function findLibwbxml(): LibwbxmlTools | undefined {
  const xml2wbxml = findExecutable('xml2wbxml');
  const wbxml2xml = findExecutable('wbxml2xml');
  return xml2wbxml && wbxml2xml ? { xml2wbxml, wbxml2xml } : undefined;
}

export const LIBWBXML_MISSING_MESSAGE =
  'libwbxml tools xml2wbxml/wbxml2xml not found (Debian package libwbxml2-utils: ' +
  '`apt-get install libwbxml2-utils`). The WBXML cross-checks need them; set OTAGW_SKIP_LIBWBXML=1 to skip.';

export interface ConversionResult<T> {
  ok: boolean;
  output?: T;
  /** exit status and what the tool printed, when it failed */
  error?: string;
}

export interface EncodeRequest {
  xml: string;
  /** false adds `-n` (no string table) */
  stringTable: boolean;
  /** `-v`: '1.1' | '1.2' | '1.3' */
  version?: string;
}

export interface DecodeRequest {
  wbxml: Uint8Array;
  /** `-l` language, needed for Nokia OTA ('OTA') */
  language?: string;
}

const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

async function runBatch<T>(
  lines: (
    directory: string,
    index: number,
  ) => { input: [string, string | Uint8Array]; command: string[]; output: string },
  count: number,
  read: (path: string) => T,
): Promise<Array<ConversionResult<T>>> {
  if (count === 0) return [];
  const directory = mkdtempSync(join(tmpdir(), 'otagw-libwbxml-'));
  try {
    const script: string[] = [];
    const outputs: string[] = [];
    for (let i = 0; i < count; i++) {
      const { input, command, output } = lines(directory, i);
      writeFileSync(input[0], input[1]);
      outputs.push(output);
      const log = join(directory, `${i}.log`);
      const status = join(directory, `${i}.status`);
      script.push(`${command.map(quote).join(' ')} >${quote(log)} 2>&1; echo $? >${quote(status)}`);
    }
    // Several shells side by side: one process per document is cheap, but a thousand in a row add up.
    const shells = Math.max(1, Math.min(BATCH_SHELLS, script.length));
    await Promise.all(
      Array.from({ length: shells }, (_, shell) => {
        const scriptPath = join(directory, `batch-${shell}.sh`);
        writeFileSync(scriptPath, `${script.filter((_, line) => line % shells === shell).join('\n')}\n`);
        return execFileAsync('/bin/sh', [scriptPath], { maxBuffer: 16 * 1024 * 1024 });
      }),
    );
    return outputs.map((output, i) => {
      const status = readFileSync(join(directory, `${i}.status`), 'utf8').trim();
      const log = readFileSync(join(directory, `${i}.log`), 'utf8').trim();
      if (status !== '0') return { ok: false, error: `exit ${status}: ${log}` };
      try {
        return { ok: true, output: read(output) };
      } catch (error) {
        return { ok: false, error: `no output (${String(error)}): ${log}` };
      }
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** `xml2wbxml` over every request, in order. */
export function libwbxmlEncode(
  tools: LibwbxmlTools,
  requests: EncodeRequest[],
): Promise<Array<ConversionResult<Uint8Array>>> {
  return runBatch(
    (directory, i) => {
      const request = requests[i];
      const input = join(directory, `${i}.xml`);
      const output = join(directory, `${i}.wbxml`);
      const flags = [
        ...(request.stringTable ? [] : ['-n']),
        ...(request.version ? ['-v', request.version] : []),
      ];
      return {
        input: [input, request.xml],
        command: [tools.xml2wbxml, ...flags, '-o', output, input],
        output,
      };
    },
    requests.length,
    (path) => new Uint8Array(readFileSync(path)),
  );
}

/** `wbxml2xml` over every request, in order. */
export function libwbxmlDecode(
  tools: LibwbxmlTools,
  requests: DecodeRequest[],
): Promise<Array<ConversionResult<string>>> {
  return runBatch(
    (directory, i) => {
      const request = requests[i];
      const input = join(directory, `${i}.wbxml`);
      const output = join(directory, `${i}.out.xml`);
      const flags = ['-m', '0', '-k', ...(request.language ? ['-l', request.language] : [])];
      return {
        input: [input, request.wbxml],
        command: [tools.wbxml2xml, ...flags, '-o', output, input],
        output,
      };
    },
    requests.length,
    (path) => readFileSync(path, 'utf8'),
  );
}
