import type { Vocabulary } from '../vocabulary.ts';

/**
 * Service Loading SL 1.0, public id 0x06 "-//WAPFORUM//DTD SL 1.0//EN", WBXML 1.2 as Kannel and
 * Gammu send it. Tables: docs/protocol.md §8.2 (= test/fixtures/tables/si_sl.json).
 */
export const slVocabulary: Vocabulary = {
  name: 'SL 1.0',
  documentType: 'sl',
  rootElement: 'sl',
  wbxmlVersion: 0x02, // WBXML 1.2, docs/protocol.md §8
  publicId: 0x06, // docs/protocol.md §1.1, §8.2
  formalPublicId: '-//WAPFORUM//DTD SL 1.0//EN',
  tags: {
    0: {
      0x05: 'sl',
    },
  },
  attributeStarts: {
    0: {
      0x05: { name: 'action', value: 'execute-low' },
      0x06: { name: 'action', value: 'execute-high' },
      0x07: { name: 'action', value: 'cache' },
      0x08: { name: 'href' },
      0x09: { name: 'href', value: 'http://' },
      0x0a: { name: 'href', value: 'http://www.' },
      0x0b: { name: 'href', value: 'https://' },
      0x0c: { name: 'href', value: 'https://www.' },
    },
  },
  attributeValues: {
    0: {
      0x85: '.com/',
      0x86: '.edu/',
      0x87: '.net/',
      0x88: '.org/',
    },
  },
  attributeStartMatch: 'prefix', // href="https://www." … longest prefix first (docs/protocol.md §8.1)
  attributeValueMatch: 'substring', // .com/ etc. anywhere in a value (docs/protocol.md §8.1)
  datetimeAttributes: [], // %Datetime as OPAQUE (docs/protocol.md §8.3)
};
