/** SyncML DM 1.2 messages (XML and WBXML) and DM authentication — see README.md here. */
export type * from './model.ts';
export * from './constants.ts';
export * from './auth.ts';
export { encodeSyncMlXml, decodeSyncMlXml } from './xml.ts';
export { encodeSyncMlWbxml, decodeSyncMlWbxml } from './wbxml.ts';
export type { EncodeSyncMlWbxmlOptions } from './wbxml.ts';
export { encodeSyncMl, decodeSyncMl, dataOctets } from './message.ts';
