import { describe, expect, it } from 'vitest';
import { luhnCheckDigit, parseImei, parseTac, tacLookupKeys } from '../../src/devices/imei.ts';
import { SeededRandom } from '../support/seeded-random.ts';

describe('luhnCheckDigit', () => {
  it('computes the check digit of the example in 3GPP TS 23.003 Annex B', () => {
    // Annex B: IMEI 35 209900 176148 has check digit 1.
    expect(luhnCheckDigit('35209900176148')).toBe(1);
  });

  it('takes exactly 14 digits', () => {
    expect(() => luhnCheckDigit('1234')).toThrow(RangeError);
  });
});

describe('parseImei', () => {
  it('splits a 15-digit IMEI with a valid check digit into TAC, serial number and check digit', () => {
    expect(parseImei('352099001761481')).toEqual({
      ok: true,
      imei: {
        digits: '352099001761481',
        kind: 'imei',
        tac: '35209900',
        serialNumber: '176148',
        checkDigit: '1',
        softwareVersion: null,
      },
    });
  });

  it('rejects a 15-digit IMEI whose check digit is wrong', () => {
    expect(parseImei('352099001761482')).toMatchObject({ ok: false, code: 'IMEI_CHECK_DIGIT' });
  });

  it('accepts 14 digits (IMEI without its check digit, as MAP carries it)', () => {
    expect(parseImei('35209900176148')).toMatchObject({
      ok: true,
      imei: { kind: 'imei-without-check-digit', tac: '35209900', checkDigit: null },
    });
  });

  it('accepts a 16-digit IMEISV and keeps its software version number', () => {
    expect(parseImei('3520990017614823')).toMatchObject({
      ok: true,
      imei: {
        kind: 'imeisv',
        tac: '35209900',
        serialNumber: '176148',
        softwareVersion: '23',
        checkDigit: null,
      },
    });
  });

  it('ignores spaces and hyphens people write between the groups', () => {
    expect(parseImei('35-209900-176148-1')).toMatchObject({ ok: true, imei: { digits: '352099001761481' } });
    expect(parseImei(' 35 209900 176148 1 ')).toMatchObject({ ok: true });
  });

  it('rejects other lengths and anything but digits', () => {
    expect(parseImei('3520990017614')).toMatchObject({ ok: false, code: 'IMEI_LENGTH' });
    expect(parseImei('35209900176148123')).toMatchObject({ ok: false, code: 'IMEI_LENGTH' });
    expect(parseImei('35209900A761481')).toMatchObject({ ok: false, code: 'IMEI_NOT_DIGITS' });
    expect(parseImei('')).toMatchObject({ ok: false, code: 'IMEI_NOT_DIGITS' });
    expect(parseImei('not an imei').ok).toBe(false);
  });

  it('accepts every 14 digits followed by their Luhn digit and rejects every other last digit', () => {
    const random = new SeededRandom(23003);
    for (let round = 0; round < 200; round++) {
      const body = Array.from({ length: 14 }, () => random.int(0, 9)).join('');
      const check = luhnCheckDigit(body);
      for (let digit = 0; digit <= 9; digit++) {
        expect(parseImei(`${body}${digit}`).ok, `seed ${random.seed} ${body}${digit}`).toBe(digit === check);
      }
    }
  });
});

describe('parseTac', () => {
  it('accepts 8 digits, and 6 digits as a legacy TAC standing for every FAC', () => {
    expect(parseTac('35209900')).toEqual({ ok: true, tac: '35209900', legacy: false });
    expect(parseTac('350612')).toEqual({ ok: true, tac: '350612', legacy: true });
    expect(parseTac('350612-00')).toEqual({ ok: true, tac: '35061200', legacy: false });
  });

  it('rejects other lengths and non-digits', () => {
    for (const bad of ['3520990', '352099001', 'ABCDEFGH', '']) {
      expect(parseTac(bad)).toMatchObject({ ok: false, code: 'TAC_INVALID' });
    }
  });
});

describe('tacLookupKeys', () => {
  it('tries the 8-digit TAC first, then its 6-digit legacy prefix', () => {
    expect(tacLookupKeys('352099001761481')).toEqual(['35209900', '352099']);
  });
});
