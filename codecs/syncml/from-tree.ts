/**
 * Element tree -> message model. Children are read in any order (libdmclient's RTK decoder does the
 * same, docs/protocol-dm.md §1); elements DM does not use (Lang, Archive, SftDel, Filter,
 * SourceParent, …) are skipped. Every violation is a CodecError with a SYNCML_* code naming the element.
 */
import { CodecError } from '../errors.ts';
import type {
  SyncMlAlert,
  SyncMlCommand,
  SyncMlContainer,
  SyncMlCred,
  SyncMlData,
  SyncMlExec,
  SyncMlHeader,
  SyncMlItem,
  SyncMlItemCommand,
  SyncMlLocation,
  SyncMlMessage,
  SyncMlMeta,
  SyncMlNestedCommand,
  SyncMlResults,
  SyncMlStatus,
} from './model.ts';
import { isNode } from './tree.ts';
import type { SyncMlNode } from './tree.ts';

export function treeToMessage(root: SyncMlNode): SyncMlMessage {
  if (root.name !== 'SyncML') {
    throw new CodecError('SYNCML_NOT_SYNCML', `the root element is <${root.name}>, not <SyncML>`);
  }
  const header = readHeader(required(root, 'SyncHdr'));
  const body = required(root, 'SyncBody');
  const commands: SyncMlCommand[] = [];
  let final = false;
  for (const child of elements(body)) {
    if (child.name === 'Final') final = true;
    else commands.push(readCommand(child, BODY_COMMANDS, 'SyncBody'));
  }
  return { header, body: { commands, final } };
}

function readHeader(header: SyncMlNode): SyncMlHeader {
  const result: SyncMlHeader = {
    verDtd: requiredText(header, 'VerDTD'),
    verProto: requiredText(header, 'VerProto'),
    sessionId: requiredText(header, 'SessionID'),
    msgId: requiredText(header, 'MsgID'),
    target: readLocation(required(header, 'Target')),
    source: readLocation(required(header, 'Source')),
  };
  const respUri = optionalText(header, 'RespURI');
  if (respUri !== undefined) result.respUri = respUri;
  if (one(header, 'NoResp')) result.noResp = true;
  const cred = one(header, 'Cred');
  if (cred) result.cred = readCred(cred);
  const meta = one(header, 'Meta');
  if (meta) result.meta = readMeta(meta);
  return result;
}

type CommandReader = (element: SyncMlNode) => SyncMlCommand;

const itemCommand = (element: SyncMlNode): SyncMlItemCommand => {
  const command: SyncMlItemCommand = {
    kind: element.name as SyncMlItemCommand['kind'],
    cmdId: requiredText(element, 'CmdID'),
    items: [],
  };
  if (one(element, 'NoResp')) command.noResp = true;
  const meta = one(element, 'Meta');
  if (meta) command.meta = readMeta(meta);
  command.items = readItems(element, command.meta, 1);
  return command;
};

const NESTED_COMMANDS: ReadonlyMap<string, CommandReader> = new Map<string, CommandReader>([
  ['Add', itemCommand],
  ['Replace', itemCommand],
  ['Delete', itemCommand],
  ['Copy', itemCommand],
  ['Get', itemCommand],
  ['Exec', readExec],
  ['Alert', readAlert],
  ['Atomic', readContainer],
  ['Sequence', readContainer],
]);

const BODY_COMMANDS: ReadonlyMap<string, CommandReader> = new Map<string, CommandReader>([
  ...NESTED_COMMANDS,
  ['Status', readStatus],
  ['Results', readResults],
]);

/** Commands of SyncML that DM does not use (docs/protocol-dm.md §2.4): decoded as Unsupported. */
const UNSUPPORTED_COMMANDS: ReadonlySet<string> = new Set(['Map', 'Put', 'Search', 'Sync', 'Move']);

function readCommand(
  element: SyncMlNode,
  readers: ReadonlyMap<string, CommandReader>,
  parent: string,
): SyncMlCommand {
  const reader = readers.get(element.name);
  if (reader) return reader(element);
  if (UNSUPPORTED_COMMANDS.has(element.name) || (BODY_COMMANDS.has(element.name) && parent !== 'SyncBody')) {
    return { kind: 'Unsupported', element: element.name, cmdId: requiredText(element, 'CmdID') };
  }
  throw new CodecError('SYNCML_UNEXPECTED_ELEMENT', `<${element.name}> cannot stand in <${parent}>`);
}

function readStatus(element: SyncMlNode): SyncMlStatus {
  const cmd = requiredText(element, 'Cmd');
  // The Status of a SyncHdr answers CmdRef 0 by definition; MR 2.6.2.3–4 leave it out
  // (docs/protocol-dm.md §9 #12). Every other Status must say what it answers.
  const cmdRef =
    cmd === 'SyncHdr' ? (optionalText(element, 'CmdRef') ?? '0') : requiredText(element, 'CmdRef');
  const status: SyncMlStatus = {
    kind: 'Status',
    cmdId: requiredText(element, 'CmdID'),
    msgRef: requiredText(element, 'MsgRef'),
    cmdRef,
    cmd,
    data: requiredText(element, 'Data'),
  };
  const targetRefs = texts(element, 'TargetRef');
  if (targetRefs.length > 0) status.targetRefs = targetRefs;
  const sourceRefs = texts(element, 'SourceRef');
  if (sourceRefs.length > 0) status.sourceRefs = sourceRefs;
  const cred = one(element, 'Cred');
  if (cred) status.cred = readCred(cred);
  const chal = one(element, 'Chal');
  if (chal) status.chal = { meta: readMeta(required(chal, 'Meta')) };
  const items = readItems(element, undefined, 0);
  if (items.length > 0) status.items = items;
  return status;
}

function readResults(element: SyncMlNode): SyncMlResults {
  const results: SyncMlResults = {
    kind: 'Results',
    cmdId: requiredText(element, 'CmdID'),
    cmdRef: requiredText(element, 'CmdRef'),
    items: [],
  };
  const msgRef = optionalText(element, 'MsgRef');
  if (msgRef !== undefined) results.msgRef = msgRef;
  const meta = one(element, 'Meta');
  if (meta) results.meta = readMeta(meta);
  const targetRefs = texts(element, 'TargetRef');
  if (targetRefs.length > 0) results.targetRefs = targetRefs;
  const sourceRefs = texts(element, 'SourceRef');
  if (sourceRefs.length > 0) results.sourceRefs = sourceRefs;
  results.items = readItems(element, results.meta, 1);
  return results;
}

function readAlert(element: SyncMlNode): SyncMlAlert {
  // Data is optional in the DTD, but DM gives every Alert a code (docs/protocol-dm.md §2.5).
  const alert: SyncMlAlert = {
    kind: 'Alert',
    cmdId: requiredText(element, 'CmdID'),
    data: requiredText(element, 'Data'),
  };
  if (one(element, 'NoResp')) alert.noResp = true;
  const correlator = optionalText(element, 'Correlator');
  if (correlator !== undefined) alert.correlator = correlator;
  const items = readItems(element, undefined, 0);
  if (items.length > 0) alert.items = items;
  return alert;
}

function readExec(element: SyncMlNode): SyncMlExec {
  const cmdId = requiredText(element, 'CmdID');
  const metaElement = one(element, 'Meta');
  const meta = metaElement ? readMeta(metaElement) : undefined;
  const items = readItems(element, meta, 1);
  if (items.length !== 1) {
    throw new CodecError('SYNCML_BAD_ITEM_COUNT', `<Exec> ${cmdId} has ${items.length} Items; it takes one`);
  }
  const exec: SyncMlExec = { kind: 'Exec', cmdId, items: [items[0]] };
  if (one(element, 'NoResp')) exec.noResp = true;
  if (meta) exec.meta = meta;
  const correlator = optionalText(element, 'Correlator');
  if (correlator !== undefined) exec.correlator = correlator;
  return exec;
}

function readContainer(element: SyncMlNode): SyncMlContainer {
  const container: SyncMlContainer = {
    kind: element.name as SyncMlContainer['kind'],
    cmdId: requiredText(element, 'CmdID'),
    commands: [],
  };
  if (one(element, 'NoResp')) container.noResp = true;
  const meta = one(element, 'Meta');
  if (meta) container.meta = readMeta(meta);
  for (const child of elements(element)) {
    if (CONTAINER_FIELDS.has(child.name)) continue;
    container.commands.push(readCommand(child, NESTED_COMMANDS, element.name) as SyncMlNestedCommand);
  }
  if (container.commands.length === 0) {
    throw new CodecError('SYNCML_MISSING_ELEMENT', `<${element.name}> ${container.cmdId} holds no command`);
  }
  return container;
}

const CONTAINER_FIELDS: ReadonlySet<string> = new Set(['CmdID', 'NoResp', 'Meta']);

function readItems(element: SyncMlNode, commandMeta: SyncMlMeta | undefined, minimum: number): SyncMlItem[] {
  const items = all(element, 'Item').map((item) => readItem(item, commandMeta));
  if (items.length < minimum) {
    throw new CodecError('SYNCML_MISSING_ELEMENT', `<${element.name}> has no <Item>`);
  }
  return items;
}

function readItem(element: SyncMlNode, commandMeta: SyncMlMeta | undefined): SyncMlItem {
  const item: SyncMlItem = {};
  const target = one(element, 'Target');
  if (target) item.target = readLocation(target);
  const source = one(element, 'Source');
  if (source) item.source = readLocation(source);
  const meta = one(element, 'Meta');
  if (meta) item.meta = readMeta(meta);
  const data = one(element, 'Data');
  if (data) item.data = readData(data, item.meta?.format ?? commandMeta?.format);
  if (one(element, 'MoreData')) item.moreData = true;
  return item;
}

/**
 * Item Data: text, or octets when WBXML OPAQUE carries Format bin or is not UTF-8 (embedded WBXML).
 * Base64 under Format b64 stays text: it is what the wire says (docs/protocol-dm.md §5.6).
 */
function readData(element: SyncMlNode, format: string | undefined): SyncMlData {
  const parts = element.children;
  if (parts.every((part) => typeof part === 'string')) return (parts as string[]).join('');
  const octets: Uint8Array[] = [];
  for (const part of parts) {
    if (isNode(part)) {
      throw new CodecError('SYNCML_UNEXPECTED_ELEMENT', `<Data> holds an element <${part.name}>`);
    }
    octets.push(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  }
  const bytes = new Uint8Array(Buffer.concat(octets));
  if (format?.toLowerCase() === 'bin') return bytes;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes;
  }
}

function readLocation(element: SyncMlNode): SyncMlLocation {
  const location: SyncMlLocation = { locUri: requiredText(element, 'LocURI') };
  const locName = optionalText(element, 'LocName');
  if (locName !== undefined) location.locName = locName;
  return location;
}

function readCred(element: SyncMlNode): SyncMlCred {
  const cred: SyncMlCred = { data: requiredText(element, 'Data') };
  const meta = one(element, 'Meta');
  if (meta) cred.meta = readMeta(meta);
  return cred;
}

const META_TEXT: ReadonlyArray<[string, 'format' | 'type' | 'mark' | 'nextNonce' | 'version']> = [
  ['Format', 'format'],
  ['Type', 'type'],
  ['Mark', 'mark'],
  ['NextNonce', 'nextNonce'],
  ['Version', 'version'],
];
const META_NUMBERS: ReadonlyArray<[string, 'size' | 'maxMsgSize' | 'maxObjSize']> = [
  ['Size', 'size'],
  ['MaxMsgSize', 'maxMsgSize'],
  ['MaxObjSize', 'maxObjSize'],
];

function readMeta(element: SyncMlNode): SyncMlMeta {
  // Some writers wrap the MetInf children in <MetInf> (the MetInf DTD's root element).
  const holder = one(element, 'MetInf') ?? element;
  const meta: SyncMlMeta = {};
  for (const [name, field] of META_TEXT) {
    const value = optionalText(holder, name);
    if (value !== undefined) meta[field] = value;
  }
  for (const [name, field] of META_NUMBERS) {
    const value = optionalText(holder, name);
    if (value === undefined) continue;
    if (!/^\d{1,15}$/.test(value)) {
      throw new CodecError('SYNCML_INVALID_NUMBER', `Meta <${name}> "${value.slice(0, 40)}" is not a number`);
    }
    meta[field] = Number(value);
  }
  return meta;
}

// --- small readers over one element -----------------------------------------------------------------

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function elements(element: SyncMlNode): SyncMlNode[] {
  return element.children.filter(isNode);
}

function all(element: SyncMlNode, name: string): SyncMlNode[] {
  return element.children.filter((child): child is SyncMlNode => isNode(child) && child.name === name);
}

function one(element: SyncMlNode, name: string): SyncMlNode | undefined {
  const found = all(element, name);
  if (found.length > 1) {
    throw new CodecError('SYNCML_DUPLICATE_ELEMENT', `<${element.name}> has ${found.length} <${name}>`);
  }
  return found[0];
}

function required(element: SyncMlNode, name: string): SyncMlNode {
  const found = one(element, name);
  if (!found) throw new CodecError('SYNCML_MISSING_ELEMENT', `<${element.name}> has no <${name}>`);
  return found;
}

/** The text of an element (OPAQUE read as UTF-8), surrounding whitespace removed. */
function textOf(element: SyncMlNode): string {
  let text = '';
  for (const part of element.children) {
    if (typeof part === 'string') text += part;
    else if (part instanceof Uint8Array) {
      try {
        text += strictUtf8.decode(part);
      } catch {
        throw new CodecError('SYNCML_INVALID_TEXT', `<${element.name}> holds OPAQUE data that is not UTF-8`);
      }
    } else {
      throw new CodecError('SYNCML_UNEXPECTED_ELEMENT', `<${element.name}> holds an element <${part.name}>`);
    }
  }
  return text.trim();
}

function requiredText(element: SyncMlNode, name: string): string {
  return textOf(required(element, name));
}

function optionalText(element: SyncMlNode, name: string): string | undefined {
  const found = one(element, name);
  return found ? textOf(found) : undefined;
}

function texts(element: SyncMlNode, name: string): string[] {
  return all(element, name).map(textOf);
}
