import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { unpackSegments, unpackWsp, type UnpackedPush } from '../../../codecs/ota/unpack.ts';
import { parseCommandLine, UsageError, type CliIo } from '../main.ts';

export const DECODE_USAGE = `usage: otagw decode [--imsi N] [--pin P] [--wsp] [--json] HEX...
  HEX: the TP-UD of each segment (UDH included), in any order; or with --wsp one WSP push PDU.
  Reads hex from stdin (whitespace-separated) when no HEX is given.
`;

function parseHexArgument(text: string, position: number): Uint8Array {
  const clean = text.replace(/^0x/i, '');
  if (clean.length % 2 !== 0) throw new UsageError(`argument ${position} has an odd number of hex digits`);
  if (!/^[0-9a-fA-F]+$/.test(clean)) throw new UsageError(`argument ${position} is not hex`);
  return fromHex(clean);
}

function macVerdict(push: UnpackedPush): string {
  if (push.sec === null) return 'unsigned';
  if (push.macValid === null) return 'not checked (give --imsi and/or --pin)';
  return push.macValid ? 'valid' : 'INVALID';
}

export async function decodeCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(argv, {
    imsi: { type: 'string' },
    pin: { type: 'string' },
    wsp: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const { values } = parsed;
  if (values.help) {
    io.stdout(DECODE_USAGE);
    return 0;
  }
  let positionals = parsed.positionals;
  if (positionals.length === 0) positionals = (await io.readStdin()).split(/\s+/).filter(Boolean);
  if (positionals.length === 0) throw new UsageError('give the segments as hex arguments');
  if (values.imsi !== undefined && !/^\d{6,15}$/.test(values.imsi)) {
    throw new UsageError(`--imsi must be 6 to 15 digits, got '${values.imsi}'`);
  }
  const parts = positionals.map((text, index) => parseHexArgument(text, index + 1));
  const credentials = { imsi: values.imsi, pin: values.pin };
  let push: UnpackedPush;
  if (values.wsp) {
    if (parts.length !== 1) throw new UsageError('--wsp takes exactly one WSP PDU');
    push = unpackWsp(parts[0], credentials);
  } else {
    push = unpackSegments(parts, credentials);
  }

  if (values.json) {
    io.stdout(
      JSON.stringify({
        contentType: push.contentType,
        sec: push.sec ?? 'none',
        mac: push.mac,
        macValid: push.macValid,
        xml: push.xml,
        segments: values.wsp ? 0 : parts.length,
        wbxml: toHex(push.wbxml),
      }) + '\n',
    );
    return exitCodeFor(push);
  }
  const lines = [
    `content type  ${push.contentType}`,
    `security      ${push.sec ?? 'none'}${push.mac ? `  MAC ${push.mac}` : ''}`,
    `MAC check     ${macVerdict(push)}`,
    `segments      ${values.wsp ? '(WSP PDU given)' : parts.length}`,
    '',
    push.xml,
  ];
  io.stdout(lines.join('\n') + '\n');
  return exitCodeFor(push);
}

/** A push the handset would reject is a failure for scripts that check it. */
const MAC_INVALID_EXIT_CODE = 3;
function exitCodeFor(push: UnpackedPush): number {
  return push.macValid === false ? MAC_INVALID_EXIT_CODE : 0;
}
