import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { compileDocument, packCompiled, packXml, type CompiledDocument } from '../../../codecs/ota/pack.ts';
import { pushKindByName } from '../../../codecs/ota/push-kinds.ts';
import { computeMac, createMacSigner } from '../../../codecs/ota/security.ts';
import { unpackSegments, unpackWsp } from '../../../codecs/ota/unpack.ts';
import { el } from '../../../codecs/xml/element.ts';
import { publicVector, readFixture, type PublicVector } from '../../support/fixtures.ts';

/** A vector whose fields the test knows are there. */
const vector = (name: string) => publicVector(name) as Required<PublicVector>;
const referenceXml = readFixture('reference-cp.xml');
const typicalXml = readFixture('typical-cp.xml');

/** A compiled OMA CP document made from given WBXML bytes, to reproduce published pushes byte for byte. */
function compiledFromWbxml(wbxmlHex: string): CompiledDocument {
  return {
    documentType: 'prov',
    pushKind: pushKindByName('oma-cp'),
    root: el('wap-provisioningdoc'),
    wbxml: fromHex(wbxmlHex),
  };
}

describe('pack', () => {
  it('reproduces the worked NETWPIN push of docs/protocol.md §4.7 (MAC of the Gecko vector)', () => {
    const packed = packCompiled(compiledFromWbxml('030b6a004501'), { imsi: '466923103145252' });
    expect(packed.mac).toBe('1AF545FE2823DC9347064450F90FF1BBF957E146');
    expect(packed.segments).toHaveLength(1);
    const expectedWsp =
      '01062f1f2db69180' +
      '92' +
      Buffer.from('1AF545FE2823DC9347064450F90FF1BBF957E146', 'latin1').toString('hex') +
      '00' +
      '030b6a004501';
    expect(toHex(packed.wsp)).toBe(expectedWsp);
    expect(toHex(packed.segments[0].tpud)).toBe('0605040b8423f0' + expectedWsp);
    expect(packed.segments[0].tpud.length).toBe(63);
  });

  it('signs the NowSMS forum document with the MAC posted there', () => {
    const nowsms = vector('netwpin-nowsms-forum');
    const packed = packCompiled(compiledFromWbxml(nowsms.wbxml), { sec: 'NETWPIN', imsi: nowsms.imsi });
    expect(packed.mac).toBe(nowsms.mac);
  });

  it('reproduces the smsj Nokia OTA bookmark push byte for byte', () => {
    const bookmark = vector('nokia-ota-bookmark');
    const packed = packXml(bookmark.xml, { transactionId: 0, nokiaKind: 'nokia-settings' });
    expect(packed.sec).toBe('none');
    expect(packed.segments.map((segment) => toHex(segment.tpud))).toEqual([
      bookmark.udh + bookmark.tpud_without_udh,
    ]);
  });

  it('chooses the bookmarks content type for a document holding only bookmarks', () => {
    const packed = packXml(vector('nokia-ota-bookmark').xml);
    expect(packed.contentType).toBe('application/x-wap-prov.browser-bookmarks');
  });

  it('signs the same MAC on the fast path as computeMac for every method', () => {
    const compiled = compileDocument(typicalXml);
    const signer = createMacSigner(compiled.wbxml);
    for (const [sec, credentials] of [
      ['NETWPIN', { imsi: '234150123456789' }],
      ['NETWPIN', { imsi: '23415012345678' }],
      ['USERPIN', { pin: '1234' }],
      ['USERNETWPIN', { imsi: '234150123456789', pin: '9876' }],
      ['USERNETWPIN', { imsi: '23415012345678', pin: 'p'.repeat(32) }],
    ] as const) {
      expect(signer(sec, credentials)).toBe(computeMac(sec, credentials, compiled.wbxml));
      expect(packCompiled(compiled, { sec, ...credentials }).mac).toBe(
        computeMac(sec, credentials, compiled.wbxml),
      );
    }
  });

  it('gives each subscriber its own WSP buffer', () => {
    const compiled = compileDocument(typicalXml);
    const first = packCompiled(compiled, { imsi: '234150000000001' });
    const second = packCompiled(compiled, { imsi: '234150000000002' });
    expect(first.mac).not.toBe(second.mac);
    expect(unpackWsp(first.wsp, { imsi: '234150000000001' }).macValid).toBe(true);
    expect(unpackWsp(second.wsp, { imsi: '234150000000002' }).macValid).toBe(true);
  });

  it('splits reference-cp.xml into 128-octet parts with the port and concatenation IEs in each', () => {
    const packed = packXml(referenceXml, { imsi: '234150123456789', reference: 0x42 });
    expect(packed.segments.length).toBe(Math.ceil(packed.wsp.length / 128));
    packed.segments.forEach((segment, index) => {
      expect(segment.tpud.length).toBeLessThanOrEqual(140);
      expect(toHex(segment.tpud.subarray(0, 12))).toBe(
        `0b0504 0b84 23f0 0003 42 ${packed.segments.length.toString(16).padStart(2, '0')} ${(index + 1).toString(16).padStart(2, '0')}`.replace(
          / /g,
          '',
        ),
      );
    });
  });

  it('hands the subscriber a USERPINMAC code that the handset accepts', () => {
    const packed = packXml(typicalXml, { sec: 'USERPINMAC', pin: '12345' });
    expect(packed.userPinMacCode).toMatch(/^12345\d{5}$/);
    const tpuds = packed.segments.map((segment) => segment.tpud);
    expect(unpackSegments(tpuds, { pin: packed.userPinMacCode }).macValid).toBe(true);
    const wrongCode =
      packed.userPinMacCode!.slice(0, 9) + String((Number(packed.userPinMacCode!.at(-1)) + 1) % 10);
    expect(unpackSegments(tpuds, { pin: wrongCode }).macValid).toBe(false);
  });

  it('uses data coding 0xF5 when asked and rejects a coding that is not 8-bit data', () => {
    expect(packXml(typicalXml, { imsi: '234150123456789', dcs: 0xf5 }).dataCoding).toBe(0xf5);
    expect(() => packXml(typicalXml, { imsi: '234150123456789', dcs: 0x08 })).toThrow(
      expect.objectContaining({ code: 'OTA_BAD_DCS' }),
    );
  });

  it('requires the IMSI for NETWPIN and the PIN for USERPIN', () => {
    expect(() => packXml(typicalXml)).toThrow(expect.objectContaining({ code: 'OTA_MISSING_IMSI' }));
    expect(() => packXml(typicalXml, { sec: 'USERPIN' })).toThrow(
      expect.objectContaining({ code: 'OTA_MISSING_PIN' }),
    );
  });

  it('refuses to sign a document type that carries no SEC/MAC', () => {
    const si = '<si><indication href="http://www.example.com/news" si-id="1">News</indication></si>';
    expect(packXml(si).sec).toBe('none');
    expect(() => packXml(si, { sec: 'NETWPIN', imsi: '234150123456789' })).toThrow(
      expect.objectContaining({ code: 'OTA_SECURITY_UNSUPPORTED' }),
    );
  });

  it('sends an unsigned OMA CP push only when asked, with the constrained content type', () => {
    const packed = packCompiled(compiledFromWbxml('030b6a004501'), { sec: 'none' });
    expect(toHex(packed.wsp)).toBe('010601b6030b6a004501');
    expect(unpackWsp(packed.wsp).sec).toBeNull();
  });
});

describe('unpack', () => {
  it('decodes the segments of a push in any order and verifies the MAC with the IMSI', () => {
    const packed = packXml(referenceXml, { imsi: '234150123456789', reference: 7 });
    const shuffled = [...packed.segments].reverse().map((segment) => segment.tpud);
    const push = unpackSegments(shuffled, { imsi: '234150123456789' });
    expect(push.contentType).toBe('application/vnd.wap.connectivity-wbxml');
    expect(push.sec).toBe('NETWPIN');
    expect(push.macValid).toBe(true);
    expect(push.destinationPort).toBe(2948);
    expect(unpackSegments(shuffled, { imsi: '234150123456780' }).macValid).toBe(false);
    expect(unpackSegments(shuffled).macValid).toBeNull();
  });

  it('reads the Gecko code-page-switching document under USERPIN 0000', () => {
    const cht = vector('prov-code-page-switching-userpin');
    const wsp = fromHex(
      '0106' + '2f1f2db6' + '9181' + '92' + Buffer.from(cht.mac, 'latin1').toString('hex') + '00' + cht.wbxml,
    );
    const push = unpackWsp(wsp, { pin: cht.pin });
    expect(push.sec).toBe('USERPIN');
    expect(push.macValid).toBe(true);
    expect(push.root.name).toBe('wap-provisioningdoc');
  });

  it('rejects a content type it has no decoder for', () => {
    expect(() => unpackWsp(fromHex('010601be00'))).toThrow(
      expect.objectContaining({ code: 'OTA_UNSUPPORTED_CONTENT_TYPE' }),
    );
  });
});
