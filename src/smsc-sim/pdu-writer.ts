import type { PduFields } from 'smpp';
import {
  COMMAND_ID_OFFSET,
  COMMAND_LENGTH_OFFSET,
  COMMAND_STATUS_OFFSET,
  DELIVER_SM,
  MAX_SEQUENCE_NUMBER,
  PDU_HEADER_OCTETS,
  SEQUENCE_NUMBER_OFFSET,
  SUBMIT_SM_RESP,
  TLV_HEADER_OCTETS,
  TLV_MESSAGE_PAYLOAD,
  TLV_MESSAGE_STATE,
  TLV_NETWORK_ERROR_CODE,
  TLV_RECEIPTED_MESSAGE_ID,
  TLV_USSD_SERVICE_OP,
} from '../connectors/smpp/protocol.ts';

/**
 * Encoders for the two PDUs the simulator sends once per submit (submit_sm_resp and the receipt
 * deliver_sm). node-smpp builds a PDU object, filters every field and walks them twice per encode; at
 * thousands of submits a second that was most of the simulator's time. These write the same bytes
 * straight into one buffer (tests compare them with node-smpp's output). Everything else still goes
 * through node-smpp.
 */

type FieldKind = 'u8' | 'cstring' | 'sm';

/** deliver_sm mandatory parameters in wire order (SMPP 3.4 §4.6.1; docs/protocol.md §6.4 has the same list for submit_sm). */
const DELIVER_SM_BODY: ReadonlyArray<readonly [keyof PduFields, FieldKind]> = [
  ['service_type', 'cstring'],
  ['source_addr_ton', 'u8'],
  ['source_addr_npi', 'u8'],
  ['source_addr', 'cstring'],
  ['dest_addr_ton', 'u8'],
  ['dest_addr_npi', 'u8'],
  ['destination_addr', 'cstring'],
  ['esm_class', 'u8'],
  ['protocol_id', 'u8'],
  ['priority_flag', 'u8'],
  ['schedule_delivery_time', 'cstring'],
  ['validity_period', 'cstring'],
  ['registered_delivery', 'u8'],
  ['replace_if_present_flag', 'u8'],
  ['data_coding', 'u8'],
  ['sm_default_msg_id', 'u8'],
  ['short_message', 'sm'], // sm_length octet, then the octets
];

/** The optional parameters the simulator sends (SMPP 3.4 §5.3.2; docs/protocol.md §5.4, §6.6). */
const TLVS: Partial<Record<keyof PduFields, readonly [number, 'u8' | 'cstring' | 'octets']>> = {
  receipted_message_id: [TLV_RECEIPTED_MESSAGE_ID, 'cstring'],
  message_state: [TLV_MESSAGE_STATE, 'u8'],
  network_error_code: [TLV_NETWORK_ERROR_CODE, 'octets'],
  message_payload: [TLV_MESSAGE_PAYLOAD, 'octets'],
  ussd_service_op: [TLV_USSD_SERVICE_OP, 'u8'],
};

const EMPTY = Buffer.alloc(0);

/** The next sequence_number of a session that numbers its requests as node-smpp does. */
export function nextSequence(session: { sequence: number }): number {
  if (session.sequence === MAX_SEQUENCE_NUMBER) session.sequence = 0;
  return ++session.sequence;
}

function writeHeader(buffer: Buffer, commandId: number, status: number, sequence: number): void {
  buffer.writeUInt32BE(buffer.length, COMMAND_LENGTH_OFFSET);
  buffer.writeUInt32BE(commandId, COMMAND_ID_OFFSET);
  buffer.writeUInt32BE(status, COMMAND_STATUS_OFFSET);
  buffer.writeUInt32BE(sequence, SEQUENCE_NUMBER_OFFSET);
}

/** submit_sm_resp: message_id when accepted; header only on an error status (as node-smpp sends it). */
export function encodeSubmitSmResp(sequence: number, status: number, messageId: string): Buffer {
  const body = status === 0 ? messageId.length + 1 : 0;
  const buffer = Buffer.allocUnsafe(PDU_HEADER_OCTETS + body);
  writeHeader(buffer, SUBMIT_SM_RESP, status, sequence);
  if (body > 0) {
    buffer.write(messageId, PDU_HEADER_OCTETS, 'latin1');
    buffer[PDU_HEADER_OCTETS + messageId.length] = 0;
  }
  return buffer;
}

function shortMessageOf(fields: PduFields): Buffer {
  const value = fields.short_message;
  return Buffer.isBuffer(value) ? value : EMPTY;
}

/**
 * deliver_sm from plain fields (strings ASCII, short_message and octet TLVs as Buffers). TLVs follow in
 * the order the fields object lists them.
 */
export function encodeDeliverSm(sequence: number, fields: PduFields): Buffer {
  let length = PDU_HEADER_OCTETS;
  for (const [name, kind] of DELIVER_SM_BODY) {
    if (kind === 'u8') length += 1;
    else if (kind === 'cstring') length += ((fields[name] as string | undefined) ?? '').length + 1;
    else length += 1 + shortMessageOf(fields).length;
  }
  for (const name in fields) {
    const tlv = TLVS[name as keyof PduFields];
    if (!tlv) continue;
    const value = fields[name as keyof PduFields];
    if (value === undefined) continue;
    length += TLV_HEADER_OCTETS + tlvValueLength(tlv[1], value);
  }

  const buffer = Buffer.allocUnsafe(length);
  writeHeader(buffer, DELIVER_SM, 0, sequence);
  let offset = PDU_HEADER_OCTETS;
  for (const [name, kind] of DELIVER_SM_BODY) {
    if (kind === 'u8') {
      buffer[offset++] = ((fields[name] as number | null | undefined) ?? 0) & 0xff;
    } else if (kind === 'cstring') {
      const text = (fields[name] as string | undefined) ?? '';
      offset += buffer.write(text, offset, 'latin1');
      buffer[offset++] = 0;
    } else {
      const message = shortMessageOf(fields);
      buffer[offset++] = message.length;
      offset += message.copy(buffer, offset);
    }
  }
  for (const name in fields) {
    const tlv = TLVS[name as keyof PduFields];
    if (!tlv) continue;
    const value = fields[name as keyof PduFields];
    if (value === undefined) continue;
    const [tag, kind] = tlv;
    const valueLength = tlvValueLength(kind, value);
    buffer.writeUInt16BE(tag, offset);
    buffer.writeUInt16BE(valueLength, offset + 2);
    offset += TLV_HEADER_OCTETS;
    if (kind === 'u8') {
      buffer[offset++] = (value as number) & 0xff;
    } else if (kind === 'cstring') {
      offset += buffer.write(value as string, offset, 'latin1');
      buffer[offset++] = 0;
    } else {
      offset += (value as Buffer).copy(buffer, offset);
    }
  }
  return buffer;
}

function tlvValueLength(kind: 'u8' | 'cstring' | 'octets', value: unknown): number {
  if (kind === 'u8') return 1;
  if (kind === 'cstring') return (value as string).length + 1;
  return (value as Buffer).length;
}
