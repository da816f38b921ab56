import type { Vocabulary } from '../vocabulary.ts';

/**
 * Service Indication SI 1.0, public id 0x05 "-//WAPFORUM//DTD SI 1.0//EN", WBXML 1.2 as Kannel and
 * Gammu send it. Tables: docs/protocol.md §8.1 (= test/fixtures/tables/si_sl.json).
 */
export const siVocabulary: Vocabulary = {
  name: 'SI 1.0',
  documentType: 'si',
  rootElement: 'si',
  wbxmlVersion: 0x02, // WBXML 1.2, docs/protocol.md §8
  publicId: 0x05, // docs/protocol.md §1.1, §8.1
  formalPublicId: '-//WAPFORUM//DTD SI 1.0//EN',
  tags: {
    0: {
      0x05: 'si',
      0x06: 'indication',
      0x07: 'info',
      0x08: 'item',
    },
  },
  attributeStarts: {
    0: {
      0x05: { name: 'action', value: 'signal-none' },
      0x06: { name: 'action', value: 'signal-low' },
      0x07: { name: 'action', value: 'signal-medium' },
      0x08: { name: 'action', value: 'signal-high' },
      0x09: { name: 'action', value: 'delete' },
      0x0a: { name: 'created' },
      0x0b: { name: 'href' },
      0x0c: { name: 'href', value: 'http://' },
      0x0d: { name: 'href', value: 'http://www.' },
      0x0e: { name: 'href', value: 'https://' },
      0x0f: { name: 'href', value: 'https://www.' },
      0x10: { name: 'si-expires' },
      0x11: { name: 'si-id' },
      0x12: { name: 'class' },
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
  datetimeAttributes: ['created', 'si-expires'], // %Datetime as OPAQUE (docs/protocol.md §8.3)
};
