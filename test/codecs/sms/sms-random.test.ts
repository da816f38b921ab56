import { describe, it } from 'vitest';
import { fromHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { SegmentAssembler, reassembleSegments } from '../../../codecs/sms/reassemble.ts';
import { segmentDatagram } from '../../../codecs/sms/segment.ts';
import { decodeUdh } from '../../../codecs/sms/udh.ts';
import { SeededRandom } from '../../support/seeded-random.ts';

function onlyCodecError(run: () => unknown, input: () => string): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof CodecError)) throw new Error(`non-CodecError for ${input()}`, { cause: error });
  }
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Golden TP-UDs: docs/protocol.md §4.7 single SMS and a 3-part concatenated message in docs/protocol.md §5.2 layout. */
const GOLDEN_TPUDS = [
  fromHex('0605040b8423f0' + '010601b6'),
  fromHex('0b0504c34fc002' + '0003' + '070301' + 'aa'),
  fromHex('0c0504' + '0b8423f0' + '0804' + '12340504' + 'bb'),
];

/** A random TP-UD that often looks like a UDH: a plausible UDHL and known IEIs. */
function plausibleTpud(random: SeededRandom): Uint8Array {
  const bytes = random.bytes(random.int(0, 40));
  if (bytes.length > 0 && random.chance(0.7)) bytes[0] = random.int(0, Math.min(bytes.length, 20));
  for (let i = 1; i < bytes.length; i++)
    if (random.chance(0.2)) bytes[i] = random.pick([0x00, 0x04, 0x05, 0x08, 0x03, 0x04]);
  return bytes;
}

describe('SMS decoders on hostile input', () => {
  it('decodeUdh throws only CodecError for random bytes', () => {
    const random = new SeededRandom(0x5eed_0101);
    for (let i = 0; i < 5000; i++) {
      const bytes = plausibleTpud(random);
      onlyCodecError(
        () => decodeUdh(bytes),
        () => hexOf(bytes),
      );
    }
  });

  it('reassembleSegments throws only CodecError for random sets of parts', () => {
    const random = new SeededRandom(0x5eed_0102);
    for (let i = 0; i < 3000; i++) {
      const parts = Array.from({ length: random.int(0, 4) }, () => plausibleTpud(random));
      onlyCodecError(
        () => reassembleSegments(parts),
        () => parts.map(hexOf).join(' '),
      );
    }
  });

  it('SegmentAssembler throws only CodecError for a random stream', () => {
    const random = new SeededRandom(0x5eed_0103);
    const assembler = new SegmentAssembler({ maxPendingMessages: 16 });
    for (let i = 0; i < 5000; i++) {
      const bytes = plausibleTpud(random);
      onlyCodecError(
        () => assembler.accept(random.pick(['a', 'b']), bytes),
        () => hexOf(bytes),
      );
    }
  });

  it('throws only CodecError for every truncation and mutation of golden and generated parts', () => {
    const random = new SeededRandom(0x5eed_0104);
    const generated = segmentDatagram(random.bytes(400), {
      destinationPort: 2948,
      sourcePort: 9200,
      reference: 3,
    }).map((segment) => segment.tpud);
    for (const tpud of [...GOLDEN_TPUDS, ...generated]) {
      for (let length = 0; length <= tpud.length; length++) {
        const cut = tpud.subarray(0, length);
        onlyCodecError(
          () => decodeUdh(cut),
          () => hexOf(cut),
        );
        onlyCodecError(
          () => reassembleSegments([cut]),
          () => hexOf(cut),
        );
        onlyCodecError(
          () => reassembleSegments([...generated.slice(1), cut]),
          () => hexOf(cut),
        );
      }
      for (let i = 0; i < 200; i++) {
        const mutated = tpud.slice();
        mutated[random.int(0, mutated.length - 1)] = random.int(0, 255);
        onlyCodecError(
          () => reassembleSegments([mutated, ...generated.slice(1)]),
          () => hexOf(mutated),
        );
      }
    }
  });
});
