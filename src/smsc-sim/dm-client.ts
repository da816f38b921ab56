/**
 * One OMA DM 1.2 session of the virtual handset, from package 1 to the end (docs/protocol-dm.md §2):
 * package 1 (Alert 1200/1201, the DevInfo Replace, pending Generic Alerts), then for every server message
 * the handset's Statuses and Results, until the server sends a package without commands. Written from the
 * specification (MR 2.1–2.4), not from the gateway's server:
 * - client credentials: syncml:auth-md5 with the server's last NextNonce, or auth-basic (§4.1); a 401/407
 *   with a Chal sends package 1 again with what it asks for (§4.2, at most twice);
 * - the server's Cred is checked against SRVCRED with the nonce the handset issued (§4.3); a wrong or
 *   missing one gets 401/407 with a Chal for the header and every command (§9 #8);
 * - MaxMsgSize both ways: the handset's limit goes in every header, its own package is cut to the
 *   server's limit (no Final until the last message), and a server message without Final is answered
 *   with Alert 1222 (§2.7).
 */
import {
  ALERT,
  AUTH_BASIC,
  AUTH_MD5,
  buildCredential,
  buildChallenge,
  decodeNonce,
  decodeSyncMl,
  encodeNonce,
  encodeSyncMl,
  contentTypeFor,
  newNonce,
  verifyCredential,
  type SyncMlCommand,
  type SyncMlCred,
  type SyncMlEncoding,
  type SyncMlItem,
  type SyncMlMessage,
  type SyncMlStatus,
} from '../../codecs/syncml/index.ts';
import {
  answerCommand,
  type DmAnswer,
  type DmCommandContext,
  type DmCommandRecord,
  type FumoJob,
  type Unnumbered,
} from './dm-commands.ts';
import type { DmAccountState, DmTree } from './dm-tree.ts';
import type { DmTransport } from './dm-transport.ts';

/** A FUMO result waiting to be reported (docs/protocol-dm.md §2.6, §6.4). */
export interface GenericAlertReport {
  source: string;
  correlator?: string;
  /** `org.openmobilealliance.dm.firmwareupdate.<operation>` (§6.4 Alert Types, §9 #4), or SCOMO's (§6.6) */
  type: string;
  resultCode: string;
  /** the Item's Data and Format when not the bare code (SCOMO: `<ResultCode>…</ResultCode><Identifier>…`) */
  data?: string;
  format?: string;
}

export interface DmSessionOptions {
  tree: DmTree;
  account: DmAccountState;
  transport: DmTransport;
  encoding: SyncMlEncoding;
  /** the largest message the handset accepts (its MaxMsgSize, docs/protocol-dm.md §2.7) */
  maxMsgSize: number;
  /** hex, upper case, no leading zeros: the package #0 session-id or one the handset chose (§2.1) */
  sessionId: string;
  initiator: 'server' | 'client';
  genericAlerts?: GenericAlertReport[];
  /** refuse a server that does not prove SRVCRED in its first message (MR 5.1.3: both sides authenticate) */
  requireServerAuth?: boolean;
  /** give the server a fresh NextNonce for its next session once it proved itself (default true) */
  rotateServerNonce?: boolean;
  /** auth type for the handset's Cred; default from CLCRED AAuthType (DIGEST → md5, BASIC → basic) */
  clientAuth?: 'md5' | 'basic';
}

export type DmSessionOutcome = 'completed' | 'refused' | 'server-refused' | 'aborted' | 'failed';

export interface DmExchangeRecord {
  requestBytes: number;
  responseBytes: number;
  ms: number;
  /** whether the handset's message closed its package */
  final: boolean;
}

export interface DmSessionReport {
  sessionId: string;
  serverId: string;
  initiator: 'server' | 'client';
  encoding: SyncMlEncoding;
  startedAt: string;
  endedAt: string;
  outcome: DmSessionOutcome;
  reason?: string;
  clientAuthenticated: boolean;
  serverAuthenticated: boolean;
  exchanges: DmExchangeRecord[];
  /** the server's commands and the statuses the handset gave them, in order */
  commands: DmCommandRecord[];
  /** the Generic Alerts the server answered with 200/202 */
  alertsDelivered: GenericAlertReport[];
  fumoJobs: FumoJob[];
  /** the header status codes the server gave the handset, in order */
  headerStatuses: string[];
}

/** A command of the handset's own package; a Generic Alert remembers the report it carries. */
type Outgoing = Unnumbered<SyncMlCommand> & { report?: GenericAlertReport };

/** A session never runs longer than this many exchanges (a server that loops is a failed session). */
const MAX_EXCHANGES = 64;
const MAX_AUTH_RETRIES = 2;

/** After a server message: stop, send the next message (package closable or not), or send one last. */
type Next = 'end' | 'continue-final' | 'continue-open' | 'last';

/** The octets a nonce text may stand for: base64 first, then the text itself (docs/protocol-dm.md §9 #7). */
export function nonceReadings(text: string): Uint8Array[] {
  if (text === '') return [new Uint8Array(0)];
  const readings: Uint8Array[] = [];
  try {
    readings.push(decodeNonce(text));
  } catch {
    // not base64: the raw reading only
  }
  readings.push(new Uint8Array(Buffer.from(text, 'utf8')));
  return readings;
}

export async function runDmSession(options: DmSessionOptions): Promise<DmSessionReport> {
  const session = new DmClientSession(options);
  try {
    await session.run();
  } catch (error) {
    session.fail(error instanceof Error ? error.message : String(error));
  }
  return session.report();
}

class DmClientSession {
  private readonly startedAt = new Date();
  private outcome: DmSessionOutcome = 'failed';
  private reason: string | undefined;
  private msgId = 0;
  private targetUri: string;
  private serverMaxMsgSize = Number.POSITIVE_INFINITY;
  private clientAuthenticated = false;
  private serverAuthenticated = false;
  private authType: typeof AUTH_MD5 | typeof AUTH_BASIC;
  /** the nonce for the handset's md5 Cred: the server's last NextNonce (CLCRED AAuthData) */
  private clientNonce: string;
  private authRetries = 0;
  /** what is left of the handset's current package */
  private outbox: Outgoing[] = [];
  /** this message's own commands by CmdID, to read the server's Status of them */
  private sentAlerts = new Map<string, GenericAlertReport>();
  private readonly exchanges: DmExchangeRecord[] = [];
  private readonly records: DmCommandRecord[] = [];
  private readonly delivered: GenericAlertReport[] = [];
  private readonly fumoJobs: FumoJob[] = [];
  private readonly headerStatuses: string[] = [];
  /** a large object arriving over several server messages (docs/protocol-dm.md §2.8) */
  private readonly chunked: DmCommandContext['chunked'] = {};

  constructor(private readonly options: DmSessionOptions) {
    this.targetUri = options.account.addr;
    const declared = options.account.client?.type.toUpperCase();
    const wanted = options.clientAuth ?? (declared === 'BASIC' ? 'basic' : 'md5');
    this.authType = wanted === 'basic' ? AUTH_BASIC : AUTH_MD5;
    this.clientNonce = options.account.client?.data ?? '';
  }

  async run(): Promise<void> {
    this.outbox = this.packageOne();
    let serverFinal = true;
    for (let exchange = 0; exchange < MAX_EXCHANGES; exchange++) {
      const reply = await this.send(serverFinal);
      const next = this.takeReply(reply);
      if (next === 'end') return;
      if (next === 'last') {
        await this.send(true).catch(() => undefined);
        return;
      }
      serverFinal = next === 'continue-final';
    }
    this.fail(`no end after ${MAX_EXCHANGES} exchanges`);
  }

  fail(reason: string): void {
    this.outcome = 'failed';
    this.reason = reason;
  }

  report(): DmSessionReport {
    return {
      sessionId: this.options.sessionId,
      serverId: this.options.account.serverId,
      initiator: this.options.initiator,
      encoding: this.options.encoding,
      startedAt: this.startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      outcome: this.outcome,
      ...(this.reason !== undefined ? { reason: this.reason } : {}),
      clientAuthenticated: this.clientAuthenticated,
      serverAuthenticated: this.serverAuthenticated,
      exchanges: this.exchanges,
      commands: this.records,
      alertsDelivered: this.delivered,
      fumoJobs: this.fumoJobs,
      headerStatuses: this.headerStatuses,
    };
  }

  /** Package 1 (MR 2.3.3): Alert 1200/1201, a Replace with every ./DevInfo leaf, pending Generic Alerts. */
  private packageOne(): Array<Outgoing> {
    const { tree } = this.options;
    const items: SyncMlItem[] = tree.children('./DevInfo').flatMap((name) => {
      const node = tree.get(`./DevInfo/${name}`);
      if (node.status !== '200' || !node.node || node.node.format === 'node') return [];
      return [
        {
          source: { locUri: `./DevInfo/${name}` },
          meta: { format: node.node.format, type: node.node.type ?? 'text/plain' },
          data: node.node.value ?? '',
        },
      ];
    });
    const alert =
      this.options.initiator === 'server' ? ALERT.SERVER_INITIATED_MGMT : ALERT.CLIENT_INITIATED_MGMT;
    const commands: Array<Outgoing> = [
      { kind: 'Alert', data: alert },
      { kind: 'Replace', items },
    ];
    for (const report of this.options.genericAlerts ?? []) commands.push(genericAlert(report));
    return commands;
  }

  /** Packs what fits of the outbox into one message, posts it, decodes the answer. */
  private async send(serverFinal: boolean): Promise<SyncMlMessage> {
    const { message, bytes } = this.pack(serverFinal);
    const started = performance.now();
    const answer = await this.options.transport.post(
      this.targetUri,
      bytes,
      contentTypeFor(this.options.encoding),
    );
    this.exchanges.push({
      requestBytes: bytes.length,
      responseBytes: answer.body.length,
      ms: performance.now() - started,
      final: message.body.final,
    });
    if (answer.status !== 200) throw new Error(`the server answered HTTP ${answer.status}`);
    return decodeSyncMl(answer.body, answer.contentType).message;
  }

  /** The longest head of the outbox whose message fits the server's MaxMsgSize (binary search). */
  private pack(serverFinal: boolean): { message: SyncMlMessage; bytes: Uint8Array } {
    const build = (count: number) => {
      const final = serverFinal && count === this.outbox.length;
      const message = this.message(this.outbox.slice(0, count), final);
      return { message, bytes: encodeSyncMl(message, this.options.encoding), count };
    };
    let best = build(this.outbox.length);
    if (best.bytes.length > this.serverMaxMsgSize && this.outbox.length > 2) {
      // a Status for the SyncHdr (first) and one more command always go, or nothing moves
      let [low, high] = [2, this.outbox.length - 1];
      best = build(low);
      while (low < high) {
        const middle = Math.ceil((low + high) / 2);
        const candidate = build(middle);
        if (candidate.bytes.length <= this.serverMaxMsgSize) [best, low] = [candidate, middle];
        else high = middle - 1;
      }
      if (best.count !== low) best = build(low);
    }
    // the message goes: its MsgID is used, its Generic Alerts are awaited by CmdID
    this.msgId++;
    this.sentAlerts = new Map();
    this.outbox.slice(0, best.count).forEach((command, index) => {
      if (command.report) this.sentAlerts.set(String(index + 1), command.report);
    });
    this.outbox = this.outbox.slice(best.count);
    return best;
  }

  /** The next message with these commands, numbered from CmdID 1 (docs/protocol-dm.md §1 "Numbering"). */
  private message(commands: Outgoing[], final: boolean): SyncMlMessage {
    const numbered = commands.map((command, index) => {
      const { report: _report, ...rest } = command;
      return { ...rest, cmdId: String(index + 1) } as SyncMlCommand;
    });
    const client = this.options.account.client;
    const cred = this.clientAuthenticated ? undefined : this.credential();
    return {
      header: {
        verDtd: '1.2',
        verProto: 'DM/1.2',
        sessionId: this.options.sessionId,
        msgId: String(this.msgId + 1),
        target: { locUri: this.targetUri },
        source: {
          locUri: this.options.tree.read('./DevInfo/DevId') ?? '',
          ...(client?.name ? { locName: client.name } : {}),
        },
        ...(cred ? { cred } : {}),
        meta: { maxMsgSize: this.options.maxMsgSize },
      },
      body: { commands: numbered, final },
    };
  }

  private credential(): SyncMlCred | undefined {
    const client = this.options.account.client;
    if (!client) return undefined;
    return buildCredential(this.authType, client.name, client.secret, nonceReadings(this.clientNonce)[0]);
  }

  /** Reads the server's message and fills the outbox; what to do next. */
  private takeReply(reply: SyncMlMessage): Next {
    if (reply.header.respUri) this.targetUri = reply.header.respUri;
    if (reply.header.meta?.maxMsgSize) this.serverMaxMsgSize = reply.header.meta.maxMsgSize;
    const header = reply.body.commands.find(
      (command): command is SyncMlStatus => command.kind === 'Status' && command.cmdRef === '0',
    );
    this.readOurStatuses(reply);
    const ourHeader = this.checkServer(reply);
    if (header && (header.data === '401' || header.data === '407')) {
      // a server not yet asked to prove itself is not refused for it while the handset retries
      const pending = ourHeader.data === '407' ? { ...ourHeader, data: '200', chal: undefined } : ourHeader;
      if (ourHeader.data !== '401') return this.retryAuthentication(header, pending);
    }
    if (header) this.acceptHeaderStatus(header);
    if (!ourHeader.data.startsWith('2')) return this.refuseServer(reply, ourHeader);
    return this.answerCommands(reply, ourHeader);
  }

  private readOurStatuses(reply: SyncMlMessage): void {
    for (const command of reply.body.commands) {
      if (command.kind !== 'Status' || command.cmdRef === '0') continue;
      const alert = this.sentAlerts.get(command.cmdRef);
      if (alert && (command.data === '200' || command.data === '202')) this.delivered.push(alert);
    }
  }

  /** 212 = authenticated for the session; 200 = Cred again in every message (MR 2.4.1). */
  private acceptHeaderStatus(header: SyncMlStatus): void {
    this.headerStatuses.push(header.data);
    if (header.data === '212') this.clientAuthenticated = true;
    const next = header.chal?.meta.nextNonce;
    if (next !== undefined) {
      // the nonce for the next Cred (this session under 200, the next session under 212, MR 2.4.1)
      this.clientNonce = next;
      const client = this.options.account.client;
      if (client && this.serverAuthenticated) this.options.tree.write(`${client.uri}/AAuthData`, next);
    }
  }

  /** 401/407 + Chal: package 1 again with the type and nonce asked for, at most twice (MR 2.4, 2.4.1). */
  private retryAuthentication(header: SyncMlStatus, ourHeader: Omit<SyncMlStatus, 'cmdId'>): Next {
    this.headerStatuses.push(header.data);
    const chal = header.chal?.meta;
    if (!chal || this.authRetries >= MAX_AUTH_RETRIES) {
      this.outcome = 'refused';
      this.reason = `the server refused the credentials (${header.data})`;
      return 'end';
    }
    this.authRetries++;
    if (chal.type === AUTH_BASIC || chal.type === AUTH_MD5) this.authType = chal.type;
    if (chal.nextNonce !== undefined) this.clientNonce = chal.nextNonce;
    this.outbox = [ourHeader, ...this.packageOne()];
    return 'continue-final';
  }

  /**
   * The Status for the server's SyncHdr: 212 once its Cred proved SRVCRED (with a Chal whose NextNonce
   * is for its next session, MR 2.4.1), 401 for a wrong Cred, 407 for none when one is required.
   */
  private checkServer(reply: SyncMlMessage): Omit<SyncMlStatus, 'cmdId'> {
    const server = this.options.account.server;
    const base = {
      kind: 'Status' as const,
      msgRef: reply.header.msgId,
      cmdRef: '0',
      cmd: 'SyncHdr',
      targetRefs: [reply.header.target.locUri],
      sourceRefs: [reply.header.source.locUri],
    };
    if (this.serverAuthenticated || !server) return { ...base, data: '200' };
    const cred = reply.header.cred;
    const chalType = server.type.toUpperCase() === 'BASIC' ? AUTH_BASIC : AUTH_MD5;
    if (!cred) {
      if (!(this.options.requireServerAuth ?? true)) return { ...base, data: '200' };
      return { ...base, chal: buildChallenge(chalType, nonceReadings(server.data)[0]), data: '407' };
    }
    const proved = nonceReadings(server.data).some((nonce) =>
      verifyCredential(cred, { name: server.name, password: server.secret, nonce }),
    );
    if (!proved)
      return { ...base, chal: buildChallenge(chalType, nonceReadings(server.data)[0]), data: '401' };
    this.serverAuthenticated = true;
    if (!(this.options.rotateServerNonce ?? true)) return { ...base, data: '212' };
    // a fresh nonce for the server's next session (MR 5.1.3.2: new per session, MR 2.4.1)
    const next = encodeNonce(newNonce());
    this.options.tree.write(`${server.uri}/AAuthData`, next);
    return { ...base, chal: buildChallenge(chalType, decodeNonce(next)), data: '212' };
  }

  /** A server that did not prove itself: its header and every command get the same 401/407 (§9 #8). */
  private refuseServer(reply: SyncMlMessage, ourHeader: Omit<SyncMlStatus, 'cmdId'>): Next {
    const statuses: DmAnswer[] = [ourHeader];
    for (const command of reply.body.commands) {
      if (command.kind === 'Status' || command.kind === 'Results') continue;
      statuses.push({
        kind: 'Status',
        msgRef: reply.header.msgId,
        cmdRef: command.cmdId,
        cmd: command.kind,
        data: ourHeader.data,
      });
      this.records.push({ cmd: command.kind, status: ourHeader.data });
    }
    this.outcome = 'server-refused';
    this.reason = `the server did not prove its credentials (${ourHeader.data})`;
    // one message with the refusal, then the session is over whatever the server says
    this.outbox = statuses;
    return 'last';
  }

  private answerCommands(reply: SyncMlMessage, ourHeader: Omit<SyncMlStatus, 'cmdId'>): Next {
    const context: DmCommandContext = {
      tree: this.options.tree,
      msgRef: reply.header.msgId,
      fumoJobs: this.fumoJobs,
      records: this.records,
      chunked: this.chunked,
    };
    const answers: DmAnswer[] = [];
    let commands = 0;
    for (const command of reply.body.commands) {
      if (command.kind === 'Status' || command.kind === 'Results') continue;
      commands++;
      const { answers: more, abort } = answerCommand(command, context);
      if (abort) {
        this.outcome = 'aborted';
        this.reason = 'the server aborted the session (Alert 1223)';
        return 'end';
      }
      answers.push(...more);
    }
    const leftovers = this.outbox;
    if (reply.body.final && commands === 0 && leftovers.length === 0) {
      // a lone SyncHdr Status MUST NOT be sent: the session is over (MR 2.3)
      this.outcome = 'completed';
      return 'end';
    }
    this.outbox = [ourHeader, ...answers, ...leftovers];
    // Alert 1222 from the server asks for the rest of the handset's package; a server message without
    // Final and without 1222 is part of an open server package: ask for its next message (MR 2.1.2)
    const serverAsksNext = reply.body.commands.some(
      (command) => command.kind === 'Alert' && command.data === ALERT.NEXT_MESSAGE,
    );
    if (serverAsksNext || reply.body.final) return 'continue-final';
    this.outbox.push({ kind: 'Alert', data: ALERT.NEXT_MESSAGE } as Outgoing);
    return 'continue-open';
  }
}

/** Generic Alert 1226 with the FUMO result (docs/protocol-dm.md §2.6, §6.4). */
function genericAlert(report: GenericAlertReport): Outgoing {
  // FUMO success is 2xx, SCOMO's 12xx (docs/protocol-dm.md §6.4, §6.5)
  const failed = !/^1?2\d\d$/.test(report.resultCode);
  return {
    kind: 'Alert',
    data: ALERT.GENERIC_ALERT,
    ...(report.correlator !== undefined ? { correlator: report.correlator } : {}),
    items: [
      {
        source: { locUri: report.source },
        meta: {
          type: report.type,
          format: report.format ?? 'int',
          mark: failed ? 'critical' : 'informational',
        },
        data: report.data ?? report.resultCode,
      },
    ],
    report,
  };
}
