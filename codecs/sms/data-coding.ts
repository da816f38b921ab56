/**
 * TP-DCS and SMPP esm_class values for binary push (docs/protocol.md §5.3; TS 23.038 §4 for the DCS
 * groups, SMPP 3.4 §5.2.12 for esm_class).
 */

/** General data coding group, 8-bit data, no message class (Kannel's default for 8-bit). */
export const DCS_8BIT_DATA = 0x04;
/** esm_class bit: short_message begins with a User Data Header (UDHI). */
export const ESM_CLASS_UDHI = 0x40;
/** TP-UD of one SMS holds at most 140 octets of 8-bit data, UDH included (docs/protocol.md §5.2). */
export const MAX_TP_UD_OCTETS = 140;
