/**
 * SMPP facts shared by the connector (an ESME) and the simulator (an SMSC): the PDU header, the command ids
 * either side writes or reads from raw bytes, the TLV tags read or written by hand, and the esm_class,
 * registered_delivery and interface_version values. One definition each; command_status values and names
 * live in command-status.ts. The reference is SMPP 3.4 as summarised in docs/protocol.md §6.
 */

// ---- PDU header (SMPP 3.4 §3.2; docs/protocol.md §6.1) ----------------------------------------------

/** command_length, command_id, command_status, sequence_number: four big-endian 4-octet fields. */
export const PDU_HEADER_OCTETS = 16;
export const COMMAND_LENGTH_OFFSET = 0;
export const COMMAND_ID_OFFSET = 4;
export const COMMAND_STATUS_OFFSET = 8;
export const SEQUENCE_NUMBER_OFFSET = 12;
/** The size of command_length itself, read first to frame a PDU. */
export const COMMAND_LENGTH_OCTETS = 4;
/** sequence_number runs 1..0x7FFFFFFF, then wraps (docs/protocol.md §6.1). */
export const MAX_SEQUENCE_NUMBER = 0x7fffffff;

// ---- command ids (SMPP 3.4 §5.1.2.1; docs/protocol.md §6.1) -----------------------------------------

export const SUBMIT_SM_RESP = 0x80000004;
export const DELIVER_SM = 0x00000005;
export const DATA_SM = 0x00000103;

// ---- TLVs (SMPP 3.4 §3.2.3, §5.3.2; docs/protocol.md §5.4, §6.5, §6.6) -------------------------------

/** Tag and length, 2 octets each. */
export const TLV_HEADER_OCTETS = 4;
export const TLV_RECEIPTED_MESSAGE_ID = 0x001e;
export const TLV_NETWORK_ERROR_CODE = 0x0423;
export const TLV_MESSAGE_PAYLOAD = 0x0424;
export const TLV_MESSAGE_STATE = 0x0427;
export const TLV_USSD_SERVICE_OP = 0x0501;

/** ussd_service_op values (SMPP 3.4 §5.3.2.44): requests from the handset, answers from the network. */
export const USSD_SERVICE_OPS = {
  'pssd-indication': 0,
  'pssr-indication': 1,
  'ussr-request': 2,
  'ussn-request': 3,
  'pssd-response': 16,
  'pssr-response': 17,
  'ussr-confirm': 18,
  'ussn-confirm': 19,
} as const;
export type UssdServiceOp = keyof typeof USSD_SERVICE_OPS;

// ---- esm_class (SMPP 3.4 §5.2.12; docs/protocol.md §6.4, §6.6, §5.3) ---------------------------------

/** Default message mode and type: an ordinary short message (MO and MT). */
export const ESM_CLASS_DEFAULT = 0x00;
/** Message type bits 5-2 = 0001: an SMSC delivery receipt. */
export const ESM_CLASS_SMSC_DELIVERY_RECEIPT = 0x04;
/** Message type bits 5-2 = 0010: an SME delivery acknowledgement. */
export const ESM_CLASS_SME_DELIVERY_ACK = 0x08;
/** Message type bits 5-2 = 1000: an intermediate delivery notification. */
export const ESM_CLASS_INTERMEDIATE_NOTIFICATION = 0x20;
/** GSM feature bit 6, UDHI: short_message starts with a User Data Header (docs/protocol.md §5.3). */
export const ESM_CLASS_UDHI = 0x40;

// ---- registered_delivery (SMPP 3.4 §5.2.17; docs/protocol.md §6.4) -----------------------------------

/** Bits 1-0: which SMSC delivery receipt is asked for. */
export const REGISTERED_DELIVERY_RECEIPT_MASK = 0x03;
export const REGISTERED_DELIVERY_NONE = 0x00;
/** A receipt on success or failure: the final outcome either way. */
export const REGISTERED_DELIVERY_FINAL = 0x01;
export const REGISTERED_DELIVERY_FAILURE = 0x02;
/** SMPP 5.0 meaning of value 3 (reserved in 3.4): a receipt on success only. */
export const REGISTERED_DELIVERY_SUCCESS = 0x03;

// ---- data_coding below 0x10 (SMPP 3.4 §5.2.19; docs/protocol.md §5.3, §6.10) ----------------------------
// From 0x10 on the values follow the TS 23.038 §4 coding groups (short-message-text.ts reads those).

/** SMSC default alphabet: GSM 03.38 on GSM networks; plain text, never a push (docs/protocol.md §5.3). */
export const DATA_CODING_SMSC_DEFAULT = 0x00;
/** IA5 (CCITT T.50) / ASCII */
export const DATA_CODING_IA5 = 0x01;
/** Octet unspecified (8-bit binary), the SMPP 3.4 value. */
export const DATA_CODING_OCTET_UNSPECIFIED_2 = 0x02;
export const DATA_CODING_LATIN1 = 0x03;
/** Octet unspecified (8-bit binary); as a TP-DCS the general group's 8-bit data, the default for pushes. */
export const DATA_CODING_OCTET_UNSPECIFIED = 0x04;
/** ISO-8859-5 */
export const DATA_CODING_CYRILLIC = 0x06;
/** ISO-8859-8 */
export const DATA_CODING_HEBREW = 0x07;
/** UCS-2, big-endian */
export const DATA_CODING_UCS2 = 0x08;

// ---- interface_version (SMPP 3.4 §5.2.4, §5.3.2.25; docs/protocol.md §6.2) ---------------------------

/** SMPP 3.4, in bind interface_version and in the bind response's sc_interface_version TLV. */
export const INTERFACE_VERSION_34 = 0x34;
