import { describe, expect, it } from 'vitest';
import { parseReceiptDate, parseReceiptText } from '../../../src/connectors/smpp/receipt-text.ts';

describe('parseReceiptText', () => {
  it('reads the SMPP 3.4 Appendix B layout', () => {
    const receipt = parseReceiptText(
      'id:0123456789 sub:001 dlvrd:001 submit date:0809011130 done date:0809011131 stat:DELIVRD err:000 text:Hello world',
    );
    expect(receipt).toEqual({
      id: '0123456789',
      sub: '001',
      dlvrd: '001',
      submitDate: '0809011130',
      doneDate: '0809011131',
      stat: 'DELIVRD',
      err: '000',
      text: 'Hello world',
    });
  });

  it('accepts labels in any case and "Text:" as the last label', () => {
    const receipt = parseReceiptText(
      'ID:AB12 SUB:001 DLVRD:000 SUBMIT DATE:1901011200 DONE DATE:1901011201 STAT:UNDELIV ERR:034 Text:x',
    );
    expect(receipt?.id).toBe('AB12');
    expect(receipt?.stat).toBe('UNDELIV');
    expect(receipt?.err).toBe('034');
    expect(receipt?.text).toBe('x');
  });

  it('accepts 12 and 14 digit dates', () => {
    const receipt = parseReceiptText('id:1 submit date:190101120030 done date:20190101120131 stat:DELIVRD');
    expect(receipt?.submitDate).toBe('190101120030');
    expect(receipt?.doneDate).toBe('20190101120131');
  });

  it('does without the text field and keeps unknown stat words', () => {
    const receipt = parseReceiptText('id:77 sub:001 dlvrd:001 stat:BUFFRED err:0');
    expect(receipt).toEqual({ id: '77', sub: '001', dlvrd: '001', stat: 'BUFFRED', err: '0' });
  });

  it('does not read fields out of the quoted message text', () => {
    const receipt = parseReceiptText('id:5 stat:DELIVRD err:000 text:stat:EXPIRED id:9');
    expect(receipt?.id).toBe('5');
    expect(receipt?.stat).toBe('DELIVRD');
    expect(receipt?.text).toBe('stat:EXPIRED id:9');
  });

  it('returns undefined for text that is not a receipt', () => {
    expect(parseReceiptText('hello, please send settings')).toBeUndefined();
  });

  it('cuts ids at 64 characters', () => {
    expect(parseReceiptText(`id:${'a'.repeat(80)} stat:DELIVRD`)?.id).toHaveLength(64);
  });
});

describe('parseReceiptDate', () => {
  it('reads YYMMDDhhmm, YYMMDDhhmmss and YYYYMMDDhhmmss as UTC', () => {
    expect(parseReceiptDate('0809011130')?.toISOString()).toBe('2008-09-01T11:30:00.000Z');
    expect(parseReceiptDate('080901113045')?.toISOString()).toBe('2008-09-01T11:30:45.000Z');
    expect(parseReceiptDate('20080901113045')?.toISOString()).toBe('2008-09-01T11:30:45.000Z');
  });

  it('rejects other lengths and impossible values', () => {
    expect(parseReceiptDate('08090111')).toBeUndefined();
    expect(parseReceiptDate('0813011130')).toBeUndefined();
    expect(parseReceiptDate('08090111301')).toBeUndefined();
  });
});
