/**
 * The simulator's virtual DM handset against a scripted DM server: a real HTTP server on loopback that
 * decodes each message with codecs/syncml and answers what a test scripts, so every rule of
 * docs/protocol-dm.md the handset follows is checked on the wire (XML and WBXML).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeDmNotification } from '../../codecs/dm/notification.ts';
import {
  ALERT,
  AUTH_MD5,
  buildChallenge,
  buildCredential,
  decodeNonce,
  decodeSyncMl,
  encodeNonce,
  encodeSyncMl,
  contentTypeFor,
  md5CredentialData,
  type SyncMlAlert,
  type SyncMlCommand,
  type SyncMlEncoding,
  type SyncMlItemCommand,
  type SyncMlMessage,
  type SyncMlResults,
  type SyncMlStatus,
} from '../../codecs/syncml/index.ts';
import { encodeWspPush } from '../../codecs/wsp/encode-wsp-push.ts';
import { DmHandsets, w7Accounts } from '../../src/smsc-sim/dm-handset.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { APN_URI, FUMO_ROOT, readDmAccounts } from '../../src/smsc-sim/dm-tree.ts';
import type { HandsetPush } from '../../src/smsc-sim/handset.ts';
import { startSmscSimulator } from '../../src/smsc-sim/simulator.ts';

const MSISDN = '447700900555';
const SERVER_ID = 'otagw-test-dm';
const CLIENT = { name: 'handset-1', secret: 'client-secret-0123456789' };
const SERVER = { name: 'otagw', secret: 'server-secret-0123456789' };
/** the nonces of the bootstrap (AAUTHDATA, base64 text as in the MS example, docs/protocol.md §9.1) */
const CLIENT_NONCE = encodeNonce(new Uint8Array(Buffer.from('client-nonce-001')));
const SERVER_NONCE = encodeNonce(new Uint8Array(Buffer.from('server-nonce-001')));

type Script = (message: SyncMlMessage, round: number) => SyncMlMessage;

interface Scripted {
  url: string;
  received: SyncMlMessage[];
  encodings: SyncMlEncoding[];
  sizes: number[];
  script: Script;
}

let http: Server;
const scripted: Scripted = {
  url: '',
  received: [],
  encodings: [],
  sizes: [],
  script: () => {
    throw new Error('no script');
  },
};

beforeAll(async () => {
  http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = new Uint8Array(Buffer.concat(chunks));
      const { message, encoding } = decodeSyncMl(body, request.headers['content-type']);
      scripted.received.push(message);
      scripted.encodings.push(encoding);
      scripted.sizes.push(body.length);
      const answer = encodeSyncMl(scripted.script(message, scripted.received.length - 1), encoding);
      response.writeHead(200, { 'Content-Type': contentTypeFor(encoding), 'Content-Length': answer.length });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  scripted.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/dm`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

let handsets: DmHandsets;
afterEach(() => {
  handsets?.close();
  scripted.received = [];
  scripted.encodings = [];
  scripted.sizes = [];
});

function newHandset(settings: Parameters<DmHandsets['register']>[1] = {}): DmHandsets {
  handsets = new DmHandsets();
  handsets.register(MSISDN, { imei: '490154203237518', fumoDelayMs: 20, ...settings });
  handsets.installAccount(MSISDN, {
    serverId: SERVER_ID,
    name: 'otagw DM',
    addr: scripted.url,
    auths: [
      { level: 'CLCRED', type: 'DIGEST', name: CLIENT.name, secret: CLIENT.secret, data: CLIENT_NONCE },
      { level: 'SRVCRED', type: 'DIGEST', name: SERVER.name, secret: SERVER.secret, data: SERVER_NONCE },
    ],
  });
  return handsets;
}

/** The command type whose kind may be K (Replace is one of SyncMlItemCommand's kinds). */
type CommandOfKind<K> = SyncMlCommand extends infer C
  ? C extends { kind: infer CK }
    ? K extends CK
      ? C
      : never
    : never
  : never;

const commandsOf = <K extends SyncMlCommand['kind']>(message: SyncMlMessage, kind: K) =>
  message.body.commands.filter((command) => command.kind === kind) as Array<CommandOfKind<K>>;

/** A server message answering `message`: header Status (with server Cred unless told), then `commands`. */
function reply(
  message: SyncMlMessage,
  commands: SyncMlCommand[],
  options: {
    headerCode?: string;
    chalNonce?: Uint8Array;
    serverNonce?: Uint8Array;
    final?: boolean;
    cred?: boolean;
    maxMsgSize?: number;
  } = {},
): SyncMlMessage {
  const headerStatus: SyncMlStatus = {
    kind: 'Status',
    cmdId: '1',
    msgRef: message.header.msgId,
    cmdRef: '0',
    cmd: 'SyncHdr',
    targetRefs: [message.header.target.locUri],
    sourceRefs: [message.header.source.locUri],
    ...(options.chalNonce ? { chal: buildChallenge(AUTH_MD5, options.chalNonce) } : {}),
    data: options.headerCode ?? '212',
  };
  const statuses: SyncMlStatus[] = message.body.commands
    .filter((command) => command.kind !== 'Status' && command.kind !== 'Results')
    .map((command, index) => ({
      kind: 'Status',
      cmdId: String(index + 2),
      msgRef: message.header.msgId,
      cmdRef: command.cmdId,
      cmd: command.kind,
      data: options.headerCode === '401' || options.headerCode === '407' ? options.headerCode : '200',
    }));
  const numbered = commands.map((command, index) => ({ ...command, cmdId: String(100 + index) }));
  return {
    header: {
      verDtd: '1.2',
      verProto: 'DM/1.2',
      sessionId: message.header.sessionId,
      msgId: String(Number(message.header.msgId)),
      target: { locUri: message.header.source.locUri },
      source: { locUri: scripted.url },
      ...(options.cred === false
        ? {}
        : {
            cred: buildCredential(
              AUTH_MD5,
              SERVER.name,
              SERVER.secret,
              options.serverNonce ?? decodeNonce(SERVER_NONCE),
            ),
          }),
      meta: { maxMsgSize: options.maxMsgSize ?? 65_536 },
    },
    body: { commands: [headerStatus, ...statuses, ...numbered], final: options.final ?? true },
  };
}

const get = (uri: string): SyncMlItemCommand => ({
  kind: 'Get',
  cmdId: '',
  items: [{ target: { locUri: uri } }],
});
const replace = (uri: string, data: string): SyncMlItemCommand => ({
  kind: 'Replace',
  cmdId: '',
  items: [{ target: { locUri: uri }, meta: { format: 'chr', type: 'text/plain' }, data }],
});

/** Package 2 with `commands` once, then an empty package that ends the session. */
const oneRound =
  (commands: SyncMlCommand[], first: Parameters<typeof reply>[2] = {}): Script =>
  (message, round) =>
    round === 0 ? reply(message, commands, first) : reply(message, [], { cred: false });

describe.each(['xml', 'wbxml'] as const)('a DM session in %s', (encoding) => {
  it('sends package 1 with md5 credentials, answers Get/Replace with Status and Results, and ends on an empty package', async () => {
    newHandset({ encoding });
    scripted.script = oneRound([
      get('./DevInfo/Man'),
      get('./DevDetail/FwV'),
      get('./DevDetail'),
      get(`./DMAcc/acc1/AppAuth/cl1/AAuthSecret`),
      replace(APN_URI, 'internet.example'),
      replace('./DevInfo/Mod', 'forged'),
      replace('./Nowhere/Leaf', 'x'),
    ]);
    const report = await handsets.startSession(MSISDN);

    expect(report.outcome).toBe('completed');
    expect(scripted.encodings).toEqual([encoding, encoding]);
    const [first, third] = scripted.received;
    // package 1 (MR 2.3.3): Alert 1201, the DevInfo Replace, Cred md5 with the bootstrap nonce, MaxMsgSize
    expect(first.header.cred?.meta?.type).toBe(AUTH_MD5);
    expect(first.header.cred?.data).toBe(
      md5CredentialData(CLIENT.name, CLIENT.secret, decodeNonce(CLIENT_NONCE)),
    );
    expect(first.header.source.locUri).toBe('IMEI:490154203237518');
    expect(first.header.meta?.maxMsgSize).toBe(16_384);
    expect(commandsOf(first, 'Alert')[0].data).toBe(ALERT.CLIENT_INITIATED_MGMT);
    const devInfo = commandsOf(first, 'Replace')[0].items.map((item) => [item.source?.locUri, item.data]);
    expect(devInfo).toEqual(
      expect.arrayContaining([
        ['./DevInfo/Man', 'Nokia'],
        ['./DevInfo/Mod', 'E71'],
        ['./DevInfo/DevId', 'IMEI:490154203237518'],
      ]),
    );
    expect(first.body.final).toBe(true);

    // package 3: the server authenticated (212 + Chal for its next session), no Cred after 212
    expect(third.header.cred).toBeUndefined();
    const statuses = commandsOf(third, 'Status');
    expect(statuses[0]).toMatchObject({ cmdRef: '0', cmd: 'SyncHdr', data: '212' });
    expect(statuses[0].chal?.meta.nextNonce).toBeDefined();
    const code = (cmdRef: string) => statuses.find((status) => status.cmdRef === cmdRef)?.data;
    expect([
      code('100'),
      code('101'),
      code('102'),
      code('103'),
      code('104'),
      code('105'),
      code('106'),
    ]).toEqual(['200', '200', '200', '425', '200', '425', '404']);
    const results = commandsOf(third, 'Results') as SyncMlResults[];
    const value = (cmdRef: string) => results.find((result) => result.cmdRef === cmdRef)?.items[0];
    expect(value('100')?.data).toBe('Nokia');
    expect(value('101')).toMatchObject({ source: { locUri: './DevDetail/FwV' }, data: '100.07.76' });
    expect(value('102')).toMatchObject({ meta: { format: 'node' } });
    expect(String(value('102')?.data).split('/')).toEqual(
      expect.arrayContaining(['FwV', 'SwV', 'HwV', 'DevTyp', 'OEM']),
    );
    expect(value('103')).toBeUndefined();
    // the Replace was applied silently; the read-only node was not
    expect(handsets.tree(MSISDN)?.read(APN_URI)).toBe('internet.example');
    expect(handsets.tree(MSISDN)?.read('./DevInfo/Mod')).toBe('E71');
    // the empty package ends the session: no lone SyncHdr Status is sent (MR 2.3)
    expect(scripted.received).toHaveLength(2);
  });
});

describe('authentication', () => {
  it('answers a 401 challenge with package 1 again, built with the new nonce', async () => {
    newHandset({ encoding: 'xml' });
    const fresh = new Uint8Array(Buffer.from('fresh-nonce-0002'));
    scripted.script = (message, round) =>
      round === 0
        ? reply(message, [], { headerCode: '401', chalNonce: fresh, final: true })
        : round === 1
          ? reply(message, [get('./DevInfo/Lang')])
          : reply(message, [], { cred: false });
    const report = await handsets.startSession(MSISDN);
    expect(report.outcome).toBe('completed');
    expect(report.headerStatuses).toEqual(['401', '212', '212']);
    const retry = scripted.received[1];
    expect(retry.header.cred?.data).toBe(md5CredentialData(CLIENT.name, CLIENT.secret, fresh));
    expect(commandsOf(retry, 'Alert')[0].data).toBe(ALERT.CLIENT_INITIATED_MGMT);
    expect(commandsOf(retry, 'Replace')).toHaveLength(1);
    expect(commandsOf(retry, 'Status')[0]).toMatchObject({ cmdRef: '0', cmd: 'SyncHdr' });
  });

  it('gives up when the server keeps refusing', async () => {
    newHandset({ encoding: 'wbxml' });
    scripted.script = (message) => reply(message, [], { headerCode: '401', chalNonce: new Uint8Array(16) });
    const report = await handsets.startSession(MSISDN);
    expect(report.outcome).toBe('refused');
    expect(scripted.received).toHaveLength(3);
  });

  it('sends basic credentials when the account says BASIC', async () => {
    newHandset({ encoding: 'xml', clientAuth: 'basic' });
    scripted.script = oneRound([]);
    await handsets.startSession(MSISDN);
    expect(scripted.received[0].header.cred).toMatchObject({
      meta: { type: 'syncml:auth-basic' },
      data: Buffer.from(`${CLIENT.name}:${CLIENT.secret}`).toString('base64'),
    });
  });

  it('refuses a server whose Cred does not prove SRVCRED: 401 for the header and every command, nothing applied', async () => {
    newHandset({ encoding: 'xml' });
    scripted.script = (message, round) =>
      round === 0
        ? reply(message, [replace(APN_URI, 'evil')], { serverNonce: new Uint8Array(Buffer.from('wrong')) })
        : reply(message, [], { cred: false });
    const report = await handsets.startSession(MSISDN);
    expect(report.outcome).toBe('server-refused');
    expect(handsets.tree(MSISDN)?.read(APN_URI)).toBe('internet');
    const statuses = commandsOf(scripted.received[1], 'Status');
    expect(statuses.map((status) => status.data)).toEqual(['401', '401']);
    expect(statuses[0].chal?.meta.type).toBe(AUTH_MD5);
  });
});

describe('MaxMsgSize (docs/protocol-dm.md §2.7)', () => {
  it('asks for the next message with Alert 1222 while the server package has no Final', async () => {
    newHandset({ encoding: 'wbxml', maxMsgSize: 2_000 });
    scripted.script = (message, round) => {
      if (round === 0) return reply(message, [get('./DevInfo/Man')], { final: false });
      if (round === 1) return reply(message, [replace(APN_URI, 'second.message')], { cred: false });
      return reply(message, [], { cred: false });
    };
    const report = await handsets.startSession(MSISDN);
    expect(report.outcome).toBe('completed');
    const [, answer1, answer2] = scripted.received;
    expect(commandsOf(answer1, 'Alert').map((alert) => alert.data)).toEqual([ALERT.NEXT_MESSAGE]);
    expect(answer1.body.final).toBe(false);
    expect(commandsOf(answer2, 'Alert')).toHaveLength(0);
    expect(answer2.body.final).toBe(true);
    expect(handsets.tree(MSISDN)?.read(APN_URI)).toBe('second.message');
  });

  it("cuts its own package to the server's MaxMsgSize and sends the rest when the server asks (Alert 1222)", async () => {
    newHandset({ encoding: 'xml' });
    const gets = Array.from({ length: 40 }, () => get('./DevDetail/FwV'));
    const nextMessage: SyncMlAlert = { kind: 'Alert', cmdId: '', data: ALERT.NEXT_MESSAGE };
    scripted.script = (message, round) => {
      if (round === 0) return reply(message, gets, { maxMsgSize: 2_048 });
      if (!message.body.final)
        return reply(message, [nextMessage], { cred: false, final: false, maxMsgSize: 2_048 });
      return reply(message, [], { cred: false });
    };
    const report = await handsets.startSession(MSISDN);
    expect(report.outcome).toBe('completed');
    const package3 = scripted.received.slice(1);
    expect(package3.length).toBeGreaterThan(2);
    expect(scripted.sizes.slice(1).every((size) => size <= 2_048)).toBe(true);
    expect(package3.slice(0, -1).every((message) => !message.body.final)).toBe(true);
    expect(package3[package3.length - 1].body.final).toBe(true);
    const results = package3.flatMap((message) => commandsOf(message, 'Results'));
    expect(results).toHaveLength(40);
  });
});

describe('FUMO and notifications', () => {
  const execFumo = (correlator: string): SyncMlCommand => ({
    kind: 'Exec',
    cmdId: '',
    correlator,
    items: [{ target: { locUri: `${FUMO_ROOT}/DownloadAndUpdate` } }],
  });

  it.each([
    ['200', '101.0.1', 'informational'],
    ['410', '100.07.76', 'critical'],
  ])(
    'Exec DownloadAndUpdate → 202, then Generic Alert 1226 with %s in a new session',
    async (code, fwV, mark) => {
      newHandset({ encoding: 'wbxml', fumoResultCode: code });
      const sessions: string[] = [];
      scripted.script = (message, round) => {
        if (!sessions.includes(message.header.sessionId)) sessions.push(message.header.sessionId);
        if (sessions.length === 1 && round === 0) {
          return reply(message, [
            replace(`${FUMO_ROOT}/DownloadAndUpdate/PkgURL`, 'http://fw.example/e71.bin'),
            replace(`${FUMO_ROOT}/PkgVersion`, '101.0.1'),
            execFumo('corr-1'),
          ]);
        }
        return reply(message, [], {
          cred: message.body.commands.some((command) => command.kind === 'Alert'),
        });
      };
      const first = await handsets.startSession(MSISDN);
      expect(first.commands.find((command) => command.cmd === 'Exec')?.status).toBe('202');
      const [, second] = await handsets.waitForSessions(MSISDN, 2, 5_000);
      expect(second.alertsDelivered).toHaveLength(1);
      const alertMessage = scripted.received.find((message) =>
        commandsOf(message, 'Alert').some((alert) => alert.data === ALERT.GENERIC_ALERT),
      )!;
      const generic = commandsOf(alertMessage, 'Alert').find((alert) => alert.data === ALERT.GENERIC_ALERT)!;
      expect(generic.correlator).toBe('corr-1');
      expect(generic.items?.[0]).toMatchObject({
        source: { locUri: FUMO_ROOT },
        meta: { type: 'org.openmobilealliance.dm.firmwareupdate.downloadandupdate', format: 'int', mark },
        data: code,
      });
      expect(alertMessage.header.sessionId).not.toBe(scripted.received[0].header.sessionId);
      expect(handsets.tree(MSISDN)?.read('./DevDetail/FwV')).toBe(fwV);
      expect(handsets.view(MSISDN)?.pendingAlerts).toEqual([]);
    },
  );

  const notification = (password: string, sessionId: number) =>
    encodeWspPush({
      transactionId: 1,
      contentType: { mediaType: 'application/vnd.syncml.notification', parameters: [] },
      applicationId: 'x-wap-application:syncml.dm',
      body: encodeDmNotification(
        { uiMode: 'background', initiator: 'server', sessionId, serverId: SERVER_ID },
        { serverPassword: password, nonce: decodeNonce(SERVER_NONCE) },
      ),
    });
  const noDecode = (): HandsetPush => {
    throw new Error('a notification is not decoded as a CP push');
  };

  it('verifies the package #0 digest with SRVCRED and opens a session with its session id (Alert 1200)', async () => {
    newHandset({ encoding: 'xml' });
    scripted.script = oneRound([get('./DevInfo/DevId')]);
    handsets.takePush(MSISDN, notification(SERVER.secret, 0x1a2b), noDecode);
    const [report] = await handsets.waitForSessions(MSISDN, 1, 5_000);
    expect(report.outcome).toBe('completed');
    expect(scripted.received[0].header.sessionId).toBe('1A2B');
    expect(commandsOf(scripted.received[0], 'Alert')[0].data).toBe(ALERT.SERVER_INITIATED_MGMT);
    expect(handsets.view(MSISDN)?.notifications[0]).toMatchObject({ verdict: 'verified', sessionId: '1A2B' });
  });

  it('drops a notification whose digest does not verify: no session', async () => {
    newHandset({ encoding: 'xml' });
    scripted.script = oneRound([]);
    handsets.takePush(MSISDN, notification('not-the-secret', 7), noDecode);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(scripted.received).toHaveLength(0);
    expect(handsets.view(MSISDN)?.notifications[0].verdict).toBe('digest-invalid');
  });
});

describe('the control API (/dm/handsets)', () => {
  it('makes a phone DM-capable, gives it an account, runs a session and shows the tree with secrets masked', async () => {
    const sim = await startSmscSimulator({ controlPort: 0, controlToken: 'dm-control-token' });
    try {
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${sim.controlUrl}${path}`, {
          method,
          headers: {
            Authorization: 'Bearer dm-control-token',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, read by the assertions
        const json: any = response.status === 204 ? null : await response.json();
        return { status: response.status, body: json };
      };
      const bad = await call('PUT', `/dm/handsets/${MSISDN}`, { encoding: 'json', imei: '12' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((detail: { path: string }) => detail.path).sort()).toEqual([
        'encoding',
        'imei',
      ]);
      expect((await call('GET', `/dm/handsets/${MSISDN}`)).status).toBe(404);
      const made = await call('PUT', `/dm/handsets/${MSISDN}`, {
        encoding: 'xml',
        mod: 'N95',
        fwV: '20.0.015',
      });
      expect(made.status).toBe(200);
      expect(made.body.settings).toMatchObject({ encoding: 'xml', mod: 'N95' });
      expect((await call('POST', `/dm/handsets/${MSISDN}/sessions`, {})).status).toBe(409);
      const account = await call('POST', `/dm/handsets/${MSISDN}/accounts`, {
        serverId: SERVER_ID,
        addr: scripted.url,
        auths: [
          { level: 'CLCRED', name: CLIENT.name, secret: CLIENT.secret, data: CLIENT_NONCE },
          { level: 'SRVCRED', name: SERVER.name, secret: SERVER.secret, data: SERVER_NONCE },
        ],
      });
      expect(account.status).toBe(201);
      const patched = await call('PATCH', `/dm/handsets/${MSISDN}/tree`, {
        nodes: [{ uri: APN_URI, value: 'wap.example' }],
      });
      expect(patched.status).toBe(200);
      expect(
        (await call('PATCH', `/dm/handsets/${MSISDN}/tree`, { nodes: [{ uri: './No/Such', value: '' }] }))
          .body.error.code,
      ).toBe('DM_NODE_UNKNOWN');

      scripted.script = oneRound([get('./DevInfo/Mod'), get('./DevDetail/FwV'), get(APN_URI)]);
      const session = await call('POST', `/dm/handsets/${MSISDN}/sessions`, {});
      expect(session.status).toBe(200);
      expect(session.body).toMatchObject({
        outcome: 'completed',
        serverAuthenticated: true,
        clientAuthenticated: true,
      });
      const results = commandsOf(scripted.received[1], 'Results').map((result) => result.items[0].data);
      expect(results).toEqual(['N95', '20.0.015', 'wap.example']);

      const view = await call('GET', `/dm/handsets/${MSISDN}`);
      expect(view.body.sessions).toHaveLength(1);
      const secret = view.body.tree.find((node: { uri: string }) => node.uri.endsWith('cl1/AAuthSecret'));
      expect(secret.value).toBe('***');
      expect(JSON.stringify(view.body)).not.toContain(CLIENT.secret);
      expect(JSON.stringify(view.body)).not.toContain(SERVER.secret);
      expect((await call('DELETE', `/dm/handsets/${MSISDN}`)).status).toBe(204);
    } finally {
      await sim.close();
    }
  });
});

describe('the DM account of a w7 APPLICATION (docs/protocol-dm.md §4.5)', () => {
  it('maps APPSRV to CLCRED and CLIENT to SRVCRED, and APPADDR/PORT to the address', () => {
    const xml =
      '<wap-provisioningdoc version="1.1"><characteristic type="APPLICATION">' +
      '<parm name="APPID" value="w7"/><parm name="PROVIDER-ID" value="dm.operator"/><parm name="NAME" value="Operator DM"/>' +
      '<characteristic type="APPADDR"><parm name="ADDR" value="http://dm.operator.example/dm"/><parm name="ADDRTYPE" value="URI"/>' +
      '<characteristic type="PORT"><parm name="PORTNBR" value="8080"/></characteristic></characteristic>' +
      '<characteristic type="APPAUTH"><parm name="AAUTHLEVEL" value="APPSRV"/><parm name="AAUTHTYPE" value="DIGEST"/>' +
      '<parm name="AAUTHNAME" value="phone"/><parm name="AAUTHSECRET" value="phone-secret"/><parm name="AAUTHDATA" value="bm9uY2UtYQ=="/></characteristic>' +
      '<characteristic type="APPAUTH"><parm name="AAUTHLEVEL" value="CLIENT"/><parm name="AAUTHTYPE" value="DIGEST"/>' +
      '<parm name="AAUTHNAME" value="server"/><parm name="AAUTHSECRET" value="server-secret"/><parm name="AAUTHDATA" value="bm9uY2UtYg=="/></characteristic>' +
      '</characteristic><characteristic type="APPLICATION"><parm name="APPID" value="w2"/></characteristic></wap-provisioningdoc>';
    const accounts = w7Accounts(parseXml(xml));
    expect(accounts).toHaveLength(1);
    const tree = new DmHandsets();
    tree.register(MSISDN);
    tree.installAccount(MSISDN, accounts[0]);
    const [account] = readDmAccounts(tree.tree(MSISDN)!);
    expect(account).toMatchObject({
      serverId: 'dm.operator',
      addr: 'http://dm.operator.example:8080/dm',
      client: { level: 'CLCRED', name: 'phone', secret: 'phone-secret', data: 'bm9uY2UtYQ==' },
      server: { level: 'SRVCRED', name: 'server', secret: 'server-secret', data: 'bm9uY2UtYg==' },
    });
    // a second bootstrap of the same server replaces the account instead of adding one
    tree.installAccount(MSISDN, { ...accounts[0], name: 'again' });
    expect(readDmAccounts(tree.tree(MSISDN)!)).toHaveLength(1);
    tree.close();
  });
});

describe('a CP push with w7 reaching a DM handset', () => {
  const w7 = (init: boolean) =>
    '<wap-provisioningdoc version="1.1"><characteristic type="APPLICATION">' +
    `<parm name="APPID" value="w7"/><parm name="PROVIDER-ID" value="${SERVER_ID}"/><parm name="ADDR" value="${scripted.url}"/>` +
    (init ? '<parm name="INIT"/>' : '') +
    `<characteristic type="APPAUTH"><parm name="AAUTHLEVEL" value="APPSRV"/><parm name="AAUTHTYPE" value="DIGEST"/><parm name="AAUTHNAME" value="${CLIENT.name}"/><parm name="AAUTHSECRET" value="${CLIENT.secret}"/><parm name="AAUTHDATA" value="${CLIENT_NONCE}"/></characteristic>` +
    `<characteristic type="APPAUTH"><parm name="AAUTHLEVEL" value="CLIENT"/><parm name="AAUTHTYPE" value="DIGEST"/><parm name="AAUTHNAME" value="${SERVER.name}"/><parm name="AAUTHSECRET" value="${SERVER.secret}"/><parm name="AAUTHDATA" value="${SERVER_NONCE}"/></characteristic>` +
    '</characteristic></wap-provisioningdoc>';
  const cpPush = encodeWspPush({
    transactionId: 1,
    contentType: { mediaType: 'application/vnd.wap.connectivity-wbxml', parameters: [] },
    body: new Uint8Array([0x03, 0x0b, 0x6a, 0x00]),
  });
  const decoded = (xml: string, accepted: boolean) => (): HandsetPush =>
    ({ accepted, documentType: 'prov', xml, status: accepted ? 'accepted' : 'mac-invalid' }) as HandsetPush;

  it('takes the account only from a push it accepted, and calls in at once when w7 has INIT', async () => {
    handsets = new DmHandsets();
    handsets.register(MSISDN, { encoding: 'xml' });
    handsets.takePush(MSISDN, cpPush, decoded(w7(true), false));
    expect(handsets.view(MSISDN)?.accounts).toEqual([]);

    scripted.script = oneRound([get('./DevInfo/Man')]);
    handsets.takePush(MSISDN, cpPush, decoded(w7(true), true));
    expect(handsets.view(MSISDN)?.accounts).toEqual([
      { serverId: SERVER_ID, addr: scripted.url, clientName: CLIENT.name, serverName: SERVER.name },
    ]);
    const [report] = await handsets.waitForSessions(MSISDN, 1, 5_000);
    expect(report).toMatchObject({ outcome: 'completed', initiator: 'client', serverAuthenticated: true });
  });
});

describe('Add, Delete, Exec, Atomic and Sequence (docs/protocol-dm.md §2.4)', () => {
  it('answers each with the status of MR 4.1.6 and changes the tree accordingly', async () => {
    newHandset({ encoding: 'wbxml' });
    const add = (uri: string, data: string): SyncMlItemCommand => ({
      kind: 'Add',
      cmdId: '',
      items: [{ target: { locUri: uri }, meta: { format: 'chr' }, data }],
    });
    const remove = (uri: string): SyncMlItemCommand => ({
      kind: 'Delete',
      cmdId: '',
      items: [{ target: { locUri: uri } }],
    });
    const exec = (uri: string): SyncMlCommand => ({
      kind: 'Exec',
      cmdId: '',
      items: [{ target: { locUri: uri } }],
    });
    scripted.script = oneRound([
      add('./Con/Work/NAP/Addr', 'work.apn'),
      add(APN_URI, 'again'),
      add(`${APN_URI}/Child`, 'x'),
      remove('./DevInfo'),
      remove('./Con/Nothing'),
      exec('./DevInfo/Man'),
      get('./DevDetail?list=Struct'),
      {
        kind: 'Atomic',
        cmdId: '',
        commands: [
          { ...add('./Con/Atomic/Addr', 'a'), cmdId: '8' },
          { ...replace('./No/Node', 'x'), cmdId: '9' },
        ],
      },
      { kind: 'Sequence', cmdId: '', commands: [{ ...remove('./Con/Work'), cmdId: '7' }] },
    ]);
    const tree0 = () => handsets.tree(MSISDN)!;
    const report = await handsets.startSession(MSISDN);
    expect(report.outcome).toBe('completed');
    const statuses = commandsOf(scripted.received[1], 'Status');
    const code = (cmdRef: string) =>
      statuses.filter((status) => status.cmdRef === cmdRef).map((status) => status.data);
    expect(['100', '101', '102', '103', '104', '105', '106', '107', '108'].map(code)).toEqual([
      ['200'],
      ['418'],
      ['405'],
      ['405'],
      ['404'],
      ['405'],
      ['406'],
      ['507'],
      ['200'],
    ]);
    // the Atomic's and the Sequence's members have their own statuses; the failed Atomic rolled back (216)
    expect(code('8')).toEqual(['216']);
    expect(code('9')).toEqual(['404']);
    expect(tree0().has('./Con/Atomic')).toBe(false);
    expect(code('7')).toEqual(['200']);
    const tree = handsets.tree(MSISDN)!;
    expect(tree.has('./Con/Work')).toBe(false);
    expect(tree.read(APN_URI)).toBe('internet');
  });
});

describe('large objects (docs/protocol-dm.md §2.8)', () => {
  const chunk = (
    data: string,
    options: { more?: boolean; size?: number; uri?: string } = {},
  ): SyncMlItemCommand => ({
    kind: 'Replace',
    cmdId: '',
    items: [
      {
        target: { locUri: options.uri ?? `${FUMO_ROOT}/DownloadAndUpdate/PkgURL` },
        meta: {
          format: 'chr',
          type: 'text/plain',
          ...(options.size !== undefined ? { size: options.size } : {}),
        },
        data,
        ...(options.more ? { moreData: true } : {}),
      },
    ],
  });
  const url = `http://fw.example/${'a'.repeat(60)}.bin`;

  it.each(['xml', 'wbxml'] as const)(
    'puts the chunks together (213 for each but the last) in %s',
    async (encoding) => {
      newHandset({ encoding });
      scripted.script = (message, round) => {
        if (round === 0)
          return reply(message, [chunk(url.slice(0, 30), { more: true, size: url.length })], {
            final: false,
          });
        if (round === 1)
          return reply(message, [chunk(url.slice(30, 50), { more: true })], { cred: false, final: false });
        if (round === 2) return reply(message, [chunk(url.slice(50))], { cred: false });
        return reply(message, [], { cred: false });
      };
      const report = await handsets.startSession(MSISDN);
      expect(report.outcome).toBe('completed');
      const codes = scripted.received.slice(1).map((message) =>
        commandsOf(message, 'Status')
          .slice(1)
          .map((status) => status.data),
      );
      expect(codes).toEqual([['213'], ['213'], ['200']]);
      expect(handsets.tree(MSISDN)?.read(`${FUMO_ROOT}/DownloadAndUpdate/PkgURL`)).toBe(url);
    },
  );

  it('answers a size mismatch with 424 and writes nothing; another command cuts an object short (Alert 1225)', async () => {
    newHandset({ encoding: 'xml' });
    scripted.script = (message, round) => {
      if (round === 0) return reply(message, [chunk('abc', { more: true, size: 99 })], { final: false });
      if (round === 1) return reply(message, [chunk('def')], { cred: false, final: false });
      if (round === 2)
        return reply(message, [chunk('ghi', { more: true, size: 6 })], { cred: false, final: false });
      if (round === 3) return reply(message, [replace(APN_URI, 'cut.short')], { cred: false });
      return reply(message, [], { cred: false });
    };
    const report = await handsets.startSession(MSISDN);
    expect(report.outcome).toBe('completed');
    expect(commandsOf(scripted.received[2], 'Status')[1].data).toBe('424');
    expect(handsets.tree(MSISDN)?.read(`${FUMO_ROOT}/DownloadAndUpdate/PkgURL`)).toBe('');
    const cut = scripted.received[4];
    expect(commandsOf(cut, 'Alert').map((alert) => [alert.data, alert.items?.[0].target?.locUri])).toEqual([
      [ALERT.NO_END_OF_DATA, `${FUMO_ROOT}/DownloadAndUpdate/PkgURL`],
    ]);
    expect(handsets.tree(MSISDN)?.read(APN_URI)).toBe('cut.short');
  });
});
