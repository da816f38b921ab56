import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { isIPv4, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import smpp, { type PDU, type PduFields, type Server, type Session, type ShortMessage } from 'smpp';
import {
  DEFAULT_BEHAVIOUR,
  compilePattern,
  destinationErrorStatus,
  parseBehaviourPatch,
  type DestinationMatcher,
  type ReceiptStat,
  type SimBehaviour,
} from './behaviour.ts';
import { CounterBoard, type SimCounters } from './counters.ts';
import { createControlApp } from './control-api.ts';
import {
  VirtualHandsets,
  type HandsetInbox,
  type HandsetSummary,
  type SubscriberCredentials,
} from './handset.ts';
import { MoError, moFields, type MoMessage } from './mo.ts';
import { DmHandsets } from './dm-handset.ts';
import { ProportionGate, WeightedRotation } from './proportions.ts';
import {
  errorCodeOf,
  MESSAGE_STATE_ENROUTE,
  messageStateOf,
  receiptExcerpt,
  receiptFields,
  receiptRequested,
  renderMessageId,
  type ReceiptContent,
} from './receipts.ts';
import { Scheduler } from './scheduler.ts';
import { encodeDeliverSm, encodeSubmitSmResp, nextSequence } from './pdu-writer.ts';
import {
  ESME_RALYBND,
  ESME_RBINDFAIL,
  ESME_RINVBNDSTS,
  ESME_RINVCMDID,
  ESME_RINVCMDLEN,
  ESME_RINVPASWD,
  ESME_RINVSYSID,
  ESME_RMSGQFUL,
  ESME_RQUERYFAIL,
  ESME_RTHROTTLED,
} from '../connectors/smpp/command-status.ts';
import { ESM_CLASS_UDHI, INTERFACE_VERSION_34 } from '../connectors/smpp/protocol.ts';
import { TokenBucket, bucketCapacity } from './token-bucket.ts';

export interface SmscAccount {
  systemId: string;
  password: string;
}

export interface SmscSimulatorOptions {
  /** Default 127.0.0.1; the simulator is a test tool and listens on loopback unless told otherwise. */
  host?: string;
  /** SMPP port; 0 (default) = ephemeral. */
  port?: number;
  /** HTTP control API port (0 = ephemeral); null or absent = no control API. */
  controlPort?: number | null;
  /**
   * Where the control API listens: loopback (127.0.0.1, the default, whatever `host` is) unless told,
   * as it is a test tool (issue 15 #12); another address needs controlToken.
   */
  controlHost?: string;
  /**
   * Bearer token the control API asks of every request (`Authorization: Bearer <token>`; RFC 6750
   * characters). Absent: the API is open, which only a loopback `host` allows (SIM_CONTROL_TOKEN_REQUIRED).
   */
  controlToken?: string;
  /** Who may bind. Default: one account, DEFAULT_ACCOUNT. */
  accounts?: SmscAccount[];
  behaviour?: Partial<SimBehaviour>;
  subscribers?: Record<string, SubscriberCredentials>;
  /** First SMSC message number (default 0x10000000: hex and decimal renderings can never collide). */
  firstMessageId?: number;
  /** How many accepted segments `submitted()` keeps (oldest dropped first). Default 20,000. */
  maxSubmittedRecords?: number;
  /** system_id the simulator names itself in bind responses. */
  smscSystemId?: string;
  /** How long injectMo waits for deliver_sm_resp. Default 10 s. */
  moResponseTimeoutMs?: number;
}

/**
 * A test tool's well-known credentials; printed by `otagw smsc-sim` so nobody mistakes them for secrets.
 * The password keeps to SMPP's 8 characters, so a strict client can use it.
 */
export const DEFAULT_ACCOUNT: Readonly<SmscAccount> = Object.freeze({
  systemId: 'otagw',
  password: 'otagwsim',
});

/** system_id and password are C-strings of at most 16 and 9 octets with the NUL (SMPP 3.4 §4.1.1; docs/protocol.md §6.2). */
export const MAX_SYSTEM_ID_LENGTH = 15;
export const MAX_PASSWORD_LENGTH = 8;

export type SimulatorConfigErrorCode =
  /** a system_id or password SMPP cannot carry */
  | 'SIM_INVALID_ACCOUNT'
  /** a control API on a non-loopback host without controlToken */
  | 'SIM_CONTROL_TOKEN_REQUIRED'
  /** a controlToken that is empty or not a bearer token (RFC 6750 §2.1) */
  | 'SIM_INVALID_CONTROL_TOKEN';

/** Thrown by startSmscSimulator for options it cannot run with. */
export class SimulatorConfigError extends Error {
  override readonly name = 'SimulatorConfigError';
  constructor(
    message: string,
    readonly code: SimulatorConfigErrorCode = 'SIM_INVALID_ACCOUNT',
  ) {
    super(message);
  }
}

function checkAccounts(accounts: SmscAccount[]): void {
  for (const account of accounts) {
    if (account.systemId.length === 0 || account.systemId.length > MAX_SYSTEM_ID_LENGTH) {
      throw new SimulatorConfigError(
        `system_id '${account.systemId}' must be 1 to ${MAX_SYSTEM_ID_LENGTH} characters`,
      );
    }
    if (account.password.length > MAX_PASSWORD_LENGTH) {
      throw new SimulatorConfigError(
        `the password of '${account.systemId}' is longer than SMPP's ${MAX_PASSWORD_LENGTH} characters`,
      );
    }
  }
}

/** RFC 6750 §2.1 b64token: what may follow `Bearer ` in an Authorization header. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: only this machine can reach them. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  return isIPv4(v4) && v4.startsWith('127.');
}

/** An open control API lets anyone change the simulator's behaviour: only on loopback. */
function checkControlAccess(host: string, controlPort: number | null, token: string | undefined): void {
  if (token !== undefined && !BEARER_TOKEN.test(token)) {
    throw new SimulatorConfigError(
      'the control token must be a non-empty bearer token (letters, digits and -._~+/, then any =)',
      'SIM_INVALID_CONTROL_TOKEN',
    );
  }
  if (controlPort !== null && token === undefined && !isLoopbackHost(host)) {
    throw new SimulatorConfigError(
      `the control API on ${host} would let anyone who reaches it change the simulator: give it a control token, or listen on loopback`,
      'SIM_CONTROL_TOKEN_REQUIRED',
    );
  }
}

export type BindMode = 'transmitter' | 'receiver' | 'transceiver';

/** One accepted submit_sm as it arrived, with the ids the simulator gave it. */
export interface SubmittedSegment {
  /** The SMSC message number, decimal. */
  messageId: string;
  /** As sent in submit_sm_resp; null when the response is withheld (lostResponsePercent). */
  respMessageId: string | null;
  /** As it appears in the receipt text (`id:`). */
  receiptMessageId: string;
  /** As it appears in receipted_message_id. */
  receiptTlvMessageId: string;
  systemId: string;
  bindId: number;
  sequenceNumber: number;
  receivedAt: number;
  serviceType: string;
  sourceAddr: string;
  destinationAddr: string;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  /** The TP-UD octets (UDH included) of a binary message; null for text. */
  shortMessage: Uint8Array | null;
  /** The text of a message node-smpp decoded as text (GSM, Latin-1, UCS-2); null for binary. */
  text: string | null;
  /** The UDH (UDHL included) of a text message, e.g. its concatenation element; null without one, or binary. */
  udh: Uint8Array | null;
  /** ussd_service_op of a USSD message (17 pssr-response: the answer in the subscriber's session); else null. */
  ussdServiceOp: number | null;
  sourcePort?: number;
  destinationPort?: number;
  sarMsgRefNum?: number;
  sarTotalSegments?: number;
  sarSegmentSeqnum?: number;
  /** The final state its receipt reports, or null when no receipt was asked for. */
  receiptStat: ReceiptStat | null;
}

export interface SmscSimulator {
  readonly port: number;
  readonly host: string;
  readonly controlUrl?: string;
  setBehaviour(patch: Partial<SimBehaviour>): void;
  behaviour(): SimBehaviour;
  counters(): SimCounters;
  registerSubscriber(msisdn: string, credentials: SubscriberCredentials): void;
  handset(msisdn: string): HandsetInbox;
  handsets(): HandsetSummary[];
  /** The DM-capable handsets (dm-handset.ts): register one, read its tree and sessions. */
  dm(): DmHandsets;
  /** Sends an MO SMS or USSD message as deliver_sm; resolves when the ESME answers deliver_sm_resp. */
  injectMo(message: MoMessage): Promise<void>;
  /** Closes every SMPP connection (optionally only those of one system_id) without unbind. */
  dropConnections(systemId?: string): void;
  /**
   * A restart as an SMSC has one: every link dropped without unbind, receipts still due kept and sent
   * once the ESME binds again; with `messageIdsFromStart` the message numbers start over at the first
   * one (SMPPSim does), so new messages get ids old ones had (issue #15 item 7).
   */
  restart(options?: { messageIdsFromStart?: boolean }): void;
  submitted(): SubmittedSegment[];
  /** Currently bound sessions. */
  binds(): Array<{ id: number; systemId: string; mode: BindMode; remote: string }>;
  close(): Promise<void>;
}

interface Bind {
  id: number;
  session: Session;
  socket: Socket;
  remote: string;
  systemId: string | null;
  mode: BindMode | null;
  /** submits accepted whose response is still held back */
  unanswered: number;
  submitsOnConnection: number;
  bucket: TokenBucket | null;
  corked: boolean;
  closed: boolean;
  moWaiters: Map<number, MoWaiter>;
  /** receipts sent on this bind and not yet answered with deliver_sm_resp, by sequence_number */
  unackedReceipts: Map<number, ReceiptJob>;
}

/** What query_sm answers about a message (SMPP 3.4 §4.8.2: message_state, final_date, error_code). */
interface MessageStatus {
  stat: ReceiptStat;
  /** when the message reaches its final state (the receipt's done date) */
  finalAt: number;
}

interface MoWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface SystemState {
  receivers: Bind[];
  nextReceiver: number;
  bucket: TokenBucket | null;
  parked: ReceiptJob[];
}

interface ReceiptJob {
  systemId: string;
  originBindId: number;
  content: ReceiptContent;
}

/** What the simulator decided for an accepted submit_sm (decideAccepted). */
interface SubmitDecision {
  /** the SMSC message number */
  number: number;
  receivedAt: number;
  /** the final state its receipt reports */
  stat: ReceiptStat;
  /** registered_delivery asks for a receipt in that state */
  wantsReceipt: boolean;
  /** submit_sm_resp withheld (lostResponsePercent) */
  lostResponse: boolean;
  /** receipt first, response held back (outOfOrderReceiptPercent) */
  outOfOrder: boolean;
  respMessageId: string | null;
  receiptMessageId: string;
  receiptTlvMessageId: string;
}

/** Behaviour turned into ready-to-run matchers and deterministic gates (rebuilt on every change). */
interface CompiledBehaviour {
  outcomes: Array<{ matches: DestinationMatcher; stat: ReceiptStat }>;
  outcomeMix: WeightedRotation<ReceiptStat> | null;
  destinationErrors: Array<{ matches: DestinationMatcher; status: number }>;
  genericNack: ProportionGate;
  /** behaviour.throttlePercent */
  throttle: ProportionGate;
  lostResponse: ProportionGate;
  lostReceipt: ProportionGate;
  outOfOrder: ProportionGate;
  duplicate: ProportionGate;
}

const BIND_COMMANDS: Record<string, BindMode> = {
  bind_transmitter: 'transmitter',
  bind_receiver: 'receiver',
  bind_transceiver: 'transceiver',
};
/** Requests the simulator does not implement; answered with ESME_RINVCMDID in their own response. */
const UNSUPPORTED_REQUESTS = new Set(['query_sm', 'cancel_sm', 'replace_sm', 'submit_multi', 'data_sm']);
/** Messages query_sm can ask about (the newest kept; an SMSC forgets old ones too). */
const MAX_QUERYABLE_MESSAGES = 200_000;
/** Receipts kept per system_id while it has no receiver-capable bind. */
const MAX_PARKED_RECEIPTS = 100_000;
const DEFAULT_FIRST_MESSAGE_ID = 0x10000000;
/** A test tool listens on loopback unless told otherwise. */
const DEFAULT_HOST = '127.0.0.1';

export async function startSmscSimulator(options: SmscSimulatorOptions = {}): Promise<SmscSimulator> {
  checkControlAccess(options.controlHost ?? DEFAULT_HOST, options.controlPort ?? null, options.controlToken);
  const simulator = new Simulator(options);
  try {
    await simulator.listen(options.port ?? 0, options.controlPort ?? null);
  } catch (error) {
    await simulator.close();
    throw error;
  }
  return simulator;
}

class Simulator implements SmscSimulator {
  port = 0;
  readonly host: string;
  controlUrl?: string;

  private current: SimBehaviour;
  private compiled!: CompiledBehaviour;
  private readonly accounts: Map<string, string>;
  private readonly counterBoard = new CounterBoard();
  private readonly scheduler = new Scheduler();
  /** resends of unanswered receipts: one constant delay, so its jobs stay in order (appends only) */
  private readonly resendScheduler = new Scheduler();
  /** query_sm: the state of each message by the id its submit_sm_resp gave (the newest when reused) */
  private readonly messageStatus = new Map<string, MessageStatus>();
  private readonly firstMessageId: number;
  private readonly handsetRegistry = new VirtualHandsets();
  private readonly dmHandsets = new DmHandsets();
  private readonly systems = new Map<string, SystemState>();
  private readonly allBinds = new Set<Bind>();
  private readonly server: Server;
  private controlServer: HttpServer | null = null;
  private nextBindId = 1;
  private nextMessageId: number;
  private records: SubmittedSegment[] = [];
  private readonly maxRecords: number;
  private readonly smscSystemId: string;
  private readonly moTimeoutMs: number;
  private closing = false;
  private readonly controlToken: string | undefined;
  private readonly controlHost: string;

  constructor(options: SmscSimulatorOptions) {
    this.host = options.host ?? DEFAULT_HOST;
    this.controlToken = options.controlToken;
    this.controlHost = options.controlHost ?? DEFAULT_HOST;
    const accounts = options.accounts ?? [DEFAULT_ACCOUNT];
    checkAccounts(accounts);
    this.accounts = new Map(accounts.map((account) => [account.systemId, account.password]));
    this.current = { ...DEFAULT_BEHAVIOUR, ...parseBehaviourPatch(options.behaviour ?? {}) };
    this.compile();
    for (const [msisdn, credentials] of Object.entries(options.subscribers ?? {})) {
      this.handsetRegistry.registerSubscriber(msisdn, credentials);
    }
    this.firstMessageId = options.firstMessageId ?? DEFAULT_FIRST_MESSAGE_ID;
    this.nextMessageId = this.firstMessageId;
    this.maxRecords = options.maxSubmittedRecords ?? 20_000;
    this.smscSystemId = options.smscSystemId ?? 'otagw-sim';
    this.moTimeoutMs = options.moResponseTimeoutMs ?? 10_000;
    this.server = smpp.createServer((session) => this.accept(session));
    this.handsetRegistry.onPush((msisdn, wsp, decoded) => this.dmHandsets.takePush(msisdn, wsp, decoded));
  }

  async listen(port: number, controlPort: number | null): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // errors after listening (accept failures) must not take the process down; sessions have their own
    this.server.on('error', () => undefined);
    this.port = (this.server.address() as AddressInfo).port;
    if (controlPort !== null) {
      const app = createControlApp(this, { token: this.controlToken, hosts: [this.controlHost] });
      const http = createHttpServer(app.callback());
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(controlPort, this.controlHost, () => {
          http.off('error', reject);
          resolve();
        });
      });
      this.controlServer = http;
      const address = http.address() as AddressInfo;
      const hostPart = this.controlHost.includes(':') ? `[${this.controlHost}]` : this.controlHost;
      this.controlUrl = `http://${hostPart}:${address.port}`;
    }
  }

  // ---- public API -----------------------------------------------------------------------------------

  setBehaviour(patch: Partial<SimBehaviour>): void {
    const checked = parseBehaviourPatch(patch);
    this.current = { ...this.current, ...checked };
    this.compile();
    if ('throttleTpsPerBind' in checked || 'throttleBurstMs' in checked) {
      for (const bind of this.allBinds) bind.bucket = null;
    }
    if ('throttleTpsPerSystem' in checked || 'throttleBurstMs' in checked) {
      for (const system of this.systems.values()) system.bucket = null;
    }
  }

  behaviour(): SimBehaviour {
    return structuredClone(this.current);
  }

  counters(): SimCounters {
    let parked = 0;
    for (const system of this.systems.values()) parked += system.parked.length;
    return this.counterBoard.snapshot(parked);
  }

  registerSubscriber(msisdn: string, credentials: SubscriberCredentials): void {
    this.handsetRegistry.registerSubscriber(msisdn, credentials);
  }

  handset(msisdn: string): HandsetInbox {
    return this.handsetRegistry.inbox(msisdn);
  }

  handsets(): HandsetSummary[] {
    return this.handsetRegistry.summaries();
  }

  dm(): DmHandsets {
    return this.dmHandsets;
  }

  submitted(): SubmittedSegment[] {
    return this.records.slice();
  }

  binds(): Array<{ id: number; systemId: string; mode: BindMode; remote: string }> {
    const result = [];
    for (const bind of this.allBinds) {
      if (bind.systemId !== null && bind.mode !== null && !bind.closed) {
        result.push({ id: bind.id, systemId: bind.systemId, mode: bind.mode, remote: bind.remote });
      }
    }
    return result;
  }

  async injectMo(message: MoMessage): Promise<void> {
    const fields = moFields(message);
    const systemId = message.systemId ?? this.firstSystemWithReceiver();
    const system = systemId === undefined ? undefined : this.systems.get(systemId);
    const target = system ? this.pickReceiver(system, -1, false) : null;
    if (!target) {
      return Promise.reject(
        new MoError('NO_RECEIVER_BIND', `no receiver-capable bind${systemId ? ` for ${systemId}` : ''}`),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const pdu = new smpp.PDU('deliver_sm', fields);
      const sent = this.write(target, pdu, (response) => {
        const waiter = target.moWaiters.get(pdu.sequence_number);
        if (!waiter) return;
        target.moWaiters.delete(pdu.sequence_number);
        clearTimeout(waiter.timer);
        if (response.command_status === 0) waiter.resolve();
        else
          waiter.reject(
            new MoError('MO_REJECTED', `deliver_sm_resp status 0x${response.command_status.toString(16)}`),
          );
      });
      if (!sent) {
        reject(new MoError('NO_RECEIVER_BIND', 'the receiver bind is closing'));
        return;
      }
      this.counterBoard.moSent++;
      const timer = setTimeout(() => {
        target.moWaiters.delete(pdu.sequence_number);
        reject(new MoError('MO_TIMEOUT', `no deliver_sm_resp within ${this.moTimeoutMs} ms`));
      }, this.moTimeoutMs);
      timer.unref();
      target.moWaiters.set(pdu.sequence_number, { resolve, reject, timer });
    });
  }

  dropConnections(systemId?: string): void {
    for (const bind of [...this.allBinds]) {
      if (systemId !== undefined && bind.systemId !== systemId) continue;
      this.drop(bind);
    }
  }

  restart(options: { messageIdsFromStart?: boolean } = {}): void {
    this.dropConnections();
    if (options.messageIdsFromStart) this.nextMessageId = this.firstMessageId;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.scheduler.close();
    this.resendScheduler.close();
    this.counterBoard.close();
    this.handsetRegistry.close();
    this.dmHandsets.close();
    const smppClosed = this.server.listening
      ? new Promise<void>((resolve) => this.server.close(() => resolve()))
      : Promise.resolve();
    for (const bind of [...this.allBinds]) bind.socket.destroy();
    const controlClosed = this.controlServer
      ? new Promise<void>((resolve) => {
          this.controlServer!.close(() => resolve());
          this.controlServer!.closeAllConnections();
        })
      : Promise.resolve();
    await Promise.all([smppClosed, controlClosed]);
  }

  // ---- sessions -------------------------------------------------------------------------------------

  private accept(session: Session): void {
    if (this.closing) {
      session.destroy();
      return;
    }
    const socket = session.socket;
    socket.setNoDelay(true);
    const bind: Bind = {
      id: this.nextBindId++,
      session,
      socket,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      systemId: null,
      mode: null,
      unanswered: 0,
      submitsOnConnection: 0,
      bucket: null,
      corked: false,
      closed: false,
      moWaiters: new Map(),
      unackedReceipts: new Map(),
    };
    this.allBinds.add(bind);
    session.on('pdu', (pdu: PDU) => this.onPdu(bind, pdu));
    // a malformed stream leaves node-smpp unable to read on; an SMSC would drop such a link
    session.on('error', () => socket.destroy());
    session.on('close', () => this.onClose(bind));
  }

  private onPdu(bind: Bind, pdu: PDU): void {
    // a closing link still delivers the acknowledgements already on their way
    if (bind.closed && pdu.command !== 'deliver_sm_resp') return;
    switch (pdu.command) {
      case 'submit_sm':
        this.onSubmit(bind, pdu);
        return;
      case 'deliver_sm_resp':
        this.counterBoard.deliverSmResps++;
        this.onReceiptAnswered(bind, pdu);
        return;
      case 'query_sm':
        if (this.current.querySm) this.onQuery(bind, pdu);
        else this.write(bind, pdu.response({ command_status: ESME_RINVCMDID }));
        return;
      case 'enquire_link':
        this.counterBoard.enquireLinksReceived++;
        if (!this.current.silentEnquireLink) {
          this.counterBoard.enquireLinksAnswered++;
          this.write(bind, pdu.response());
        }
        return;
      case 'bind_transmitter':
      case 'bind_receiver':
      case 'bind_transceiver':
        this.onBind(bind, BIND_COMMANDS[pdu.command], pdu);
        return;
      case 'unbind':
        this.write(bind, pdu.response());
        this.detach(bind);
        bind.socket.end();
        return;
      case 'unknown':
        this.write(bind, pdu.response()); // generic_nack, ESME_RINVCMDID
        return;
      default:
        if (UNSUPPORTED_REQUESTS.has(pdu.command)) {
          this.write(bind, pdu.response({ command_status: ESME_RINVCMDID }));
        }
    }
  }

  private onBind(bind: Bind, mode: BindMode, pdu: PDU): void {
    const refuse = (status: number) => {
      this.counterBoard.bindsRejected++;
      this.counterBoard.error(status);
      this.write(bind, pdu.response({ command_status: status }));
    };
    if (bind.mode !== null) return refuse(ESME_RALYBND);
    if (this.current.rejectBinds) return refuse(ESME_RBINDFAIL);
    const systemId = pdu.system_id ?? '';
    const password = this.accounts.get(systemId);
    if (password === undefined) return refuse(ESME_RINVSYSID);
    if (password !== (pdu.password ?? '')) return refuse(ESME_RINVPASWD);

    bind.systemId = systemId;
    bind.mode = mode;
    this.write(
      bind,
      pdu.response({ system_id: this.smscSystemId, sc_interface_version: INTERFACE_VERSION_34 }),
    );
    const counters = this.counterBoard;
    counters.bindsCurrent++;
    counters.bindsTotal++;
    if (mode === 'transmitter') counters.bindsTransmitter++;
    else if (mode === 'receiver') counters.bindsReceiver++;
    else counters.bindsTransceiver++;

    const system = this.system(systemId);
    if (mode !== 'transmitter') {
      system.receivers.push(bind);
      if (system.parked.length > 0) {
        const parked = system.parked;
        system.parked = [];
        for (const job of parked) this.deliverReceipt(job);
      }
    }
  }

  private onClose(bind: Bind): void {
    this.detach(bind);
    this.allBinds.delete(bind);
    for (const waiter of bind.moWaiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(new MoError('MO_CONNECTION_CLOSED', 'the bind closed before deliver_sm_resp'));
    }
    bind.moWaiters.clear();
    // like a real SMSC, keep a receipt until the ESME acknowledged it: send it again on another bind
    if (bind.unackedReceipts.size > 0 && !this.closing) {
      const unacked = [...bind.unackedReceipts.values()];
      bind.unackedReceipts.clear();
      this.counterBoard.receiptsRedelivered += unacked.length;
      for (const job of unacked) this.deliverReceipt(job);
    }
  }

  /** Takes a bind out of service (no more writes, no receipts routed to it). */
  private detach(bind: Bind): void {
    if (bind.closed) return;
    bind.closed = true;
    if (bind.systemId === null || bind.mode === null) return;
    const counters = this.counterBoard;
    counters.bindsCurrent--;
    if (bind.mode === 'transmitter') counters.bindsTransmitter--;
    else if (bind.mode === 'receiver') counters.bindsReceiver--;
    else counters.bindsTransceiver--;
    const system = this.systems.get(bind.systemId);
    if (system) {
      const index = system.receivers.indexOf(bind);
      if (index >= 0) system.receivers.splice(index, 1);
    }
  }

  private drop(bind: Bind): void {
    this.counterBoard.connectionsDropped++;
    this.detach(bind);
    bind.socket.destroy();
  }

  private system(systemId: string): SystemState {
    let system = this.systems.get(systemId);
    if (!system) {
      system = { receivers: [], nextReceiver: 0, bucket: null, parked: [] };
      this.systems.set(systemId, system);
    }
    return system;
  }

  private firstSystemWithReceiver(): string | undefined {
    for (const [systemId, system] of this.systems) if (system.receivers.length > 0) return systemId;
    return undefined;
  }

  // ---- submit_sm ------------------------------------------------------------------------------------

  /** submit_sm: refused by a fault or limit, or accepted (recorded, fed to a handset, answered, receipted). */
  private onSubmit(bind: Bind, pdu: PDU): void {
    this.counterBoard.submitsReceived++;
    if (this.refused(bind, pdu)) return;
    this.counterBoard.submitsAccepted++;
    const decision = this.decideAccepted(pdu);
    const content = messageContent(pdu);
    const record = submittedSegment(bind, pdu, decision, content);
    this.remember(record);
    if (this.current.handsetEnabled && content.octets !== null) {
      this.handsetRegistry.feed(record, content.hasUdh);
    } else if (this.current.handsetEnabled && content.text !== null) {
      this.handsetRegistry.feedText(record);
    }
    this.rememberStatus(decision);
    this.answerSubmit(bind, pdu, decision);
    if (decision.wantsReceipt) this.scheduleReceipt(bind, pdu, record, decision, content.text);
    this.dropWhenDue(bind);
  }

  /**
   * The checks before a submit is accepted, in an SMSC's order: bind state, an injected generic_nack,
   * window, throttle, destination errors. True when one refused it (the answer is written).
   */
  private refused(bind: Bind, pdu: PDU): boolean {
    const behaviour = this.current;
    if (bind.mode !== 'transmitter' && bind.mode !== 'transceiver') {
      this.refuse(bind, pdu, ESME_RINVBNDSTS);
      return true;
    }
    if (this.compiled.genericNack.next()) {
      this.genericNack(bind, pdu);
      return true;
    }
    let status: number | undefined;
    if (behaviour.windowLimit !== null && bind.unanswered >= behaviour.windowLimit) status = ESME_RMSGQFUL;
    else if (this.compiled.throttle.next() || this.throttled(bind, behaviour)) status = ESME_RTHROTTLED;
    else status = this.destinationError(pdu.destination_addr ?? '');
    if (status === undefined) return false;
    this.refuse(bind, pdu, status);
    return true;
  }

  /** An injected generic_nack ESME_RINVCMDLEN: "the header could not be processed". */
  private genericNack(bind: Bind, pdu: PDU): void {
    const counters = this.counterBoard;
    counters.genericNacks++;
    counters.submitsRejected++;
    counters.error(ESME_RINVCMDLEN);
    this.write(
      bind,
      new smpp.PDU('generic_nack', { command_status: ESME_RINVCMDLEN, sequence_number: pdu.sequence_number }),
    );
  }

  private destinationError(destination: string): number | undefined {
    for (const rule of this.compiled.destinationErrors) if (rule.matches(destination)) return rule.status;
    return undefined;
  }

  /** What becomes of an accepted submit: its number and ids, its final state, which faults hit it. */
  private decideAccepted(pdu: PDU): SubmitDecision {
    const behaviour = this.current;
    const compiled = this.compiled;
    const number = this.nextMessageId++;
    const stat = this.outcomeFor(pdu.destination_addr ?? '');
    const wantsReceipt = receiptRequested(pdu.registered_delivery ?? 0, stat);
    const lostResponse = compiled.lostResponse.next();
    const receiptMessageId = renderMessageId(number, behaviour.receiptIdBase, behaviour);
    return {
      number,
      receivedAt: Date.now(),
      stat,
      wantsReceipt,
      lostResponse,
      outOfOrder: wantsReceipt && compiled.outOfOrder.next(),
      respMessageId: lostResponse ? null : renderMessageId(number, behaviour.respIdBase, behaviour),
      receiptMessageId,
      receiptTlvMessageId:
        behaviour.receiptTlvIdBase === null || behaviour.receiptTlvIdBase === behaviour.receiptIdBase
          ? receiptMessageId
          : renderMessageId(number, behaviour.receiptTlvIdBase, behaviour),
    };
  }

  /** submit_sm_resp now, later (responseDelayMs, out-of-order lag) or never (lost response). */
  private answerSubmit(bind: Bind, pdu: PDU, decision: SubmitDecision): void {
    if (decision.lostResponse) {
      this.counterBoard.submitsUnanswered++;
      return;
    }
    const behaviour = this.current;
    const response = encodeSubmitSmResp(pdu.sequence_number, 0, decision.respMessageId as string);
    const delay = behaviour.responseDelayMs + (decision.outOfOrder ? behaviour.outOfOrderLagMs : 0);
    if (delay === 0) {
      this.writeBytes(bind, response);
      return;
    }
    bind.unanswered++;
    this.scheduler.at(delay, () => {
      bind.unanswered--;
      this.writeBytes(bind, response);
    });
  }

  /** The receipt of an accepted submit: lost, or sent (maybe twice) after receiptDelayMs or ahead of the response. */
  private scheduleReceipt(
    bind: Bind,
    pdu: PDU,
    record: SubmittedSegment,
    decision: SubmitDecision,
    text: string | null,
  ): void {
    const counters = this.counterBoard;
    const compiled = this.compiled;
    if (compiled.lostReceipt.next()) {
      counters.receiptsLost++;
      return;
    }
    const behaviour = this.current;
    const job: ReceiptJob = {
      systemId: record.systemId,
      originBindId: bind.id,
      content: receiptContent(pdu, record, decision, behaviour, text),
    };
    const duplicate = compiled.duplicate.next();
    const send = () => {
      this.deliverReceipt(job);
      if (duplicate) {
        counters.receiptsDuplicated++;
        this.deliverReceipt(job);
      }
    };
    // without a delay the receipt joins the response in the same corked write: one segment, one wake-up
    if (behaviour.receiptDelayMs === 0 && !decision.outOfOrder) send();
    else this.scheduler.at(decision.outOfOrder ? 0 : behaviour.receiptDelayMs, send);
  }

  /** dropAfterSubmits: let the response just written reach the client, then cut the link without unbind. */
  private dropWhenDue(bind: Bind): void {
    bind.submitsOnConnection++;
    const limit = this.current.dropAfterSubmits;
    if (limit === null || bind.submitsOnConnection < limit) return;
    this.counterBoard.connectionsDropped++;
    this.detach(bind);
    bind.socket.end();
  }

  private refuse(bind: Bind, pdu: PDU, status: number): void {
    this.counterBoard.submitsRejected++;
    this.counterBoard.error(status);
    this.writeBytes(bind, encodeSubmitSmResp(pdu.sequence_number, status, ''));
  }

  private throttled(bind: Bind, behaviour: SimBehaviour): boolean {
    if (behaviour.throttleTpsPerBind === null && behaviour.throttleTpsPerSystem === null) return false;
    const now = performance.now();
    let bindBucket: TokenBucket | null = null;
    let systemBucket: TokenBucket | null = null;
    if (behaviour.throttleTpsPerBind !== null) {
      bindBucket = bind.bucket ??= new TokenBucket(
        behaviour.throttleTpsPerBind,
        bucketCapacity(behaviour.throttleTpsPerBind, behaviour.throttleBurstMs),
        now,
      );
      if (!bindBucket.hasToken(now)) return true;
    }
    if (behaviour.throttleTpsPerSystem !== null) {
      const system = this.system(bind.systemId as string);
      systemBucket = system.bucket ??= new TokenBucket(
        behaviour.throttleTpsPerSystem,
        bucketCapacity(behaviour.throttleTpsPerSystem, behaviour.throttleBurstMs),
        now,
      );
      if (!systemBucket.hasToken(now)) return true;
    }
    bindBucket?.take();
    systemBucket?.take();
    return false;
  }

  private outcomeFor(destination: string): ReceiptStat {
    for (const rule of this.compiled.outcomes) if (rule.matches(destination)) return rule.stat;
    return this.compiled.outcomeMix ? this.compiled.outcomeMix.next() : 'DELIVRD';
  }

  private remember(record: SubmittedSegment): void {
    this.records.push(record);
    if (this.records.length >= this.maxRecords * 2) this.records = this.records.slice(-this.maxRecords);
  }

  // ---- query_sm -------------------------------------------------------------------------------------

  private rememberStatus(decision: SubmitDecision): void {
    if (decision.respMessageId === null) return;
    const status = this.messageStatus;
    status.delete(decision.respMessageId); // an id used again: the newest message is the one asked about
    status.set(decision.respMessageId, {
      stat: decision.stat,
      finalAt: decision.receivedAt + this.current.receiptDelayMs,
    });
    if (status.size > MAX_QUERYABLE_MESSAGES) status.delete(status.keys().next().value as string);
  }

  /** query_sm_resp: ENROUTE until the receipt is due, then the final state (SMPP 3.4 §4.8.2, §5.2.28). */
  private onQuery(bind: Bind, pdu: PDU): void {
    this.counterBoard.queriesAnswered++;
    const messageId = pdu.message_id ?? '';
    const status = this.messageStatus.get(messageId);
    if (!status) {
      this.write(bind, pdu.response({ command_status: ESME_RQUERYFAIL, message_id: messageId }));
      return;
    }
    const final = Date.now() >= status.finalAt;
    this.write(
      bind,
      pdu.response({
        message_id: messageId,
        final_date: final ? new Date(status.finalAt) : '',
        message_state: final ? messageStateOf(status.stat) : MESSAGE_STATE_ENROUTE,
        error_code: final ? errorCodeOf(status.stat) : 0,
      }),
    );
  }

  // ---- receipts -------------------------------------------------------------------------------------

  /** Acknowledged: forgotten. Refused (the ESME could not store it): sent again after receiptResendMs. */
  private onReceiptAnswered(bind: Bind, pdu: PDU): void {
    const job = bind.unackedReceipts.get(pdu.sequence_number);
    bind.unackedReceipts.delete(pdu.sequence_number);
    if (!job || pdu.command_status === 0) return;
    this.counterBoard.receiptsRefused++;
    this.resendScheduler.at(this.current.receiptResendMs ?? 0, () => {
      this.counterBoard.receiptsRedelivered++;
      this.deliverReceipt(job);
    });
  }

  /** A receipt still unanswered after receiptResendMs is sent again (the first may still be answered). */
  private resendWhenUnanswered(bind: Bind, sequence: number, job: ReceiptJob): void {
    const resendMs = this.current.receiptResendMs;
    if (resendMs === null) return;
    this.resendScheduler.at(resendMs, () => {
      if (bind.unackedReceipts.get(sequence) !== job) return;
      bind.unackedReceipts.delete(sequence);
      this.counterBoard.receiptsRedelivered++;
      this.deliverReceipt(job);
    });
  }

  private deliverReceipt(job: ReceiptJob): void {
    const system = this.system(job.systemId);
    const target = this.pickReceiver(system, job.originBindId, this.current.receiptsOnOtherBind);
    if (!target) {
      if (system.parked.length < MAX_PARKED_RECEIPTS) system.parked.push(job);
      else this.counterBoard.receiptsLost++;
      return;
    }
    this.counterBoard.receiptsSent++;
    const sequence = nextSequence(target.session);
    if (this.writeBytes(target, encodeDeliverSm(sequence, receiptFields(job.content)))) {
      target.unackedReceipts.set(sequence, job);
      this.resendWhenUnanswered(target, sequence, job);
    }
  }

  /**
   * The bind a receipt (or MO) goes out on: the submitting bind when it can receive (unless told to use
   * another), otherwise the system's receiver-capable binds in turn.
   */
  private pickReceiver(system: SystemState, originBindId: number, avoidOrigin: boolean): Bind | null {
    const receivers = system.receivers;
    if (receivers.length === 0) return null;
    if (!avoidOrigin) {
      for (const bind of receivers) if (bind.id === originBindId) return bind;
    }
    for (let tries = 0; tries < receivers.length; tries++) {
      const bind = receivers[system.nextReceiver++ % receivers.length];
      if (!avoidOrigin || bind.id !== originBindId || receivers.length === 1) return bind;
    }
    return receivers[0];
  }

  // ---- output ---------------------------------------------------------------------------------------

  /** Writes a PDU through node-smpp (which numbers requests and calls `onResponse` with the answer). */
  private write(bind: Bind, pdu: PDU, onResponse?: (response: PDU) => void): boolean {
    if (!this.writable(bind)) return false;
    return bind.session.send(pdu, onResponse);
  }

  /** Writes an already encoded PDU (pdu-writer.ts: the per-submit hot path). */
  private writeBytes(bind: Bind, bytes: Buffer): boolean {
    if (!this.writable(bind)) return false;
    bind.socket.write(bytes); // queued even when it returns false (back-pressure); never dropped
    return true;
  }

  /**
   * Corks the socket until the end of the current tick, so that all responses to one read (a window's
   * worth of submits) leave in one write.
   */
  private writable(bind: Bind): boolean {
    if (bind.closed || bind.socket.destroyed) return false;
    if (!bind.corked) {
      bind.corked = true;
      bind.socket.cork();
      process.nextTick(uncork, bind);
    }
    return true;
  }

  private compile(): void {
    const behaviour = this.current;
    const mixEntries = Object.entries(behaviour.receiptOutcomeMix).filter(
      ([, weight]) => (weight ?? 0) > 0,
    ) as Array<[ReceiptStat, number]>;
    const failureShare = mixEntries.reduce((sum, [, weight]) => sum + weight, 0);
    const rotation =
      mixEntries.length === 0
        ? null
        : new WeightedRotation<ReceiptStat>([
            ...mixEntries.map(([key, weight]) => ({ key, weight })),
            ...(failureShare < 100 ? [{ key: 'DELIVRD' as ReceiptStat, weight: 100 - failureShare }] : []),
          ]);
    this.compiled = {
      outcomes: behaviour.receiptOutcomes.map((rule) => ({ matches: compilePattern(rule), stat: rule.stat })),
      outcomeMix: rotation,
      destinationErrors: behaviour.destinationErrors.map((rule) => ({
        matches: compilePattern(rule),
        status: destinationErrorStatus(rule.status) as number,
      })),
      genericNack: new ProportionGate(behaviour.genericNackPercent),
      throttle: new ProportionGate(behaviour.throttlePercent),
      lostResponse: new ProportionGate(behaviour.lostResponsePercent),
      lostReceipt: new ProportionGate(behaviour.lostReceiptPercent),
      outOfOrder: new ProportionGate(behaviour.outOfOrderReceiptPercent),
      duplicate: new ProportionGate(behaviour.duplicateReceiptPercent),
    };
  }
}

function uncork(bind: Bind): void {
  bind.corked = false;
  bind.socket.uncork();
}

/** One accepted submit_sm as `submitted()` reports it. */
function submittedSegment(
  bind: Bind,
  pdu: PDU,
  decision: SubmitDecision,
  content: MessageContent,
): SubmittedSegment {
  const record: SubmittedSegment = {
    messageId: String(decision.number),
    respMessageId: decision.respMessageId,
    receiptMessageId: decision.receiptMessageId,
    receiptTlvMessageId: decision.receiptTlvMessageId,
    systemId: bind.systemId as string,
    bindId: bind.id,
    sequenceNumber: pdu.sequence_number,
    receivedAt: decision.receivedAt,
    serviceType: pdu.service_type ?? '',
    sourceAddr: pdu.source_addr ?? '',
    destinationAddr: pdu.destination_addr ?? '',
    esmClass: pdu.esm_class ?? 0,
    dataCoding: pdu.data_coding ?? 0,
    registeredDelivery: pdu.registered_delivery ?? 0,
    shortMessage: content.octets,
    text: content.text,
    udh: content.textUdh,
    ussdServiceOp: pdu.ussd_service_op ?? null,
    receiptStat: decision.wantsReceipt ? decision.stat : null,
  };
  if (pdu.source_port !== undefined) record.sourcePort = pdu.source_port;
  if (pdu.dest_port !== undefined) record.destinationPort = pdu.dest_port;
  if (pdu.sar_msg_ref_num !== undefined) record.sarMsgRefNum = pdu.sar_msg_ref_num;
  if (pdu.sar_total_segments !== undefined) record.sarTotalSegments = pdu.sar_total_segments;
  if (pdu.sar_segment_seqnum !== undefined) record.sarSegmentSeqnum = pdu.sar_segment_seqnum;
  return record;
}

/** What the receipt of an accepted submit says, and to whom (receipts.ts renders it). */
function receiptContent(
  pdu: PDU,
  record: SubmittedSegment,
  decision: SubmitDecision,
  behaviour: SimBehaviour,
  text: string | null,
): ReceiptContent {
  return {
    format: behaviour.receiptFormat,
    stat: decision.stat,
    textId: decision.receiptMessageId,
    tlvId: decision.receiptTlvMessageId,
    submittedAt: decision.receivedAt,
    doneAt: decision.receivedAt + behaviour.receiptDelayMs,
    originalText: receiptExcerpt(text),
    sourceAddr: record.sourceAddr,
    sourceAddrTon: pdu.source_addr_ton ?? 0,
    sourceAddrNpi: pdu.source_addr_npi ?? 0,
    destinationAddr: record.destinationAddr,
    destinationAddrTon: pdu.dest_addr_ton ?? 0,
    destinationAddrNpi: pdu.dest_addr_npi ?? 0,
  };
}

interface MessageContent {
  octets: Uint8Array | null;
  text: string | null;
  /** the UDH of a text message, UDHL included */
  textUdh: Uint8Array | null;
  hasUdh: boolean;
}

/** node-smpp splits the UDH into its information elements: UDHL in front of them again, then `rest`. */
function rebuildUdh(elements: readonly Buffer[], rest: Uint8Array = Buffer.alloc(0)): Buffer {
  let udhLength = 0;
  for (const element of elements) udhLength += element.length;
  const octets = Buffer.allocUnsafe(1 + udhLength + rest.length);
  octets[0] = udhLength;
  let offset = 1;
  for (const element of elements) offset += element.copy(octets, offset);
  octets.set(rest, offset);
  return octets;
}

/** The TP-UD octets (UDH rebuilt in front) of a binary message, or the text node-smpp decoded and its UDH. */
function messageContent(pdu: PDU): MessageContent {
  let message: ShortMessage | undefined = pdu.short_message;
  if (pdu.message_payload && (!message || message.message.length === 0)) message = pdu.message_payload;
  if (!message) return { octets: null, text: null, textUdh: null, hasUdh: false };
  const udh = (pdu.esm_class ?? 0) & ESM_CLASS_UDHI ? message.udh : undefined;
  const hasUdh = !!udh && udh.length > 0;
  if (typeof message.message === 'string') {
    return { octets: null, text: message.message, textUdh: hasUdh ? rebuildUdh(udh) : null, hasUdh };
  }
  if (!hasUdh) return { octets: message.message, text: null, textUdh: null, hasUdh: false };
  return { octets: rebuildUdh(udh, message.message), text: null, textUdh: null, hasUdh: true };
}

export type { PduFields };
