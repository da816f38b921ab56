import { describe, expect, it } from 'vitest';
import { ProportionGate, WeightedRotation } from '../../src/smsc-sim/proportions.ts';
import { TokenBucket, bucketCapacity } from '../../src/smsc-sim/token-bucket.ts';
import {
  receiptDate,
  receiptFields,
  receiptRequested,
  receiptText,
  renderMessageId,
} from '../../src/smsc-sim/receipts.ts';
import { BehaviourError, destinationErrorStatus, parseBehaviourPatch } from '../../src/smsc-sim/behaviour.ts';
import { encodeGsm7Unpacked, moFields } from '../../src/smsc-sim/mo.ts';
import { Scheduler } from '../../src/smsc-sim/scheduler.ts';

describe('ProportionGate', () => {
  it('hits exactly the given percentage, evenly spread', () => {
    const gate = new ProportionGate(25);
    const hits = Array.from({ length: 12 }, () => gate.next());
    expect(hits.filter(Boolean)).toHaveLength(3);
    expect(hits.map((hit, index) => (hit ? index : -1)).filter((index) => index >= 0)).toEqual([3, 7, 11]);
  });

  it('never hits at 0 and always hits at 100', () => {
    const never = new ProportionGate(0);
    const always = new ProportionGate(100);
    for (let i = 0; i < 10; i++) {
      expect(never.next()).toBe(false);
      expect(always.next()).toBe(true);
    }
  });
});

describe('WeightedRotation', () => {
  it('picks each key in proportion to its weight', () => {
    const rotation = new WeightedRotation([
      { key: 'UNDELIV', weight: 10 },
      { key: 'EXPIRED', weight: 20 },
      { key: 'DELIVRD', weight: 70 },
    ]);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const key = rotation.next();
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts).toEqual({ UNDELIV: 10, EXPIRED: 20, DELIVRD: 70 });
  });
});

describe('TokenBucket', () => {
  it('lets a bucket-full through, then refills at the rate', () => {
    const bucket = new TokenBucket(100, bucketCapacity(100, 50), 0); // 100/s, 5 tokens deep
    let passed = 0;
    for (let i = 0; i < 20; i++) {
      if (bucket.hasToken(0)) {
        bucket.take();
        passed++;
      }
    }
    expect(passed).toBe(5);
    expect(bucket.hasToken(5)).toBe(false); // half a token after 5 ms
    expect(bucket.hasToken(10)).toBe(true); // one token after 10 ms
  });

  it('is never shallower than one token', () => {
    expect(bucketCapacity(1, 10)).toBe(1);
  });
});

describe('receipts', () => {
  const content = {
    format: 'both' as const,
    stat: 'UNDELIV' as const,
    textId: '268435466',
    tlvId: '1000000a',
    submittedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
    doneAt: Date.UTC(2024, 0, 2, 3, 5, 0),
    originalText: 'hello',
    sourceAddr: '12345',
    sourceAddrTon: 5,
    sourceAddrNpi: 0,
    destinationAddr: '447700900001',
    destinationAddrTon: 1,
    destinationAddrNpi: 1,
  };

  it('writes the receipt text of docs/protocol.md §6.6', () => {
    expect(receiptText(content)).toBe(
      'id:268435466 sub:001 dlvrd:000 submit date:2401020304 done date:2401020305 stat:UNDELIV err:001 text:hello',
    );
  });

  it('formats dates as YYMMDDhhmm in UTC', () => {
    expect(receiptDate(Date.UTC(2009, 11, 31, 23, 59, 59))).toBe('0912312359');
  });

  it('carries receipted_message_id, message_state and network_error_code as TLVs', () => {
    const fields = receiptFields(content);
    expect(fields.esm_class).toBe(0x04);
    expect(fields.receipted_message_id).toBe('1000000a');
    expect(fields.message_state).toBe(5);
    expect([...(fields.network_error_code as Buffer)]).toEqual([3, 0, 1]);
    expect(fields.source_addr).toBe('447700900001');
    expect(fields.destination_addr).toBe('12345');
  });

  it('leaves TLVs out in text format and text out in TLV format', () => {
    expect(receiptFields({ ...content, format: 'text' }).receipted_message_id).toBeUndefined();
    expect((receiptFields({ ...content, format: 'tlv' }).short_message as Buffer).length).toBe(0);
  });

  it('follows registered_delivery', () => {
    expect(receiptRequested(0, 'DELIVRD')).toBe(false);
    expect(receiptRequested(1, 'DELIVRD')).toBe(true);
    expect(receiptRequested(1, 'UNDELIV')).toBe(true);
    expect(receiptRequested(2, 'DELIVRD')).toBe(false);
    expect(receiptRequested(2, 'EXPIRED')).toBe(true);
    expect(receiptRequested(3, 'DELIVRD')).toBe(true);
    expect(receiptRequested(0x11, 'DELIVRD')).toBe(true); // intermediate-notification bit set too
  });

  it('renders one message number in either base', () => {
    const style = { hexUppercase: false, idMinLength: 0 };
    expect(renderMessageId(0x1000000a, 'dec', style)).toBe('268435466');
    expect(renderMessageId(0x1000000a, 'hex', style)).toBe('1000000a');
    expect(renderMessageId(0x1000000a, 'hex', { hexUppercase: true, idMinLength: 12 })).toBe('00001000000A');
  });
});

describe('behaviour patches', () => {
  it('accepts a valid patch', () => {
    expect(
      parseBehaviourPatch({
        receiptDelayMs: 5,
        destinationErrors: [{ prefix: '99', status: 'ESME_RINVDSTADR' }],
      }),
    ).toEqual({
      receiptDelayMs: 5,
      destinationErrors: [{ prefix: '99', status: 'ESME_RINVDSTADR' }],
    });
  });

  it('lists every problem with code INVALID_BEHAVIOUR', () => {
    let caught: unknown;
    try {
      parseBehaviourPatch({
        receiptDelayMs: -1,
        noSuchThing: true,
        receiptOutcomes: [{ regex: '(a+)+$', stat: 'DELIVRD' }], // regexes are refused (globs only)
        destinationErrors: [{ prefix: '1', status: 'ESME_NOPE' }],
        receiptOutcomeMix: { UNDELIV: 60, EXPIRED: 50 },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BehaviourError);
    expect((caught as BehaviourError).code).toBe('INVALID_BEHAVIOUR');
    expect((caught as BehaviourError).details.length).toBeGreaterThanOrEqual(5);
  });
});

describe('destinationErrors statuses', () => {
  it('are read as the connector reads command_status names (command-status.ts)', () => {
    expect(destinationErrorStatus('ESME_RINVDSTADR')).toBe(0x0b);
    expect(destinationErrorStatus('ESME_RINVTLVSTREAM')).toBe(0xc0); // node-smpp's SMPP 5.0 name
    expect(destinationErrorStatus('0x14')).toBe(0x14);
    expect(destinationErrorStatus(0x45)).toBe(0x45);
    expect(destinationErrorStatus('nonsense')).toBeUndefined();
  });
});

describe('MO encoding', () => {
  it('uses the GSM default alphabet, one septet per octet, with escapes for the extension table', () => {
    expect([...(encodeGsm7Unpacked('@a€') as Buffer)]).toEqual([0x00, 0x61, 0x1b, 0x65]);
    expect(encodeGsm7Unpacked('Ж')).toBeNull();
  });

  it('picks data_coding by the text unless told', () => {
    expect(moFields({ from: '1', to: '2', text: 'HELP' }).data_coding).toBe(0x00);
    expect(moFields({ from: '1', to: '2', text: 'Привет' }).data_coding).toBe(0x08);
    expect(moFields({ from: '1', to: '2', text: 'café', coding: 'latin1' }).data_coding).toBe(0x03);
  });

  it('marks USSD with ussd_service_op', () => {
    const fields = moFields({ from: '1', to: '*123#', text: '*123#', ussd: {} });
    expect(fields.ussd_service_op).toBe(1); // PSSR indication
    expect(fields.service_type).toBe('USSD');
  });

  it('moves long text to message_payload', () => {
    const fields = moFields({ from: '1', to: '2', text: 'x'.repeat(300) });
    expect((fields.short_message as Buffer).length).toBe(0);
    expect((fields.message_payload as Buffer).length).toBe(300);
  });
});

describe('Scheduler', () => {
  it('runs jobs in due order even when a later job has a shorter delay', async () => {
    const scheduler = new Scheduler();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      scheduler.at(30, () => order.push('slow'));
      scheduler.at(5, () => order.push('fast'));
      scheduler.at(0, () => order.push('now'));
      scheduler.at(40, () => resolve());
    });
    expect(order).toEqual(['now', 'fast', 'slow']);
    scheduler.close();
  });
});
