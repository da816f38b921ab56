/**
 * node-smpp's Session, keeping the raw bytes of every PDU it receives. node-smpp decodes short_message
 * through a text codec chosen from data_coding (DIGEST §6.10), which loses bytes for GSM text and
 * mangles binary content; MO messages and receipts are read from the raw bytes instead
 * (see deliver-sm.ts). Framing, sequence numbers, response callbacks and PDU encoding stay node-smpp's.
 */
import smpp from 'smpp';
import type { PDU, SessionOptions } from 'smpp';

/** SMPP 3.4 §3.2: command_length counts the whole PDU, header (16 octets) included. */
const PDU_HEADER_LENGTH = 16;
const COMMAND_LENGTH_OCTETS = 4;
/** Larger than any legal PDU we accept (message_payload can reach 64K). */
const MAX_PDU_LENGTH = 70_000;

const rawBytes = new WeakMap<PDU, Buffer>();

/** The bytes a received PDU was decoded from (undefined for PDUs we built ourselves). */
export function rawPdu(pdu: PDU): Buffer | undefined {
  return rawBytes.get(pdu);
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
          if (commandLength < PDU_HEADER_LENGTH || commandLength > MAX_PDU_LENGTH) {
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
        const pdu = new smpp.PDU(raw);
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
