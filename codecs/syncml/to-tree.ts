/**
 * Message model -> element tree, children in the order of the SyncML 1.2 DTD (OMA-SUP-DTD_SyncML_RepPro
 * 1.2), which is also the order libdmclient writes (docs/protocol-dm.md §1).
 */
import { CodecError } from '../errors.ts';
import type { SyncMlEncoding } from './constants.ts';
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
  SyncMlResults,
  SyncMlStatus,
} from './model.ts';
import { leaf, node } from './tree.ts';
import type { SyncMlNode } from './tree.ts';

/** The tree of a message for one representation (binary Data is written differently, §5.6). */
export function messageToTree(message: SyncMlMessage, encoding: SyncMlEncoding): SyncMlNode {
  try {
    return buildTree(message, encoding);
  } catch (error) {
    if (error instanceof CodecError) throw error;
    // A model from JSON or JavaScript with a part missing (no items, no header): say so, typed.
    throw new CodecError(
      'SYNCML_INVALID_MODEL',
      `the message cannot be encoded: ${String((error as Error)?.message ?? error)}`,
    );
  }
}

function buildTree(message: SyncMlMessage, encoding: SyncMlEncoding): SyncMlNode {
  const build = new TreeBuilder(encoding);
  const body = node(
    'SyncBody',
    message.body.commands.map((command) => build.command(command)),
  );
  if (message.body.final) body.children.push(node('Final'));
  return node('SyncML', [build.header(message.header), body]);
}

/** Where an Item's Data comes as OPAQUE in libwbxml's xml2wbxml (docs/protocol-dm.md §5.5). */
const OPAQUE_ITEM_DATA: ReadonlySet<string> = new Set(['Add', 'Replace']);

class TreeBuilder {
  constructor(private readonly encoding: SyncMlEncoding) {}

  header(header: SyncMlHeader): SyncMlNode {
    const children = [
      leaf('VerDTD', header.verDtd),
      leaf('VerProto', header.verProto),
      leaf('SessionID', header.sessionId),
      leaf('MsgID', header.msgId),
      location('Target', header.target),
      location('Source', header.source),
    ];
    if (header.respUri !== undefined) children.push(leaf('RespURI', header.respUri));
    if (header.noResp) children.push(node('NoResp'));
    if (header.cred) children.push(cred(header.cred));
    if (header.meta) children.push(meta(header.meta));
    return node('SyncHdr', children);
  }

  command(command: SyncMlCommand): SyncMlNode {
    switch (command.kind) {
      case 'Status':
        return this.status(command);
      case 'Results':
        return this.results(command);
      case 'Alert':
        return this.alert(command);
      case 'Exec':
        return this.exec(command);
      case 'Atomic':
      case 'Sequence':
        return this.container(command);
      case 'Get':
      case 'Replace':
      case 'Add':
      case 'Delete':
      case 'Copy':
        return this.itemCommand(command);
      default:
        throw new CodecError(
          'SYNCML_UNENCODABLE_COMMAND',
          `a ${String((command as { kind: unknown }).kind)} command cannot be encoded`,
        );
    }
  }

  private status(status: SyncMlStatus): SyncMlNode {
    const children = [
      leaf('CmdID', status.cmdId),
      leaf('MsgRef', status.msgRef),
      leaf('CmdRef', status.cmdRef),
      leaf('Cmd', status.cmd),
      ...(status.targetRefs ?? []).map((ref) => leaf('TargetRef', ref)),
      ...(status.sourceRefs ?? []).map((ref) => leaf('SourceRef', ref)),
    ];
    if (status.cred) children.push(cred(status.cred));
    if (status.chal) children.push(node('Chal', [meta(status.chal.meta)]));
    children.push(leaf('Data', status.data));
    children.push(...this.items(status.items ?? [], 'Status', undefined));
    return node('Status', children);
  }

  private results(results: SyncMlResults): SyncMlNode {
    const children = [leaf('CmdID', results.cmdId)];
    if (results.msgRef !== undefined) children.push(leaf('MsgRef', results.msgRef));
    children.push(leaf('CmdRef', results.cmdRef));
    if (results.meta) children.push(meta(results.meta));
    children.push(...(results.targetRefs ?? []).map((ref) => leaf('TargetRef', ref)));
    children.push(...(results.sourceRefs ?? []).map((ref) => leaf('SourceRef', ref)));
    children.push(...this.items(results.items, 'Results', results.meta));
    return node('Results', children);
  }

  private alert(alert: SyncMlAlert): SyncMlNode {
    const children = this.opening(alert.cmdId, alert.noResp);
    children.push(leaf('Data', alert.data));
    if (alert.correlator !== undefined) children.push(leaf('Correlator', alert.correlator));
    children.push(...this.items(alert.items ?? [], 'Alert', undefined));
    return node('Alert', children);
  }

  private exec(exec: SyncMlExec): SyncMlNode {
    const children = this.opening(exec.cmdId, exec.noResp);
    if (exec.meta) children.push(meta(exec.meta));
    if (exec.correlator !== undefined) children.push(leaf('Correlator', exec.correlator));
    children.push(...this.items(exec.items, 'Exec', exec.meta));
    return node('Exec', children);
  }

  private container(container: SyncMlContainer): SyncMlNode {
    const children = this.opening(container.cmdId, container.noResp);
    if (container.meta) children.push(meta(container.meta));
    children.push(...container.commands.map((command) => this.command(command)));
    return node(container.kind, children);
  }

  private itemCommand(command: SyncMlItemCommand): SyncMlNode {
    const children = this.opening(command.cmdId, command.noResp);
    if (command.meta) children.push(meta(command.meta));
    children.push(...this.items(command.items, command.kind, command.meta));
    return node(command.kind, children);
  }

  private opening(cmdId: string, noResp: boolean | undefined): SyncMlNode[] {
    return noResp ? [leaf('CmdID', cmdId), node('NoResp')] : [leaf('CmdID', cmdId)];
  }

  private items(items: SyncMlItem[], command: string, commandMeta: SyncMlMeta | undefined): SyncMlNode[] {
    return items.map((item) => this.item(item, command, commandMeta));
  }

  private item(item: SyncMlItem, command: string, commandMeta: SyncMlMeta | undefined): SyncMlNode {
    const children: SyncMlNode[] = [];
    if (item.target) children.push(location('Target', item.target));
    if (item.source) children.push(location('Source', item.source));
    let itemMeta = item.meta;
    if (item.data !== undefined) {
      const { data, format } = this.wireData(item.data, itemMeta?.format ?? commandMeta?.format);
      // XML cannot carry raw octets: Format bin goes out as b64 (docs/protocol-dm.md §5.6).
      if (format !== (itemMeta?.format ?? commandMeta?.format)) itemMeta = { ...itemMeta, format };
      if (itemMeta) children.push(meta(itemMeta));
      const dataNode = leaf('Data', data);
      if (OPAQUE_ITEM_DATA.has(command)) dataNode.opaque = true;
      children.push(dataNode);
    } else if (itemMeta) children.push(meta(itemMeta));
    if (item.moreData) children.push(node('MoreData'));
    return node('Item', children);
  }

  /** Data as it goes on the wire, and the Format that then describes it. */
  private wireData(
    data: SyncMlData,
    format: string | undefined,
  ): { data: string | Uint8Array; format: string | undefined } {
    if (typeof data === 'string') return { data, format };
    const lower = format?.toLowerCase();
    if (lower === 'b64') return { data: Buffer.from(data).toString('base64'), format };
    if (lower === 'bin') {
      return this.encoding === 'wbxml'
        ? { data, format }
        : { data: Buffer.from(data).toString('base64'), format: 'b64' };
    }
    throw new CodecError(
      'SYNCML_BINARY_DATA_FORMAT',
      `binary Item Data needs Meta Format bin or b64, not ${format ?? '(none: chr)'} (docs/protocol-dm.md §5.6)`,
    );
  }
}

function location(name: 'Target' | 'Source', where: SyncMlLocation): SyncMlNode {
  const children = [leaf('LocURI', where.locUri)];
  if (where.locName !== undefined) children.push(leaf('LocName', where.locName));
  return node(name, children);
}

function cred(value: SyncMlCred): SyncMlNode {
  const children = value.meta ? [meta(value.meta)] : [];
  children.push(leaf('Data', value.data));
  return node('Cred', children);
}

/** Meta children in the MetInf 1.2 DTD order; decoders accept any order. */
function meta(value: SyncMlMeta): SyncMlNode {
  const children: SyncMlNode[] = [];
  if (value.format !== undefined) children.push(leaf('Format', value.format));
  if (value.type !== undefined) children.push(leaf('Type', value.type));
  if (value.mark !== undefined) children.push(leaf('Mark', value.mark));
  if (value.size !== undefined) children.push(leaf('Size', count(value.size, 'Size')));
  if (value.version !== undefined) children.push(leaf('Version', value.version));
  if (value.nextNonce !== undefined) children.push(leaf('NextNonce', value.nextNonce));
  if (value.maxMsgSize !== undefined)
    children.push(leaf('MaxMsgSize', count(value.maxMsgSize, 'MaxMsgSize')));
  if (value.maxObjSize !== undefined)
    children.push(leaf('MaxObjSize', count(value.maxObjSize, 'MaxObjSize')));
  return node('Meta', children);
}

function count(value: number, name: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CodecError('SYNCML_INVALID_NUMBER', `Meta ${name} ${value} is not a non-negative integer`);
  }
  return String(value);
}
