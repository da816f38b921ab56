import { afterEach, describe, expect, it } from 'vitest';
import { parseSmscConfig } from '../../src/connectors/config.ts';
import { createSmscConnectors } from '../../src/connectors/index.ts';
import { SmscRouter } from '../../src/connectors/router.ts';
import { SmppConnector } from '../../src/connectors/smpp/smpp-connector.ts';
import type {
  DeliveryReport,
  OutboundPush,
  SegmentMode,
  SegmentResult,
  SmscConnector,
} from '../../src/connectors/types.ts';
import { segmentDatagram } from '../../codecs/sms/segment.ts';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { ACCOUNT, FAST_TIMERS, pushOf, waitFor } from './smpp/harness.ts';

/** A connector that records what it was given; available when told so. */
class RecordingSmsc implements SmscConnector {
  readonly pushes: OutboundPush[] = [];
  available = true;
  constructor(
    readonly id: string,
    readonly mode: SegmentMode = 'udh',
  ) {}
  segmentModeFor() {
    return this.mode;
  }
  async start() {}
  async stop() {}
  async submit(push: OutboundPush): Promise<SegmentResult[]> {
    this.pushes.push(push);
    return push.segments.map((s) => ({
      index: s.index,
      ok: true,
      messageId: '1',
      smscId: this.id,
      bindId: `${this.id}/0`,
    }));
  }
  status() {
    return [];
  }
  isAvailable() {
    return this.available;
  }
  on() {
    return this;
  }
  off() {
    return this;
  }
}

describe('SmscRouter', () => {
  it('routes by the longest matching destination prefix', async () => {
    const uk = new RecordingSmsc('uk');
    const ukMobile = new RecordingSmsc('uk-mobile');
    const world = new RecordingSmsc('world');
    const router = new SmscRouter(
      [uk, ukMobile, world],
      [
        { prefix: '44', smscIds: ['uk'] },
        { prefix: '447', smscIds: ['uk-mobile'] },
        { prefix: '', smscIds: ['world'] },
      ],
    );
    await router.submit(pushOf('a', '447700900001'));
    await router.submit(pushOf('b', '+442070000000'));
    await router.submit(pushOf('c', '33612345678'));
    expect([ukMobile, uk, world].map((s) => s.pushes.map((p) => p.id))).toEqual([['a'], ['b'], ['c']]);
  });

  it('fails over to the next SMSC of the route, then to shorter prefixes, when binds are down', () => {
    const a = new RecordingSmsc('a');
    const b = new RecordingSmsc('b');
    const c = new RecordingSmsc('c');
    const router = new SmscRouter(
      [a, b, c],
      [
        { prefix: '44', smscIds: ['a', 'b'] },
        { prefix: '', smscIds: ['c'] },
      ],
    );
    expect(router.candidates('447700900001').map((s) => s.id)).toEqual(['a', 'b', 'c']);
    a.available = false;
    expect(router.route('447700900001')?.id).toBe('b');
    b.available = false;
    expect(router.route('447700900001')?.id).toBe('c');
    c.available = false;
    expect(router.route('447700900001')?.id).toBe('a');
  });

  it('fails over only to SMSCs that take segments made in the same mode', async () => {
    const udh = new RecordingSmsc('udh', 'udh');
    const tlv = new RecordingSmsc('tlv', 'tlv');
    const router = new SmscRouter([udh, tlv], [{ prefix: '', smscIds: ['udh', 'tlv'] }]);
    expect(router.segmentModeFor('447700900001')).toBe('udh');
    udh.available = false;
    expect(router.segmentModeFor('447700900001')).toBe('tlv');
    const payload = new Uint8Array(300).fill(7);
    const options = { destinationPort: 2948, sourcePort: 9200, reference: 1 };
    await router.submit({
      id: 'u',
      destination: '447700900001',
      segments: segmentDatagram(payload, options),
    });
    await router.submit({
      id: 't',
      destination: '447700900001',
      segments: segmentDatagram(payload, { ...options, mode: 'tlv' }),
    });
    expect(udh.pushes.map((p) => p.id)).toEqual(['u']);
    expect(tlv.pushes.map((p) => p.id)).toEqual(['t']);
  });

  it('sends text to whichever SMSC is up, whatever its segment mode', async () => {
    const udh = new RecordingSmsc('udh', 'udh');
    const tlv = new RecordingSmsc('tlv', 'tlv');
    const router = new SmscRouter([udh, tlv], [{ prefix: '', smscIds: ['udh', 'tlv'] }]);
    udh.available = false;
    const text = { index: 1, total: 1, reference: 0, tpud: Buffer.from('PIN 1234'), udhi: false };
    await router.submit({ id: 'pin', destination: '447700900001', kind: 'text', segments: [text] });
    expect(tlv.pushes.map((p) => p.id)).toEqual(['pin']);
  });

  it('refuses a destination no route covers', async () => {
    const router = new SmscRouter([new RecordingSmsc('uk')], [{ prefix: '44', smscIds: ['uk'] }]);
    const results = await router.submit(pushOf('x', '33612345678', 2));
    expect(results).toEqual([
      expect.objectContaining({ index: 1, ok: false, outcome: 'permanent' }),
      expect.objectContaining({ index: 2, ok: false, outcome: 'permanent' }),
    ]);
  });

  it('rejects routes to unknown SMSCs and duplicate ids', () => {
    expect(() => new SmscRouter([new RecordingSmsc('a')], [{ prefix: '', smscIds: ['b'] }])).toThrow(
      /unknown SMSC/,
    );
    expect(() => new SmscRouter([new RecordingSmsc('a'), new RecordingSmsc('a')])).toThrow(/duplicate/);
  });
});

describe('SmscRouter over two simulated SMSCs', () => {
  const sims: SmscSimulator[] = [];
  let router: SmscRouter | undefined;
  afterEach(async () => {
    await router?.stop();
    await Promise.all(sims.splice(0).map((sim) => sim.close()));
  });

  it('sends through the preferred SMSC, fails over when its binds are down, and forwards receipts from both', async () => {
    const primary = await startSmscSimulator({ accounts: [ACCOUNT], behaviour: { handsetEnabled: false } });
    const backup = await startSmscSimulator({ accounts: [ACCOUNT], behaviour: { handsetEnabled: false } });
    sims.push(primary, backup);
    const smsc = (id: string, sim: SmscSimulator) => ({
      id,
      host: '127.0.0.1',
      port: sim.port,
      ...ACCOUNT,
      ...FAST_TIMERS,
      reconnectMinMs: 200,
      reconnectMaxMs: 400,
    });
    router = createSmscConnectors({
      smscs: [parseSmscConfig(smsc('primary', primary)), parseSmscConfig(smsc('backup', backup))],
      routes: [{ prefix: '44', smscIds: ['primary', 'backup'] }],
    });
    const receipts: DeliveryReport[] = [];
    router.on('receipt', (report) => receipts.push(report));
    await router.start();
    expect(router.connector('primary')).toBeInstanceOf(SmppConnector);

    const first = await router.submit(pushOf('first', '447700900001', 2));
    expect(first.every((r) => r.ok && r.smscId === 'primary')).toBe(true);

    primary.setBehaviour({ rejectBinds: true });
    primary.dropConnections();
    await waitFor('primary down', () => !router!.connector('primary')!.isAvailable());
    const second = await router.submit(pushOf('second', '447700900002', 2));
    expect(second.every((r) => r.ok && r.smscId === 'backup')).toBe(true);

    await waitFor('four receipts', () => receipts.length === 4);
    expect(receipts.map((r) => `${r.smscId}:${r.pushId}`).sort()).toEqual([
      'backup:second',
      'backup:second',
      'primary:first',
      'primary:first',
    ]);
    expect(router.status().map((s) => s.smscId)).toEqual(['primary', 'backup']);
  });
});
