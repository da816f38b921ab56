import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import {
  SEC_CODES,
  SECURITY_METHODS,
  computeMac,
  generateUserPinMacCode,
  netwpinKey,
  securityKey,
  securityMethodFromCode,
  verifyMac,
  type SecurityCredentials,
  type SecurityMethod,
} from '../../../codecs/ota/security.ts';
import { publicVectors } from '../../support/fixtures.ts';

const vectors = publicVectors();
const vector = (name: string) => vectors.find((entry) => entry.name === name)!;
const EMPTY_PROV_DOC = fromHex('030b6a004501'); // docs/protocol.md §3.3, §3.5, §3.6

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  throw new Error('expected a CodecError');
}

describe('SEC codes (docs/protocol.md §3.1)', () => {
  it('numbers the methods 0-3', () => {
    expect(SEC_CODES).toEqual({ NETWPIN: 0, USERPIN: 1, USERNETWPIN: 2, USERPINMAC: 3 });
    expect([0, 1, 2, 3].map(securityMethodFromCode)).toEqual(SECURITY_METHODS);
  });

  it('rejects an unknown SEC value', () => {
    expect(codeOf(() => securityMethodFromCode(4))).toBe('OTA_UNKNOWN_SEC');
    expect(codeOf(() => securityMethodFromCode(-1))).toBe('OTA_UNKNOWN_SEC');
  });
});

describe('netwpinKey (docs/protocol.md §3.3)', () => {
  it.each([
    ['466923103145252', '4966291330412525', 'odd length (Gecko vector)'],
    ['23415012345678', '21435110325476f8', 'even length: filler F in the high nibble of the last octet'],
    ['123456789012345', '1932547698103254', 'NowSMS forum example'],
  ])('IMSI %s -> %s (%s)', (imsi, key) => {
    expect(toHex(netwpinKey(imsi))).toBe(key);
  });

  it('matches the keys listed with the public vectors', () => {
    for (const name of ['netwpin-empty-doc', 'netwpin-nowsms-forum']) {
      const { imsi, key } = vector(name) as unknown as { imsi: string; key: string };
      expect(toHex(netwpinKey(imsi))).toBe(key);
    }
  });

  it('packs short IMSIs the same way', () => {
    // 6 digits, even: nibbles 1,1,2,3,4,5,6,F -> 11 32 54 F6
    expect(toHex(netwpinKey('123456'))).toBe('113254f6');
    // 7 digits, odd: nibbles 9,1,2,3,4,5,6,7 -> 19 32 54 76
    expect(toHex(netwpinKey('1234567'))).toBe('19325476');
  });

  it.each([
    '',
    '12345',
    '1234567890123456',
    '46692310314525x',
    ' 466923103145252',
    '４６６９２３１０３１４５２５２',
  ])('rejects %j with OTA_BAD_IMSI', (imsi) => {
    expect(codeOf(() => netwpinKey(imsi))).toBe('OTA_BAD_IMSI');
  });
});

describe('computeMac against public vectors', () => {
  it.each(['netwpin-empty-doc', 'netwpin-nowsms-forum'])('reproduces %s', (name) => {
    const { wbxml, imsi, mac } = vector(name) as unknown as { wbxml: string; imsi: string; mac: string };
    expect(computeMac('NETWPIN', { imsi }, fromHex(wbxml))).toBe(mac);
  });

  it('reproduces the Gecko USERPIN vector over the code-page-switching document (PIN 0000)', () => {
    const { wbxml, pin, mac } = vector('prov-code-page-switching-userpin') as unknown as {
      wbxml: string;
      pin: string;
      mac: string;
    };
    expect(fromHex(wbxml).length).toBe(501);
    expect(computeMac('USERPIN', { pin }, fromHex(wbxml))).toBe(mac);
    expect(mac).toBe('AA2DC41FC48AEEF3FED7351B1EE704461A8894D4');
  });

  it('does not give the NowSMS MAC when the raw ASCII IMSI is used as key (the forum poster’s mistake)', () => {
    const { wbxml, imsi, mac } = vector('netwpin-nowsms-forum') as unknown as {
      wbxml: string;
      imsi: string;
      mac: string;
    };
    expect(computeMac('USERPIN', { pin: imsi }, fromHex(wbxml))).not.toBe(mac);
  });

  it('emits 40 upper-case hex characters', () => {
    expect(computeMac('USERPIN', { pin: '1' }, new Uint8Array(0))).toMatch(/^[0-9A-F]{40}$/);
  });
});

// Examples computed in docs/protocol.md §3.5 and §3.6 (from the key layout the sources agree on), not public vectors.
describe('USERNETWPIN and USERPINMAC (examples computed in docs/protocol.md §3.5, §3.6, not public vectors)', () => {
  it('USERNETWPIN key = EF_IMSI body followed by the ASCII PIN (docs/protocol.md §3.5)', () => {
    const credentials = { imsi: '466923103145252', pin: '1234' };
    expect(toHex(securityKey('USERNETWPIN', credentials))).toBe('4966291330412525' + '31323334');
    expect(computeMac('USERNETWPIN', credentials, EMPTY_PROV_DOC)).toBe(
      '3DBC50BB7BACAE901461F5ECCB0ADB1F71B58D02',
    );
  });

  it('USERPINMAC: code 1234528080 for secret half 12345 (docs/protocol.md §3.6)', () => {
    expect(generateUserPinMacCode(EMPTY_PROV_DOC, '12345')).toBe('1234528080');
    expect(toHex(securityKey('USERPINMAC', { pin: '1234528080' }))).toBe('3132333435');
    expect(computeMac('USERPINMAC', { pin: '1234528080' }, EMPTY_PROV_DOC)).toBe(
      'A2126E4E7850483A14D85C991B8959D72B39D747',
    );
  });

  it('generates the secret half with the supplied random source when none is given', () => {
    const counts: number[] = [];
    const code = generateUserPinMacCode(EMPTY_PROV_DOC, undefined, (count) => {
      counts.push(count);
      return '12345';
    });
    expect(counts).toEqual([5]);
    expect(code).toBe('1234528080');
  });

  it('generates a fresh 10-digit code with the default random source', () => {
    const code = generateUserPinMacCode(EMPTY_PROV_DOC);
    expect(code).toMatch(/^\d{10}$/);
    expect(verifyMac('USERPINMAC', { pin: code }, EMPTY_PROV_DOC, undefined)).toBe(true);
  });

  it.each(['1234', '12a45', '123456789012345678901'])('rejects the secret half %j', (half) => {
    expect(codeOf(() => generateUserPinMacCode(EMPTY_PROV_DOC, half))).toBe('OTA_BAD_USERPINMAC_CODE');
  });
});

describe('verifyMac (handset side)', () => {
  const body = fromHex((vector('netwpin-nowsms-forum') as unknown as { wbxml: string }).wbxml);
  const cases: Array<{ method: SecurityMethod; right: SecurityCredentials; wrong: SecurityCredentials }> = [
    { method: 'NETWPIN', right: { imsi: '123456789012345' }, wrong: { imsi: '123456789012346' } },
    { method: 'USERPIN', right: { pin: '0000' }, wrong: { pin: '0001' } },
    {
      method: 'USERNETWPIN',
      right: { imsi: '123456789012345', pin: '1234' },
      wrong: { imsi: '123456789012345', pin: '4321' },
    },
  ];

  it.each(cases)(
    '$method accepts the right credentials and rejects wrong ones',
    ({ method, right, wrong }) => {
      const mac = computeMac(method, right, body);
      expect(verifyMac(method, right, body, mac)).toBe(true);
      expect(verifyMac(method, right, body, mac.toLowerCase())).toBe(true);
      expect(verifyMac(method, wrong, body, mac)).toBe(false);
      expect(verifyMac(method, right, body.subarray(1), mac)).toBe(false);
      expect(verifyMac(method, right, body, undefined)).toBe(false);
      expect(verifyMac(method, right, body, mac.slice(0, 39))).toBe(false);
    },
  );

  it('verifies the public NETWPIN vectors as a handset would', () => {
    for (const name of ['netwpin-empty-doc', 'netwpin-nowsms-forum']) {
      const { wbxml, imsi, mac } = vector(name) as unknown as { wbxml: string; imsi: string; mac: string };
      expect(verifyMac('NETWPIN', { imsi }, fromHex(wbxml), mac)).toBe(true);
    }
  });

  it('USERPINMAC checks the second half of the code and ignores the header MAC (docs/protocol.md §3.6, §10 #8)', () => {
    const code = generateUserPinMacCode(body, '98765');
    expect(verifyMac('USERPINMAC', { pin: code }, body, undefined)).toBe(true);
    expect(verifyMac('USERPINMAC', { pin: code }, body, 'not a mac')).toBe(true);
    const wrongDigit = code.slice(0, 9) + String((Number(code[9]) + 1) % 10);
    expect(verifyMac('USERPINMAC', { pin: wrongDigit }, body, undefined)).toBe(false);
    expect(verifyMac('USERPINMAC', { pin: code }, body.subarray(2), undefined)).toBe(false);
    expect(verifyMac('USERPINMAC', { pin: '123452808' }, EMPTY_PROV_DOC, undefined)).toBe(false);
    expect(verifyMac('USERPINMAC', { pin: '1234528080' }, EMPTY_PROV_DOC, undefined)).toBe(true);
  });
});

describe('credential errors', () => {
  it.each<[string, SecurityMethod, SecurityCredentials]>([
    ['OTA_MISSING_IMSI', 'NETWPIN', {}],
    ['OTA_MISSING_IMSI', 'USERNETWPIN', { pin: '1234' }],
    ['OTA_MISSING_PIN', 'USERNETWPIN', { imsi: '466923103145252' }],
    ['OTA_MISSING_PIN', 'USERPIN', { imsi: '466923103145252' }],
    ['OTA_MISSING_PIN', 'USERPINMAC', {}],
    ['OTA_BAD_IMSI', 'NETWPIN', { imsi: '4669231031452521' }],
    ['OTA_BAD_PIN', 'USERPIN', { pin: '' }],
    ['OTA_BAD_PIN', 'USERPIN', { pin: 'é' }],
    ['OTA_BAD_PIN', 'USERNETWPIN', { imsi: '466923103145252', pin: 'x'.repeat(33) }],
    ['OTA_BAD_USERPINMAC_CODE', 'USERPINMAC', { pin: '123456789' }],
    ['OTA_BAD_USERPINMAC_CODE', 'USERPINMAC', { pin: '12345678' }],
    ['OTA_BAD_USERPINMAC_CODE', 'USERPINMAC', { pin: '12345abcde' }],
  ])('throws %s for %s with %j', (code, method, credentials) => {
    expect(codeOf(() => computeMac(method, credentials, EMPTY_PROV_DOC))).toBe(code);
  });

  it('throws OTA_UNKNOWN_SEC for a method name it does not know', () => {
    expect(codeOf(() => securityKey('PLAIN' as SecurityMethod, { pin: '1' }))).toBe('OTA_UNKNOWN_SEC');
  });

  it('throws for missing credentials on verification too', () => {
    expect(codeOf(() => verifyMac('NETWPIN', {}, EMPTY_PROV_DOC, 'AA'))).toBe('OTA_MISSING_IMSI');
  });

  it('accepts a PIN of printable ASCII (spaces and letters included)', () => {
    expect(computeMac('USERPIN', { pin: 'Open Sesame!' }, EMPTY_PROV_DOC)).toMatch(/^[0-9A-F]{40}$/);
  });
});
