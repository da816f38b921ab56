/**
 * deliver_sm (and data_sm) bodies read from their raw bytes, and turned into a receipt or an MO message.
 * Field order: SMPP 3.4 §4.6.1 (deliver_sm) and §4.7.1 (data_sm), the same walk as docs/protocol.md §6.4.
 */
import { ByteReader } from '../../../codecs/bytes/reader.ts';
import type { DeliveryReport, MoMessage } from '../types.ts';
import { normaliseMessageId, type MessageIdBase } from './message-id.ts';
import { parseReceiptDate, parseReceiptText } from './receipt-text.ts';
import { parseNetworkErrorCode, stateFromMessageState, stateFromStat } from './receipt-state.ts';
import {
  DATA_CODING_UCS2,
  ESM_CLASS_INTERMEDIATE_NOTIFICATION,
  ESM_CLASS_SME_DELIVERY_ACK,
  ESM_CLASS_SMSC_DELIVERY_RECEIPT,
  ESM_CLASS_UDHI,
  PDU_HEADER_OCTETS,
  TLV_MESSAGE_PAYLOAD,
  TLV_MESSAGE_STATE,
  TLV_NETWORK_ERROR_CODE,
  TLV_RECEIPTED_MESSAGE_ID,
  TLV_USSD_SERVICE_OP,
} from './protocol.ts';
import { decodeShortMessageText } from './short-message-text.ts';

/** esm_class message types that are receipts or acks (docs/protocol.md §6.6). */
const ESM_RECEIPT_BITS =
  ESM_CLASS_SMSC_DELIVERY_RECEIPT | ESM_CLASS_SME_DELIVERY_ACK | ESM_CLASS_INTERMEDIATE_NOTIFICATION;

export interface IncomingMessage {
  sourceAddr: string;
  destinationAddr: string;
  serviceType: string;
  esmClass: number;
  dataCoding: number;
  /** short_message, or message_payload when short_message is empty */
  userData: Uint8Array;
  tlvs: Map<number, Uint8Array>;
}

const ascii = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

function readTlvs(reader: ByteReader): Map<number, Uint8Array> {
  const tlvs = new Map<number, Uint8Array>();
  while (reader.remaining >= 4) {
    const tag = reader.u16('a TLV tag');
    const length = reader.u16('a TLV length');
    tlvs.set(tag, reader.take(length, 'a TLV value'));
  }
  return tlvs;
}

/** The fields deliver_sm and data_sm open with, service_type to esm_class (SMPP 3.4 §4.6.1, §4.7.1). */
function readAddressing(reader: ByteReader) {
  const serviceType = ascii(reader.cstringBytes('service_type'));
  reader.u8('source_addr_ton');
  reader.u8('source_addr_npi');
  const sourceAddr = ascii(reader.cstringBytes('source_addr'));
  reader.u8('dest_addr_ton');
  reader.u8('dest_addr_npi');
  const destinationAddr = ascii(reader.cstringBytes('destination_addr'));
  const esmClass = reader.u8('esm_class');
  return { serviceType, sourceAddr, destinationAddr, esmClass };
}

/** deliver_sm body, SMPP 3.4 §4.6.1. Throws CodecError('TRUNCATED') on a short PDU. */
export function readDeliverSm(raw: Uint8Array): IncomingMessage {
  const reader = new ByteReader(raw, PDU_HEADER_OCTETS);
  const { serviceType, sourceAddr, destinationAddr, esmClass } = readAddressing(reader);
  reader.u8('protocol_id');
  reader.u8('priority_flag');
  reader.cstringBytes('schedule_delivery_time');
  reader.cstringBytes('validity_period');
  reader.u8('registered_delivery');
  reader.u8('replace_if_present_flag');
  const dataCoding = reader.u8('data_coding');
  reader.u8('sm_default_msg_id');
  const smLength = reader.u8('sm_length');
  const shortMessage = reader.take(smLength, 'short_message');
  const tlvs = readTlvs(reader);
  const payload = tlvs.get(TLV_MESSAGE_PAYLOAD);
  return {
    sourceAddr,
    destinationAddr,
    serviceType,
    esmClass,
    dataCoding,
    userData: shortMessage.length === 0 && payload ? payload : shortMessage,
    tlvs,
  };
}

/** data_sm body, SMPP 3.4 §4.7.1: no short_message, the content is in message_payload. */
export function readDataSm(raw: Uint8Array): IncomingMessage {
  const reader = new ByteReader(raw, PDU_HEADER_OCTETS);
  const { serviceType, sourceAddr, destinationAddr, esmClass } = readAddressing(reader);
  reader.u8('registered_delivery');
  const dataCoding = reader.u8('data_coding');
  const tlvs = readTlvs(reader);
  return {
    sourceAddr,
    destinationAddr,
    serviceType,
    esmClass,
    dataCoding,
    userData: tlvs.get(TLV_MESSAGE_PAYLOAD) ?? new Uint8Array(0),
    tlvs,
  };
}

/** A receipt: the esm_class says so (Kannel checks 0x04|0x08|0x20), or it carries receipted_message_id. */
export function isReceipt(message: IncomingMessage): boolean {
  return (message.esmClass & ESM_RECEIPT_BITS) !== 0 || message.tlvs.has(TLV_RECEIPTED_MESSAGE_ID);
}

export interface ReceiptIdBases {
  /** base of the `id:` in the text */
  text: MessageIdBase;
  /** base of receipted_message_id */
  tlv: MessageIdBase;
}

function cstringValue(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return ascii(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}

/**
 * The receipt a deliver_sm carries: TLVs first (receipted_message_id, message_state, network_error_code),
 * the text as fallback and for the extra fields (docs/protocol.md §6.6). Undefined when no message id is found.
 * The text's `submit date` / `done date` are the SMSC's local time, read in `timeZone` (the SMSC's setting).
 */
export function readReceipt(
  message: IncomingMessage,
  smscId: string,
  bases: ReceiptIdBases,
  timeZone = 'UTC',
): Omit<DeliveryReport, 'bindId'> | undefined {
  // UCS-2 receipts exist; everything else is read as Latin-1 (receipt text is ASCII)
  const text =
    message.dataCoding === DATA_CODING_UCS2
      ? new TextDecoder('utf-16be').decode(message.userData)
      : ascii(message.userData);
  const parsedText = parseReceiptText(text);
  const tlvId = message.tlvs.get(TLV_RECEIPTED_MESSAGE_ID);
  const tlvState = message.tlvs.get(TLV_MESSAGE_STATE);
  const tlvNetworkError = message.tlvs.get(TLV_NETWORK_ERROR_CODE);

  const rawTlvId = tlvId ? cstringValue(tlvId) : '';
  const rawMessageId = rawTlvId || parsedText?.id;
  if (!rawMessageId) return undefined;
  const source = rawTlvId ? 'tlv' : 'text';
  const messageId = normaliseMessageId(rawMessageId, source === 'tlv' ? bases.tlv : bases.text);

  const state =
    tlvState && tlvState.length === 1
      ? stateFromMessageState(tlvState[0])
      : parsedText?.stat !== undefined
        ? stateFromStat(parsedText.stat)
        : 'unknown';
  const networkErrorCode = tlvNetworkError ? parseNetworkErrorCode(tlvNetworkError) : undefined;
  const report: Omit<DeliveryReport, 'bindId'> = {
    smscId,
    messageId,
    rawMessageId,
    state,
    source,
    destination: message.sourceAddr || undefined,
  };
  if (parsedText?.stat !== undefined) report.stat = parsedText.stat;
  if (parsedText?.err !== undefined) report.error = parsedText.err;
  if (networkErrorCode !== undefined) report.networkErrorCode = networkErrorCode;
  const submittedAt = parsedText?.submitDate ? parseReceiptDate(parsedText.submitDate, timeZone) : undefined;
  const doneAt = parsedText?.doneDate ? parseReceiptDate(parsedText.doneDate, timeZone) : undefined;
  if (submittedAt) report.submittedAt = submittedAt;
  if (doneAt) report.doneAt = doneAt;
  return report;
}

/** An MO message: UDH split off when esm_class says there is one, text decoded per data_coding. */
export function readMo(message: IncomingMessage, smscId: string): Omit<MoMessage, 'bindId'> {
  let bytes = message.userData;
  let udh: Uint8Array | undefined;
  if (message.esmClass & ESM_CLASS_UDHI && bytes.length > 0) {
    const udhLength = bytes[0] + 1; // UDHL counts the octets after itself (docs/protocol.md §5.1)
    udh = bytes.subarray(0, Math.min(udhLength, bytes.length));
    bytes = bytes.subarray(Math.min(udhLength, bytes.length));
  }
  const mo: Omit<MoMessage, 'bindId'> = {
    smscId,
    from: message.sourceAddr,
    to: message.destinationAddr,
    text: decodeShortMessageText(bytes, message.dataCoding),
    bytes: Uint8Array.from(bytes),
    dataCoding: message.dataCoding,
  };
  if (udh) mo.udh = Uint8Array.from(udh);
  const ussd = message.tlvs.get(TLV_USSD_SERVICE_OP);
  if (ussd && ussd.length === 1) mo.ussd = { serviceOp: ussd[0] };
  return mo;
}
