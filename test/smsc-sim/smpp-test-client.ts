import smpp, { type PDU, type PduFields, type Session } from 'smpp';

export type BindCommand = 'bind_transceiver' | 'bind_transmitter' | 'bind_receiver';

/**
 * A bare node-smpp client for driving the simulator in tests: answers every deliver_sm and keeps it,
 * resolves each request with its response (submit_sm_resp or generic_nack).
 */
export class TestClient {
  readonly delivered: PDU[] = [];
  readonly enquireLinkResponses: PDU[] = [];
  closed = false;
  private deliveryWaiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];

  private constructor(readonly session: Session) {
    session.on('deliver_sm', (pdu: PDU) => {
      session.send(pdu.response());
      this.delivered.push(pdu);
      for (const wake of this.deliveryWaiters.splice(0)) wake();
    });
    session.on('error', () => undefined);
    session.on('close', () => {
      this.closed = true;
      for (const wake of this.closeWaiters.splice(0)) wake();
      for (const wake of this.deliveryWaiters.splice(0)) wake();
    });
  }

  static connect(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const session = smpp.connect({ host: '127.0.0.1', port }, () => {
        session.off('error', reject);
        resolve(new TestClient(session));
      });
      session.once('error', reject);
    });
  }

  static async bound(
    port: number,
    systemId = 'otagw',
    password = 'otagwsim',
    command: BindCommand = 'bind_transceiver',
  ): Promise<TestClient> {
    const client = await TestClient.connect(port);
    const response = await client.request(command, {
      system_id: systemId,
      password,
      interface_version: 0x34,
    });
    if (response.command_status !== 0)
      throw new Error(`bind refused: 0x${response.command_status.toString(16)}`);
    return client;
  }

  request(
    command:
      'bind_transceiver' | 'bind_transmitter' | 'bind_receiver' | 'submit_sm' | 'enquire_link' | 'unbind',
    fields: PduFields = {},
  ): Promise<PDU> {
    return new Promise((resolve, reject) => {
      const sent = this.session.send(new smpp.PDU(command, fields), resolve);
      if (!sent) reject(new Error('socket not writable'));
    });
  }

  submit(fields: PduFields): Promise<PDU> {
    return this.request('submit_sm', {
      source_addr: '12345',
      destination_addr: '447700900001',
      registered_delivery: 1,
      data_coding: 0x04,
      short_message: Buffer.from('hello'),
      ...fields,
    });
  }

  /** Sends without waiting; the response arrives through the returned promise. */
  async waitForDeliveries(count: number, timeoutMs = 2000): Promise<PDU[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.delivered.length < count) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(`got ${this.delivered.length} of ${count} deliver_sm`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.deliveryWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.delivered.slice();
  }

  waitForClose(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.session.destroy();
  }
}

/** Resolves after `ms`; for letting a delayed behaviour play out, never as a pass/fail threshold. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Text of a receipt deliver_sm (short_message decoded by node-smpp as GSM text for data_coding 0). */
export function receiptTextOf(pdu: PDU): string {
  const message = pdu.short_message?.message;
  if (message === undefined) return '';
  return typeof message === 'string' ? message : message.toString('latin1');
}
