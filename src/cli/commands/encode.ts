import { readFile } from 'node:fs/promises';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { packXml } from '../../../codecs/ota/pack.ts';
import { SECURITY_CHOICES, type SecurityChoice } from '../../../codecs/ota/security.ts';
import { parseCommandLine, UsageError, type CliIo } from '../main.ts';

const DATA_CODINGS = [4, 245]; // 0x04 and 0xF5, docs/protocol.md §5.3

export const ENCODE_USAGE = `usage: otagw encode [--sec ${SECURITY_CHOICES.join('|')}] [--imsi N] [--pin P]
                    [--dcs 4|245] [--ref N] [--ref16] [--tlv] [--string-table] [--json] FILE.xml|-
`;

async function readDocument(file: string, io: CliIo): Promise<string> {
  if (file === '-') return io.readStdin();
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function parseInteger(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return Number(text);
}

export async function encodeCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandLine(argv, {
    sec: { type: 'string' },
    imsi: { type: 'string' },
    pin: { type: 'string' },
    dcs: { type: 'string' },
    ref: { type: 'string' },
    ref16: { type: 'boolean' },
    tlv: { type: 'boolean' },
    'string-table': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(ENCODE_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one FILE.xml (or - for stdin)');

  const secText =
    values.sec === undefined
      ? undefined
      : values.sec.toUpperCase() === 'NONE'
        ? 'none'
        : values.sec.toUpperCase();
  if (secText !== undefined && !SECURITY_CHOICES.includes(secText as SecurityChoice)) {
    throw new UsageError(`--sec must be one of ${SECURITY_CHOICES.join(', ')}, got '${values.sec}'`);
  }
  const dcs = parseInteger(values.dcs, 'dcs', 0, 255);
  if (dcs !== undefined && !DATA_CODINGS.includes(dcs))
    throw new UsageError(`--dcs must be 4 or 245, got ${dcs}`);
  const referenceBits = values.ref16 ? 16 : 8;
  const reference = parseInteger(values.ref, 'ref', 0, referenceBits === 16 ? 0xffff : 0xff);

  const xml = await readDocument(positionals[0], io);
  const packed = packXml(xml, {
    sec: secText as SecurityChoice | undefined,
    imsi: values.imsi,
    pin: values.pin,
    dcs,
    reference,
    referenceBits,
    mode: values.tlv ? 'tlv' : 'udh',
    stringTable: values['string-table'] ? 'auto' : 'none',
  });

  const segments = packed.segments.map((segment) => toHex(segment.tpud));
  if (values.json) {
    const report: Record<string, unknown> = {
      contentType: packed.contentType,
      sec: packed.sec,
      mac: packed.mac ?? null,
      wbxml: toHex(packed.wbxml),
      wsp: toHex(packed.wsp),
      segments,
    };
    if (packed.userPinMacCode) report.userPinMacCode = packed.userPinMacCode;
    if (values.tlv) report.tlv = packed.segments.map((segment) => segment.tlv);
    io.stdout(JSON.stringify(report) + '\n');
    return 0;
  }
  const lines = [
    `content type  ${packed.contentType}`,
    `security      ${packed.sec}${packed.mac ? `  MAC ${packed.mac}` : ''}`,
    ...(packed.userPinMacCode
      ? [`user code     ${packed.userPinMacCode}  (give this to the subscriber)`]
      : []),
    `wbxml         ${packed.wbxml.length} octets`,
    `wsp           ${packed.wsp.length} octets`,
    `segments      ${segments.length} (data coding 0x${packed.dataCoding.toString(16).padStart(2, '0')})`,
    ...segments.map((hex, index) => `  ${String(index + 1).padStart(3)}  ${hex}`),
  ];
  io.stdout(lines.join('\n') + '\n');
  return 0;
}
