/**
 * Every decoder, fed random bytes and damaged versions of valid pushes (truncated, bit-flipped, bytes
 * replaced/lost/repeated, spliced), throws only CodecError with a stable code — never another exception
 * (house rule 5) — and, where the input is the decoder's own, an offset inside the input. Seeded:
 * OTAGW_TEST_SEED=<n> replays a run. Thousands of inputs per decoder, about a second in all.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import {
  DM_INITIATORS,
  DM_UI_MODES,
  decodeDmNotification,
  encodeDmNotification,
  verifyDmNotification,
} from '../../../codecs/dm/notification.ts';
import { ByteWriter } from '../../../codecs/bytes/writer.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { packXml, type PackOptions } from '../../../codecs/ota/pack.ts';
import { unpackSegments, unpackWsp } from '../../../codecs/ota/unpack.ts';
import { reassembleSegments, SegmentAssembler } from '../../../codecs/sms/reassemble.ts';
import { decodeUdh } from '../../../codecs/sms/udh.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { vocabularyFor } from '../../../codecs/wbxml/vocabularies/index.ts';
import { decodeWspPush } from '../../../codecs/wsp/decode-wsp-push.ts';
import { encodeWspPush } from '../../../codecs/wsp/encode-wsp-push.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { mutate, mutateText, prefixes, randomXmlishText } from '../../support/mutations.ts';
import { GENERATED_DOCUMENT_TYPES, randomDocument } from '../../support/random-documents.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';
import { publicVectors } from '../../support/fixtures.ts';
import { toXmlText } from '../../support/xml-text.ts';

const SEED = testSeed(0xf022_2024);
/** OTAGW_FUZZ_SCALE=<n> multiplies the inputs for a longer hunt (CI runs scale 1). */
const INPUTS_PER_DECODER = 4000 * Math.max(1, Number(process.env.OTAGW_FUZZ_SCALE ?? 1) || 1);
const STABLE_CODE = /^[A-Z][A-Z0-9_]*$/;

// ---------------------------------------------------------------------------------------------------------
// valid material to damage

interface ValidPush {
  tpuds: Uint8Array[];
  wsp: Uint8Array;
  wbxml: Uint8Array;
  xml: string;
  credentials: { imsi?: string; pin?: string };
}

function validPushes(random: SeededRandom): ValidPush[] {
  const pushes: ValidPush[] = [];
  const methods: Array<NonNullable<PackOptions['sec']>> = [
    'NETWPIN',
    'USERPIN',
    'USERNETWPIN',
    'USERPINMAC',
    'none',
  ];
  for (let i = 0; i < 48; i++) {
    const type = GENERATED_DOCUMENT_TYPES[i % GENERATED_DOCUMENT_TYPES.length];
    const root = randomDocument(random, type, { richText: 0.5, longValues: 0.1 });
    const sec = type === 'prov' ? methods[i % methods.length] : 'none';
    const imsi = random.digits(15);
    const pin = random.digits(6);
    const referenceBits = random.chance(0.5) ? 8 : 16;
    const packed = packXml(root, {
      sec,
      imsi,
      pin: sec === 'USERPINMAC' ? undefined : pin,
      referenceBits,
      reference: random.int(0, referenceBits === 8 ? 0xff : 0xffff),
      stringTable: random.chance(0.5) ? 'auto' : 'none',
    });
    pushes.push({
      tpuds: packed.segments.map((segment) => segment.tpud),
      wsp: packed.wsp,
      wbxml: packed.wbxml,
      xml: toXmlText(root),
      credentials: sec === 'USERPINMAC' ? { pin: packed.userPinMacCode } : { imsi, pin },
    });
  }
  return pushes;
}

/** WBXML from public sources (their bytes, not our encoder's). */
function publicWbxml(): Uint8Array[] {
  return publicVectors()
    .filter((vector) => typeof vector.wbxml === 'string')
    .map((vector) => fromHex(vector.wbxml as string));
}

// ---------------------------------------------------------------------------------------------------------
// grammar-aware random WBXML: a plausible header and a token stream, so the decoder gets past the header

function writeUintvarish(writer: ByteWriter, random: SeededRandom, max = 64): void {
  const choice = random.next();
  if (choice < 0.8) writer.uintvar(random.int(0, max));
  else if (choice < 0.9) writer.uintvar(random.int(0, 0xffffffff));
  else writer.bytes(Uint8Array.from([0x8f, 0xff, 0xff, 0xff, 0xff, 0x7f].slice(0, random.int(1, 6)))); // overlong
}

function randomWbxml(random: SeededRandom): Uint8Array {
  const writer = new ByteWriter();
  writer.u8(random.pick([0x00, 0x01, 0x02, 0x03, 0x03, 0x03, random.int(0, 255)]));
  const publicId = random.pick([0x01, 0x05, 0x06, 0x0b, 0x0b, 0x00, random.int(0, 0x1300)]);
  writer.uintvar(publicId);
  if (publicId === 0) writeUintvarish(writer, random, 40);
  writer.uintvar(random.pick([0x6a, 0x6a, 0x6a, 0x04, 0x00, 0x03, 1000, 1015, random.int(0, 3000)]));
  const table = random.chance(0.5) ? random.bytes(random.int(0, 40)) : new Uint8Array();
  if (table.length > 0 && random.chance(0.7)) table[table.length - 1] = 0;
  writer.uintvar(random.chance(0.9) ? table.length : random.int(0, 200));
  writer.bytes(table);
  const tokens = random.int(0, 80);
  for (let i = 0; i < tokens; i++) {
    const kind = random.next();
    if (kind < 0.35)
      writer.u8(random.int(0x05, 0x3f) | (random.chance(0.5) ? 0x40 : 0) | (random.chance(0.4) ? 0x80 : 0));
    else if (kind < 0.5)
      writer.u8(0x01); // END
    else if (kind < 0.6)
      writer.u8(random.int(0x05, 0x7f)); // ATTRSTART
    else if (kind < 0.7)
      writer.u8(random.int(0x85, 0xff)); // ATTRVALUE
    else if (kind < 0.78)
      writer
        .u8(0x03)
        .bytes(random.bytes(random.int(0, 6)))
        .u8(0); // STR_I
    else if (kind < 0.83)
      writer.u8(0x00).u8(random.pick([0, 1, 2, 255])); // SWITCH_PAGE
    else if (kind < 0.88) {
      writer.u8(random.pick([0x83, 0x04, 0x44, 0x84, 0xc4, 0x02, 0x80, 0x81, 0x82])); // table refs, ENTITY, EXT_T
      writeUintvarish(writer, random);
    } else if (kind < 0.93) {
      writer.u8(0xc3); // OPAQUE
      const length = random.int(0, 10);
      writer.uintvar(random.chance(0.9) ? length : random.int(0, 0xffff)).bytes(random.bytes(length));
    } else writer.u8(random.int(0, 255));
  }
  return writer.toBytes();
}

// ---------------------------------------------------------------------------------------------------------
// the check

interface Finding {
  input: string;
  error: string;
}

/**
 * Runs `decode` over every input; collects anything thrown that is not a CodecError with a stable code
 * (and, when `offsetOf` gives the input length, a CodecError whose offset lies outside the input).
 */
function fuzz<T>(
  inputs: Iterable<T>,
  decode: (input: T) => unknown,
  describeInput: (input: T) => string,
  inputLength?: (input: T) => number,
): { findings: Finding[]; runs: number; codes: Map<string, number>; accepted: number } {
  const findings: Finding[] = [];
  const codes = new Map<string, number>();
  let runs = 0;
  let accepted = 0;
  for (const input of inputs) {
    runs += 1;
    try {
      decode(input);
      accepted += 1;
    } catch (error) {
      if (!(error instanceof CodecError)) {
        const stack =
          error instanceof Error ? (error.stack ?? '').split('\n').slice(0, 4).join(' | ') : String(error);
        findings.push({ input: describeInput(input), error: stack });
        continue;
      }
      codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      if (!STABLE_CODE.test(error.code))
        findings.push({ input: describeInput(input), error: `unstable code ${error.code}` });
      const length = inputLength?.(input);
      if (length !== undefined && (error.offset < -1 || error.offset > length)) {
        findings.push({
          input: describeInput(input),
          error: `${error.code} offset ${error.offset} outside 0..${length}`,
        });
      }
    }
  }
  return { findings, runs, codes, accepted };
}

function expectOnlyCodecErrors(result: ReturnType<typeof fuzz>, minimumRuns: number, minimumCodes = 3): void {
  const report = result.findings
    .slice(0, 5)
    .map((finding) => `  input ${finding.input}\n    -> ${finding.error}`)
    .join('\n');
  expect(
    result.findings.length,
    `seed ${SEED}: ${result.findings.length} bad outcomes, first ones:\n${report}`,
  ).toBe(0);
  expect(result.runs).toBeGreaterThanOrEqual(minimumRuns);
  // The inputs reached the decoder's error paths, not just its first check.
  expect(result.codes.size, [...result.codes.keys()].join(', ')).toBeGreaterThanOrEqual(minimumCodes);
}

const hex = (bytes: Uint8Array): string =>
  bytes.length > 300 ? `${toHex(bytes.subarray(0, 300))}… (${bytes.length} octets)` : toHex(bytes);

function* byteInputs(
  random: SeededRandom,
  valid: readonly Uint8Array[],
  count: number,
  extra?: (random: SeededRandom) => Uint8Array,
) {
  // the whole truncation family of a few valid inputs
  for (const input of valid.slice(0, 4)) yield* prefixes(input);
  for (let i = 0; i < count; i++) {
    const choice = random.next();
    if (choice < 0.1) yield random.bytes(random.int(0, 200));
    else if (extra && choice < 0.4) yield extra(random);
    else yield mutate(random, random.pick(valid), valid);
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('decoders fed random and damaged input throw only CodecError', () => {
  const random = new SeededRandom(SEED);
  const pushes = validPushes(random);
  const wbxmls = [...publicWbxml(), ...pushes.map((push) => push.wbxml)];
  const wsps = pushes.map((push) => push.wsp);
  const tpuds = pushes.flatMap((push) => push.tpuds);

  it('decodeWbxml', () => {
    const vocabularies = [undefined, ...GENERATED_DOCUMENT_TYPES.map((type) => vocabularyFor(type))];
    const inputs = [...byteInputs(new SeededRandom(SEED + 1), wbxmls, INPUTS_PER_DECODER, randomWbxml)];
    const pick = new SeededRandom(SEED + 2);
    const result = fuzz(
      inputs.map((bytes) => ({ bytes, vocabulary: pick.pick(vocabularies) })),
      ({ bytes, vocabulary }) => decodeWbxml(bytes, vocabulary ? { vocabulary } : {}),
      ({ bytes, vocabulary }) => `${hex(bytes)} (vocabulary ${vocabulary?.name ?? 'none'})`,
      ({ bytes }) => bytes.length,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER);
  });

  it('decodeWbxml on deeply nested and very long documents', () => {
    const header = [0x03, 0x0b, 0x6a, 0x00]; // WBXML 1.3, PROV, UTF-8, no string table (docs/protocol.md §2)
    const CHARACTERISTIC_WITH_CONTENT = 0x46; // tag 0x06 | content flag, docs/protocol.md §1.4, §2.1
    const deep = Uint8Array.from([
      ...header,
      0x45,
      ...new Array<number>(100_000).fill(CHARACTERISTIC_WITH_CONTENT),
    ]);
    const wide = Uint8Array.from([...header, 0x45, ...new Array<number>(100_000).fill(0x07), 0x01]); // 100k empty <parm/>
    const result = fuzz(
      [deep, deep.subarray(0, 5000), wide],
      (bytes) => decodeWbxml(bytes),
      hex,
      (bytes) => bytes.length,
    );
    expect(result.findings, JSON.stringify(result.findings.slice(0, 2))).toEqual([]);
  });

  it('decodeWspPush', () => {
    const result = fuzz(
      byteInputs(new SeededRandom(SEED + 3), wsps, INPUTS_PER_DECODER),
      decodeWspPush,
      hex,
      (b) => b.length,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER);
  });

  it('decodeUdh', () => {
    const structured = (r: SeededRandom): Uint8Array => {
      // UDHL + random information elements (IEI, IEDL, data), sometimes with a wrong IEDL
      const elements: number[] = [];
      const count = r.int(0, 5);
      for (let i = 0; i < count; i++) {
        const iei = r.pick([0x00, 0x04, 0x05, 0x08, r.int(0, 255)]);
        const length = r.pick([0, 1, 2, 3, 4, 6, r.int(0, 20)]);
        elements.push(iei, r.chance(0.9) ? length : r.int(0, 255), ...r.bytes(length));
      }
      return Uint8Array.from([
        r.chance(0.9) ? elements.length : r.int(0, 255),
        ...elements,
        ...r.bytes(r.int(0, 20)),
      ]);
    };
    const result = fuzz(
      byteInputs(new SeededRandom(SEED + 4), tpuds, INPUTS_PER_DECODER, structured),
      decodeUdh,
      hex,
      (b) => b.length,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER);
  });

  /** Sets of parts as a handset may receive them: damaged, lost, repeated, mixed with other messages. */
  function* partSets(r: SeededRandom, count: number): Generator<Uint8Array[]> {
    for (let i = 0; i < count; i++) {
      const push = r.pick(pushes);
      let parts = r.shuffle(push.tpuds);
      const choice = r.next();
      if (choice < 0.35) parts = parts.map((part) => (r.chance(0.3) ? mutate(r, part, tpuds) : part));
      else if (choice < 0.5 && parts.length > 0) parts.splice(r.int(0, parts.length - 1), 1);
      else if (choice < 0.6 && parts.length > 0) parts.push(r.pick(parts));
      else if (choice < 0.7) parts.push(...r.pick(pushes).tpuds.slice(0, r.int(1, 3)));
      else if (choice < 0.8) parts = Array.from({ length: r.int(0, 4) }, () => r.bytes(r.int(0, 140)));
      else if (choice < 0.9)
        parts = parts.map((part) => (r.chance(0.5) ? part.slice(0, r.int(0, part.length)) : part));
      yield parts;
    }
  }

  const describeParts = (parts: Uint8Array[]): string => `[${parts.map(hex).join(', ')}]`;

  it('reassembleSegments', () => {
    const result = fuzz(
      partSets(new SeededRandom(SEED + 5), INPUTS_PER_DECODER),
      reassembleSegments,
      describeParts,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER);
  });

  it('SegmentAssembler', () => {
    const assembler = new SegmentAssembler({ maxPendingMessages: 16 });
    const r = new SeededRandom(SEED + 6);
    const stream = [...partSets(r, INPUTS_PER_DECODER / 4)].flat();
    const result = fuzz(
      stream,
      (part) => assembler.accept(r.pick(['a', 'b']), part),
      hex,
      (b) => b.length,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER / 2);
  });

  const credentialChoices = (r: SeededRandom, push: ValidPush) =>
    r.pick([
      push.credentials,
      {},
      { imsi: r.digits(15), pin: r.digits(4) },
      { imsi: 'not an imsi', pin: '' },
      { imsi: r.digits(r.int(0, 20)) },
      { pin: r.stringFrom('0123456789é\u0000', r.int(0, 12)) },
    ]);

  it('unpackSegments', () => {
    const r = new SeededRandom(SEED + 7);
    const cases = [...partSets(r, INPUTS_PER_DECODER)].map((parts) => ({
      parts,
      credentials: credentialChoices(r, r.pick(pushes)),
    }));
    const result = fuzz(
      cases,
      ({ parts, credentials }) => unpackSegments(parts, credentials),
      ({ parts, credentials }) => `${describeParts(parts)} with ${JSON.stringify(credentials)}`,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER);
  });

  it('unpackWsp', () => {
    const r = new SeededRandom(SEED + 8);
    const cases = [...byteInputs(r, wsps, INPUTS_PER_DECODER)].map((wsp) => ({
      wsp,
      credentials: credentialChoices(r, r.pick(pushes)),
    }));
    const result = fuzz(
      cases,
      ({ wsp, credentials }) => unpackWsp(wsp, credentials),
      ({ wsp, credentials }) => `${hex(wsp)} with ${JSON.stringify(credentials)}`,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER);
  });

  it('unpackWsp with textual (XML) content types and damaged XML bodies', () => {
    const r = new SeededRandom(SEED + 9);
    const textTypes = ['text/vnd.wap.connectivity-xml', 'text/vnd.wap.si', 'text/vnd.wap.sl'];
    const cases = Array.from({ length: INPUTS_PER_DECODER / 4 }, () => {
      const push = r.pick(pushes);
      const xml = r.chance(0.7) ? mutateText(r, push.xml) : r.chance(0.5) ? push.xml : randomXmlishText(r);
      return encodeWspPush({
        transactionId: 1,
        contentType: { mediaType: r.pick(textTypes), parameters: [] },
        body: new TextEncoder().encode(xml),
      });
    });
    const result = fuzz(cases, (wsp) => unpackWsp(wsp), hex);
    expect(result.findings, JSON.stringify(result.findings.slice(0, 3), null, 1)).toEqual([]);
  });

  it('decodeDmNotification and verifyDmNotification', () => {
    const r = new SeededRandom(SEED + 11);
    const credentials = { serverPassword: 'srvpw', nonce: Uint8Array.from([0, 0, 0, 0]) };
    const valid = Array.from({ length: 20 }, () =>
      encodeDmNotification(
        {
          uiMode: r.pick(DM_UI_MODES),
          initiator: r.pick(DM_INITIATORS),
          sessionId: r.int(0, 0xffff),
          serverId: r.pick(['com.example.dm', 'dm.northwind.example', 'Ω-server', 'x'.repeat(255)]),
          vendorSpecific: r.bytes(r.int(0, 8)),
        },
        credentials,
      ),
    );
    const result = fuzz(
      byteInputs(r, valid, INPUTS_PER_DECODER),
      (bytes) => {
        decodeDmNotification(bytes);
        verifyDmNotification(bytes, credentials);
      },
      hex,
      (bytes) => bytes.length,
    );
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER, 2);
  });

  it('parseXml', () => {
    const r = new SeededRandom(SEED + 10);
    const texts = pushes.map((push) => push.xml);
    const inputs = Array.from({ length: INPUTS_PER_DECODER }, () =>
      r.chance(0.5) ? randomXmlishText(r) : mutateText(r, r.pick(texts)),
    );
    const result = fuzz(inputs, parseXml, (text) => JSON.stringify(text.slice(0, 300)));
    expectOnlyCodecErrors(result, INPUTS_PER_DECODER, 1);
  });

  it('unpackWsp and parseXml on deeply nested XML', () => {
    const depth = 50_000;
    const nested = `<si>${'<indication>'.repeat(depth)}${'</indication>'.repeat(depth)}</si>`;
    const wsp = encodeWspPush({
      transactionId: 1,
      contentType: { mediaType: 'text/vnd.wap.si', parameters: [] },
      body: new TextEncoder().encode(nested),
    });
    const result = fuzz([() => parseXml(nested), () => unpackWsp(wsp)], (run) => run(), String);
    expect(result.findings, JSON.stringify(result.findings, null, 1)).toEqual([]);
  });
});
