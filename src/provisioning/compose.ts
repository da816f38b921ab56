/**
 * Profile version + device + subscriber -> the SMS segments of a signed push (codecs/ does the bytes).
 * Rendering and WBXML encoding depend only on the version and the device's format and capabilities, so
 * they are done once and cached; signing and segmenting are per subscriber (docs/protocol.md §3: the MAC keys on the
 * IMSI and/or a user PIN).
 */
import { randomInt } from 'node:crypto';
import {
  compileDocument,
  packCompiled,
  type CompiledDocument,
  type PackedPush,
} from '../../codecs/ota/pack.ts';
import type { ResolvedDevice } from '../devices/resolve-device.ts';
import { renderProfile, type DeviceCapabilities } from '../profiles/render.ts';
import { getVersionById } from '../profiles/repository.ts';
import { parseProfileParameters } from '../profiles/schema.ts';
import type { Db } from '../store/db.ts';
import type { SecurityMethod } from './types.ts';

export interface ProfileVersionRef {
  id: string;
  profileId: string;
  profileName: string;
  version: number;
}

interface CompiledEntry {
  compiled: CompiledDocument;
  omitted: string[];
}

/** Version ids are immutable (the database refuses updates), so the cache never goes stale. */
const MAX_CACHE_ENTRIES = 500;

export class PushComposer {
  private readonly compiled = new Map<string, CompiledEntry>();
  private readonly parameters = new Map<string, unknown>();

  constructor(private readonly db: Db) {}

  private async loadParameters(versionId: string): Promise<unknown> {
    const cached = this.parameters.get(versionId);
    if (cached !== undefined) return cached;
    const version = await getVersionById(this.db, versionId);
    if (!version) throw new Error(`profile version ${versionId} not found`);
    if (this.parameters.size >= MAX_CACHE_ENTRIES) this.parameters.clear();
    this.parameters.set(versionId, version.parameters);
    return version.parameters;
  }

  async compile(versionId: string, device: ResolvedDevice): Promise<CompiledEntry> {
    const capabilities = capabilitiesOf(device.capabilities);
    const key = `${versionId}|${device.format}|${JSON.stringify(capabilities)}`;
    const cached = this.compiled.get(key);
    if (cached) return cached;
    const parameters = parseProfileParameters(await this.loadParameters(versionId));
    const rendered = renderProfile(parameters, { format: device.format, capabilities });
    const entry = { compiled: compileDocument(rendered.root), omitted: rendered.omitted };
    if (this.compiled.size >= MAX_CACHE_ENTRIES) this.compiled.clear();
    this.compiled.set(key, entry);
    return entry;
  }
}

/** Catalogue capability words -> what the renderer asks; null: the device takes all the format carries. */
export function capabilitiesOf(words: readonly string[] | null): DeviceCapabilities {
  if (words === null) return {};
  const has = (word: string): boolean => words.includes(word);
  return {
    supportsBrowser: has('browser'),
    supportsBookmarks: has('bookmarks') || has('browser'),
    supportsMms: has('mms'),
    supportsEmail: has('email'),
    supportsDm: has('dm'),
  };
}

/**
 * The method the push is signed with: the group's, when the device takes it; else the first method the
 * device lists (NETWPIN preferred). Nokia OTA has no SEC/MAC at all.
 */
export function chooseSecurity(policyMethod: SecurityMethod, device: ResolvedDevice): SecurityMethod {
  if (device.format === 'nokia-ota') return 'none';
  const accepted = device.securityMethods;
  if (accepted === null || accepted.includes(policyMethod)) return policyMethod;
  if (accepted.includes('NETWPIN')) return 'NETWPIN';
  return accepted[0] ?? policyMethod;
}

/** A PIN for the USER* methods: digits only (docs/protocol.md §3.4), sent to the subscriber in its own text. */
export function generateUserPin(digits = 4): string {
  let pin = '';
  for (let i = 0; i < digits; i += 1) pin += String(randomInt(0, 10));
  return pin;
}

export interface SignedPush {
  packed: PackedPush;
  /** what the subscriber must be told in a separate text (USER* methods), else undefined */
  subscriberCode?: string;
}

export function signPush(
  compiled: CompiledDocument,
  options: { sec: SecurityMethod; imsi: string; reference: number; mode?: 'udh' | 'tlv' },
): SignedPush {
  const { sec, imsi, reference } = options;
  const mode = options.mode ?? 'udh';
  if (sec === 'none') return { packed: packCompiled(compiled, { sec: 'none', reference, mode }) };
  if (sec === 'NETWPIN') return { packed: packCompiled(compiled, { sec, imsi, reference, mode }) };
  if (sec === 'USERPINMAC') {
    // USERPINMAC: the codec generates the secret half and returns the code the subscriber types (§3.6).
    const packed = packCompiled(compiled, { sec, imsi, reference, mode, pin: generateUserPin(6) });
    return { packed, subscriberCode: packed.userPinMacCode };
  }
  const pin = generateUserPin();
  return { packed: packCompiled(compiled, { sec, imsi, pin, reference, mode }), subscriberCode: pin };
}
