import { describe, expect, it } from 'vitest';
import { documentTypeOf } from '../../../codecs/xml/document-type.ts';
import { parseXml } from '../../../codecs/xml/parse-xml.ts';

describe('documentTypeOf', () => {
  it.each([
    ['<wap-provisioningdoc/>', 'prov'],
    ['<si><indication/></si>', 'si'],
    ['<sl href="http://a/"/>', 'sl'],
    ['<CHARACTERISTIC-LIST/>', 'nokia-ota'],
  ])('knows %s as %s', (text, type) => {
    expect(documentTypeOf(parseXml(text))).toBe(type);
  });

  it('decides by the root element, not the DOCTYPE', () => {
    const text = '<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "si.dtd"><sl href="http://a/"/>';
    expect(documentTypeOf(parseXml(text))).toBe('sl');
  });

  it('rejects any other root with XML_UNKNOWN_ROOT and its line', () => {
    const run = () => documentTypeOf(parseXml('<?xml version="1.0"?>\n\n<wml><card/></wml>'));
    expect(run).toThrow(expect.objectContaining({ code: 'XML_UNKNOWN_ROOT', line: 3 }));
    expect(run).toThrow(/wml/);
  });

  it('is case-sensitive (Nokia OTA roots are upper case, CP roots lower case)', () => {
    expect(() => documentTypeOf(parseXml('<characteristic-list/>'))).toThrow(
      expect.objectContaining({ code: 'XML_UNKNOWN_ROOT' }),
    );
  });
});
