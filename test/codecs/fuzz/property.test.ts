/**
 * Issue 15, Fuzzing: the decoders under a property-based fuzzer (fast-check). Random and mutated inputs
 * only ever end in the typed error of their layer (CodecError with a stable code for codecs/, issues
 * with a line for the CSV imports, undefined for receipt text that is not one), never another exception.
 * Bounded for CI: each property stops after its runs or TIME_LIMIT_MS, whichever comes first. A failure
 * prints fast-check's seed and path; OTAGW_FUZZ_SEED=<seed> replays it, OTAGW_FUZZ_SCALE=<n> hunts longer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../codecs/errors.ts';
import { packXml } from '../../../codecs/ota/pack.ts';
import { unpackSegments, unpackWsp } from '../../../codecs/ota/unpack.ts';
import { reassembleSegments } from '../../../codecs/sms/reassemble.ts';
import { decodeUdh } from '../../../codecs/sms/udh.ts';
import { decodeWbxml } from '../../../codecs/wbxml/decode-wbxml.ts';
import { decodeWspPush } from '../../../codecs/wsp/decode-wsp-push.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';
import { parseReceiptText } from '../../../src/connectors/smpp/receipt-text.ts';
import { parseCatalogueCsv } from '../../../src/devices/catalogue-csv.ts';
import { parseSubscriberCsv } from '../../../src/subscribers/subscriber-csv.ts';

const SCALE = Math.max(1, Number(process.env.OTAGW_FUZZ_SCALE ?? 1) || 1);
const TIME_LIMIT_MS = 3_000 * SCALE;
const SEED = process.env.OTAGW_FUZZ_SEED === undefined ? undefined : Number(process.env.OTAGW_FUZZ_SEED);
const STABLE_CODE = /^[A-Z][A-Z0-9_]*$/;

/** fast-check's run parameters: bounded in count and time, the seed given when replaying. */
function params(numRuns: number): fc.Parameters<unknown> {
  return { numRuns: numRuns * SCALE, interruptAfterTimeLimit: TIME_LIMIT_MS, seed: SEED, verbose: 1 };
}

/** Runs the decoder: fine when it returns, fine when it throws a CodecError with a stable code, else fails. */
function onlyCodecErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    expect(error.code).toMatch(STABLE_CODE);
  }
}

const SAMPLE_XML =
  '<wap-provisioningdoc version="1.0"><characteristic type="BOOTSTRAP">' +
  '<parm name="NAME" value="Operator"/></characteristic>' +
  '<characteristic type="NAPDEF"><parm name="NAPID" value="INTERNET"/><parm name="NAME" value="Web"/>' +
  '<parm name="NAP-ADDRESS" value="internet.example"/><parm name="NAP-ADDRTYPE" value="APN"/></characteristic>' +
  '</wap-provisioningdoc>';
const SAMPLE = packXml(SAMPLE_XML, { sec: 'NETWPIN', imsi: '262011234567890' });
const SAMPLE_TPUDS = SAMPLE.segments.map((segment) => segment.tpud);

/** Bytes of a valid encoding with some replaced, cut or inserted: the inputs that reach deepest. */
function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      edits: fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')),
        {
          maxLength: 6,
        },
      ),
      keep: fc.integer({ min: 0, max: valid.length }),
    })
    .map(({ edits, keep }) => {
      const bytes = [...valid.slice(0, keep === 0 ? valid.length : keep)];
      for (const [at, value, how] of edits) {
        const index = bytes.length === 0 ? 0 : at % bytes.length;
        if (how === 'set' && bytes.length > 0) bytes[index] = value;
        else if (how === 'cut') bytes.splice(index, 1);
        else bytes.splice(index, 0, value);
      }
      return Uint8Array.from(bytes);
    });
}

const randomBytes = fc.uint8Array({ maxLength: 400 });

describe('codecs under fast-check: only CodecError', () => {
  it('WBXML: random bytes and mutated documents', () => {
    fc.assert(
      fc.property(fc.oneof(randomBytes, mutated(SAMPLE.wbxml)), (bytes) =>
        onlyCodecErrors(() => decodeWbxml(bytes)),
      ),
      params(3000),
    );
  });

  it('WSP: random bytes and mutated push PDUs, with and without the credentials', () => {
    fc.assert(
      fc.property(fc.oneof(randomBytes, mutated(SAMPLE.wsp)), fc.boolean(), (bytes, withImsi) => {
        onlyCodecErrors(() => decodeWspPush(bytes));
        onlyCodecErrors(() => unpackWsp(bytes, withImsi ? { imsi: '262011234567890' } : {}));
      }),
      params(3000),
    );
  });

  it('UDH and segments: random headers, mutated, reordered and missing segments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(randomBytes, ...SAMPLE_TPUDS.map((tpud) => mutated(tpud))), {
          minLength: 1,
          maxLength: 6,
        }),
        (parts) => {
          for (const part of parts) onlyCodecErrors(() => decodeUdh(part));
          onlyCodecErrors(() => reassembleSegments(parts));
          onlyCodecErrors(() => unpackSegments(parts, { imsi: '262011234567890' }));
        },
      ),
      params(2000),
    );
  });

  it('XML: random text, XML-ish text and mutated documents', () => {
    const xmlish = fc
      .array(
        fc.constantFrom(
          '<',
          '>',
          '/',
          '=',
          '"',
          "'",
          '&',
          ';',
          '!',
          '?',
          '-',
          '[',
          ']',
          'a',
          ' ',
          'parm',
          '<!DOCTYPE',
          '<![CDATA[',
          '&#',
          '\u0000',
          '\ud800',
        ),
        { maxLength: 80 },
      )
      .map((parts) => parts.join(''));
    const cut = fc
      .tuple(fc.nat(SAMPLE_XML.length), fc.string({ maxLength: 5 }))
      .map(([at, insert]) => SAMPLE_XML.slice(0, at) + insert + SAMPLE_XML.slice(at));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), xmlish, cut), (text) =>
        onlyCodecErrors(() => parseXml(text)),
      ),
      params(3000),
    );
  });
});

describe('receipt text and CSV imports under fast-check: never an exception', () => {
  it('receipt text: anything is a receipt or undefined, its id never longer than the SMPP limit', () => {
    const field = fc.constantFrom(
      'id:',
      'sub:',
      'dlvrd:',
      'submit date:',
      'done date:',
      'stat:',
      'err:',
      'text:',
      ' ',
      'DELIVRD',
      '001',
      '\u0000',
    );
    const receiptish = fc
      .array(fc.oneof(field, fc.string({ maxLength: 70 })), { maxLength: 20 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), receiptish), (text) => {
        const receipt = parseReceiptText(text);
        if (receipt !== undefined) expect(receipt.id === undefined || receipt.id.length <= 65).toBe(true);
      }),
      params(5000),
    );
  });

  /** A CSV parse: issues with a line inside the text, never a throw. */
  function checkCsv(
    parse: (text: string) => { issues: Array<{ line: number }>; lines: number },
    header: string,
  ) {
    const cell = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('"', '""', ',', '\n', '\r\n', '#', '\ufeff', '\u0000', '\ud800', '1'.repeat(20)),
    );
    const csv = fc
      .array(
        fc.array(cell, { maxLength: 9 }).map((cells) => cells.join(',')),
        { maxLength: 12 },
      )
      .map((rows) => [header, ...rows].join('\n'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), csv), (text) => {
        const result = parse(text);
        const lineCount = text.split('\n').length + 1;
        for (const issue of result.issues) {
          expect(issue.line).toBeGreaterThanOrEqual(0);
          expect(issue.line).toBeLessThanOrEqual(lineCount);
        }
      }),
      params(1500),
    );
  }

  it('device catalogue CSV', () => {
    checkCsv(
      parseCatalogueCsv,
      'tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes',
    );
  });

  it('subscriber CSV', () => {
    checkCsv(parseSubscriberCsv, 'msisdn,imsi,group');
  });
});
