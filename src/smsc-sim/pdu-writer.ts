import type { PduFields } from 'smpp';

/**
 * Encoders for the two PDUs the simulator sends once per submit (submit_sm_resp and the receipt
 * deliver_sm). node-smpp builds a PDU object, filters every field and walks them twice per encode; at
 * thousands of submits a second that was most of the simulator's time. These write the same bytes
 * straight into one buffer (tests compare them with node-smpp's output). Everything else still goes
 * through node-smpp.
 */

/** command_id values (SMPP 3.4 §5.1.2.1; docs/protocol.md §6.1). */
export const SUBMIT_SM_RESP = 0x80000004;
export const DELIVER_SM = 0x00000005;
/** command_length, command_id, command_status, sequence_number: 4 octets each (SMPP 3.4 §3.2). */
const HEADER_OCTETS = 16;
/** TLV tag and length, 2 octets each (SMPP 3.4 §3.2.3). */
const TLV_HEADER_OCTETS = 4;
/** sequence_number runs 1..0x7FFFFFFF, then wraps (SMPP 3.4 §3.2; docs/protocol.md §6.1). */
const MAX_SEQUENCE_NUMBER = 0x7fffffff;

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
  receipted_message_id: [0x001e, 'cstring'],
  message_state: [0x0427, 'u8'],
  network_error_code: [0x0423, 'octets'],
  message_payload: [0x0424, 'octets'],
  ussd_service_op: [0x0501, 'u8'],
};

const EMPTY = Buffer.alloc(0);

/** The next sequence_number of a session that numbers its requests as node-smpp does. */
export function nextSequence(session: { sequence: number }): number {
  if (session.sequence === MAX_SEQUENCE_NUMBER) session.sequence = 0;
  return ++session.sequence;
}

function writeHeader(buffer: Buffer, commandId: number, status: number, sequence: number): void {
  buffer.writeUInt32BE(buffer.length, 0);
  buffer.writeUInt32BE(commandId, 4);
  buffer.writeUInt32BE(status, 8);
  buffer.writeUInt32BE(sequence, 12);
}

/** submit_sm_resp: message_id when accepted; header only on an error status (as node-smpp sends it). */
export function encodeSubmitSmResp(sequence: number, status: number, messageId: string): Buffer {
  const body = status === 0 ? messageId.length + 1 : 0;
  const buffer = Buffer.allocUnsafe(HEADER_OCTETS + body);
  writeHeader(buffer, SUBMIT_SM_RESP, status, sequence);
  if (body > 0) {
    buffer.write(messageId, HEADER_OCTETS, 'latin1');
    buffer[HEADER_OCTETS + messageId.length] = 0;
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
  let length = HEADER_OCTETS;
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
  let offset = HEADER_OCTETS;
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
