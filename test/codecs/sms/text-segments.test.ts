/**
 * Plain-text SMS: GSM 03.38 septets (TS 23.038 §6.2.1 and its extension table §6.2.1.1) or UCS-2, one SMS
 * up to 160 septets / 70 characters, else parts of 153 / 67 behind an 8-bit concatenation element
 * (TS 23.040 §9.2.3.24.1, docs/protocol.md §5.1).
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../../codecs/bytes/hex.ts';
import { CodecError } from '../../../codecs/errors.ts';
import { decodeGsmUnpacked } from '../../../codecs/sms/gsm-7bit.ts';
import {
  firstPartOfText,
  GSM7_PART_SEPTETS,
  GSM7_SINGLE_SEPTETS,
  segmentText,
  textAlphabet,
  UCS2_PART_UNITS,
  UCS2_SINGLE_UNITS,
} from '../../../codecs/sms/text.ts';
import { decodeUdh } from '../../../codecs/sms/udh.ts';

const utf16be = new TextDecoder('utf-16be');

/** The text back from the parts, as a phone joins them. */
function joined(text: string): string {
  const { alphabet, segments } = segmentText(text, { reference: 7 });
  return segments
    .map((segment) => {
      const payload = segment.udhi ? decodeUdh(segment.tpud).payload : segment.tpud;
      return alphabet === 'gsm7' ? decodeGsmUnpacked(payload) : utf16be.decode(payload);
    })
    .join('');
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof CodecError) return error.code;
    throw error;
  }
  return undefined;
}

describe('text segments', () => {
  it('has the capacities of TS 23.040: 160/153 septets, 70/67 UCS-2 characters', () => {
    expect([GSM7_SINGLE_SEPTETS, GSM7_PART_SEPTETS, UCS2_SINGLE_UNITS, UCS2_PART_UNITS]).toEqual([
      160, 153, 70, 67,
    ]);
  });

  it('encodes the GSM default alphabet one septet per octet, the extension table behind the escape', () => {
    // TS 23.038 §6.2.1: @ 0x00, £ 0x01, A 0x41, a 0x61, ä 0x7B; €: escape 0x1B then 0x65 (§6.2.1.1)
    const { alphabet, segments } = segmentText('@£Aaä€', { reference: 0 });
    expect(alphabet).toBe('gsm7');
    expect(segments).toHaveLength(1);
    expect(segments[0].udhi).toBe(false);
    expect(toHex(segments[0].tpud)).toBe('000141617b1b65');
  });

  it('takes UCS-2 when one character is outside the GSM tables, big-endian', () => {
    const { alphabet, segments } = segmentText('Привет', { reference: 0 });
    expect(alphabet).toBe('ucs2');
    expect(toHex(segments[0].tpud)).toBe('041f04400438043204350442');
    expect(textAlphabet('Grüße, Ærø!')).toBe('gsm7');
    expect(textAlphabet('ça va')).toBe('ucs2'); // ç is not in the default alphabet (Ç is)
  });

  it('sends 160 septets as one SMS and 161 as two parts of 153 + 8, each with the concatenation element', () => {
    expect(segmentText('a'.repeat(160), { reference: 1 }).segments).toHaveLength(1);
    const { segments } = segmentText('a'.repeat(161), { reference: 0x2a });
    expect(segments.map((segment) => segment.tpud.length)).toEqual([6 + 153, 6 + 8]);
    expect(segments.map((segment) => toHex(segment.tpud.subarray(0, 6)))).toEqual([
      '0500032a0201',
      '0500032a0202',
    ]);
    expect(segments.every((segment) => segment.udhi && segment.total === 2)).toBe(true);
    expect(segments.map((segment) => segment.index)).toEqual([1, 2]);
  });

  it('counts an extension character as two septets and never splits it between parts', () => {
    expect(segmentText('a'.repeat(159) + '€', { reference: 0 }).segments).toHaveLength(2);
    const { segments } = segmentText('a'.repeat(152) + '€' + 'b'.repeat(10), { reference: 0 });
    const first = decodeUdh(segments[0].tpud).payload;
    expect(first.length).toBe(152); // the escape pair did not fit the 153rd septet
    expect(toHex(decodeUdh(segments[1].tpud).payload)).toBe('1b65' + '62'.repeat(10));
  });

  it('sends 70 UCS-2 characters as one SMS, 71 as 67 + 4, and keeps a surrogate pair together', () => {
    expect(segmentText('Ж'.repeat(70), { reference: 0 }).segments).toHaveLength(1);
    const long = segmentText('Ж'.repeat(71), { reference: 0 }).segments;
    expect(long.map((segment) => decodeUdh(segment.tpud).payload.length)).toEqual([134, 8]);
    const emoji = segmentText('Ж'.repeat(66) + '😀' + 'Ж'.repeat(5), { reference: 0 }).segments;
    expect(decodeUdh(emoji[0].tpud).payload.length).toBe(132);
    expect(toHex(decodeUdh(emoji[1].tpud).payload.subarray(0, 4))).toBe('d83dde00');
  });

  it('joins back to the text it was made from', () => {
    const texts = [
      'Your PIN for the new phone settings is 4711.',
      'Lorem ipsum {dolor} [sit] amet € ~ | ^ \\ '.repeat(9),
      'Ваши настройки уже в пути. Сохраните их, когда телефон спросит. '.repeat(4),
      '😀 settings ✓ '.repeat(20),
    ];
    for (const text of texts) expect(joined(text)).toBe(text);
  });

  it('refuses a reference beyond 8 bits and more parts than allowed', () => {
    expect(codeOf(() => segmentText('x', { reference: 256 }))).toBe('SMS_BAD_REFERENCE');
    expect(codeOf(() => segmentText('x'.repeat(400), { reference: 0, maxSegments: 2 }))).toBe(
      'SMS_TOO_MANY_SEGMENTS',
    );
  });

  it('cuts a text to what one SMS holds, on a character boundary', () => {
    expect(firstPartOfText('a'.repeat(200))).toBe('a'.repeat(160));
    expect(firstPartOfText('a'.repeat(159) + '€')).toBe('a'.repeat(159));
    expect(firstPartOfText('Ж'.repeat(80))).toBe('Ж'.repeat(70));
    expect(firstPartOfText('short')).toBe('short');
  });
});
