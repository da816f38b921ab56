import type { PduFields } from 'smpp';
import { encodeGsmUnpacked } from '../../codecs/sms/gsm-7bit.ts';
// MO text goes out as GSM 7-bit (one septet per octet), Latin-1 or UCS-2, with the default esm_class.
import {
  DATA_CODING_LATIN1,
  DATA_CODING_SMSC_DEFAULT,
  DATA_CODING_UCS2,
  ESM_CLASS_DEFAULT,
  USSD_SERVICE_OPS,
  type UssdServiceOp,
} from '../connectors/smpp/protocol.ts';

export { USSD_SERVICE_OPS, type UssdServiceOp };

/** TON/NPI of a subscriber number: international, ISDN/E.164 (SMPP 3.4 §5.2.5-6). */
const TON_INTERNATIONAL = 1;
const NPI_ISDN = 1;
/** short_message holds at most 254 octets; longer text goes in message_payload (SMPP 3.4 §5.2.21, §5.3.2.32). */
const SHORT_MESSAGE_MAX_OCTETS = 254;
/** service_type that many SMSCs put on USSD deliveries (SMPP 3.4 §5.2.11 lists "USSD"). */
const SERVICE_TYPE_USSD = 'USSD';
/** Highest code point ISO-8859-1 can carry. */
const LATIN1_MAX = 0xff;

export type MoCoding = 'gsm7' | 'latin1' | 'ucs2';

export interface MoMessage {
  /** The subscriber's MSISDN (source_addr). */
  from: string;
  /** The service number or short code it was sent to (destination_addr). */
  to: string;
  text: string;
  /** Default: GSM 7-bit when every character is in the GSM default alphabet, else UCS-2. */
  coding?: MoCoding;
  /** Marks the message as USSD, with this ussd_service_op (default 'pssr-indication', a user-initiated request). */
  ussd?: { op?: UssdServiceOp | number };
  /** Which bound system_id gets it; default the first with a receiver-capable bind. */
  systemId?: string;
}

/** Unpacked septets (one per octet, as SMPP carries data_coding 0), or null when a character has none. */
export function encodeGsm7Unpacked(text: string): Buffer | null {
  const septets = encodeGsmUnpacked(text);
  return septets && Buffer.from(septets.buffer, septets.byteOffset, septets.byteLength);
}

function encodeText(text: string, coding: MoCoding | undefined): { dataCoding: number; octets: Buffer } {
  if (coding === undefined || coding === 'gsm7') {
    const septets = encodeGsm7Unpacked(text);
    if (septets) return { dataCoding: DATA_CODING_SMSC_DEFAULT, octets: septets };
    if (coding === 'gsm7')
      throw new MoError('MO_NOT_GSM7', 'text has characters outside the GSM default alphabet');
  }
  if (coding === 'latin1') {
    if ([...text].some((char) => char.codePointAt(0)! > LATIN1_MAX))
      throw new MoError('MO_NOT_LATIN1', 'text has characters outside Latin-1');
    return { dataCoding: DATA_CODING_LATIN1, octets: Buffer.from(text, 'latin1') };
  }
  return { dataCoding: DATA_CODING_UCS2, octets: Buffer.from(text, 'utf16le').swap16() };
}

export class MoError extends Error {
  override readonly name = 'MoError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The deliver_sm fields of an MO SMS or USSD message from a subscriber. */
export function moFields(message: MoMessage): PduFields {
  const { dataCoding, octets } = encodeText(message.text, message.coding);
  const fields: PduFields = {
    service_type: message.ussd ? SERVICE_TYPE_USSD : '',
    source_addr_ton: TON_INTERNATIONAL,
    source_addr_npi: NPI_ISDN,
    source_addr: message.from,
    destination_addr: message.to,
    esm_class: ESM_CLASS_DEFAULT,
    data_coding: dataCoding,
  };
  if (octets.length <= SHORT_MESSAGE_MAX_OCTETS) {
    fields.short_message = octets;
  } else {
    fields.short_message = Buffer.alloc(0);
    fields.message_payload = octets;
  }
  if (message.ussd) {
    const op = message.ussd.op ?? 'pssr-indication';
    fields.ussd_service_op = typeof op === 'number' ? op : USSD_SERVICE_OPS[op];
  }
  return fields;
}
