/**
 * node-smpp's Session, keeping the raw bytes of every PDU it receives. node-smpp decodes short_message
 * through a text codec chosen from data_coding (docs/protocol.md §6.10), which loses bytes for GSM text and
 * mangles binary content; MO messages and receipts are read from the raw bytes instead
 * (see deliver-sm.ts), and node-smpp does not decode their bodies at all. Framing, sequence numbers,
 * response callbacks, PDU encoding and the decoding of every other PDU stay node-smpp's.
 */
import { isIP } from 'node:net';
import smpp from 'smpp';
import type { PDU, SessionOptions } from 'smpp';
import type { SmscConfig } from '../config.ts';
// DELIVER_SM and DATA_SM: the command ids whose bodies we read ourselves from the raw bytes (deliver-sm.ts).
import {
  COMMAND_ID_OFFSET,
  COMMAND_LENGTH_OCTETS,
  COMMAND_STATUS_OFFSET,
  DATA_SM,
  DELIVER_SM,
  PDU_HEADER_OCTETS,
  SEQUENCE_NUMBER_OFFSET,
} from './protocol.ts';

/** Larger than any legal PDU we accept (message_payload can reach 64K). */
const MAX_PDU_LENGTH = 70_000;

const rawBytes = new WeakMap<PDU, Buffer>();

/**
 * deliver_sm / data_sm with only the header decoded. node-smpp's full decode of a receipt costs about
 * three times our own read of the raw bytes and runs a text codec over content we never use; the
 * header is all that `response()` needs.
 */
function headerOnlyPdu(raw: Buffer, commandId: number): PDU {
  const pdu = Object.create(smpp.PDU.prototype) as PDU;
  pdu.command = commandId === DELIVER_SM ? 'deliver_sm' : 'data_sm';
  pdu.command_length = raw.length;
  pdu.command_id = commandId;
  pdu.command_status = raw.readUInt32BE(COMMAND_STATUS_OFFSET);
  pdu.sequence_number = raw.readUInt32BE(SEQUENCE_NUMBER_OFFSET);
  return pdu;
}

/** The bytes a received PDU was decoded from (undefined for PDUs we built ourselves). */
export function rawPdu(pdu: PDU): Buffer | undefined {
  return rawBytes.get(pdu);
}

/** Where and how to connect to the SMSC: its address, and under TLS its trust and server name. */
export function sessionOptionsOf(smsc: SmscConfig): SessionOptions {
  const options: SessionOptions = { host: smsc.host, port: smsc.port, tls: smsc.tls };
  if (smsc.tls) {
    options.rejectUnauthorized = smsc.tlsRejectUnauthorized;
    if (smsc.tlsCa) options.ca = smsc.tlsCa;
    // SNI carries host names only (RFC 6066 §3)
    if (!isIP(smsc.host)) options.servername = smsc.host;
  }
  return options;
}

export class RawSession extends smpp.Session {
  constructor(options: SessionOptions) {
    super(options);
  }

  /**
   * Same loop as node-smpp's (drain complete PDUs while not paused, emit 'pdu' and the command name,
   * call the response callback), plus: keep the raw buffer, and treat a bad length or an undecodable
   * PDU as a broken stream ('error', then the socket is destroyed).
   */
  override _extractPDUs(): void {
    if (this._busy) return;
    this._busy = true;
    try {
      while (!this.paused) {
        if (!this._command_length) {
          const lengthOctets = this.socket.read(COMMAND_LENGTH_OCTETS) as Buffer | null;
          if (!lengthOctets) break;
          const commandLength = lengthOctets.readUInt32BE(0);
          if (commandLength < PDU_HEADER_OCTETS || commandLength > MAX_PDU_LENGTH) {
            throw new Error(`invalid command_length ${commandLength}`);
          }
          this._command_length = commandLength;
        }
        const rest = this.socket.read(this._command_length - COMMAND_LENGTH_OCTETS) as Buffer | null;
        if (!rest) break;
        const raw = Buffer.allocUnsafe(this._command_length);
        raw.writeUInt32BE(this._command_length, 0);
        rest.copy(raw, COMMAND_LENGTH_OCTETS);
        this._command_length = null;
        const commandId = raw.readUInt32BE(COMMAND_ID_OFFSET);
        const pdu =
          commandId === DELIVER_SM || commandId === DATA_SM
            ? headerOnlyPdu(raw, commandId)
            : new smpp.PDU(raw);
        rawBytes.set(pdu, raw);
        this.emit('pdu', pdu);
        this.emit(pdu.command, pdu);
        const callback = pdu.isResponse() ? this._callbacks[pdu.sequence_number] : undefined;
        if (callback) {
          delete this._callbacks[pdu.sequence_number];
          callback(pdu);
        }
      }
    } catch (error) {
      this._busy = false;
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
      this.socket.destroy();
      return;
    }
    this._busy = false;
  }
}
