/**
 * The SyncML decoders fed random and damaged input (truncated, bit-flipped, bytes replaced, lost,
 * repeated, spliced; XML damaged character by character) throw only CodecError with a stable code —
 * never another exception — and random messages survive both representations unchanged.
 * Seeded: OTAGW_TEST_SEED=<n> replays a run.
 */
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../codecs/errors.ts';
import {
  decodeSyncMl,
  decodeSyncMlWbxml,
  decodeSyncMlXml,
  encodeSyncMlWbxml,
  encodeSyncMlXml,
} from '../../../codecs/syncml/index.ts';
import type {
  SyncMlCommand,
  SyncMlItem,
  SyncMlMessage,
  SyncMlMeta,
  SyncMlNestedCommand,
} from '../../../codecs/syncml/index.ts';
import { readdirSync } from 'node:fs';
import { fixturePath, readFixture } from '../../support/fixtures.ts';
import { mutate, mutateText, prefixes, randomXmlishText } from '../../support/mutations.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';

const SEED = testSeed(0x5c_1201);
const INPUTS = 3000 * Math.max(1, Number(process.env.OTAGW_FUZZ_SCALE ?? 1) || 1);
const STABLE_CODE = /^[A-Z][A-Z0-9_]*$/;

// --- random messages (also the valid material to damage) ---------------------------------------------

/** Text without NUL, lone surrogates or C0 controls: what both representations can carry. */
function text(random: SeededRandom, max = 12): string {
  return random.stringFrom('abcXYZ019 ./:?=&<>"\'-_äé€漢', random.int(0, max));
}
const nonEmpty = (random: SeededRandom): string => `x${text(random)}`.trim() || 'x';

function meta(random: SeededRandom): SyncMlMeta | undefined {
  if (!random.chance(0.4)) return undefined;
  const result: SyncMlMeta = {};
  if (random.chance(0.6)) result.format = random.pick(['chr', 'int', 'node', 'b64']);
  if (random.chance(0.5)) result.type = nonEmpty(random);
  if (random.chance(0.2)) result.mark = 'critical';
  if (random.chance(0.2)) result.size = random.int(0, 1 << 20);
  if (random.chance(0.2)) result.nextNonce = nonEmpty(random);
  if (random.chance(0.2)) result.maxObjSize = random.int(0, 1 << 20);
  return result;
}

function item(random: SeededRandom): SyncMlItem {
  const result: SyncMlItem = {};
  if (random.chance(0.6)) result.target = { locUri: nonEmpty(random) };
  if (random.chance(0.3)) result.source = { locUri: nonEmpty(random), locName: nonEmpty(random) };
  const itemMeta = meta(random);
  if (itemMeta) result.meta = { ...itemMeta, format: 'chr' };
  // Item Data is kept verbatim: leading/trailing spaces must survive too
  if (random.chance(0.6)) result.data = random.chance(0.2) ? ` ${text(random, 40)} ` : text(random, 40);
  if (random.chance(0.1)) result.moreData = true;
  return result;
}

const items = (random: SeededRandom, min: number): SyncMlItem[] =>
  Array.from({ length: random.int(min, 3) }, () => item(random));

function nested(random: SeededRandom, depth: number, cmdId: () => string): SyncMlNestedCommand {
  const kind = random.pick([
    'Get',
    'Replace',
    'Add',
    'Delete',
    'Copy',
    'Exec',
    'Alert',
    'Atomic',
    'Sequence',
  ] as const);
  switch (kind) {
    case 'Exec':
      return { kind, cmdId: cmdId(), correlator: nonEmpty(random), items: [item(random)] };
    case 'Alert':
      return { kind, cmdId: cmdId(), data: String(random.int(1100, 1226)), items: items(random, 1) };
    case 'Atomic':
    case 'Sequence':
      if (depth < 2) {
        const id = cmdId();
        const commands = Array.from({ length: random.int(1, 3) }, () => nested(random, depth + 1, cmdId));
        return { kind, cmdId: id, noResp: true, commands };
      }
      return { kind: 'Get', cmdId: cmdId(), items: items(random, 1) };
    default: {
      const commandMeta = meta(random);
      const command = { kind, cmdId: cmdId(), items: items(random, 1) };
      return commandMeta ? { ...command, meta: { ...commandMeta, format: 'chr' } } : command;
    }
  }
}

function command(random: SeededRandom, cmdId: () => string): SyncMlCommand {
  if (random.chance(0.3)) {
    return {
      kind: 'Status',
      cmdId: cmdId(),
      msgRef: String(random.int(1, 9)),
      cmdRef: String(random.int(0, 40)),
      cmd: random.pick(['SyncHdr', 'Get', 'Replace', 'Alert']),
      targetRefs: [nonEmpty(random)],
      data: String(random.int(200, 517)),
    };
  }
  if (random.chance(0.15)) {
    return { kind: 'Results', cmdId: cmdId(), cmdRef: String(random.int(1, 40)), items: items(random, 1) };
  }
  return nested(random, 0, cmdId);
}

function randomMessage(random: SeededRandom): SyncMlMessage {
  let next = 1;
  const cmdId = () => String(next++);
  const message: SyncMlMessage = {
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: random.digits(random.int(1, 4)),
      msgId: String(random.int(1, 99)),
      target: { locUri: nonEmpty(random) },
      source: { locUri: `IMEI:${random.digits(15)}` },
    },
    body: {
      final: random.chance(0.7),
      commands: Array.from({ length: random.int(0, 8) }, () => command(random, cmdId)),
    },
  };
  if (random.chance(0.3))
    message.header.cred = { meta: { format: 'b64', type: 'syncml:auth-md5' }, data: nonEmpty(random) };
  if (random.chance(0.3)) message.header.meta = { maxMsgSize: random.int(256, 1 << 16) };
  if (random.chance(0.2)) message.header.respUri = nonEmpty(random);
  return message;
}

// --- the property ---------------------------------------------------------------------------------------

function expectOnlyCodecErrors(decode: () => unknown, input: Uint8Array | string, failures: string[]): void {
  try {
    decode();
  } catch (error) {
    const ok =
      error instanceof CodecError &&
      STABLE_CODE.test(error.code) &&
      error.offset <= (typeof input === 'string' ? Infinity : input.length);
    if (!ok && failures.length < 5) {
      const shown =
        typeof input === 'string' ? JSON.stringify(input.slice(0, 300)) : Buffer.from(input).toString('hex');
      failures.push(`${String(error)} for ${shown}`);
    }
  }
}

describe(`SyncML fuzz (seed ${SEED})`, () => {
  const random = new SeededRandom(SEED);
  const messages = [
    ...readdirSync(fixturePath('syncml'))
      .filter((name) => name.endsWith('.xml'))
      .map((name) => decodeSyncMlXml(readFixture(`syncml/${name}`))),
    ...Array.from({ length: 40 }, () => randomMessage(random)),
  ];

  it('random messages survive XML and WBXML unchanged', () => {
    for (let i = 0; i < 300; i++) {
      const message = randomMessage(random);
      expect(decodeSyncMlXml(encodeSyncMlXml(message))).toEqual(message);
      expect(decodeSyncMlWbxml(encodeSyncMlWbxml(message))).toEqual(message);
    }
  });

  it('damaged and random WBXML: CodecError only', () => {
    const valid = messages.map((message) => encodeSyncMlWbxml(message));
    const failures: string[] = [];
    for (const bytes of valid.slice(0, 4))
      for (const prefix of prefixes(bytes))
        expectOnlyCodecErrors(() => decodeSyncMlWbxml(prefix), prefix, failures);
    for (let i = 0; i < INPUTS; i++) {
      const input = random.chance(0.1)
        ? random.bytes(random.int(0, 64))
        : mutate(random, random.pick(valid), valid);
      expectOnlyCodecErrors(() => decodeSyncMlWbxml(input), input, failures);
      expectOnlyCodecErrors(() => decodeSyncMl(input), input, failures);
    }
    expect(failures).toEqual([]);
  });

  it('damaged and random XML: CodecError only', () => {
    const valid = messages.map((message) => encodeSyncMlXml(message));
    const failures: string[] = [];
    for (let i = 0; i < INPUTS; i++) {
      const input = random.chance(0.1) ? randomXmlishText(random) : mutateText(random, random.pick(valid));
      expectOnlyCodecErrors(() => decodeSyncMlXml(input), input, failures);
      const octets = new Uint8Array(Buffer.from(input, 'utf8'));
      const damaged = random.chance(0.3) ? mutate(random, octets) : octets;
      expectOnlyCodecErrors(() => decodeSyncMlXml(damaged), damaged, failures);
    }
    expect(failures).toEqual([]);
  });
});
