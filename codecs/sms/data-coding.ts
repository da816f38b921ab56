/**
 * TP-DCS and TP-UD facts for binary push (docs/protocol.md §5.2-5.3; TS 23.038 §4 for the DCS groups).
 * SMPP's esm_class bits are in src/connectors/smpp/protocol.ts.
 */

/** General data coding group, 8-bit data, no message class (Kannel's default for 8-bit). */
export const DCS_8BIT_DATA = 0x04;
/** TP-UD of one SMS holds at most 140 octets of 8-bit data, UDH included (docs/protocol.md §5.2). */
export const MAX_TP_UD_OCTETS = 140;
