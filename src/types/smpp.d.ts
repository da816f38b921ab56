/**
 * Types for the parts of the `smpp` package (0.5.1, farhadi/node-smpp) that otagw uses.
 * Written from node_modules/smpp/lib/{smpp,pdu,defs}.js. Only src/connectors/smpp/ and src/smsc-sim/
 * import this module (they are the only places that know what a PDU is).
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Socket, Server as NetServer } from 'node:net';
  import type { TlsOptions } from 'node:tls';

  /** Command names node-smpp knows (defs.js `commands`). */
  export type CommandName =
    | 'alert_notification'
    | 'bind_receiver'
    | 'bind_receiver_resp'
    | 'bind_transmitter'
    | 'bind_transmitter_resp'
    | 'bind_transceiver'
    | 'bind_transceiver_resp'
    | 'cancel_sm'
    | 'cancel_sm_resp'
    | 'data_sm'
    | 'data_sm_resp'
    | 'deliver_sm'
    | 'deliver_sm_resp'
    | 'enquire_link'
    | 'enquire_link_resp'
    | 'generic_nack'
    | 'outbind'
    | 'query_sm'
    | 'query_sm_resp'
    | 'replace_sm'
    | 'replace_sm_resp'
    | 'submit_multi'
    | 'submit_multi_resp'
    | 'submit_sm'
    | 'submit_sm_resp'
    | 'unbind'
    | 'unbind_resp'
    /** a command id node-smpp does not know; answer it with generic_nack (`pdu.response()` does). */
    | 'unknown';

  /**
   * short_message as node-smpp hands it out on receive: `{ udh?, message }` where `message` is a string
   * when data_coding selected a text codec it knows (low nibble 0/1 GSM, 3 Latin-1, 8 UCS-2), otherwise
   * the raw Buffer. On send a Buffer is written as is (set UDHI yourself); `{ udh, message }` ORs 0x40
   * into esm_class.
   */
  export interface ShortMessage {
    udh?: Buffer[];
    message: string | Buffer;
  }

  /** Fields of any PDU; which are present depends on `command`. TLVs appear under their node-smpp names. */
  export interface PduFields {
    command_status?: number;
    sequence_number?: number;
    // bind_*
    system_id?: string;
    password?: string;
    system_type?: string;
    interface_version?: number;
    addr_ton?: number;
    addr_npi?: number;
    address_range?: string;
    // submit_sm / deliver_sm
    service_type?: string;
    source_addr_ton?: number;
    source_addr_npi?: number;
    source_addr?: string;
    dest_addr_ton?: number;
    dest_addr_npi?: number;
    destination_addr?: string;
    esm_class?: number;
    protocol_id?: number;
    priority_flag?: number;
    schedule_delivery_time?: string | Date;
    validity_period?: string | Date;
    registered_delivery?: number;
    replace_if_present_flag?: number;
    data_coding?: number | null;
    sm_default_msg_id?: number;
    short_message?: Buffer | string | ShortMessage | { udh: Buffer; message: Buffer | string };
    // *_resp
    message_id?: string;
    // query_sm_resp (SMPP 3.4 §4.8.2)
    final_date?: string | Date;
    error_code?: number;
    // TLVs (SMPP 3.4 §5.3.2; node-smpp names)
    receipted_message_id?: string;
    message_state?: number;
    network_error_code?: Buffer;
    message_payload?: Buffer | ShortMessage;
    source_port?: number;
    dest_port?: number;
    sar_msg_ref_num?: number;
    sar_total_segments?: number;
    sar_segment_seqnum?: number;
    more_messages_to_send?: number;
    ussd_service_op?: number;
    sc_interface_version?: number;
    user_message_reference?: number;
    delivery_failure_reason?: number;
    additional_status_info_text?: string;
  }

  export class PDU implements PduFields {
    constructor(command: CommandName, options?: PduFields);
    constructor(buffer: Buffer);
    command: CommandName;
    command_length: number;
    command_id: number;
    command_status: number;
    sequence_number: number;
    isResponse(): boolean;
    response(options?: PduFields): PDU;
    toBuffer(): Buffer;
    static fromBuffer(buffer: Buffer): PDU | false;
    static commandLength(stream: NodeJS.ReadableStream): number | false;
    static fromStream(stream: NodeJS.ReadableStream, commandLength: number): PDU | false;
    static maxLength: number;

    system_id?: string;
    password?: string;
    system_type?: string;
    interface_version?: number;
    addr_ton?: number;
    addr_npi?: number;
    address_range?: string;
    service_type?: string;
    source_addr_ton?: number;
    source_addr_npi?: number;
    source_addr?: string;
    dest_addr_ton?: number;
    dest_addr_npi?: number;
    destination_addr?: string;
    esm_class?: number;
    protocol_id?: number;
    priority_flag?: number;
    schedule_delivery_time?: string | Date;
    validity_period?: string | Date;
    registered_delivery?: number;
    replace_if_present_flag?: number;
    data_coding?: number | null;
    sm_default_msg_id?: number;
    short_message?: ShortMessage;
    message_id?: string;
    final_date?: string | Date;
    error_code?: number;
    receipted_message_id?: string;
    message_state?: number;
    network_error_code?: Buffer;
    message_payload?: ShortMessage;
    source_port?: number;
    dest_port?: number;
    sar_msg_ref_num?: number;
    sar_total_segments?: number;
    sar_segment_seqnum?: number;
    more_messages_to_send?: number;
    ussd_service_op?: number;
    sc_interface_version?: number;
    user_message_reference?: number;
    delivery_failure_reason?: number;
    additional_status_info_text?: string;
  }

  export interface SessionOptions {
    host?: string;
    port?: number;
    tls?: boolean;
    /** an already connected socket (server side) */
    socket?: Socket;
    /** node-smpp sends enquire_link itself every this many ms when set; otagw does its own keep-alive. */
    auto_enquire_link_period?: number;
    /** passed through to net.connect / tls.connect */
    rejectUnauthorized?: boolean;
    ca?: string | Buffer | Array<string | Buffer>;
    servername?: string;
  }

  type ResponseCallback = (pdu: PDU) => void;
  type SendCallback = (pdu: PDU) => void;
  type CommandShortcut = {
    (options: PduFields, responseCallback?: ResponseCallback, sendCallback?: SendCallback): boolean;
    (responseCallback?: ResponseCallback, sendCallback?: SendCallback): boolean;
  };

  export class Session extends EventEmitter {
    constructor(options: SessionOptions);
    options: SessionOptions;
    socket: Socket;
    sequence: number;
    paused: boolean;
    server?: Server;
    /** sequence_number -> callback for the response (cleared when the response arrives, never on close) */
    _callbacks: Record<number, ResponseCallback>;
    _command_length: number | null;
    _busy: boolean;
    /** drains complete PDUs from `socket` and emits them ('pdu' and the command name). */
    _extractPDUs(): void;
    connect(): void;
    /** false when the socket is not writable (the PDU is then dropped and no callback ever fires) */
    send(pdu: PDU, responseCallback?: ResponseCallback, sendCallback?: SendCallback): boolean;
    pause(): void;
    resume(): void;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;

    bind_receiver: CommandShortcut;
    bind_receiver_resp: CommandShortcut;
    bind_transmitter: CommandShortcut;
    bind_transmitter_resp: CommandShortcut;
    bind_transceiver: CommandShortcut;
    bind_transceiver_resp: CommandShortcut;
    submit_sm: CommandShortcut;
    submit_sm_resp: CommandShortcut;
    deliver_sm: CommandShortcut;
    deliver_sm_resp: CommandShortcut;
    enquire_link: CommandShortcut;
    enquire_link_resp: CommandShortcut;
    generic_nack: CommandShortcut;
    unbind: CommandShortcut;
    unbind_resp: CommandShortcut;
    data_sm: CommandShortcut;
    data_sm_resp: CommandShortcut;
    query_sm: CommandShortcut;
    query_sm_resp: CommandShortcut;

    on(event: 'pdu', listener: (pdu: PDU) => void): this;
    on(event: 'connect' | 'secureConnect' | 'close', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'send', listener: (pdu: PDU) => void): this;
    on(event: CommandName, listener: (pdu: PDU) => void): this;
    once(event: 'pdu', listener: (pdu: PDU) => void): this;
    once(event: 'connect' | 'secureConnect' | 'close', listener: () => void): this;
    once(event: 'error', listener: (error: Error) => void): this;
    once(event: CommandName, listener: (pdu: PDU) => void): this;
  }

  export interface ServerOptions extends TlsOptions {
    key?: string | Buffer;
    cert?: string | Buffer;
  }

  export class Server extends NetServer {
    sessions: Session[];
    on(event: 'session', listener: (session: Session) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export function createServer(options?: ServerOptions, listener?: (session: Session) => void): Server;
  export function createServer(listener?: (session: Session) => void): Server;
  export function connect(options: SessionOptions & { url?: string }, listener?: () => void): Session;
  export function connect(url: string, listener?: () => void): Session;
  export const createSession: typeof connect;

  /** command_status values by SMPP name (defs.js `errors`) */
  export const errors: Record<string, number>;
  export const consts: {
    REGISTERED_DELIVERY: Record<string, number>;
    ESM_CLASS: Record<string, number>;
    MESSAGE_STATE: Record<string, number>;
    TON: Record<string, number>;
    NPI: Record<string, number>;
    ENCODING: Record<string, number>;
  };
  export const commands: Record<string, { id: number; command: string }>;
  export const tlvs: Record<string, { id: number; tag: string }>;

  const smpp: {
    PDU: typeof PDU;
    Session: typeof Session;
    Server: typeof Server;
    createServer: typeof createServer;
    connect: typeof connect;
    createSession: typeof connect;
    errors: typeof errors;
    consts: typeof consts;
    commands: typeof commands;
    tlvs: typeof tlvs;
  };
  export default smpp;
}
