import { CodecError } from '../../errors.ts';
import type { DocumentType } from '../../xml/document-type.ts';
import type { Vocabulary } from '../vocabulary.ts';
import { nokiaOtaVocabulary } from './nokia-ota.ts';
import { provVocabulary } from './prov.ts';
import { siVocabulary } from './si.ts';
import { slVocabulary } from './sl.ts';

export { nokiaOtaVocabulary, provVocabulary, siVocabulary, slVocabulary };

export const vocabularies: readonly Vocabulary[] = [
  provVocabulary,
  siVocabulary,
  slVocabulary,
  nokiaOtaVocabulary,
];

/** WBXML public id meaning "unknown / none" (docs/protocol.md §1.1, §10 #12). */
export const UNKNOWN_PUBLIC_ID = 0x01;

const byDocumentType = new Map<DocumentType, Vocabulary>(vocabularies.map((v) => [v.documentType, v]));
const byPublicId = new Map<number | string, Vocabulary>();
for (const vocabulary of vocabularies) {
  // Nokia OTA's id is "unknown" (1): it identifies nothing, so it is not a key.
  if (vocabulary.publicId !== UNKNOWN_PUBLIC_ID) byPublicId.set(vocabulary.publicId, vocabulary);
  if (vocabulary.formalPublicId) byPublicId.set(vocabulary.formalPublicId, vocabulary);
}

/** The vocabulary for a document type (every DocumentType has one). */
export function vocabularyFor(documentType: DocumentType): Vocabulary {
  const vocabulary = byDocumentType.get(documentType);
  if (!vocabulary) {
    throw new CodecError(
      'WBXML_UNKNOWN_DOCUMENT_TYPE',
      `no WBXML vocabulary for document type ${documentType}`,
    );
  }
  return vocabulary;
}

/**
 * The vocabulary a WBXML public id names: a well-known number (0x0B, 0x05, 0x06) or an FPI text
 * ("-//WAPFORUM//DTD SI 1.0//EN"). Undefined for 1 (unknown; Nokia OTA) and for anything else.
 */
export function vocabularyForPublicId(id: number | string): Vocabulary | undefined {
  return byPublicId.get(typeof id === 'string' ? id.trim() : id);
}
