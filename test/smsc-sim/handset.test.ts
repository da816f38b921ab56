import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../codecs/bytes/hex.ts';
import { packXml } from '../../codecs/ota/pack.ts';
import { ESM_CLASS_UDHI } from '../../src/connectors/smpp/protocol.ts';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { publicVectors } from '../support/fixtures.ts';
import { TestClient } from './smpp-test-client.ts';

const vectors = publicVectors();
const vector = (name: string) => vectors.find((entry) => entry.name === name)!;

/** 8-bit data coding (docs/protocol.md §5.3). */
const DCS_8BIT = 0x04;
const DCS_8BIT_CLASS_1 = 0xf5;
/** UDH elements (docs/protocol.md §5.1): 16-bit ports, 8-bit-reference concatenation. */
const IEI_PORTS_16BIT = 0x05;
const IEI_CONCAT_8BIT = 0x00;
const NOKIA_OTA_PORT = [0xc3, 0x4f]; // 49999, docs/protocol.md §5.1
const NOKIA_SOURCE_PORT = [0xc0, 0x02]; // 49154
/** WSP push header for a signed OMA CP document: TID 01, Push, headers length 0x2F, general form 1F 2D, B6, SEC 91 8s, MAC 92 (docs/protocol.md §4.6). */
const SIGNED_CP_WSP_HEADER = [0x01, 0x06, 0x2f, 0x1f, 0x2d, 0xb6, 0x91, 0x80, 0x92];
const WAP_PUSH_UDH = [0x06, IEI_PORTS_16BIT, 0x04, 0x0b, 0x84, 0x23, 0xf0]; // docs/protocol.md §4.7

const MSISDN = '447700900123';

let sim: SmscSimulator;
const clients: TestClient[] = [];
async function bound(): Promise<TestClient> {
  const client = await TestClient.bound(sim.port);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await sim?.close();
});

/** The smsj Nokia OTA bookmark (public-vectors.json), split by hand into two concatenated SMS. */
function nokiaBookmarkInTwoParts(reference: number): Buffer[] {
  const body = fromHex(vector('nokia-ota-bookmark').tpud_without_udh as string);
  const half = Math.ceil(body.length / 2);
  const udh = (index: number) => [
    11, // UDHL: ports (6) + concatenation (5)
    IEI_PORTS_16BIT,
    4,
    ...NOKIA_OTA_PORT,
    ...NOKIA_SOURCE_PORT,
    IEI_CONCAT_8BIT,
    3,
    reference,
    2,
    index,
  ];
  return [
    Buffer.concat([Buffer.from(udh(1)), body.subarray(0, half)]),
    Buffer.concat([Buffer.from(udh(2)), body.subarray(half)]),
  ];
}

/** docs/protocol.md §4.7: an empty provisioning document signed NETWPIN, as one SMS (public IMSI and MAC). */
function signedEmptyDocument(): { tpud: Buffer; imsi: string } {
  const netwpin = vector('netwpin-empty-doc');
  const wsp = Buffer.concat([
    Buffer.from(SIGNED_CP_WSP_HEADER),
    Buffer.from(`${netwpin.mac as string}\u0000`, 'latin1'),
    fromHex(netwpin.wbxml as string),
  ]);
  return { tpud: Buffer.concat([Buffer.from(WAP_PUSH_UDH), wsp]), imsi: netwpin.imsi as string };
}

describe('virtual handset', () => {
  it('reassembles a two-part Nokia OTA bookmark in either order and decodes it as a phone would', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    const [first, second] = nokiaBookmarkInTwoParts(0x42);
    const responses = [
      await client.submit({
        destination_addr: MSISDN,
        esm_class: ESM_CLASS_UDHI,
        data_coding: DCS_8BIT_CLASS_1,
        short_message: second,
      }),
      await client.submit({
        destination_addr: MSISDN,
        esm_class: ESM_CLASS_UDHI,
        data_coding: DCS_8BIT_CLASS_1,
        short_message: first,
      }),
    ];
    const [push] = await sim.handset(MSISDN).waitFor(1, 2000);
    expect(push).toMatchObject({
      segments: 2,
      messageIds: [responses[1].message_id, responses[0].message_id],
      destinationPort: 49999,
      sourcePort: 49154,
      contentType: 'application/x-wap-prov.browser-settings',
      documentType: 'nokia-ota',
      sec: null,
      macValid: null,
      status: 'needs-user-confirmation',
      accepted: true,
      errorCode: null,
    });
    expect(push.xml).toContain('<PARM NAME="URL" VALUE="http://wap.dk"/>');
    expect(push.xml?.replace(/\s+(?=<)/g, '')).toBe(vector('nokia-ota-bookmark').xml);
  });

  it('verifies a NETWPIN MAC with the subscriber IMSI it knows', async () => {
    const { tpud, imsi } = signedEmptyDocument();
    sim = await startSmscSimulator({ subscribers: { [MSISDN]: { imsi } } });
    const client = await bound();
    await client.submit({
      destination_addr: MSISDN,
      esm_class: ESM_CLASS_UDHI,
      data_coding: DCS_8BIT,
      short_message: tpud,
    });
    const [push] = await sim.handset(`+${MSISDN}`).waitFor(1, 2000);
    expect(push).toMatchObject({
      segments: 1,
      contentType: 'application/vnd.wap.connectivity-wbxml',
      sec: 'NETWPIN',
      mac: vector('netwpin-empty-doc').mac,
      macValid: true,
      status: 'accepted',
      accepted: true,
    });
  });

  it('refuses a MAC that does not match the IMSI, and cannot check one without credentials', async () => {
    const { tpud } = signedEmptyDocument();
    sim = await startSmscSimulator({ subscribers: { '447700900999': { imsi: '234150000000001' } } });
    const client = await bound();
    await client.submit({
      destination_addr: '447700900999',
      esm_class: ESM_CLASS_UDHI,
      data_coding: DCS_8BIT,
      short_message: tpud,
    });
    await client.submit({
      destination_addr: '447700900555',
      esm_class: ESM_CLASS_UDHI,
      data_coding: DCS_8BIT,
      short_message: tpud,
    });
    const [wrongImsi] = await sim.handset('447700900999').waitFor(1, 2000);
    const [unknown] = await sim.handset('447700900555').waitFor(1, 2000);
    expect(wrongImsi).toMatchObject({ macValid: false, status: 'mac-invalid', accepted: false });
    expect(unknown).toMatchObject({ macValid: null, status: 'needs-credentials', accepted: false });
    // learning the IMSI later changes the verdict
    sim.registerSubscriber('447700900555', { imsi: vector('netwpin-empty-doc').imsi as string });
    expect(sim.handset('447700900555').pushes()[0]).toMatchObject({ macValid: true, status: 'accepted' });
  });

  it('reassembles a signed multi-part OMA CP push sent with SMPP TLVs instead of a UDH', async () => {
    const imsi = '234150123456789';
    const packed = packXml(vector('prov-appendix-c').xml as string, {
      sec: 'NETWPIN',
      imsi,
      mode: 'tlv',
      reference: 0x1234,
    });
    expect(packed.segments.length).toBeGreaterThan(2);
    sim = await startSmscSimulator({ subscribers: { [MSISDN]: { imsi } } });
    const client = await bound();
    for (const segment of [...packed.segments].reverse()) {
      await client.submit({
        destination_addr: MSISDN,
        data_coding: DCS_8BIT,
        short_message: Buffer.from(segment.tpud),
        source_port: segment.tlv!.sourcePort,
        dest_port: segment.tlv!.destinationPort,
        sar_msg_ref_num: segment.tlv!.sarMsgRefNum,
        sar_total_segments: segment.tlv!.sarTotalSegments,
        sar_segment_seqnum: segment.tlv!.sarSegmentSeqnum,
      });
    }
    const [push] = await sim.handset(MSISDN).waitFor(1, 2000);
    expect(push).toMatchObject({
      segments: packed.segments.length,
      destinationPort: 2948,
      macValid: true,
      status: 'accepted',
    });
    expect(push.xml).toContain('BankMainProxy');
  });

  it('keeps concurrent messages to one handset apart by reference', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    const [a1, a2] = nokiaBookmarkInTwoParts(1);
    const [b1, b2] = nokiaBookmarkInTwoParts(2);
    for (const part of [a1, b1, b2, a2]) {
      await client.submit({
        destination_addr: MSISDN,
        esm_class: ESM_CLASS_UDHI,
        data_coding: DCS_8BIT,
        short_message: part,
      });
    }
    const pushes = await sim.handset(MSISDN).waitFor(2, 2000);
    expect(pushes.map((push) => push.status)).toEqual(['needs-user-confirmation', 'needs-user-confirmation']);
  });

  it('reports an undecodable push with the decoder error code', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    const garbage = Buffer.from([...WAP_PUSH_UDH, 0x01, 0x06, 0x05, 0xb6]); // header length runs past the end
    await client.submit({
      destination_addr: MSISDN,
      esm_class: ESM_CLASS_UDHI,
      data_coding: DCS_8BIT,
      short_message: garbage,
    });
    const [push] = await sim.handset(MSISDN).waitFor(1, 2000);
    expect(push.status).toBe('undecodable');
    expect(push.accepted).toBe(false);
    expect(push.errorCode).toMatch(/^[A-Z_]+$/);
  });

  it('ignores plain text SMS and can be switched off', async () => {
    sim = await startSmscSimulator();
    const client = await bound();
    await client.submit({ destination_addr: MSISDN, data_coding: 0, short_message: 'plain text' });
    sim.setBehaviour({ handsetEnabled: false });
    const { tpud } = signedEmptyDocument();
    await client.submit({
      destination_addr: MSISDN,
      esm_class: ESM_CLASS_UDHI,
      data_coding: DCS_8BIT,
      short_message: tpud,
    });
    expect(sim.handset(MSISDN).count()).toBe(0);
    await expect(sim.handset(MSISDN).waitFor(1, 50)).rejects.toThrow(/0 of 1 pushes/);
  });

  it('stops waiting when the simulator closes', async () => {
    sim = await startSmscSimulator();
    const waiting = sim.handset(MSISDN).waitFor(1, 5000);
    await sim.close();
    await expect(waiting).rejects.toThrow(/simulator closed/);
  });

  it('shows what each handset received over the control API', async () => {
    const { tpud, imsi } = signedEmptyDocument();
    sim = await startSmscSimulator({ controlPort: 0 });
    const client = await bound();
    await fetch(`${sim.controlUrl}/subscribers/${MSISDN}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imsi }),
    });
    await client.submit({
      destination_addr: MSISDN,
      esm_class: ESM_CLASS_UDHI,
      data_coding: DCS_8BIT,
      short_message: tpud,
    });
    await sim.handset(MSISDN).waitFor(1, 2000);
    const list = (await (await fetch(`${sim.controlUrl}/handsets`)).json()) as unknown[];
    expect(list).toEqual([
      expect.objectContaining({ msisdn: MSISDN, received: 1, accepted: 1, subscriberKnown: true }),
    ]);
    const inbox = (await (await fetch(`${sim.controlUrl}/handsets/${MSISDN}`)).json()) as {
      pushes: unknown[];
    };
    expect(inbox.pushes).toEqual([
      expect.objectContaining({ sec: 'NETWPIN', macValid: true, status: 'accepted' }),
    ]);
  });
});
