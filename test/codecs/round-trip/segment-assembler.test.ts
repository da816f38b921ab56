/**
 * Property: a handset-side SegmentAssembler given the parts of many pushes — to several handsets, several
 * pushes per handset with different references and reference widths, all interleaved in random order, with
 * SMSC retransmissions (the same part twice) — hands back every push exactly once, byte for byte, and is
 * left holding nothing.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { packXml } from '../../../codecs/ota/pack.ts';
import { unpackWsp } from '../../../codecs/ota/unpack.ts';
import { SegmentAssembler } from '../../../codecs/sms/reassemble.ts';
import { GENERATED_DOCUMENT_TYPES, randomDocument } from '../../support/random-documents.ts';
import { SeededRandom, testSeed } from '../../support/seeded-random.ts';
import { treeDifference } from '../../support/tree-compare.ts';

const SEED = testSeed(0x5e6_2024);
const ROUNDS = 30;

interface Sent {
  origin: string;
  id: number;
  wsp: Uint8Array;
  parts: Uint8Array[];
}

describe('SegmentAssembler with interleaved pushes', () => {
  it.each(Array.from({ length: ROUNDS }, (_, round) => [round]))('round %i', (round) => {
    const random = new SeededRandom(SEED + round);
    const origins = Array.from({ length: random.int(1, 4) }, (_, i) => `+4477009${i}${random.digits(4)}`);
    const sent: Sent[] = [];
    for (const origin of origins) {
      // References must differ per origin among messages in flight; widths may be mixed.
      const references = random.sample(
        Array.from({ length: 256 }, (_, i) => i),
        random.int(1, 5),
      );
      for (const reference of references) {
        const type = random.pick(GENERATED_DOCUMENT_TYPES);
        const referenceBits = random.chance(0.5) ? 8 : 16;
        const packed = packXml(randomDocument(random, type), {
          sec: type === 'prov' ? 'USERPIN' : 'none',
          pin: '1234',
          reference: referenceBits === 8 ? reference : reference * 251,
          referenceBits,
        });
        sent.push({
          origin,
          id: sent.length,
          wsp: packed.wsp,
          parts: packed.segments.map((segment) => segment.tpud),
        });
      }
    }

    // Arrival order: everything shuffled; some parts retransmitted while their message is still incomplete.
    const arrivals = random.shuffle(
      sent.flatMap((message) => message.parts.map((part) => ({ message, part }))),
    );
    const lastArrival = new Map<Sent, number>();
    arrivals.forEach((arrival, position) => lastArrival.set(arrival.message, position));
    const stream: typeof arrivals = [];
    arrivals.forEach((arrival, position) => {
      stream.push(arrival);
      if (position < lastArrival.get(arrival.message)! && random.chance(0.15)) stream.push(arrival);
    });

    const assembler = new SegmentAssembler();
    const delivered = new Map<number, Uint8Array>();
    for (const { message, part } of stream) {
      const datagram = assembler.accept(message.origin, part);
      if (!datagram) continue;
      expect(delivered.has(message.id), `message ${message.id} delivered twice`).toBe(false);
      delivered.set(message.id, datagram.payload);
    }
    expect(delivered.size).toBe(sent.length);
    for (const message of sent) expect(toHex(delivered.get(message.id)!)).toBe(toHex(message.wsp));
    expect(assembler.pendingMessages).toBe(0);

    // And what came out decodes to the pushes that went in.
    for (const message of sent) {
      const unpacked = unpackWsp(delivered.get(message.id)!, { pin: '1234' });
      expect(unpacked.macValid === null || unpacked.macValid).toBe(true);
      expect(treeDifference(unpackWsp(message.wsp).root, unpacked.root)).toBeUndefined();
    }
  });
});
