/**
 * One server message: the Status commands, then as many queued commands as fit the client's MaxMsgSize
 * (docs/protocol-dm.md §2.7). What does not fit waits in the outbox for the next message of the package,
 * and the message goes without Final so the handset asks for it (Alert 1222).
 */
import {
  ALERT,
  encodeSyncMl,
  type SyncMlCommand,
  type SyncMlEncoding,
  type SyncMlHeader,
  type SyncMlItemCommand,
  type SyncMlMessage,
  type SyncMlStatus,
} from '../../codecs/syncml/index.ts';
import type { OutboxItem, SentPurpose } from './session-store.ts';

export interface PackInput {
  header: SyncMlHeader;
  statuses: SyncMlStatus[];
  outbox: OutboxItem[];
  encoding: SyncMlEncoding;
  /** the largest message the handset takes */
  maxBytes: number;
  /** the handset is still sending its package: ask for its next message, send nothing else */
  askNext: boolean;
}

export interface PackedMessage {
  message: SyncMlMessage;
  bytes: Uint8Array;
  /** `${MsgID}:${CmdID}` of each command put in, for its Status and Results */
  sent: Record<string, SentPurpose>;
  /** the commands left for the next message */
  rest: OutboxItem[];
}

/** Gives the command (and the members of a container) CmdIDs from `next`; returns the next free one. */
function numbered(
  command: SyncMlCommand,
  next: number,
  ids: string[],
): { command: SyncMlCommand; next: number } {
  const cmdId = String(next);
  ids.push(cmdId);
  if (command.kind !== 'Atomic' && command.kind !== 'Sequence')
    return { command: { ...command, cmdId }, next: next + 1 };
  let free = next + 1;
  const members = command.commands.map((member) => {
    const done = numbered(member, free, ids);
    free = done.next;
    return done.command as typeof member;
  });
  return { command: { ...command, cmdId, commands: members }, next: free };
}

function build(input: PackInput, count: number): PackedMessage {
  let next = 1;
  const commands: SyncMlCommand[] = [];
  for (const status of input.statuses) commands.push({ ...status, cmdId: String(next++) });
  if (input.askNext) commands.push({ kind: 'Alert', cmdId: String(next++), data: ALERT.NEXT_MESSAGE });
  const sent: Record<string, SentPurpose> = {};
  for (const item of input.outbox.slice(0, count)) {
    const ids: string[] = [];
    const done = numbered(item.command, next, ids);
    next = done.next;
    commands.push(done.command);
    ids.forEach(
      (id, index) => (sent[`${input.header.msgId}:${id}`] = item.purposes[index] ?? { purpose: 'container' }),
    );
  }
  const rest = input.outbox.slice(count);
  const message: SyncMlMessage = {
    header: input.header,
    body: { commands, final: !input.askNext && rest.length === 0 },
  };
  return { message, bytes: encodeSyncMl(message, input.encoding), sent, rest };
}

/**
 * The message with as many outbox commands as fit. A first command that does not fit alone and carries
 * text data (a software descriptor, a TNDS) goes as a large object (docs/protocol-dm.md §2.8): as much of
 * its data as fits, with MoreData and the total Size, the rest in the next message's command.
 */
export function packMessage(input: PackInput): PackedMessage {
  if (input.askNext) return build({ ...input, outbox: [] }, 0);
  const all = build(input, input.outbox.length);
  if (all.bytes.length <= input.maxBytes || input.outbox.length === 0) return all;
  let best = build(input, 1);
  if (best.bytes.length > input.maxBytes) return chunked(input) ?? best;
  for (let count = 2; count < input.outbox.length; count += 1) {
    const candidate = build(input, count);
    if (candidate.bytes.length > input.maxBytes) break;
    best = candidate;
  }
  return best;
}

/** The Item data of a Replace or Add that may be cut into chunks: text, one Item. */
function chunkable(item: OutboxItem): string | undefined {
  const { command } = item;
  if ((command.kind !== 'Replace' && command.kind !== 'Add') || command.items.length !== 1) return undefined;
  const data = command.items[0].data;
  return typeof data === 'string' && data.length > 1 ? data : undefined;
}

/** The command with this part of its data; Size (the whole object's octets) only on the first chunk. */
function withChunk(item: OutboxItem, data: string, size: number | undefined, more: boolean): OutboxItem {
  const command = item.command as SyncMlItemCommand;
  const { moreData: _moreData, ...source } = command.items[0];
  void _moreData;
  const meta = size === undefined ? source.meta : { ...source.meta, size };
  const chunk = { ...source, data, ...(meta ? { meta } : {}), ...(more ? { moreData: true } : {}) };
  return { ...item, command: { ...command, items: [chunk] } };
}

/** The longest first chunk that fits, and the command that carries the rest; undefined: cannot cut. */
function chunked(input: PackInput): PackedMessage | undefined {
  const [head, ...others] = input.outbox;
  const data = chunkable(head);
  if (data === undefined) return undefined;
  const size = head.continuation ? undefined : Buffer.byteLength(data, 'utf8');
  let [low, high] = [1, data.length - 1];
  let fit: PackedMessage | undefined;
  while (low <= high) {
    const cut = Math.floor((low + high) / 2);
    const candidate = build({ ...input, outbox: [withChunk(head, data.slice(0, cut), size, true)] }, 1);
    if (candidate.bytes.length > input.maxBytes) {
      high = cut - 1;
      continue;
    }
    const rest: OutboxItem = { ...withChunk(head, data.slice(cut), undefined, false), continuation: true };
    fit = { ...candidate, rest: [rest, ...others] };
    low = cut + 1;
  }
  return fit;
}
