import type { PduFields } from 'smpp';
import {
  ESM_CLASS_SMSC_DELIVERY_RECEIPT,
  REGISTERED_DELIVERY_FAILURE,
  REGISTERED_DELIVERY_FINAL,
  REGISTERED_DELIVERY_RECEIPT_MASK,
  REGISTERED_DELIVERY_SUCCESS,
} from '../connectors/smpp/protocol.ts';
import type { IdBase, ReceiptStat } from './behaviour.ts';

/** message_state TLV values (SMPP 3.4 §5.2.28; docs/protocol.md §6.6). */
const MESSAGE_STATE: Record<ReceiptStat, number> = {
  DELIVRD: 2, // DELIVERED
  EXPIRED: 3,
  DELETED: 4,
  UNDELIV: 5, // UNDELIVERABLE
  ACCEPTD: 6, // ACCEPTED
  UNKNOWN: 7,
  REJECTD: 8, // REJECTED
};

/** network_error_code TLV network type GSM (SMPP 3.4 §5.3.2.31). */
const NETWORK_TYPE_GSM = 3;

/**
 * The `err:` value (and the GSM error in network_error_code) each state reports. The failure codes are
 * GSM MAP error codes a real SMSC would pass on (3GPP TS 29.002 §17.6): 1 unknown subscriber,
 * 27 absent subscriber (the usual cause of expiry), 11 teleservice not provisioned.
 */
const ERROR_CODE: Record<ReceiptStat, number> = {
  DELIVRD: 0,
  EXPIRED: 27,
  DELETED: 0,
  UNDELIV: 1,
  ACCEPTD: 0,
  UNKNOWN: 0,
  REJECTD: 11,
};

const SUCCESS_STATS: ReadonlySet<ReceiptStat> = new Set(['DELIVRD', 'ACCEPTD']);

/** message_state ENROUTE: what query_sm answers before the message's final state (SMPP 3.4 §5.2.28). */
export const MESSAGE_STATE_ENROUTE = 1;

/** The message_state a final state is reported with (receipt TLV and query_sm_resp alike). */
export function messageStateOf(stat: ReceiptStat): number {
  return MESSAGE_STATE[stat];
}

/** The GSM error a final state is reported with (query_sm_resp error_code; the receipt's err:). */
export function errorCodeOf(stat: ReceiptStat): number {
  return ERROR_CODE[stat];
}

/** Whether registered_delivery asks for a receipt in this final state. */
export function receiptRequested(registeredDelivery: number, stat: ReceiptStat): boolean {
  switch (registeredDelivery & REGISTERED_DELIVERY_RECEIPT_MASK) {
    case REGISTERED_DELIVERY_FINAL:
      return true;
    case REGISTERED_DELIVERY_FAILURE:
      return !SUCCESS_STATS.has(stat);
    case REGISTERED_DELIVERY_SUCCESS:
      return SUCCESS_STATS.has(stat);
    default:
      return false;
  }
}

export interface IdStyle {
  hexUppercase: boolean;
  idMinLength: number;
}

/** One SMSC message number rendered as the SMSC would in a given place. */
export function renderMessageId(id: number, base: IdBase, style: IdStyle): string {
  let text = base === 'hex' ? id.toString(16) : id.toString(10);
  if (base === 'hex' && style.hexUppercase) text = text.toUpperCase();
  return style.idMinLength > text.length ? text.padStart(style.idMinLength, '0') : text;
}

const twoDigits = (value: number) => (value < 10 ? '0' : '') + value;
let cachedMinute = -1;
let cachedDate = '';

/** `YYMMDDhhmm` in UTC, the date format of receipt text (docs/protocol.md §6.6). */
export function receiptDate(epochMs: number): string {
  const minute = Math.floor(epochMs / 60_000);
  if (minute !== cachedMinute) {
    const date = new Date(minute * 60_000);
    cachedDate =
      twoDigits(date.getUTCFullYear() % 100) +
      twoDigits(date.getUTCMonth() + 1) +
      twoDigits(date.getUTCDate()) +
      twoDigits(date.getUTCHours()) +
      twoDigits(date.getUTCMinutes());
    cachedMinute = minute;
  }
  return cachedDate;
}

export interface ReceiptContent {
  format: 'tlv' | 'text' | 'both';
  stat: ReceiptStat;
  textId: string;
  tlvId: string;
  submittedAt: number;
  doneAt: number;
  /** First characters of the original text; empty for binary messages. */
  originalText: string;
  /** The original submit's addresses: the receipt comes from its destination and goes to its source. */
  sourceAddr: string;
  sourceAddrTon: number;
  sourceAddrNpi: number;
  destinationAddr: string;
  destinationAddrTon: number;
  destinationAddrNpi: number;
}

/** `id:… sub:001 dlvrd:001 submit date:… done date:… stat:DELIVRD err:000 text:…` (docs/protocol.md §6.6). */
export function receiptText(content: ReceiptContent): string {
  const delivered = content.stat === 'DELIVRD' ? '001' : '000';
  const err = String(ERROR_CODE[content.stat]).padStart(3, '0');
  return (
    `id:${content.textId} sub:001 dlvrd:${delivered} submit date:${receiptDate(content.submittedAt)} ` +
    `done date:${receiptDate(content.doneAt)} stat:${content.stat} err:${err} text:${content.originalText}`
  );
}

/** The deliver_sm fields of a receipt. */
export function receiptFields(content: ReceiptContent): PduFields {
  const fields: PduFields = {
    source_addr_ton: content.destinationAddrTon,
    source_addr_npi: content.destinationAddrNpi,
    source_addr: content.destinationAddr,
    dest_addr_ton: content.sourceAddrTon,
    dest_addr_npi: content.sourceAddrNpi,
    destination_addr: content.sourceAddr,
    esm_class: ESM_CLASS_SMSC_DELIVERY_RECEIPT,
    data_coding: 0,
    // a Buffer goes out as is; node-smpp would otherwise run its text-encoding detection per receipt
    short_message: content.format === 'tlv' ? EMPTY : Buffer.from(receiptText(content), 'latin1'),
  };
  if (content.format !== 'text') {
    fields.receipted_message_id = content.tlvId;
    fields.message_state = MESSAGE_STATE[content.stat];
    const error = ERROR_CODE[content.stat];
    if (error !== 0) {
      const code = Buffer.alloc(3);
      code[0] = NETWORK_TYPE_GSM;
      code.writeUInt16BE(error, 1);
      fields.network_error_code = code;
    }
  }
  return fields;
}

const EMPTY = Buffer.alloc(0);

/** Up to 20 printable characters of a text message for `text:`; binary content gives ''. */
export function receiptExcerpt(text: string | null): string {
  if (!text) return '';
  return text.slice(0, 20).replace(/[^\x20-\x7e]/g, '?');
}
