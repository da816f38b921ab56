/**
 * The management tree of a virtual DM handset (docs/protocol-dm.md §6): DevInfo, DevDetail, DMAcc, FUMO and
 * a connectivity MO, with the access rights and status codes a DM 1.2 client answers with
 * (docs/protocol-dm.md §2.4, §3). Written from the specification, not from the gateway's server.
 */

/** The commands a node may allow (DM properties ACL, docs/protocol-dm.md §5.6). */
export type DmAccess = 'Get' | 'Replace' | 'Add' | 'Delete' | 'Exec';

export interface DmNode {
  /** `node` for interior nodes, else a leaf Format (`chr`, `int`, `bool`, `b64`, …; §5.6) */
  format: string;
  type?: string;
  value?: string;
  access: ReadonlySet<DmAccess>;
}

/** A leaf or interior node as the control API shows it (secrets masked). */
export interface DmNodeView {
  uri: string;
  format: string;
  type?: string;
  value?: string;
}

/** What the phone is, as its DevInfo and DevDetail say (docs/protocol-dm.md §6.1, §6.2). */
export interface DmDeviceIdentity {
  /** DevId, in URN form: `IMEI:<15 digits>` (§6.1) */
  devId: string;
  man: string;
  mod: string;
  dmV: string;
  lang: string;
  devTyp: string;
  oem: string;
  fwV: string;
  swV: string;
  hwV: string;
}

/** The connectivity MO's values: the APN and the proxy the phone uses. */
export interface DmConnectivity {
  apn: string;
  proxy: string;
  proxyPort: string;
}

/** Root of the connectivity MO (the DM 1.1 `Con` layout, docs/protocol-dm.md §4.5 last bullets). */
export const CONNECTIVITY_ROOT = './Con/Internet';
export const APN_URI = `${CONNECTIVITY_ROOT}/NAP/Addr`;
export const PROXY_URI = `${CONNECTIVITY_ROOT}/PX/Addr`;
export const PROXY_PORT_URI = `${CONNECTIVITY_ROOT}/PX/PortNbr`;
/** The FUMO node; SYM places it under ./FUMO/<x> (docs/protocol-dm.md §6.4). */
export const FUMO_ROOT = './FUMO/fw1';
/** The FUMO MO type a Symbian client gives the node (docs/protocol-dm.md §6.4). */
const FUMO_TYPE = 'org.openmobilealliance/1.0/FirmwareUpdateManagementObject';
/** FUMO State values (docs/protocol-dm.md §6.4, MR 10.1.1.10). */
export const FUMO_STATE = {
  idle: '10',
  downloadProgressing: '30',
  updateProgressing: '60',
  updateFailedNoData: '80',
  updateSuccessfulNoData: '100',
} as const;

const READ: ReadonlySet<DmAccess> = new Set(['Get']);
const READ_WRITE: ReadonlySet<DmAccess> = new Set(['Get', 'Replace']);
const FULL: ReadonlySet<DmAccess> = new Set(['Get', 'Replace', 'Add', 'Delete']);
const EXEC: ReadonlySet<DmAccess> = new Set(['Get', 'Exec']);
/** AAuthSecret and AAuthData have no Get (docs/protocol-dm.md §6.3). */
const WRITE_ONLY: ReadonlySet<DmAccess> = new Set(['Replace', 'Delete']);

export type DmTreeResult =
  { status: '200'; node?: DmNode; children?: string[] } | { status: '404' | '405' | '406' | '418' | '425' };

/** `./A/B/` and `A/B` name the same node as `./A/B` (MR 8.1 URI rules). */
export function normaliseUri(uri: string): string {
  let path = uri.trim().replace(/\/+$/, '');
  if (path === '' || path === '.') return '.';
  if (!path.startsWith('./')) path = `./${path}`;
  return path;
}

const parentOf = (uri: string): string => uri.slice(0, uri.lastIndexOf('/'));

export class DmTree {
  private readonly nodes = new Map<string, DmNode>();

  constructor() {
    this.nodes.set('.', { format: 'node', access: new Set(['Get', 'Add']) });
  }

  /** Sets a node (and its missing parents) without checks: the phone's own doing, not a server's. */
  define(uri: string, node: Omit<DmNode, 'access'> & { access?: ReadonlySet<DmAccess> }): void {
    const path = normaliseUri(uri);
    this.ensureParents(path, READ);
    this.nodes.set(path, { access: node.format === 'node' ? READ : READ_WRITE, ...node });
  }

  /** A leaf's value as the phone itself reads it (no ACL); undefined when absent or interior. */
  read(uri: string): string | undefined {
    return this.nodes.get(normaliseUri(uri))?.value;
  }

  /** Sets an existing leaf's value as the phone itself does (FUMO State, a new FwV). */
  write(uri: string, value: string): void {
    const node = this.nodes.get(normaliseUri(uri));
    if (node && node.format !== 'node') node.value = value;
  }

  has(uri: string): boolean {
    return this.nodes.has(normaliseUri(uri));
  }

  /** The names of a node's children, in the order they were made. */
  children(uri: string): string[] {
    const prefix = `${normaliseUri(uri)}/`;
    const names: string[] = [];
    for (const path of this.nodes.keys()) {
      if (path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
        names.push(path.slice(prefix.length));
    }
    return names;
  }

  /** Get (MR 4.1.6.7): a leaf's node, an interior node's child names; `?list=`/`?prop=` → 406 here. */
  get(uri: string): DmTreeResult {
    if (uri.includes('?')) return { status: '406' };
    const node = this.nodes.get(normaliseUri(uri));
    if (!node) return { status: '404' };
    if (!node.access.has('Get')) return { status: '425' };
    if (node.format === 'node') return { status: '200', node, children: this.children(uri) };
    return { status: '200', node };
  }

  /** Replace (MR 4.1.6.11): an existing leaf only; never creates one (404). */
  replace(uri: string, value: string, format?: string): DmTreeResult {
    const node = this.nodes.get(normaliseUri(uri));
    if (!node) return { status: '404' };
    if (!node.access.has('Replace')) return { status: '425' };
    if (node.format === 'node') return { status: '405' };
    node.value = value;
    if (format) node.format = format;
    return { status: '200' };
  }

  /** Add (MR 4.1.6.1): 418 when it exists; parents made implicitly; a leaf cannot have children (405). */
  add(uri: string, value: string | undefined, format = 'chr', type?: string): DmTreeResult {
    const path = normaliseUri(uri);
    if (this.nodes.has(path)) return { status: '418' };
    for (let parent = parentOf(path); parent !== '' && parent !== '.'; parent = parentOf(parent)) {
      const existing = this.nodes.get(parent);
      if (existing && existing.format !== 'node') return { status: '405' };
      if (existing) {
        if (!existing.access.has('Add') && !existing.access.has('Replace')) return { status: '425' };
        break;
      }
    }
    this.ensureParents(path, FULL);
    this.nodes.set(path, {
      format,
      type,
      value: format === 'node' ? undefined : (value ?? ''),
      access: FULL,
    });
    return { status: '200' };
  }

  /** Delete (MR 4.1.6.5): the node and its subtree; the root and permanent nodes → 405. */
  delete(uri: string): DmTreeResult {
    const path = normaliseUri(uri);
    const node = this.nodes.get(path);
    if (!node) return { status: '404' };
    if (path === '.' || !node.access.has('Delete')) return { status: '405' };
    for (const key of [...this.nodes.keys()])
      if (key === path || key.startsWith(`${path}/`)) this.nodes.delete(key);
    return { status: '200' };
  }

  /** Whether a node may be executed: 404 missing, 405 not executable (MR 4.1.6.6). */
  canExec(uri: string): DmTreeResult {
    const node = this.nodes.get(normaliseUri(uri));
    if (!node) return { status: '404' };
    return node.access.has('Exec') ? { status: '200' } : { status: '405' };
  }

  /** The whole tree, to go back to when an Atomic fails (MR 4.1.6.3). */
  snapshot(): Map<string, DmNode> {
    return new Map([...this.nodes].map(([uri, node]) => [uri, { ...node }]));
  }

  restore(snapshot: Map<string, DmNode>): void {
    this.nodes.clear();
    for (const [uri, node] of snapshot) this.nodes.set(uri, { ...node });
  }

  /** Every node, secrets masked (AAuthSecret, AAuthData: no Get for anyone, §6.3). */
  view(): DmNodeView[] {
    const result: DmNodeView[] = [];
    for (const [uri, node] of this.nodes) {
      if (uri === '.') continue;
      const masked = !node.access.has('Get') && node.value !== undefined;
      result.push({
        uri,
        format: node.format,
        ...(node.type ? { type: node.type } : {}),
        ...(node.value !== undefined ? { value: masked ? '***' : node.value } : {}),
      });
    }
    return result;
  }

  private ensureParents(path: string, access: ReadonlySet<DmAccess>): void {
    for (let parent = parentOf(path); parent !== '' && parent !== '.'; parent = parentOf(parent)) {
      if (this.nodes.has(parent)) break;
      this.nodes.set(parent, { format: 'node', access });
    }
  }
}

/** The SCOMO node (docs/protocol-dm.md §6.5, §6.6): Download/<id> for the server's packages, Inventory. */
export const SCOMO_ROOT = './SCOMO';
/** SCOMO Download Status values the phone sets (VZ scm.h, docs/protocol-dm.md §6.5). */
export const SCOMO_DOWNLOAD_STATUS = {
  idle: '10',
  downloading: '30',
  installing: '50',
  installFailed: '60',
} as const;
/** Deployed component State (VZ, docs/protocol-dm.md §6.5): 10 inactive, 20 active. */
export const SCOMO_ACTIVE = '20';

/**
 * A package the server added under ./SCOMO/Download gets what the phone itself makes for it: Status
 * and the Operations it can Exec (docs/protocol-dm.md §6.6; RB tree).
 */
export function prepareScomoDownload(tree: DmTree, uri: string): void {
  const path = normaliseUri(uri);
  if (!/^\.\/SCOMO\/Download\/[^/]+$/.test(path)) return;
  tree.define(`${path}/Status`, {
    format: 'int',
    type: 'text/plain',
    value: SCOMO_DOWNLOAD_STATUS.idle,
    access: READ,
  });
  tree.define(`${path}/Operations`, { format: 'node', access: READ });
  for (const operation of ['Download', 'DownloadInstall', 'DownloadInstallInactive'])
    tree.define(`${path}/Operations/${operation}`, { format: 'node', access: EXEC });
}

/** A phone's tree before any account: DevInfo, DevDetail, FUMO, SCOMO and the connectivity MO. */
export function buildDeviceTree(identity: DmDeviceIdentity, connectivity: DmConnectivity): DmTree {
  const tree = new DmTree();
  const leaf = (uri: string, value: string, access = READ, format = 'chr') =>
    tree.define(uri, { format, type: 'text/plain', value, access });
  tree.define('./DevInfo', { format: 'node', type: 'urn:oma:mo:oma-dm-devinfo:1.0' });
  leaf('./DevInfo/DevId', identity.devId);
  leaf('./DevInfo/Man', identity.man);
  leaf('./DevInfo/Mod', identity.mod);
  leaf('./DevInfo/DmV', identity.dmV);
  leaf('./DevInfo/Lang', identity.lang);
  tree.define('./DevDetail', { format: 'node', type: 'urn:oma:mo:oma-dm-devdetail:1.0' });
  leaf('./DevDetail/URI/MaxDepth', '0');
  leaf('./DevDetail/URI/MaxTotLen', '0');
  leaf('./DevDetail/URI/MaxSegLen', '0');
  leaf('./DevDetail/DevTyp', identity.devTyp);
  leaf('./DevDetail/OEM', identity.oem);
  leaf('./DevDetail/FwV', identity.fwV);
  leaf('./DevDetail/SwV', identity.swV);
  leaf('./DevDetail/HwV', identity.hwV);
  // the handset takes large objects (dm-commands.ts takeChunk, docs/protocol-dm.md §2.8)
  leaf('./DevDetail/LrgObj', 'true', READ, 'bool');
  tree.define(FUMO_ROOT, { format: 'node', type: FUMO_TYPE, access: READ_WRITE });
  leaf(`${FUMO_ROOT}/PkgName`, '', READ_WRITE);
  leaf(`${FUMO_ROOT}/PkgVersion`, '', READ_WRITE);
  tree.define(`${FUMO_ROOT}/Download`, { format: 'node', access: EXEC });
  leaf(`${FUMO_ROOT}/Download/PkgURL`, '', READ_WRITE);
  tree.define(`${FUMO_ROOT}/DownloadAndUpdate`, { format: 'node', access: EXEC });
  leaf(`${FUMO_ROOT}/DownloadAndUpdate/PkgURL`, '', READ_WRITE);
  leaf(`${FUMO_ROOT}/State`, FUMO_STATE.idle, READ, 'int');
  tree.define(SCOMO_ROOT, { format: 'node', type: 'urn:oma:mo:oma-scomo:1.0', access: READ });
  tree.define(`${SCOMO_ROOT}/Download`, { format: 'node', access: FULL });
  tree.define(`${SCOMO_ROOT}/Inventory`, { format: 'node', access: READ });
  tree.define(`${SCOMO_ROOT}/Inventory/Deployed`, { format: 'node', access: READ });
  // the server may add connectivity profiles of its own under ./Con (MR 4.1.6.1)
  tree.define('./Con', { format: 'node', access: FULL });
  tree.define(CONNECTIVITY_ROOT, { format: 'node', access: FULL });
  tree.define(`${CONNECTIVITY_ROOT}/NAP`, { format: 'node', access: FULL });
  tree.define(`${CONNECTIVITY_ROOT}/PX`, { format: 'node', access: FULL });
  leaf(APN_URI, connectivity.apn, FULL);
  leaf(PROXY_URI, connectivity.proxy, FULL);
  leaf(PROXY_PORT_URI, connectivity.proxyPort, FULL);
  return tree;
}

/** One AppAuth entry of a DM account (docs/protocol-dm.md §6.3, §4.5). */
export interface DmAppAuth {
  /** CLCRED: what the phone presents; SRVCRED: what the server presents (§4.5). */
  level: 'CLCRED' | 'SRVCRED';
  /** BASIC, DIGEST, HMAC (MR 7.1.3.1.19–20) */
  type: string;
  name: string;
  secret: string;
  /** AAuthData: the nonce, as text (base64 in the MS example, §9 #7) */
  data: string;
}

/** A DM account, as w7 (docs/protocol.md §9.1) or an admin gives it. */
export interface DmAccountInput {
  serverId: string;
  name: string;
  addr: string;
  addrType?: string;
  port?: string;
  auths: DmAppAuth[];
  /** w7 INIT: start a session at once (docs/protocol.md §9.1) */
  init?: boolean;
}

/** Writes ./DMAcc/<x> (docs/protocol-dm.md §6.3); an account of the same ServerID is replaced. */
export function installDmAccount(tree: DmTree, account: DmAccountInput): string {
  for (const name of tree.children('./DMAcc')) {
    if (tree.read(`./DMAcc/${name}/ServerID`) === account.serverId) tree.delete(`./DMAcc/${name}`);
  }
  let index = 1;
  while (tree.has(`./DMAcc/acc${index}`)) index++;
  const root = `./DMAcc/acc${index}`;
  tree.define('./DMAcc', { format: 'node', type: 'urn:oma:mo:oma-dm-dmacc:1.0', access: FULL });
  tree.define(root, { format: 'node', access: FULL });
  const leaf = (uri: string, value: string, access = FULL, format = 'chr') =>
    tree.define(`${root}/${uri}`, { format, value, access });
  leaf('AppID', 'w7', READ);
  leaf('ServerID', account.serverId);
  leaf('Name', account.name);
  leaf('AppAddr/1/Addr', account.addr);
  leaf('AppAddr/1/AddrType', account.addrType ?? 'URI');
  if (account.port) leaf('AppAddr/1/Port/1/PortNbr', account.port);
  account.auths.forEach((auth, position) => {
    const entry = `AppAuth/${auth.level === 'CLCRED' ? 'cl' : 'srv'}${position + 1}`;
    leaf(`${entry}/AAuthLevel`, auth.level);
    leaf(`${entry}/AAuthType`, auth.type);
    leaf(`${entry}/AAuthName`, auth.name);
    leaf(`${entry}/AAuthSecret`, auth.secret, WRITE_ONLY);
    leaf(`${entry}/AAuthData`, auth.data, WRITE_ONLY, 'b64');
  });
  // The DMAcc tree makes AAuthData bin; the phone keeps the nonce text it got, as it got it (§9 #7).
  return root;
}

/** The account the phone reads back from its tree (so a server's Replace of DMAcc takes effect). */
export interface DmAccountState {
  root: string;
  serverId: string;
  addr: string;
  client?: DmAppAuth & { uri: string };
  server?: DmAppAuth & { uri: string };
}

export function readDmAccounts(tree: DmTree): DmAccountState[] {
  const accounts: DmAccountState[] = [];
  for (const name of tree.children('./DMAcc')) {
    const root = `./DMAcc/${name}`;
    const serverId = tree.read(`${root}/ServerID`);
    const addrNode = tree.children(`${root}/AppAddr`)[0];
    if (!serverId || addrNode === undefined) continue;
    let addr = tree.read(`${root}/AppAddr/${addrNode}/Addr`) ?? '';
    const portNode = tree.children(`${root}/AppAddr/${addrNode}/Port`)[0];
    const port = portNode && tree.read(`${root}/AppAddr/${addrNode}/Port/${portNode}/PortNbr`);
    if (port) addr = withPort(addr, port);
    const state: DmAccountState = { root, serverId, addr };
    for (const entry of tree.children(`${root}/AppAuth`)) {
      const uri = `${root}/AppAuth/${entry}`;
      // Always read AAuthLevel, never trust the node name (docs/protocol-dm.md §4.5).
      const level = tree.read(`${uri}/AAuthLevel`);
      if (level !== 'CLCRED' && level !== 'SRVCRED') continue;
      const auth = {
        uri,
        level,
        type: tree.read(`${uri}/AAuthType`) ?? 'DIGEST',
        name: tree.read(`${uri}/AAuthName`) ?? '',
        secret: tree.read(`${uri}/AAuthSecret`) ?? '',
        data: tree.read(`${uri}/AAuthData`) ?? '',
      } as const;
      if (level === 'CLCRED') state.client = auth;
      else state.server = auth;
    }
    accounts.push(state);
  }
  return accounts;
}

/** APPADDR/PORT/PORTNBR applies to the address (docs/protocol-dm.md §4.5). */
function withPort(addr: string, port: string): string {
  try {
    const url = new URL(addr);
    if (!url.port) url.port = port;
    return url.toString();
  } catch {
    return addr;
  }
}
