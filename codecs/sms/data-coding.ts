/**
 * TP-DCS, TP-PID and SMPP esm_class values for binary push (docs/protocol.md §5.3; TS 23.038 §4 for the DCS
 * groups, SMPP 3.4 §5.2.12 for esm_class).
 */

/** General data coding group, 8-bit data, no message class (Kannel's default for 8-bit). */
export const DCS_8BIT_DATA = 0x04;
/** Data coding/message class group (1111), 8-bit data, class 1 (ME-specific): Kannel alt-dcs, Gammu OTA. */
export const DCS_8BIT_DATA_CLASS_1 = 0xf5;
/** General data coding group, 8-bit data, class 1: the general-group equivalent of 0xF5. */
export const DCS_8BIT_DATA_CLASS_1_GENERAL = 0x15;
/** TP-PID / SMPP protocol_id for ordinary short messages. */
export const PROTOCOL_ID_DEFAULT = 0x00;
/** esm_class bit: short_message begins with a User Data Header (UDHI). */
export const ESM_CLASS_UDHI = 0x40;
/** esm_class messaging mode store-and-forward (Kannel's default mode bits). */
export const ESM_CLASS_STORE_AND_FORWARD = 0x03;
/** UDHI with store-and-forward mode, as Kannel sends it (node-smpp's KANNEL_UDH_INDICATOR). */
export const ESM_CLASS_UDHI_STORE_AND_FORWARD = ESM_CLASS_UDHI | ESM_CLASS_STORE_AND_FORWARD;
/** TP-UD of one SMS holds at most 140 octets of 8-bit data, UDH included (docs/protocol.md §5.2). */
export const MAX_TP_UD_OCTETS = 140;
