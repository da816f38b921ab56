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
import type { XmlElement } from '../../codecs/xml/element.ts';
import type { SegmentMode } from '../connectors/types.ts';
import type { ResolvedDevice } from '../devices/resolve-device.ts';
import { w7Placeholder, withW7Credentials, type W7AccountSource } from '../dm/w7-credentials.ts';
import { ProfileError } from '../profiles/errors.ts';
import { renderProfile, type DeviceCapabilities, type RenderedProfile } from '../profiles/render.ts';
import { getVersionById } from '../profiles/repository.ts';
import {
  DEFAULT_OMIT_TO_FIT,
  parseProfileParameters,
  type OmissiblePart,
  type ProfileParameters,
} from '../profiles/schema.ts';
import type { Db } from '../store/db.ts';
import { requiresSeparatePin } from '../subscribers/policy.ts';
import type { SecurityMethod } from './types.ts';

export interface ProfileVersionRef {
  id: string;
  profileId: string;
  profileName: string;
  version: number;
}

/** What a document is fitted for: the handset, and how its push is signed and split (both change the size). */
export interface FitTarget {
  format: ResolvedDevice['format'];
  capabilities: DeviceCapabilities;
  /** null: the catalogue gives no limit */
  maxSegments: number | null;
  sec: SecurityMethod;
  mode: SegmentMode;
}

/** A document rendered and encoded for one device, with what it leaves out. */
export interface FittedDocument {
  root: XmlElement;
  compiled: CompiledDocument;
  /** Everything the document leaves out (render.ts `omitted`), the parts left out to fit included. */
  omitted: string[];
  /** The parts left out so that the push fits the device's max_segments, in the order they went. */
  omittedToFit: OmissiblePart[];
  /** SMS the push takes. */
  segmentCount: number;
  /** false: even without every part the profile lets go, the push needs more SMS than the device takes. */
  fits: boolean;
}

/** Leaving a part out to fit is the renderer leaving out what a device cannot take: the same capability. */
const CAPABILITY_OF_PART: Record<OmissiblePart, keyof DeviceCapabilities> = {
  email: 'supportsEmail',
  'browser.bookmarks': 'supportsBookmarks',
  dm: 'supportsDm',
  mms: 'supportsMms',
};

/** Signing with these gives a push of the same length as with the subscriber's (the MAC has a fixed length). */
const SIZING_IMSI = '001010123456789';
const SIZING_PIN = '123456';

function segmentsNeeded(compiled: CompiledDocument, target: FitTarget): number {
  const sec = target.format === 'nokia-ota' ? 'none' : target.sec;
  return packCompiled(compiled, { sec, imsi: SIZING_IMSI, pin: SIZING_PIN, mode: target.mode }).segments
    .length;
}

/** Whether the rendered document still carries `part` (so leaving it out makes the push smaller). */
function carries(parameters: ProfileParameters, rendered: RenderedProfile, part: OmissiblePart): boolean {
  if (rendered.omitted.includes(part)) return false;
  if (part === 'browser.bookmarks')
    return (parameters.browser?.bookmarks.length ?? 0) > 0 && !rendered.omitted.includes('browser');
  return parameters[part] !== undefined;
}

/**
 * Renders the parameter set for the device, leaving out the profile's omissible parts (`omitToFit`, else
 * DEFAULT_OMIT_TO_FIT) one at a time, in order, until the push fits the device's max_segments. Pure; the
 * worker and the preview both get their document from here, so the preview shows what is sent.
 */
export function fitToDevice(parameters: ProfileParameters, target: FitTarget): FittedDocument {
  const order = parameters.omitToFit ?? DEFAULT_OMIT_TO_FIT;
  const capabilities: DeviceCapabilities = { ...target.capabilities };
  const omittedToFit: OmissiblePart[] = [];
  let best: FittedDocument | undefined;
  for (;;) {
    let rendered: RenderedProfile;
    try {
      rendered = renderProfile(parameters, { format: target.format, capabilities });
    } catch (error) {
      // Leaving the last part out left nothing to send: the attempt before it is the answer (it does not fit).
      if (best && error instanceof ProfileError && error.code === 'NOTHING_TO_RENDER') return best;
      throw error;
    }
    const compiled = compileDocument(rendered.root);
    const segmentCount = segmentsNeeded(compiled, target);
    const fits = target.maxSegments === null || segmentCount <= target.maxSegments;
    best = {
      root: rendered.root,
      compiled,
      omitted: rendered.omitted,
      omittedToFit: [...omittedToFit],
      segmentCount,
      fits,
    };
    const next = fits
      ? undefined
      : order.find((part) => !omittedToFit.includes(part) && carries(parameters, rendered, part));
    if (next === undefined) return best;
    capabilities[CAPABILITY_OF_PART[next]] = false;
    omittedToFit.push(next);
  }
}

/** Everything a push depends on but the subscriber's IMSI and PIN. */
export interface ComposeRequest {
  versionId: string;
  device: ResolvedDevice;
  /** the group policy's method (chooseSecurity settles what the device takes) */
  policyMethod: SecurityMethod;
  mode: SegmentMode;
}

export interface SigningRequest {
  imsi: string;
  /** concatenation reference (docs/protocol.md §5.1) */
  reference: number;
  /** USER* methods: the PIN to sign with; generated when left out */
  pin?: string;
}

export interface ComposedPush {
  fitted: FittedDocument;
  security: SecurityMethod;
  /** undefined when the push does not fit the device (`fitted.fits` false): nothing may be sent */
  signed: SignedPush | undefined;
}

/** Version ids are immutable (the database refuses updates), so the cache never goes stale. */
const MAX_CACHE_ENTRIES = 500;

export class PushComposer {
  private readonly fitted = new Map<string, FittedDocument>();
  private readonly parameters = new Map<string, ProfileParameters>();

  /**
   * `w7Accounts`: the worker's (each subscriber's own DM account goes into a w7, src/dm/w7-accounts.ts).
   * Without it (previews) a w7 carries placeholders of the same lengths and no account is made.
   */
  constructor(
    private readonly db: Db,
    private readonly w7Accounts?: W7AccountSource,
  ) {}

  private async loadParameters(versionId: string): Promise<ProfileParameters> {
    const cached = this.parameters.get(versionId);
    if (cached !== undefined) return cached;
    const version = await getVersionById(this.db, versionId);
    if (!version) throw new Error(`profile version ${versionId} not found`);
    const parameters = parseProfileParameters(version.parameters);
    if (this.parameters.size >= MAX_CACHE_ENTRIES) this.parameters.clear();
    this.parameters.set(versionId, parameters);
    return parameters;
  }

  /** The version rendered, encoded and fitted for this device (cached: the same inputs, the same document). */
  async fit(versionId: string, target: FitTarget): Promise<FittedDocument> {
    const key = `${versionId}|${JSON.stringify(target)}`;
    const cached = this.fitted.get(key);
    if (cached) return cached;
    const parameters = await this.loadParameters(versionId);
    const entry = fitToDevice(
      parameters.dm ? withW7Credentials(parameters, w7Placeholder(parameters.dm)) : parameters,
      target,
    );
    if (this.fitted.size >= MAX_CACHE_ENTRIES) this.fitted.clear();
    this.fitted.set(key, entry);
    return entry;
  }

  /**
   * The push for this version, device and subscriber: the one path of the worker (deliver.ts) and the
   * preview (GET /v1/profiles/:id/versions/:version/preview), so that what is previewed is what is sent.
   */
  async compose(request: ComposeRequest, signing: SigningRequest): Promise<ComposedPush> {
    const { device, mode } = request;
    const security = chooseSecurity(request.policyMethod, device);
    const target: FitTarget = {
      format: device.format,
      capabilities: capabilitiesOf(device.capabilities),
      maxSegments: device.maxSegments,
      sec: security,
      mode,
    };
    let fitted = await this.fit(request.versionId, target);
    if (this.w7Accounts && !fitted.omitted.includes('dm')) {
      fitted = await this.withAccount(request.versionId, target, signing.imsi, fitted);
    }
    const signed = fitted.fits ? signPush(fitted.compiled, { sec: security, mode, ...signing }) : undefined;
    return { fitted, security, signed };
  }

  /**
   * The document again with the subscriber's own DM account in its w7 (one store round trip, only for a
   * document that carries a w7); no handset known: the w7 is left out, as for a handset without DM.
   */
  private async withAccount(
    versionId: string,
    target: FitTarget,
    imsi: string,
    placeholder: FittedDocument,
  ): Promise<FittedDocument> {
    const parameters = await this.loadParameters(versionId);
    if (!parameters.dm) return placeholder;
    const credentials = await this.w7Accounts!.credentialsFor(imsi, parameters.dm);
    if (!credentials) {
      return fitToDevice(parameters, {
        ...target,
        capabilities: { ...target.capabilities, supportsDm: false },
      });
    }
    return fitToDevice(withW7Credentials(parameters, credentials), target);
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
 * Signed methods, strongest first: USERNETWPIN needs both the IMSI and the user's PIN (docs/protocol.md
 * §3.5), USERPINMAC a 5-digit secret with check digits (§3.6), USERPIN a PIN alone (§3.4), NETWPIN only
 * the IMSI, which the network and anyone who caught it know (§3.3). Only methods the device lists are
 * tried, so the patchy support of SEC = 3 on legacy handsets (§3.7) is left to the catalogue.
 */
export const SIGNED_METHODS_BY_STRENGTH: readonly SecurityMethod[] = [
  'USERNETWPIN',
  'USERPINMAC',
  'USERPIN',
  'NETWPIN',
];

/**
 * The method the push is signed with (issue 15 #9: never downgraded to unsigned). The group's method when
 * the device takes it (or the catalogue does not say); unsigned only when the policy names `none` (or
 * the format has no SEC at all: Nokia OTA, docs/protocol.md §7). Otherwise the strongest signed method the
 * device lists, never its `none`; a device that lists none signed is a ProfileError NO_SIGNED_METHOD.
 */
export function chooseSecurity(policyMethod: SecurityMethod, device: ResolvedDevice): SecurityMethod {
  if (device.format === 'nokia-ota') return 'none';
  const accepted = device.securityMethods;
  if (accepted === null || accepted.includes(policyMethod)) return policyMethod;
  if (policyMethod === 'none') return 'none';
  const strongest = SIGNED_METHODS_BY_STRENGTH.find((method) => accepted.includes(method));
  if (strongest) return strongest;
  throw new ProfileError(
    'NO_SIGNED_METHOD',
    `the group's policy wants a ${policyMethod}-signed push and the device lists no signed method ` +
      `(${accepted.join(', ') || 'none'}); only a policy naming none sends it unsigned`,
    { policy: policyMethod, accepted },
  );
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

/** `pin`: the PIN (USERPIN, USERNETWPIN) or secret half (USERPINMAC) to sign with; generated when left out. */
export function signPush(
  compiled: CompiledDocument,
  options: { sec: SecurityMethod; imsi: string; reference: number; mode?: SegmentMode; pin?: string },
): SignedPush {
  const { sec, imsi, reference } = options;
  const mode = options.mode ?? 'udh';
  if (sec === 'none') return { packed: packCompiled(compiled, { sec: 'none', reference, mode }) };
  // NETWPIN keys the MAC with the IMSI alone: there is no PIN to tell, so no PIN text (subscriberCode).
  if (!requiresSeparatePin(sec)) return { packed: packCompiled(compiled, { sec, imsi, reference, mode }) };
  if (sec === 'USERPINMAC') {
    // USERPINMAC: the codec generates the secret half and returns the code the subscriber types (§3.6).
    const pin = options.pin ?? generateUserPin(6);
    const packed = packCompiled(compiled, { sec, imsi, reference, mode, pin });
    return { packed, subscriberCode: packed.userPinMacCode };
  }
  const pin = options.pin ?? generateUserPin();
  return { packed: packCompiled(compiled, { sec, imsi, pin, reference, mode }), subscriberCode: pin };
}
