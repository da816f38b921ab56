/**
 * Text of an incoming short message from its SMPP data_coding (SMPP 3.4 §5.2.19; values 0x10 and up
 * follow the GSM 03.38 / TS 23.038 §4 coding groups).
 */
import { decodeGsmUnpacked } from '../../../codecs/sms/gsm-7bit.ts';
import {
  DATA_CODING_CYRILLIC,
  DATA_CODING_HEBREW,
  DATA_CODING_IA5,
  DATA_CODING_LATIN1,
  DATA_CODING_OCTET_UNSPECIFIED,
  DATA_CODING_OCTET_UNSPECIFIED_2,
  DATA_CODING_SMSC_DEFAULT,
  DATA_CODING_UCS2,
} from './protocol.ts';

export type TextAlphabet = 'gsm' | 'ascii' | 'latin1' | 'cyrillic' | 'hebrew' | 'ucs2' | 'binary';

// TS 23.038 §4 coding groups (upper bits of the DCS)
const GROUP_GENERAL_LAST = 0x7f; // 00xx xxxx general, 01xx xxxx automatic deletion
const GENERAL_COMPRESSED = 0x20; // bit 5: text compressed (we cannot decode it)
const GROUP_MWI_GSM_FIRST = 0xc0; // 1100/1101: message waiting, GSM 7-bit
const GROUP_MWI_UCS2_FIRST = 0xe0; // 1110: message waiting, UCS-2
const GROUP_DATA_CODING_CLASS = 0xf0; // 1111: data coding / message class
const DATA_CODING_CLASS_8BIT = 0x04; // bit 2 in group 1111: 8-bit data

export function alphabetOfDataCoding(dataCoding: number): TextAlphabet {
  if (dataCoding < 0x10) {
    switch (dataCoding) {
      case DATA_CODING_SMSC_DEFAULT:
        return 'gsm';
      case DATA_CODING_IA5:
        return 'ascii';
      case DATA_CODING_LATIN1:
        return 'latin1';
      case DATA_CODING_CYRILLIC:
        return 'cyrillic';
      case DATA_CODING_HEBREW:
        return 'hebrew';
      case DATA_CODING_UCS2:
        return 'ucs2';
      case DATA_CODING_OCTET_UNSPECIFIED_2:
      case DATA_CODING_OCTET_UNSPECIFIED:
      default:
        return 'binary';
    }
  }
  if (dataCoding <= GROUP_GENERAL_LAST) {
    if (dataCoding & GENERAL_COMPRESSED) return 'binary';
    const alphabetBits = (dataCoding >> 2) & 0x03; // bits 3-2: 00 GSM, 01 8-bit, 10 UCS-2
    return alphabetBits === 0 ? 'gsm' : alphabetBits === 2 ? 'ucs2' : 'binary';
  }
  if (dataCoding >= GROUP_DATA_CODING_CLASS) return dataCoding & DATA_CODING_CLASS_8BIT ? 'binary' : 'gsm';
  if (dataCoding >= GROUP_MWI_UCS2_FIRST) return 'ucs2';
  if (dataCoding >= GROUP_MWI_GSM_FIRST) return 'gsm';
  return 'binary'; // 0x80–0xBF reserved
}

const cyrillic = new TextDecoder('iso-8859-5');
const hebrew = new TextDecoder('iso-8859-8');
const utf16be = new TextDecoder('utf-16be');

/** Decoded text; binary content decodes to the empty string (the bytes travel alongside). */
export function decodeShortMessageText(bytes: Uint8Array, dataCoding: number): string {
  switch (alphabetOfDataCoding(dataCoding)) {
    case 'gsm':
      return decodeGsmUnpacked(bytes);
    case 'ascii':
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('ascii');
    case 'latin1':
      // Node's 'latin1' is ISO-8859-1 (WHATWG TextDecoder('latin1') would be windows-1252).
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    case 'cyrillic':
      return cyrillic.decode(bytes);
    case 'hebrew':
      return hebrew.decode(bytes);
    case 'ucs2':
      return utf16be.decode(bytes.length % 2 === 0 ? bytes : bytes.subarray(0, bytes.length - 1));
    case 'binary':
      return '';
  }
}
