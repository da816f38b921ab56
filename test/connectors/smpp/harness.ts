/**
 * Test harness: an SmppConnector bound over loopback to the in-process SMSC simulator, with short
 * timers, and helpers to build pushes and wait for events.
 */
import { WAP_CL_SESSION_PORT, WAP_PUSH_PORT } from '../../../codecs/sms/ports.ts';
import { encodeUdh } from '../../../codecs/sms/udh.ts';
import { parseSmscConfig, type SmscConfigInput } from '../../../src/connectors/config.ts';
import { SmppConnector, type SmppConnectorOptions } from '../../../src/connectors/smpp/smpp-connector.ts';
import type {
  BindStatus,
  DeliveryReport,
  MoMessage,
  OutboundPush,
  SmsSegment,
} from '../../../src/connectors/types.ts';
import { startSmscSimulator, type SimBehaviour, type SmscSimulator } from '../../../src/smsc-sim/index.ts';

/** SMPP 3.4 limits: system_id ≤15, password ≤8 characters (docs/protocol.md §6.2). */
export const ACCOUNT = { systemId: 'otagw-test', password: 'pw-test1' };

export interface Harness {
  sim: SmscSimulator;
  connector: SmppConnector;
  receipts: DeliveryReport[];
  mos: MoMessage[];
  bindStates: BindStatus[];
  close(): Promise<void>;
}

/** Short timers so that failure paths run in milliseconds. */
export const FAST_TIMERS: Partial<SmscConfigInput> = {
  connectTimeoutMs: 1000,
  bindTimeoutMs: 1000,
  responseTimeoutMs: 1000,
  queueTimeoutMs: 5000,
  enquireLinkIntervalMs: 5000,
  enquireLinkTimeoutMs: 1000,
  reconnectMinMs: 20,
  reconnectMaxMs: 200,
  drainTimeoutMs: 500,
  unbindTimeoutMs: 200,
  receiptParkMs: 2000,
};

export async function startHarness(
  behaviour: Partial<SimBehaviour> = {},
  config: Partial<SmscConfigInput> = {},
  options: SmppConnectorOptions & { start?: boolean } = {},
): Promise<Harness> {
  const sim = await startSmscSimulator({
    accounts: [ACCOUNT],
    behaviour: { handsetEnabled: false, ...behaviour },
  });
  const connector = new SmppConnector(
    parseSmscConfig({
      host: '127.0.0.1',
      port: sim.port,
      systemId: ACCOUNT.systemId,
      password: ACCOUNT.password,
      msgIdResp: 'dec',
      msgIdReceipt: 'dec',
      ...FAST_TIMERS,
      ...config,
    }),
    options,
  );
  const receipts: DeliveryReport[] = [];
  const mos: MoMessage[] = [];
  const bindStates: BindStatus[] = [];
  connector.on('receipt', (report) => receipts.push(report));
  connector.on('mo', (message) => mos.push(message));
  connector.on('bind-state', (status) => bindStates.push(status));
  if (options.start !== false) await connector.start();
  return {
    sim,
    connector,
    receipts,
    mos,
    bindStates,
    async close() {
      await connector.stop();
      await sim.close();
    },
  };
}

/**
 * A push of `count` segments carrying a few payload octets each (not a real WSP push), with the UDH of
 * docs/protocol.md §5.2 (16-bit ports, 8-bit concatenation) and the same addressing as TLVs.
 */
export function pushOf(id: string, destination: string, count = 1): OutboundPush {
  const reference = id.length % 256;
  const ports = { type: 'ports16', destinationPort: WAP_PUSH_PORT, sourcePort: WAP_CL_SESSION_PORT } as const;
  const segments: SmsSegment[] = [];
  for (let index = 1; index <= count; index++) {
    const udh = encodeUdh([ports, { type: 'concat8', reference, total: count, index }]);
    const payload = [0x01, 0x06, index]; // WSP transaction id, PDU type push (docs/protocol.md §4), a marker
    segments.push({
      index,
      total: count,
      reference,
      tpud: Uint8Array.from([...udh, ...payload]),
      udhi: true,
      tlv: {
        sourcePort: WAP_CL_SESSION_PORT,
        destinationPort: WAP_PUSH_PORT,
        sarMsgRefNum: reference,
        sarTotalSegments: count,
        sarSegmentSeqnum: index,
      },
    });
  }
  return { id, destination, segments };
}

/** Polls until `predicate` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
