/**
 * The simulator's DM-capable handsets: a phone registered here keeps a DM tree (dm-tree.ts), takes a DM
 * account from an accepted OMA CP push with a w7 APPLICATION (docs/protocol.md §9.1, docs/protocol-dm.md
 * §4.5), verifies a DM notification (package #0, docs/protocol.md §9.2) with its SRVCRED secret and nonce,
 * and then opens a session to the account's server (dm-client.ts). A FUMO Exec is answered 202 and its
 * result reported after `fumoDelayMs` by a Generic Alert 1226 in a new session (docs/protocol-dm.md §6.4).
 */
import { decodeDmNotification, verifyDmNotification } from '../../codecs/dm/notification.ts';
import type { SyncMlEncoding } from '../../codecs/syncml/index.ts';
import { decodeWspPush } from '../../codecs/wsp/decode-wsp-push.ts';
import { parseXml } from '../../codecs/xml/parse-xml.ts';
import { attribute, isElement, type XmlElement } from '../../codecs/xml/element.ts';
import { CodecError } from '../../codecs/errors.ts';
import { nonceReadings, runDmSession, type DmSessionReport, type GenericAlertReport } from './dm-client.ts';
import type { FumoJob } from './dm-commands.ts';
import {
  APN_URI,
  FUMO_STATE,
  PROXY_PORT_URI,
  SCOMO_ACTIVE,
  SCOMO_DOWNLOAD_STATUS,
  SCOMO_ROOT,
  PROXY_URI,
  buildDeviceTree,
  installDmAccount,
  readDmAccounts,
  type DmAccountInput,
  type DmAppAuth,
  type DmNodeView,
  type DmTree,
} from './dm-tree.ts';
import { createDmTransport, type DmTransport } from './dm-transport.ts';
import { normaliseMsisdn, type HandsetPush } from './handset.ts';

/** What a DM handset is and how it behaves; every field has a default (DEFAULT_DM_DEVICE). */
export interface DmDeviceSettings {
  imei: string;
  man: string;
  mod: string;
  fwV: string;
  swV: string;
  hwV: string;
  oem: string;
  devTyp: string;
  lang: string;
  dmV: string;
  apn: string;
  proxy: string;
  proxyPort: string;
  encoding: SyncMlEncoding;
  maxMsgSize: number;
  /** the handset's Cred type; default from the account's CLCRED AAuthType */
  clientAuth?: 'md5' | 'basic';
  /** refuse a server that does not prove SRVCRED (MR 5.1.3) */
  requireServerAuth: boolean;
  /** the FUMO result code the next update reports (200 success; 4xx/5xx failure, §6.4) */
  fumoResultCode: string;
  fumoDelayMs: number;
  /** FwV after a successful update; default the FUMO PkgVersion node */
  updatedFwV?: string;
  /** the SCOMO result code the next install reports (1200 success; 14xx/15xx failure, §6.5) */
  scomoResultCode: string;
  /** open a session when a verified notification arrives (else only record it) */
  answerNotifications: boolean;
}

export const DEFAULT_DM_DEVICE: Readonly<DmDeviceSettings> = Object.freeze({
  imei: '490154203237518',
  man: 'Nokia',
  mod: 'E71',
  fwV: '100.07.76',
  swV: 'S60 3.1',
  hwV: '0520',
  oem: 'Nokia',
  devTyp: 'phone',
  lang: 'en-GB',
  dmV: '1.2',
  apn: 'internet',
  proxy: '',
  proxyPort: '',
  encoding: 'wbxml',
  maxMsgSize: 16_384,
  requireServerAuth: true,
  fumoResultCode: '200',
  fumoDelayMs: 50,
  scomoResultCode: '1200',
  answerNotifications: true,
});

/** A package #0 the handset received: whether its digest verified and what it did. */
export interface DmNotificationRecord {
  receivedAt: string;
  serverId: string;
  sessionId: string;
  uiMode: string;
  verdict: 'verified' | 'digest-invalid' | 'no-account' | 'undecodable';
}

export interface DmDeviceView {
  msisdn: string;
  settings: DmDeviceSettings;
  accounts: Array<{ serverId: string; addr: string; clientName?: string; serverName?: string }>;
  /** the tree, AAuthSecret and AAuthData masked */
  tree: DmNodeView[];
  notifications: DmNotificationRecord[];
  sessions: DmSessionReport[];
  pendingAlerts: GenericAlertReport[];
}

const MAX_RECORDS = 100;
const DEFAULT_WAIT_MS = 10_000;
/** Alert Types of FUMO results (docs/protocol-dm.md §6.4, §9 #4: the reversed-domain form). */
const FUMO_ALERT_TYPE = 'org.openmobilealliance.dm.firmwareupdate.';
const NOTIFICATION_TYPE = 'application/vnd.syncml.notification';

class DmDevice {
  tree: DmTree;
  readonly notifications: DmNotificationRecord[] = [];
  readonly sessions: DmSessionReport[] = [];
  pendingAlerts: GenericAlertReport[] = [];
  /** sessions run one after the other, as on a phone */
  queue: Promise<unknown> = Promise.resolve();
  waiters: Array<() => void> = [];
  readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly msisdn: string,
    public settings: DmDeviceSettings,
  ) {
    this.tree = treeFor(settings);
  }
}

function treeFor(settings: DmDeviceSettings): DmTree {
  return buildDeviceTree(
    {
      devId: `IMEI:${settings.imei}`,
      man: settings.man,
      mod: settings.mod,
      dmV: settings.dmV,
      lang: settings.lang,
      devTyp: settings.devTyp,
      oem: settings.oem,
      fwV: settings.fwV,
      swV: settings.swV,
      hwV: settings.hwV,
    },
    { apn: settings.apn, proxy: settings.proxy, proxyPort: settings.proxyPort },
  );
}

export class DmHandsets {
  private readonly devices = new Map<string, DmDevice>();
  private transport: DmTransport | null = null;
  private closed = false;

  /** Makes a phone DM-capable (a fresh tree); a registered one keeps its tree and takes the new settings. */
  register(msisdn: string, settings: Partial<DmDeviceSettings> = {}): DmDeviceView {
    const key = normaliseMsisdn(msisdn);
    const existing = this.devices.get(key);
    if (existing) {
      existing.settings = { ...existing.settings, ...settings };
      this.applySettings(existing, settings);
    } else {
      this.devices.set(key, new DmDevice(key, { ...DEFAULT_DM_DEVICE, ...settings }));
    }
    return this.view(key)!;
  }

  has(msisdn: string): boolean {
    return this.devices.has(normaliseMsisdn(msisdn));
  }

  remove(msisdn: string): boolean {
    const device = this.devices.get(normaliseMsisdn(msisdn));
    if (device) for (const timer of device.timers) clearTimeout(timer);
    return this.devices.delete(normaliseMsisdn(msisdn));
  }

  /** The tree itself, for tests and the control API (Replace a value as the user would). */
  tree(msisdn: string): DmTree | undefined {
    return this.devices.get(normaliseMsisdn(msisdn))?.tree;
  }

  /** An account given by hand (factory or SIM bootstrap), as w7 would give it. */
  installAccount(msisdn: string, account: DmAccountInput): void {
    const device = this.require(msisdn);
    installDmAccount(device.tree, account);
  }

  view(msisdn: string): DmDeviceView | undefined {
    const device = this.devices.get(normaliseMsisdn(msisdn));
    if (!device) return undefined;
    return {
      msisdn: device.msisdn,
      settings: { ...device.settings },
      accounts: readDmAccounts(device.tree).map((account) => ({
        serverId: account.serverId,
        addr: account.addr,
        ...(account.client ? { clientName: account.client.name } : {}),
        ...(account.server ? { serverName: account.server.name } : {}),
      })),
      tree: device.tree.view(),
      notifications: [...device.notifications],
      sessions: [...device.sessions],
      pendingAlerts: [...device.pendingAlerts],
    };
  }

  list(): string[] {
    return [...this.devices.keys()];
  }

  /**
   * A complete WAP push for this phone: a DM notification is verified and answered; an accepted CP
   * document with a w7 APPLICATION installs its account. Other pushes and unregistered phones: nothing.
   */
  takePush(msisdn: string, wsp: Uint8Array, decoded: () => HandsetPush): void {
    const device = this.devices.get(normaliseMsisdn(msisdn));
    if (!device || this.closed) return;
    let mediaType: string;
    let body: Uint8Array;
    try {
      const push = decodeWspPush(wsp);
      [mediaType, body] = [push.contentType.mediaType, push.body];
    } catch (error) {
      if (error instanceof CodecError) return;
      throw error;
    }
    if (mediaType === NOTIFICATION_TYPE) {
      this.takeNotification(device, body);
      return;
    }
    const push = decoded();
    if (!push.accepted || push.documentType !== 'prov' || push.xml === null) return;
    for (const account of w7Accounts(parseXml(push.xml))) {
      installDmAccount(device.tree, account);
      // INIT asks the client to start a session right away (docs/protocol.md §9.1)
      if (account.init)
        this.enqueue(device, 'client', randomSessionId(), account.serverId).catch(() => undefined);
    }
  }

  /** A client-initiated session (Alert 1201) to the account of `serverId` (default: the first). */
  startSession(msisdn: string, serverId?: string): Promise<DmSessionReport> {
    const device = this.require(msisdn);
    return this.enqueue(device, 'client', randomSessionId(), serverId);
  }

  /** Resolves with the sessions once `count` of them ended; rejects after timeoutMs. */
  async waitForSessions(
    msisdn: string,
    count: number,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<DmSessionReport[]> {
    const device = this.require(msisdn);
    const deadline = Date.now() + timeoutMs;
    while (device.sessions.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `DM handset ${device.msisdn}: ${device.sessions.length} of ${count} sessions after ${timeoutMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        device.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return [...device.sessions];
  }

  close(): void {
    this.closed = true;
    for (const device of this.devices.values()) {
      for (const timer of device.timers) clearTimeout(timer);
      device.timers.clear();
    }
    this.transport?.close();
    this.transport = null;
  }

  private require(msisdn: string): DmDevice {
    const device = this.devices.get(normaliseMsisdn(msisdn));
    if (!device) throw new DmHandsetError('DM_HANDSET_UNKNOWN', `no DM handset ${normaliseMsisdn(msisdn)}`);
    return device;
  }

  /** Settings that are tree values change the tree too (a new firmware, another APN). */
  private applySettings(device: DmDevice, patch: Partial<DmDeviceSettings>): void {
    const write = (uri: string, value: string | undefined) =>
      value !== undefined && device.tree.write(uri, value);
    write('./DevDetail/FwV', patch.fwV);
    write('./DevDetail/SwV', patch.swV);
    write('./DevDetail/HwV', patch.hwV);
    write('./DevInfo/Man', patch.man);
    write('./DevInfo/Mod', patch.mod);
    write('./DevInfo/DevId', patch.imei && `IMEI:${patch.imei}`);
    write(APN_URI, patch.apn);
    write(PROXY_URI, patch.proxy);
    write(PROXY_PORT_URI, patch.proxyPort);
  }

  /** Package #0: the digest with SRVCRED's secret and nonce (docs/protocol.md §9.2), then a session. */
  private takeNotification(device: DmDevice, body: Uint8Array): void {
    const record = (verdict: DmNotificationRecord['verdict'], fields: Partial<DmNotificationRecord> = {}) => {
      device.notifications.push({
        receivedAt: new Date().toISOString(),
        serverId: '',
        sessionId: '',
        uiMode: '',
        ...fields,
        verdict,
      });
      if (device.notifications.length > MAX_RECORDS) device.notifications.shift();
    };
    let notification;
    try {
      notification = decodeDmNotification(body);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      record('undecodable');
      return;
    }
    // the client uses the session-id as its SessionID: upper-case hex, no leading zeros (§9.2)
    const sessionId = notification.sessionId.toString(16).toUpperCase();
    const fields = { serverId: notification.serverId, sessionId, uiMode: notification.uiMode };
    const account = readDmAccounts(device.tree).find((entry) => entry.serverId === notification.serverId);
    if (!account?.server) {
      record('no-account', fields);
      return;
    }
    const server = account.server;
    const verified = nonceReadings(server.data).some((nonce) =>
      verifyDmNotification(body, { serverPassword: server.secret, nonce }),
    );
    record(verified ? 'verified' : 'digest-invalid', fields);
    // a notification that does not verify is dropped silently, as a phone does
    if (verified && device.settings.answerNotifications) {
      void this.enqueue(device, 'server', sessionId, notification.serverId);
    }
  }

  private enqueue(
    device: DmDevice,
    initiator: 'server' | 'client',
    sessionId: string,
    serverId?: string,
  ): Promise<DmSessionReport> {
    const run = device.queue.then(() => this.runSession(device, initiator, sessionId, serverId));
    device.queue = run.catch(() => undefined);
    return run;
  }

  private async runSession(
    device: DmDevice,
    initiator: 'server' | 'client',
    sessionId: string,
    serverId?: string,
  ): Promise<DmSessionReport> {
    const accounts = readDmAccounts(device.tree);
    const account =
      serverId === undefined ? accounts[0] : accounts.find((entry) => entry.serverId === serverId);
    if (!account)
      throw new DmHandsetError(
        'DM_NO_ACCOUNT',
        `DM handset ${device.msisdn} has no account for ${serverId ?? 'any server'}`,
      );
    const alerts = device.pendingAlerts;
    this.transport ??= createDmTransport({ rejectUnauthorized: false });
    const report = await runDmSession({
      tree: device.tree,
      account,
      transport: this.transport,
      encoding: device.settings.encoding,
      maxMsgSize: device.settings.maxMsgSize,
      sessionId,
      initiator,
      genericAlerts: alerts,
      requireServerAuth: device.settings.requireServerAuth,
      ...(device.settings.clientAuth ? { clientAuth: device.settings.clientAuth } : {}),
    });
    // a result the server did not take stays for the next session (the update itself is never retried, §6.4)
    device.pendingAlerts = device.pendingAlerts.filter((alert) => !report.alertsDelivered.includes(alert));
    for (const job of report.fumoJobs) this.scheduleFumo(device, job, account.serverId);
    device.sessions.push(report);
    if (device.sessions.length > MAX_RECORDS) device.sessions.shift();
    const waiting = device.waiters;
    device.waiters = [];
    for (const wake of waiting) wake();
    return report;
  }

  /** Nothing is downloaded: after fumoDelayMs the configured result is reported in a new session. */
  private scheduleFumo(device: DmDevice, job: FumoJob, serverId: string): void {
    const timer = setTimeout(() => {
      device.timers.delete(timer);
      if (this.closed) return;
      if (job.operation === 'scomo-downloadinstall') {
        device.pendingAlerts.push(installScomo(device.tree, job, device.settings.scomoResultCode));
        this.enqueue(device, 'client', randomSessionId(), serverId).catch(() => undefined);
        return;
      }
      const resultCode = device.settings.fumoResultCode;
      const success = resultCode.startsWith('2');
      device.tree.write(
        `${job.source}/State`,
        success ? FUMO_STATE.updateSuccessfulNoData : FUMO_STATE.updateFailedNoData,
      );
      if (success && job.operation !== 'download') {
        const version = device.settings.updatedFwV ?? device.tree.read(`${job.source}/PkgVersion`);
        if (version) device.tree.write('./DevDetail/FwV', version);
      }
      device.pendingAlerts.push({
        source: job.source,
        ...(job.correlator !== undefined ? { correlator: job.correlator } : {}),
        type: FUMO_ALERT_TYPE + job.operation,
        resultCode,
      });
      this.enqueue(device, 'client', randomSessionId(), serverId).catch(() => undefined);
    }, device.settings.fumoDelayMs);
    device.timers.add(timer);
  }
}

/** SCOMO's Generic Alert Type for a finished operation (docs/protocol-dm.md §6.5, §6.6). */
const SCOMO_ALERT_TYPE = 'urn:oma:at:scomo:1.0:OperationComplete';

/**
 * A DownloadInstall done (nothing is fetched): on success the component is deployed (Inventory/Deployed/<id>
 * with Name, Version, State active), else the package's Status says the install failed; the result for
 * the Generic Alert (docs/protocol-dm.md §6.6).
 */
function installScomo(tree: DmTree, job: FumoJob, resultCode: string): GenericAlertReport {
  const id = job.source.slice(job.source.lastIndexOf('/') + 1);
  if (resultCode === '1200') {
    const deployed = `${SCOMO_ROOT}/Inventory/Deployed/${id}`;
    const leaf = (name: string, value: string) =>
      tree.define(`${deployed}/${name}`, { format: 'chr', type: 'text/plain', value });
    tree.define(deployed, { format: 'node' });
    leaf('Name', tree.read(`${job.source}/Name`) ?? id);
    leaf('Version', tree.read(`${job.source}/PkgVersion`) ?? '');
    leaf('State', SCOMO_ACTIVE);
    tree.write(`${job.source}/Status`, SCOMO_DOWNLOAD_STATUS.idle);
  } else {
    tree.write(`${job.source}/Status`, SCOMO_DOWNLOAD_STATUS.installFailed);
  }
  return {
    source: job.source,
    ...(job.correlator !== undefined ? { correlator: job.correlator } : {}),
    type: SCOMO_ALERT_TYPE,
    resultCode,
    format: 'xml',
    data: `<ResultCode>${resultCode}</ResultCode><Identifier>${id}</Identifier>`,
  };
}

export class DmHandsetError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const randomSessionId = (): string => (1 + Math.floor(Math.random() * 0xfffe)).toString(16).toUpperCase();

const childrenNamed = (element: XmlElement, name: string): XmlElement[] =>
  element.children.filter(isElement).filter((child) => child.name === name);

function parms(element: XmlElement): Map<string, string> {
  const values = new Map<string, string>();
  for (const parm of childrenNamed(element, 'parm')) {
    const name = attribute(parm, 'name');
    if (name !== undefined && !values.has(name)) values.set(name, attribute(parm, 'value') ?? '');
  }
  return values;
}

/** The DMAcc of each w7 APPLICATION in a provisioning document (docs/protocol-dm.md §4.5 table). */
export function w7Accounts(root: XmlElement): DmAccountInput[] {
  const accounts: DmAccountInput[] = [];
  for (const application of childrenNamed(root, 'characteristic')) {
    if (attribute(application, 'type') !== 'APPLICATION') continue;
    const values = parms(application);
    if (values.get('APPID') !== 'w7') continue;
    const appAddr = childrenNamed(application, 'characteristic').find(
      (child) => attribute(child, 'type') === 'APPADDR',
    );
    const addrValues = appAddr ? parms(appAddr) : new Map<string, string>();
    const portElement =
      appAddr &&
      childrenNamed(appAddr, 'characteristic').find((child) => attribute(child, 'type') === 'PORT');
    const auths: DmAppAuth[] = [];
    for (const appAuth of childrenNamed(application, 'characteristic')) {
      if (attribute(appAuth, 'type') !== 'APPAUTH') continue;
      const auth = parms(appAuth);
      const level = auth.get('AAUTHLEVEL');
      // APPSRV → CLCRED (what the handset presents), CLIENT → SRVCRED (docs/protocol-dm.md §4.5, §9 #1)
      if (level !== 'APPSRV' && level !== 'CLIENT') continue;
      auths.push({
        level: level === 'APPSRV' ? 'CLCRED' : 'SRVCRED',
        type: auth.get('AAUTHTYPE') ?? 'DIGEST',
        name: auth.get('AAUTHNAME') ?? '',
        secret: auth.get('AAUTHSECRET') ?? '',
        data: auth.get('AAUTHDATA') ?? '',
      });
    }
    accounts.push({
      serverId: values.get('PROVIDER-ID') ?? '',
      name: values.get('NAME') ?? '',
      addr: addrValues.get('ADDR') ?? values.get('ADDR') ?? '',
      ...(addrValues.get('ADDRTYPE') ? { addrType: addrValues.get('ADDRTYPE') } : {}),
      ...(portElement && parms(portElement).get('PORTNBR')
        ? { port: parms(portElement).get('PORTNBR') }
        : {}),
      auths,
      init: values.has('INIT'),
    });
  }
  return accounts;
}
