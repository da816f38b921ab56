/**
 * IMEI and TAC syntax (3GPP TS 23.003 §6.2): pure functions, no catalogue.
 *
 *   IMEI   = TAC (8) + SNR (6) + CD (1)    15 digits, CD a Luhn check digit (TS 23.003 Annex B)
 *   IMEI   without CD                      14 digits (how MAP and many probes carry it)
 *   IMEISV = TAC (8) + SNR (6) + SVN (2)   16 digits, no check digit
 *
 * Before 2004 the first 8 digits were a 6-digit TAC and a 2-digit Final Assembly Code (FAC); the
 * catalogue keys on the first 8 digits either way and accepts a bare 6-digit legacy TAC for "any FAC".
 */

const TAC_LENGTH = 8; // TS 23.003 §6.2.1
const LEGACY_TAC_LENGTH = 6; // TAC before the 2004 change; FAC made up digits 7-8
const SERIAL_LENGTH = 6; // SNR, TS 23.003 §6.2.1
const IMEI_WITHOUT_CHECK_LENGTH = TAC_LENGTH + SERIAL_LENGTH; // 14
const IMEI_LENGTH = IMEI_WITHOUT_CHECK_LENGTH + 1; // 15, with the check digit
const IMEISV_LENGTH = IMEI_WITHOUT_CHECK_LENGTH + 2; // 16, with the 2-digit software version number

export type ImeiErrorCode = 'IMEI_NOT_DIGITS' | 'IMEI_LENGTH' | 'IMEI_CHECK_DIGIT';
export type TacErrorCode = 'TAC_INVALID';

export interface Imei {
  /** The digits as given, separators removed (14, 15 or 16 of them). */
  digits: string;
  kind: 'imei' | 'imei-without-check-digit' | 'imeisv';
  /** First 8 digits: the catalogue key. */
  tac: string;
  serialNumber: string;
  /** Present for a 15-digit IMEI. */
  checkDigit: string | null;
  /** Present for a 16-digit IMEISV. */
  softwareVersion: string | null;
}

export type ImeiResult = { ok: true; imei: Imei } | { ok: false; code: ImeiErrorCode; message: string };
export type TacResult =
  { ok: true; tac: string; legacy: boolean } | { ok: false; code: TacErrorCode; message: string };

/** Spaces and hyphens people and spreadsheets put in (`35-209900-176148-1`). */
function stripSeparators(text: string): string {
  return text.trim().replace(/[\s-]/g, '');
}

/** The Luhn check digit of the 14 IMEI digits before it (TS 23.003 Annex B). */
export function luhnCheckDigit(fourteenDigits: string): number {
  if (!/^\d{14}$/.test(fourteenDigits)) throw new RangeError('luhnCheckDigit takes exactly 14 digits');
  let sum = 0;
  for (let index = 0; index < fourteenDigits.length; index++) {
    const digit = fourteenDigits.charCodeAt(index) - 48;
    // Annex B: every second digit, counted from the left starting at the second, is doubled.
    if (index % 2 === 1) {
      const doubled = digit * 2;
      sum += doubled > 9 ? doubled - 9 : doubled;
    } else {
      sum += digit;
    }
  }
  return (10 - (sum % 10)) % 10;
}

/** Validates and splits an IMEI (14 digits, 15 with a valid check digit) or an IMEISV (16 digits). */
export function parseImei(text: string): ImeiResult {
  const digits = stripSeparators(text);
  if (!/^\d+$/.test(digits)) {
    return { ok: false, code: 'IMEI_NOT_DIGITS', message: `IMEI '${text}' must be digits only` };
  }
  if (digits.length < IMEI_WITHOUT_CHECK_LENGTH || digits.length > IMEISV_LENGTH) {
    return {
      ok: false,
      code: 'IMEI_LENGTH',
      message: `IMEI '${text}' has ${digits.length} digits; expected 14 (no check digit), 15 or 16 (IMEISV)`,
    };
  }
  const tac = digits.slice(0, TAC_LENGTH);
  const serialNumber = digits.slice(TAC_LENGTH, IMEI_WITHOUT_CHECK_LENGTH);
  if (digits.length === IMEI_LENGTH) {
    const expected = luhnCheckDigit(digits.slice(0, IMEI_WITHOUT_CHECK_LENGTH));
    if (Number(digits[IMEI_WITHOUT_CHECK_LENGTH]) !== expected) {
      return {
        ok: false,
        code: 'IMEI_CHECK_DIGIT',
        message: `IMEI '${text}' has check digit ${digits[IMEI_WITHOUT_CHECK_LENGTH]}; the Luhn digit is ${expected}`,
      };
    }
    return {
      ok: true,
      imei: { digits, kind: 'imei', tac, serialNumber, checkDigit: digits[14], softwareVersion: null },
    };
  }
  if (digits.length === IMEISV_LENGTH) {
    return {
      ok: true,
      imei: {
        digits,
        kind: 'imeisv',
        tac,
        serialNumber,
        checkDigit: null,
        softwareVersion: digits.slice(14),
      },
    };
  }
  return {
    ok: true,
    imei: {
      digits,
      kind: 'imei-without-check-digit',
      tac,
      serialNumber,
      checkDigit: null,
      softwareVersion: null,
    },
  };
}

/** A catalogue TAC: 8 digits, or a legacy 6-digit TAC that stands for every FAC. */
export function parseTac(text: string): TacResult {
  const tac = stripSeparators(text);
  if (/^\d+$/.test(tac) && (tac.length === TAC_LENGTH || tac.length === LEGACY_TAC_LENGTH)) {
    return { ok: true, tac, legacy: tac.length === LEGACY_TAC_LENGTH };
  }
  return {
    ok: false,
    code: 'TAC_INVALID',
    message: `TAC '${text}' must be 8 digits (or a legacy 6-digit TAC without its FAC)`,
  };
}

/** The catalogue keys to try for an IMEI's (or 8-digit TAC's) first 8 digits, most specific first. */
export function tacLookupKeys(tac: string): string[] {
  return [tac.slice(0, TAC_LENGTH), tac.slice(0, LEGACY_TAC_LENGTH)];
}
