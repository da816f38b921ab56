/**
 * OMA DM 1.2 package #0, the server-alerted notification pushed to a handset (docs/protocol.md §9.2; DMD §6.2,
 * libdmclient `package0.c`). Layout, big-endian:
 *   digest (16) | version (10 bits) ui-mode (2) initiator (1) future (27) session-id (16) | id length (8)
 *   | server identifier | vendor-specific (rest)
 * digest = MD5( B64(MD5(server-id ":" password)) ":" nonce ":" B64(MD5(trigger)) ), trigger = every
 * octet after the digest.
 */
import { createHash } from 'node:crypto';
import { CodecError } from '../errors.ts';

/** The version field carries version x 10; DM Notification 1.2 messages carry 11 (docs/protocol.md §9.2, §10 #16). */
export const DM_NOTIFICATION_VERSION = 11;

/** ui-mode values 0-3 (docs/protocol.md §9.2). */
export const DM_UI_MODES = ['not-specified', 'background', 'informative', 'user-interaction'] as const;
export type DmUiMode = (typeof DM_UI_MODES)[number];

/** initiator bit: 0 client/user, 1 server (docs/protocol.md §9.2). */
export const DM_INITIATORS = ['client', 'server'] as const;
export type DmInitiator = (typeof DM_INITIATORS)[number];

export interface DmNotification {
  /** Version x 10; default 11. */
  version?: number;
  uiMode: DmUiMode;
  initiator: DmInitiator;
  /** 0-65535; the client uses it (upper-case hex, no leading zeros) as its SessionID. */
  sessionId: number;
  /** ServerID of the DM account (the w7 PROVIDER-ID). */
  serverId: string;
  vendorSpecific?: Uint8Array;
}

export interface DecodedDmNotification extends Required<Omit<DmNotification, 'vendorSpecific'>> {
  vendorSpecific: Uint8Array;
  digest: Uint8Array;
}

/** The secrets a DM account shares for server-to-client authentication (the SRVCRED entry, AAUTHLEVEL=CLIENT: what the server presents to the handset; docs/protocol.md §9.1). */
export interface DmServerCredentials {
  serverPassword: string;
  /** The server nonce the client holds for that account (AAUTHDATA). */
  nonce: Uint8Array;
}

const DIGEST_OCTETS = 16; // MD5
const HEADER_OCTETS = 8; // version .. server-identifier length
const VERSION_MAX = 0x3ff; // 10 bits
const SESSION_ID_MAX = 0xffff;
const SERVER_ID_MAX_OCTETS = 0xff; // length-identifier is one octet
const COLON = Buffer.from(':', 'latin1');

function md5(...parts: Uint8Array[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

const base64Md5 = (...parts: Uint8Array[]): Buffer => Buffer.from(md5(...parts).toString('base64'), 'latin1');

/** The package #0 digest over the trigger (everything after the digest field). */
export function dmNotificationDigest(
  trigger: Uint8Array,
  serverId: string,
  credentials: DmServerCredentials,
): Uint8Array {
  const serverSecret = base64Md5(
    Buffer.from(serverId, 'utf8'),
    COLON,
    Buffer.from(credentials.serverPassword, 'utf8'),
  );
  return md5(serverSecret, COLON, credentials.nonce, COLON, base64Md5(trigger));
}

function checkRange(value: number, max: number, code: string, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new CodecError(code, `${what} must be 0-${max}: ${value}`);
}

/** Package #0 with its digest. Throws DM_BAD_VERSION, DM_BAD_SESSION_ID, DM_BAD_UI_MODE, DM_SERVER_ID_TOO_LONG. */
export function encodeDmNotification(
  notification: DmNotification,
  credentials: DmServerCredentials,
): Uint8Array {
  const version = notification.version ?? DM_NOTIFICATION_VERSION;
  checkRange(version, VERSION_MAX, 'DM_BAD_VERSION', 'version');
  checkRange(notification.sessionId, SESSION_ID_MAX, 'DM_BAD_SESSION_ID', 'session id');
  const uiMode = DM_UI_MODES.indexOf(notification.uiMode);
  if (uiMode < 0) throw new CodecError('DM_BAD_UI_MODE', `unknown ui-mode ${String(notification.uiMode)}`);
  const initiator = DM_INITIATORS.indexOf(notification.initiator);
  if (initiator < 0)
    throw new CodecError('DM_BAD_INITIATOR', `unknown initiator ${String(notification.initiator)}`);
  const serverId = Buffer.from(notification.serverId, 'utf8');
  if (serverId.length > SERVER_ID_MAX_OCTETS) {
    throw new CodecError(
      'DM_SERVER_ID_TOO_LONG',
      `server identifier has ${serverId.length} octets; at most 255`,
    );
  }
  const vendor = notification.vendorSpecific ?? new Uint8Array(0);

  const trigger = new Uint8Array(HEADER_OCTETS + serverId.length + vendor.length);
  // version (10) ui-mode (2) initiator (1) future (27, zero) session-id (16) length (8)
  trigger[0] = version >> 2;
  trigger[1] = ((version & 0x3) << 6) | (uiMode << 4) | (initiator << 3);
  trigger[5] = notification.sessionId >> 8;
  trigger[6] = notification.sessionId & 0xff;
  trigger[7] = serverId.length;
  trigger.set(serverId, HEADER_OCTETS);
  trigger.set(vendor, HEADER_OCTETS + serverId.length);

  const message = new Uint8Array(DIGEST_OCTETS + trigger.length);
  message.set(dmNotificationDigest(trigger, notification.serverId, credentials), 0);
  message.set(trigger, DIGEST_OCTETS);
  return message;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Parse package #0 (the digest is returned, not checked: see verifyDmNotification). */
export function decodeDmNotification(bytes: Uint8Array): DecodedDmNotification {
  if (bytes.length < DIGEST_OCTETS + HEADER_OCTETS) {
    throw new CodecError(
      'TRUNCATED',
      `package #0 needs at least ${DIGEST_OCTETS + HEADER_OCTETS} octets`,
      bytes.length,
    );
  }
  const header = DIGEST_OCTETS;
  const version = (bytes[header] << 2) | (bytes[header + 1] >> 6);
  const uiMode = DM_UI_MODES[(bytes[header + 1] >> 4) & 0x3];
  const initiator = DM_INITIATORS[(bytes[header + 1] >> 3) & 0x1];
  const sessionId = (bytes[header + 5] << 8) | bytes[header + 6];
  const idLength = bytes[header + 7];
  const idStart = header + HEADER_OCTETS;
  if (idStart + idLength > bytes.length) {
    throw new CodecError(
      'TRUNCATED',
      `server identifier of ${idLength} octets runs past the end`,
      header + 7,
    );
  }
  let serverId: string;
  try {
    serverId = strictUtf8.decode(bytes.subarray(idStart, idStart + idLength));
  } catch {
    throw new CodecError('INVALID_UTF8', 'server identifier is not valid UTF-8', idStart);
  }
  return {
    version,
    uiMode,
    initiator,
    sessionId,
    serverId,
    vendorSpecific: bytes.slice(idStart + idLength),
    digest: bytes.slice(0, DIGEST_OCTETS),
  };
}

/** Client-side check of the package #0 digest against the account's server password and nonce. */
export function verifyDmNotification(bytes: Uint8Array, credentials: DmServerCredentials): boolean {
  const { serverId, digest } = decodeDmNotification(bytes);
  const expected = dmNotificationDigest(bytes.subarray(DIGEST_OCTETS), serverId, credentials);
  return Buffer.compare(Buffer.from(expected), Buffer.from(digest)) === 0;
}
