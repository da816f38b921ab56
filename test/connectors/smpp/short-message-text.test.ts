import { describe, expect, it } from 'vitest';
import { decodeGsmUnpacked } from '../../../codecs/sms/gsm-7bit.ts';
import {
  alphabetOfDataCoding,
  decodeShortMessageText,
} from '../../../src/connectors/smpp/short-message-text.ts';

describe('GSM 03.38 default alphabet, one septet per octet', () => {
  it('decodes letters, digits and the characters that differ from ASCII', () => {
    // '@' is 0x00, '$' 0x02, '_' 0x11, '¡' 0x40, '§' 0x5F, 'à' 0x7F (TS 23.038 §6.2.1)
    expect(decodeGsmUnpacked(Uint8Array.of(0x48, 0x69, 0x20, 0x00, 0x02, 0x11, 0x40, 0x5f, 0x7f))).toBe(
      'Hi @$_¡§à',
    );
  });

  it('decodes the extension table through the escape', () => {
    expect(
      decodeGsmUnpacked(Uint8Array.of(0x1b, 0x65, 0x31, 0x1b, 0x28, 0x1b, 0x29, 0x1b, 0x3c, 0x1b, 0x2f)),
    ).toBe('€1{}[\\');
  });

  it('shows the default character for an unknown escape and a space for a trailing escape', () => {
    expect(decodeGsmUnpacked(Uint8Array.of(0x1b, 0x41, 0x1b))).toBe('A ');
  });
});

describe('short message text by data_coding', () => {
  it('picks the alphabet from SMPP values and GSM coding groups', () => {
    expect(alphabetOfDataCoding(0x00)).toBe('gsm');
    expect(alphabetOfDataCoding(0x01)).toBe('ascii');
    expect(alphabetOfDataCoding(0x03)).toBe('latin1');
    expect(alphabetOfDataCoding(0x04)).toBe('binary');
    expect(alphabetOfDataCoding(0x08)).toBe('ucs2');
    expect(alphabetOfDataCoding(0x11)).toBe('gsm'); // general group, class 1
    expect(alphabetOfDataCoding(0x18)).toBe('ucs2'); // general group, UCS-2, class 0
    expect(alphabetOfDataCoding(0xf0)).toBe('gsm');
    expect(alphabetOfDataCoding(0xf5)).toBe('binary');
  });

  it('decodes Latin-1', () => {
    expect(decodeShortMessageText(Uint8Array.of(0x63, 0x61, 0x66, 0xe9), 0x03)).toBe('café');
  });

  it('decodes UCS-2 big-endian, including surrogate pairs', () => {
    expect(decodeShortMessageText(Uint8Array.of(0x04, 0x1f, 0x04, 0x40, 0xd8, 0x3d, 0xde, 0x00), 0x08)).toBe(
      'Пр😀',
    );
  });

  it('gives no text for binary content', () => {
    expect(decodeShortMessageText(Uint8Array.of(1, 2, 3), 0x04)).toBe('');
  });

  it('decodes IA5 as seven-bit ASCII', () => {
    expect(decodeShortMessageText(Uint8Array.of(0x41, 0x40), 0x01)).toBe('A@');
  });
});
