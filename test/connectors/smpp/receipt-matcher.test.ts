import { describe, expect, it } from 'vitest';
import { ReceiptMatcher } from '../../../src/connectors/smpp/receipt-matcher.ts';
import type { DeliveryReport, DeliveryState } from '../../../src/connectors/types.ts';

function receipt(messageId: string, state: DeliveryState, bindId = 'smsc/0'): DeliveryReport {
  return { smscId: 'smsc', messageId, rawMessageId: messageId, state, source: 'text', bindId };
}

function matcher(parkMs = 1000) {
  const emitted: DeliveryReport[] = [];
  const instance = new ReceiptMatcher({ parkMs, trackMs: 60_000, trackMax: 100 }, (r) => emitted.push(r));
  return { instance, emitted };
}

const segment = (pushId: string, segmentIndex = 1) => ({
  pushId,
  segmentIndex,
  destination: '447700900001',
  bindId: 'smsc/0',
});

describe('ReceiptMatcher', () => {
  it('matches a receipt to the segment that got its id', () => {
    const { instance, emitted } = matcher();
    instance.register('42', segment('push-1', 2), 0);
    instance.receive(receipt('42', 'delivered'), 10);
    expect(emitted).toEqual([{ ...receipt('42', 'delivered'), pushId: 'push-1', segmentIndex: 2 }]);
  });

  it('parks a receipt that overtook its submit response and matches it when the id arrives', () => {
    const { instance, emitted } = matcher();
    instance.receive(receipt('42', 'delivered'), 0);
    expect(emitted).toHaveLength(0);
    instance.register('42', segment('push-1'), 5);
    expect(emitted.map((r) => r.pushId)).toEqual(['push-1']);
  });

  it('drops a duplicated receipt, also when both copies were parked', () => {
    const { instance, emitted } = matcher();
    instance.receive(receipt('42', 'delivered'), 0);
    instance.receive(receipt('42', 'delivered', 'smsc/1'), 1);
    instance.register('42', segment('push-1'), 2);
    instance.receive(receipt('42', 'delivered'), 3);
    expect(emitted).toHaveLength(1);
    expect(instance.counters().duplicatesDropped).toBe(2);
  });

  it('drops an intermediate state that arrives after the final one', () => {
    const { instance, emitted } = matcher();
    instance.register('42', segment('push-1'), 0);
    instance.receive(receipt('42', 'delivered'), 1);
    instance.receive(receipt('42', 'enroute'), 2);
    expect(emitted.map((r) => r.state)).toEqual(['delivered']);
  });

  it('passes intermediate states before the final one, each once', () => {
    const { instance, emitted } = matcher();
    instance.register('42', segment('push-1'), 0);
    instance.receive(receipt('42', 'enroute'), 1);
    instance.receive(receipt('42', 'enroute'), 2);
    instance.receive(receipt('42', 'delivered'), 3);
    expect(emitted.map((r) => r.state)).toEqual(['enroute', 'delivered']);
  });

  it('emits a receipt nobody claims after the parking time, unmatched and only once', () => {
    const { instance, emitted } = matcher(100);
    instance.receive(receipt('7', 'failed'), 0);
    instance.sweep(50);
    expect(emitted).toHaveLength(0);
    instance.sweep(100);
    expect(emitted).toEqual([receipt('7', 'failed')]);
    instance.receive(receipt('7', 'failed'), 150);
    instance.sweep(300);
    expect(emitted).toHaveLength(1);
    expect(instance.counters()).toMatchObject({ unmatched: 1, duplicatesDropped: 1, parked: 0 });
  });

  it('forgets submitted ids beyond its size limit, oldest first', () => {
    const emitted: DeliveryReport[] = [];
    const instance = new ReceiptMatcher({ parkMs: 10, trackMs: 60_000, trackMax: 2 }, (r) => emitted.push(r));
    instance.register('1', segment('a'), 0);
    instance.register('2', segment('b'), 0);
    instance.register('3', segment('c'), 0);
    instance.receive(receipt('1', 'delivered'), 1);
    instance.receive(receipt('3', 'delivered'), 1);
    expect(emitted.map((r) => r.pushId)).toEqual(['c']);
  });
});

describe('ReceiptMatcher limits', () => {
  it('releases the oldest parked receipt unmatched when too many wait', () => {
    const emitted: DeliveryReport[] = [];
    const instance = new ReceiptMatcher({ parkMs: 60_000, trackMs: 60_000, trackMax: 2 }, (r) =>
      emitted.push(r),
    );
    instance.receive(receipt('1', 'delivered'), 0);
    instance.receive(receipt('2', 'delivered'), 0);
    expect(emitted).toHaveLength(0);
    instance.receive(receipt('3', 'delivered'), 0);
    expect(emitted.map((r) => r.messageId)).toEqual(['1']);
    expect(instance.counters().parked).toBe(2);
  });
});
