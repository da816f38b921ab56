import { SECURITY_CHOICES, type SecurityChoice } from '../../codecs/ota/security.ts';

/**
 * The vocabulary of the device catalogue: what a handset model understands. Shared by the store
 * repository, the CSV import and device resolution.
 */

/** The provisioning document a handset takes: OMA Client Provisioning, Nokia/Ericsson OTA 7.0, or nothing. */
export const DEVICE_FORMATS = ['oma-cp', 'nokia-ota', 'none'] as const;
export type DeviceFormat = (typeof DEVICE_FORMATS)[number];
/** A format a push can be built in. */
export type PushFormat = Exclude<DeviceFormat, 'none'>;

/**
 * SEC methods a handset verifies (docs/protocol.md §3: NETWPIN=0, USERPIN=1, USERNETWPIN=2, USERPINMAC=3), plus
 * 'none' for "accepts an unsigned push": the codecs' choices, so the catalogue names what a push can be.
 */
export const DEVICE_SECURITY_METHODS = SECURITY_CHOICES;
export type DeviceSecurityMethod = SecurityChoice;

/** The model name of a manufacturer's default entry: what that maker's unlisted models get. */
export const MANUFACTURER_DEFAULT_MODEL = '*';

/** Concatenated SMS carry an 8-bit segment count (3GPP TS 23.040 §9.2.3.24.1): at most 255 parts. */
export const MAX_CONCATENATED_SEGMENTS = 255;

/**
 * Capability tokens are short lowercase words (data, browser, mms, email, dm, bookmarks ...; si and sl:
 * the handset takes Service Indication / Service Loading pushes, docs/protocol.md §8). A list replaces
 * the inherited one as a whole.
 */
export const CAPABILITY_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** What a catalogue entry says; null means "not said here": inherited from the next fallback. */
export interface DeviceAttributes {
  format: DeviceFormat | null;
  securityMethods: DeviceSecurityMethod[] | null;
  maxSegments: number | null;
  capabilities: string[] | null;
  notes: string | null;
}

/**
 * 'verified': in the catalogue by an admin (import or confirmation). 'unverified': added because a
 * handset reported it; ignored by device resolution until an admin confirms it.
 */
export const DEVICE_MODEL_STATUSES = ['verified', 'unverified'] as const;
export type DeviceModelStatus = (typeof DEVICE_MODEL_STATUSES)[number];

export interface DeviceModel extends DeviceAttributes {
  id: number;
  manufacturer: string;
  /** A model name, or MANUFACTURER_DEFAULT_MODEL. */
  model: string;
  status: DeviceModelStatus;
  /** When a device report first named it (models added from reports). */
  reportedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeviceModelWithTacs extends DeviceModel {
  tacs: string[];
}

/** A model to store: attributes left out are stored as null (inherited). */
export interface DeviceModelInput extends Partial<DeviceAttributes> {
  manufacturer: string;
  model: string;
}

export function isDeviceFormat(value: string): value is DeviceFormat {
  return (DEVICE_FORMATS as readonly string[]).includes(value);
}

export function isDeviceSecurityMethod(value: string): value is DeviceSecurityMethod {
  return (DEVICE_SECURITY_METHODS as readonly string[]).includes(value);
}
