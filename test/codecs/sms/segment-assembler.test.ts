import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { WAP_CL_SESSION_PORT, WAP_PUSH_PORT } from '../../../codecs/sms/ports.ts';
import { SegmentAssembler, type ReassembledDatagram } from '../../../codecs/sms/reassemble.ts';
import { segmentDatagram, type SegmentOptions } from '../../../codecs/sms/segment.ts';
import { SeededRandom } from '../../support/seeded-random.ts';
import { permutations } from './permutations.ts';

const WAP_PUSH: SegmentOptions = {
  destinationPort: WAP_PUSH_PORT,
  sourcePort: WAP_CL_SESSION_PORT,
  reference: 5,
};
const HANDSET = '+15550001';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  throw new Error('expected a CodecError');
}

describe('SegmentAssembler, one part at a time', () => {
  const payload = new SeededRandom(21).bytes(500); // 4 parts of 128
  const tpuds = segmentDatagram(payload, WAP_PUSH).map((segment) => segment.tpud);

  it('yields the datagram exactly when the last of 4 parts arrives, in every one of the 24 orders', () => {
    expect(tpuds).toHaveLength(4);
    for (const order of permutations(tpuds)) {
      const assembler = new SegmentAssembler();
      const results = order.map((tpud) => assembler.accept(HANDSET, tpud));
      expect(results.slice(0, 3)).toEqual([undefined, undefined, undefined]);
      expect(results[3]).toEqual({
        destinationPort: WAP_PUSH_PORT,
        sourcePort: WAP_CL_SESSION_PORT,
        reference: 5,
        payload,
      });
      expect(assembler.pendingMessages).toBe(0);
    }
  });

  it('yields a single SMS at once', () => {
    const single = segmentDatagram(fromHex('010601b6'), WAP_PUSH)[0].tpud;
    expect(new SegmentAssembler().accept(HANDSET, single)).toEqual({
      destinationPort: WAP_PUSH_PORT,
      sourcePort: WAP_CL_SESSION_PORT,
      payload: fromHex('010601b6'),
    });
  });

  it('keeps messages from different origins and references apart while they interleave', () => {
    const random = new SeededRandom(77);
    const messages = [
      { origin: 'A', reference: 1 },
      { origin: 'B', reference: 1 },
      { origin: 'A', reference: 2 },
      { origin: 'A', reference: 1, referenceBits: 16 as const },
    ].map((message) => {
      const data = random.bytes(random.int(200, 700));
      const segments = segmentDatagram(data, {
        ...WAP_PUSH,
        reference: message.reference,
        referenceBits: message.referenceBits,
      });
      return { ...message, data, segments };
    });
    const arrivals = random.shuffle(
      messages.flatMap((message) =>
        message.segments.map((segment) => ({ origin: message.origin, tpud: segment.tpud })),
      ),
    );
    const assembler = new SegmentAssembler();
    const completed: ReassembledDatagram[] = [];
    for (const arrival of arrivals) {
      const result = assembler.accept(arrival.origin, arrival.tpud);
      if (result) completed.push(result);
    }
    expect(completed.map((result) => toHex(result.payload)).sort()).toEqual(
      messages.map((message) => toHex(message.data)).sort(),
    );
    expect(assembler.pendingMessages).toBe(0);
  });

  it('takes SmsSegment objects and TLV-mode parts ({ payload, tlv }) in any order', () => {
    const data = new SeededRandom(4).bytes(400);
    const segments = segmentDatagram(data, { ...WAP_PUSH, mode: 'tlv', reference: 0x0abc });
    for (const order of permutations(segments)) {
      const assembler = new SegmentAssembler();
      const results = order.map((segment, i) =>
        i % 2 === 0
          ? assembler.accept(HANDSET, segment)
          : assembler.accept(HANDSET, { payload: segment.tpud, tlv: segment.tlv }),
      );
      expect(results.filter(Boolean)).toEqual([
        { destinationPort: WAP_PUSH_PORT, sourcePort: WAP_CL_SESSION_PORT, reference: 0x0abc, payload: data },
      ]);
    }
  });

  it('ignores a repeated part with the same bytes (an SMSC retransmission)', () => {
    const assembler = new SegmentAssembler();
    expect(assembler.accept(HANDSET, tpuds[0])).toBeUndefined();
    expect(assembler.accept(HANDSET, tpuds[0])).toBeUndefined();
    for (const tpud of tpuds.slice(1, 3)) assembler.accept(HANDSET, tpud);
    expect(assembler.accept(HANDSET, tpuds[3])?.payload).toEqual(payload);
  });

  it('rejects a repeated part with different bytes and keeps what it holds', () => {
    const assembler = new SegmentAssembler();
    assembler.accept(HANDSET, tpuds[0]);
    const altered = tpuds[0].slice();
    altered[altered.length - 1] ^= 0xff;
    expect(codeOf(() => assembler.accept(HANDSET, altered))).toBe('SMS_DUPLICATE_PART');
    for (const tpud of tpuds.slice(1, 3)) assembler.accept(HANDSET, tpud);
    expect(assembler.accept(HANDSET, tpuds[3])?.payload).toEqual(payload);
  });

  it('rejects a part that disagrees on the number of parts', () => {
    const assembler = new SegmentAssembler();
    assembler.accept(HANDSET, tpuds[0]);
    const other = segmentDatagram(new Uint8Array(300), WAP_PUSH)[1].tpud; // 3 parts, same reference
    expect(codeOf(() => assembler.accept(HANDSET, other))).toBe('SMS_MIXED_TOTALS');
    expect(assembler.pendingMessages).toBe(1);
  });

  it('rejects a part with other ports for the same message', () => {
    const assembler = new SegmentAssembler();
    assembler.accept(HANDSET, tpuds[0]);
    const other = segmentDatagram(new Uint8Array(500), { ...WAP_PUSH, sourcePort: WAP_PUSH_PORT })[1].tpud;
    expect(codeOf(() => assembler.accept(HANDSET, other))).toBe('SMS_MIXED_PORTS');
  });

  it('rejects a part number outside 1..total', () => {
    const bad = tpuds[0].slice();
    bad[11] = 9; // part number octet of the concatenation element (UDH 0B 05 04 .. 00 03 rr tt nn)
    expect(codeOf(() => new SegmentAssembler().accept(HANDSET, bad))).toBe('SMS_PART_OUT_OF_RANGE');
  });

  it('drops the oldest incomplete message beyond maxPendingMessages', () => {
    const assembler = new SegmentAssembler({ maxPendingMessages: 2 });
    for (const reference of [1, 2, 3]) {
      assembler.accept(HANDSET, segmentDatagram(new Uint8Array(300), { ...WAP_PUSH, reference })[0].tpud);
    }
    expect(assembler.pendingMessages).toBe(2);
    // Reference 1 was dropped: its remaining parts no longer complete it.
    const rest = segmentDatagram(new Uint8Array(300), { ...WAP_PUSH, reference: 1 }).slice(1);
    expect(rest.map((segment) => assembler.accept(HANDSET, segment.tpud))).toEqual([undefined, undefined]);
  });

  it('discards the incomplete messages of one origin', () => {
    const assembler = new SegmentAssembler();
    assembler.accept('A', tpuds[0]);
    assembler.accept('B', tpuds[0]);
    expect(assembler.discard('A')).toBe(1);
    expect(assembler.pendingMessages).toBe(1);
    expect(assembler.discard('B', 99)).toBe(0);
    expect(assembler.discard('B', 5)).toBe(1);
  });
});
