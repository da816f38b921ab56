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

/** The message with as many outbox commands as fit (at least one, so a session always moves on). */
export function packMessage(input: PackInput): PackedMessage {
  if (input.askNext) return build({ ...input, outbox: [] }, 0);
  const all = build(input, input.outbox.length);
  if (all.bytes.length <= input.maxBytes || input.outbox.length === 0) return all;
  let best = build(input, 1);
  for (let count = 2; count < input.outbox.length; count += 1) {
    const candidate = build(input, count);
    if (candidate.bytes.length > input.maxBytes) break;
    best = candidate;
  }
  return best;
}
