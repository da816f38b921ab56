/**
 * A DM client scripted by the tests (docs/protocol-dm.md §2): package 1 (Alert + the DevInfo Replace,
 * md5 Cred with the last nonce the server gave), then an answer to each server message from a tree of
 * node values, until the server sends a package without commands. Not the virtual handset of the
 * simulator: just enough to drive the server through real HTTP, in XML or WBXML.
 */
import {
  ALERT,
  AUTH_MD5,
  buildCredential,
  contentTypeFor,
  decodeNonce,
  decodeSyncMl,
  encodeSyncMl,
  verifyCredential,
  type SyncMlCommand,
  type SyncMlEncoding,
  type SyncMlExec,
  type SyncMlItemCommand,
  type SyncMlMessage,
  type SyncMlNestedCommand,
  type SyncMlStatus,
} from '../../../codecs/syncml/index.ts';

export interface ScriptedClientOptions {
  url: string;
  deviceId: string;
  encoding: SyncMlEncoding;
  name: string;
  secret: string;
  /** to check the server's Cred (SRVCRED) */
  serverName: string;
  serverSecret: string;
  tree: Record<string, string>;
  maxMsgSize?: number;
  /** the content type sent (default the .dm one of the encoding) */
  contentType?: string;
}

export interface ServerExchange {
  sent: SyncMlMessage;
  received: SyncMlMessage;
  httpStatus: number;
  contentType: string | null;
  /** octets of the server's message */
  bytes: number;
}

export class ScriptedDmClient {
  /** the nonce the server gave for our next Cred (decoded octets) */
  nonce: Uint8Array = new Uint8Array(0);
  readonly exchanges: ServerExchange[] = [];
  readonly executed: Array<{ cmd: string; target: string; data?: string }> = [];
  /** Exec targets answered 202 (a FUMO job the handset reports on later) */
  execStatus = '202';
  serverCredOk: boolean[] = [];
  /** large objects received whole: their target and announced Size */
  readonly chunked: Array<{ target: string; size: number | undefined }> = [];
  private chunks: string[] = [];
  private chunkSize: number | undefined;
  private msgId = 0;
  private refusals = 0;
  private sessionId = '1';

  constructor(readonly options: ScriptedClientOptions) {}

  private header(cred: boolean): SyncMlMessage['header'] {
    this.msgId += 1;
    return {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: this.sessionId,
      msgId: String(this.msgId),
      target: { locUri: this.options.url },
      source: { locUri: this.options.deviceId },
      ...(cred
        ? { cred: buildCredential(AUTH_MD5, this.options.name, this.options.secret, this.nonce) }
        : {}),
      meta: { maxMsgSize: this.options.maxMsgSize ?? 16_384 },
    };
  }

  /** Package 1: the Alert, the DevInfo leaves of the tree, any extra commands (a Generic Alert). */
  packageOne(alert: string, extra: SyncMlCommand[] = [], cred = true): SyncMlMessage {
    const devInfo = Object.entries(this.options.tree).filter(([uri]) => uri.startsWith('./DevInfo/'));
    const commands: SyncMlCommand[] = [
      { kind: 'Alert', cmdId: '1', data: alert },
      {
        kind: 'Replace',
        cmdId: '2',
        items: devInfo.map(([uri, data]) => ({
          source: { locUri: uri },
          meta: { format: 'chr', type: 'text/plain' },
          data,
        })),
      },
      ...extra.map((command, index) => ({ ...command, cmdId: String(3 + index) }) as SyncMlCommand),
    ];
    return { header: this.header(cred), body: { commands, final: true } };
  }

  async post(message: SyncMlMessage, url = this.options.url): Promise<SyncMlMessage> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': this.options.contentType ?? contentTypeFor(this.options.encoding) },
      body: Buffer.from(encodeSyncMl(message, this.options.encoding)),
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${Buffer.from(bytes).toString()}`);
    const { message: received } = decodeSyncMl(bytes, response.headers.get('content-type') ?? undefined);
    this.exchanges.push({
      sent: message,
      received,
      httpStatus: response.status,
      contentType: response.headers.get('content-type'),
      bytes: bytes.length,
    });
    this.checkServerCred(received);
    return received;
  }

  private checkServerCred(message: SyncMlMessage): void {
    const cred = message.header.cred;
    const ok =
      cred !== undefined &&
      verifyCredential(cred, { name: this.options.serverName, password: this.options.serverSecret });
    this.serverCredOk.push(ok);
  }

  /** A whole session: package 1, then answers until the server ends it; the server's messages. */
  async runSession(
    sessionId: string,
    alert: string = ALERT.CLIENT_INITIATED_MGMT,
    extra: SyncMlCommand[] = [],
    urls: string[] = [this.options.url],
  ): Promise<SyncMlMessage[]> {
    this.sessionId = sessionId;
    this.msgId = 0;
    this.refusals = 0;
    const received: SyncMlMessage[] = [];
    let reply: SyncMlMessage | undefined = this.packageOne(alert, extra);
    for (let turn = 0; reply && turn < 50; turn += 1) {
      const answer = await this.post(reply, urls[turn % urls.length]);
      received.push(answer);
      this.takeNonce(answer);
      reply = this.answer(answer, alert, extra);
    }
    return received;
  }

  /** The server's NextNonce in its Chal of our SyncHdr: for the next Cred. */
  private takeNonce(message: SyncMlMessage): void {
    const status = headerStatus(message);
    const next = status?.chal?.meta.nextNonce;
    if (next) this.nonce = decodeNonce(next);
  }

  /** Our next message, or undefined when the session is over (docs/protocol-dm.md §2.1 end of session). */
  answer(message: SyncMlMessage, alert: string, extra: SyncMlCommand[]): SyncMlMessage | undefined {
    const status = headerStatus(message);
    if (status && (status.data === '401' || status.data === '407')) {
      // docs/protocol-dm.md §4.2: back to package 1 with the credentials asked for, once per session
      this.refusals += 1;
      return this.refusals > 1 ? undefined : this.packageOne(alert, extra);
    }
    const commands = message.body.commands.filter((command) => command.kind !== 'Status');
    if (commands.length === 0 && message.body.final) return undefined;
    const out: SyncMlCommand[] = [this.status(message, { cmdId: '0', kind: 'SyncHdr' }, '200')];
    for (const command of commands) this.run(message, command as SyncMlNestedCommand, out);
    if (!message.body.final) out.push({ kind: 'Alert', cmdId: '', data: ALERT.NEXT_MESSAGE });
    return {
      header: this.header(false),
      body: {
        commands: out.map((command, index) => ({ ...command, cmdId: String(index + 1) })),
        final: true,
      },
    };
  }

  private status(
    message: SyncMlMessage,
    command: { cmdId: string; kind: string },
    code: string,
  ): SyncMlStatus {
    return {
      kind: 'Status',
      cmdId: '',
      msgRef: message.header.msgId,
      cmdRef: command.cmdId,
      cmd: command.kind,
      data: code,
    };
  }

  private run(message: SyncMlMessage, command: SyncMlNestedCommand, out: SyncMlCommand[]): void {
    if (command.kind === 'Sequence' || command.kind === 'Atomic') {
      out.push(this.status(message, command, '200'));
      for (const member of command.commands) this.run(message, member, out);
      return;
    }
    if (command.kind === 'Alert' || command.kind === 'Unsupported') {
      out.push(this.status(message, command, '200'));
      return;
    }
    const target = (command as SyncMlItemCommand | SyncMlExec).items[0]?.target?.locUri ?? '';
    const tree = this.options.tree;
    switch (command.kind) {
      case 'Get': {
        const value = tree[target];
        out.push(this.status(message, command, value === undefined ? '404' : '200'));
        if (value !== undefined) {
          out.push({
            kind: 'Results',
            cmdId: '',
            msgRef: message.header.msgId,
            cmdRef: command.cmdId,
            items: [{ source: { locUri: target }, meta: { format: 'chr', type: 'text/plain' }, data: value }],
          });
        }
        return;
      }
      case 'Replace': {
        const item = command.items[0];
        // docs/protocol-dm.md §2.8: chunks are kept (213) until the last, which is checked against Size
        if (item?.moreData) {
          this.chunks.push(String(item.data ?? ''));
          if (item.meta?.size !== undefined) this.chunkSize = item.meta.size;
          out.push(this.status(message, command, '213'));
          return;
        }
        if (this.chunks.length > 0) {
          const whole = this.chunks.join('') + String(item?.data ?? '');
          this.chunks = [];
          this.chunked.push({ target, size: this.chunkSize });
          if (Buffer.byteLength(whole, 'utf8') !== this.chunkSize) {
            out.push(this.status(message, command, '424'));
            return;
          }
          command.items[0] = { ...item, data: whole };
        }
        const exists = tree[target] !== undefined;
        if (exists) tree[target] = String(command.items[0]?.data ?? '');
        this.executed.push({ cmd: 'Replace', target, data: String(command.items[0]?.data ?? '') });
        out.push(this.status(message, command, exists ? '200' : '404'));
        return;
      }
      case 'Exec':
        this.executed.push({ cmd: 'Exec', target });
        out.push(this.status(message, command, tree[target] === undefined ? '404' : this.execStatus));
        return;
      default:
        this.executed.push({ cmd: command.kind, target });
        out.push(this.status(message, command, '200'));
    }
  }
}

export function headerStatus(message: SyncMlMessage): SyncMlStatus | undefined {
  return message.body.commands.find(
    (command): command is SyncMlStatus => command.kind === 'Status' && command.cmdRef === '0',
  );
}

/** A handset's tree: DevInfo, DevDetail, a FUMO node and an APN leaf of a connectivity MO. */
export function handsetTree(imei: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    './DevInfo/DevId': `IMEI:${imei}`,
    './DevInfo/Man': 'Nokia',
    './DevInfo/Mod': 'E71',
    './DevInfo/DmV': '1.2',
    './DevInfo/Lang': 'en-GB',
    './DevDetail/DevTyp': 'phone',
    './DevDetail/OEM': 'Nokia',
    './DevDetail/FwV': '100.07.76',
    './DevDetail/SwV': '100.07.76',
    './DevDetail/HwV': '0560',
    './FUMO/fw1/DownloadAndUpdate/PkgURL': '',
    './FUMO/fw1/DownloadAndUpdate': '',
    './Vendor/Conn/APN': 'internet.old',
    ...extra,
  };
}
