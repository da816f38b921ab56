import { z } from 'zod';
import type { Db } from '../store/db.ts';
import { findCatalogueCandidates, type CatalogueCandidate } from '../store/repositories/devices.ts';
import {
  DEVICE_FORMATS,
  DEVICE_SECURITY_METHODS,
  MANUFACTURER_DEFAULT_MODEL,
  MAX_CONCATENATED_SEGMENTS,
  CAPABILITY_PATTERN,
  type DeviceAttributes,
  type DeviceSecurityMethod,
  type PushFormat,
} from './catalogue.ts';
import { parseImei, parseTac, tacLookupKeys } from './imei.ts';

/**
 * Device resolution: from what a trigger knows about the handset to what a push for it must look like.
 *
 *   1. the model: the IMEI's 8-digit TAC, else its 6-digit legacy TAC, else a manufacturer + model
 *      named by the trigger or a device report;
 *   2. each attribute the model leaves empty comes from the manufacturer default (model '*'), then from
 *      the operator default (configuration); with no model at all, the manufacturer default and then the
 *      operator default stand for the whole device;
 *   3. format 'none' (said by the model, or inherited) or nothing to go on is an explicit "unsupported".
 */

/** What the configuration may give as the operator default; every field is required there. */
export const operatorDeviceDefaultSchema = z.object({
  format: z.enum(DEVICE_FORMATS),
  securityMethods: z.array(z.enum(DEVICE_SECURITY_METHODS)).min(1),
  maxSegments: z.number().int().min(1).max(MAX_CONCATENATED_SEGMENTS),
  capabilities: z.array(z.string().regex(CAPABILITY_PATTERN)).nullable().default(null),
});
export type OperatorDeviceDefault = z.infer<typeof operatorDeviceDefaultSchema>;

export interface DeviceQuery {
  /** 14-16 digits (separators allowed); its first 8 digits are the TAC. */
  imei?: string | null;
  /** A TAC when no IMEI is known (8 digits, or 6 for a legacy TAC). */
  tac?: string | null;
  /** Named by the trigger or a device report; used when the TAC is not in the catalogue. */
  manufacturer?: string | null;
  model?: string | null;
}

/** How the device was recognised. */
export type DeviceMatch = 'tac' | 'legacy-tac' | 'model' | 'manufacturer-default' | 'operator-default';
/** Where one attribute came from. */
export type AttributeSource = 'model' | 'manufacturer-default' | 'operator-default';

export interface ResolvedDevice {
  manufacturer: string | null;
  model: string | null;
  /** device_models.id of the model, when one was recognised. */
  modelId: number | null;
  /** The catalogue TAC that matched (8 or 6 digits), or the query's TAC. */
  tac: string | null;
  matchedBy: DeviceMatch;
  format: PushFormat;
  /** null: nothing says which (the group policy's method is used as it is). */
  securityMethods: DeviceSecurityMethod[] | null;
  /** null: nothing says how many (no limit is enforced). */
  maxSegments: number | null;
  /** null: everything the format carries. */
  capabilities: string[] | null;
  notes: string | null;
  sources: {
    format: AttributeSource;
    securityMethods: AttributeSource | null;
    maxSegments: AttributeSource | null;
    capabilities: AttributeSource | null;
  };
}

export type UnsupportedReason =
  /** The IMEI or TAC given is malformed. */
  | 'INVALID_IMEI'
  /** The catalogue says this device (or its manufacturer) takes no OTA settings. */
  | 'FORMAT_NONE'
  /** Not in the catalogue, and no operator default is configured. */
  | 'UNKNOWN_DEVICE'
  /** Known, but neither its entry nor any default says which format it takes. */
  | 'NO_FORMAT';

export type DeviceResolution =
  | { outcome: 'supported'; device: ResolvedDevice }
  | {
      outcome: 'unsupported';
      reason: UnsupportedReason;
      message: string;
      manufacturer: string | null;
      model: string | null;
      tac: string | null;
    };

type Layer = { source: AttributeSource; attributes: DeviceAttributes };

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function pick<K extends keyof DeviceAttributes>(
  layers: Layer[],
  key: K,
): { value: DeviceAttributes[K]; source: AttributeSource | null } {
  for (const layer of layers) {
    const value = layer.attributes[key];
    if (value !== null) return { value, source: layer.source };
  }
  return { value: null as DeviceAttributes[K], source: null };
}

function describe(manufacturer: string | null, model: string | null, tac: string | null): string {
  const name = [manufacturer, model].filter(Boolean).join(' ');
  if (name && tac) return `${name} (TAC ${tac})`;
  return name || (tac ? `TAC ${tac}` : 'the device');
}

/** What resolution looks for in the catalogue. */
export interface CatalogueKeys {
  /** The 8-digit TAC (an IMEI's first 8 digits), when known. */
  exactTac: string | null;
  /** Its first 6 digits: a legacy TAC row matches every FAC. */
  legacyTac: string | null;
  manufacturer?: string | null;
  model?: string | null;
}

/** Who the device is, before any of its attributes is looked at. */
interface Recognition {
  /** The model's own catalogue row (never a manufacturer default row). */
  entry: CatalogueCandidate | undefined;
  /** The manufacturer's default row (model '*'), when the catalogue has one. */
  manufacturerDefault: CatalogueCandidate | undefined;
  manufacturer: string | null;
  model: string | null;
  tac: string | null;
  /** null: nothing to go on (not in the catalogue, and no operator default). */
  match: DeviceMatch | null;
}

/** The model's own row and how it was found: by the 8-digit TAC, else the legacy TAC, else by name. */
function findModelEntry(
  query: CatalogueKeys,
  candidates: CatalogueCandidate[],
): Pick<Recognition, 'entry' | 'match'> {
  const { exactTac, legacyTac, manufacturer, model } = query;
  let match: DeviceMatch | null = null;
  let entry: CatalogueCandidate | undefined;
  if (exactTac !== null) {
    entry = candidates.find((candidate) => candidate.matchedTac === exactTac);
    if (entry) match = 'tac';
  }
  if (!entry && legacyTac !== null) {
    entry = candidates.find((candidate) => candidate.matchedTac === legacyTac);
    if (entry) match = 'legacy-tac';
  }
  if (!entry && manufacturer && model && model !== MANUFACTURER_DEFAULT_MODEL) {
    entry = candidates.find(
      (candidate) =>
        candidate.model !== MANUFACTURER_DEFAULT_MODEL &&
        sameName(candidate.manufacturer, manufacturer) &&
        sameName(candidate.model, model),
    );
    if (entry) match = 'model';
  }
  // A default row found by TAC (not allowed by import, possible by hand) is a manufacturer default.
  if (entry?.model === MANUFACTURER_DEFAULT_MODEL) entry = undefined;
  return { entry, match };
}

function findManufacturerDefault(
  candidates: CatalogueCandidate[],
  manufacturer: string | null,
): CatalogueCandidate | undefined {
  if (manufacturer === null) return undefined;
  return candidates.find(
    (candidate) =>
      candidate.model === MANUFACTURER_DEFAULT_MODEL && sameName(candidate.manufacturer, manufacturer),
  );
}

/** Steps 1 and 2 above: the model, else the manufacturer default, else the operator default. */
function recognise(
  query: CatalogueKeys,
  candidates: CatalogueCandidate[],
  operatorDefault: OperatorDeviceDefault | null,
): Recognition {
  const { entry, match: entryMatch } = findModelEntry(query, candidates);
  const manufacturer = entry?.manufacturer ?? query.manufacturer ?? null;
  const manufacturerDefault = findManufacturerDefault(candidates, manufacturer);
  let match = entryMatch;
  if (!entry && manufacturerDefault) match = 'manufacturer-default';
  if (!entry && !manufacturerDefault && operatorDefault) match = 'operator-default';
  return {
    entry,
    manufacturerDefault,
    manufacturer,
    model: entry?.model ?? (query.model && query.model !== MANUFACTURER_DEFAULT_MODEL ? query.model : null),
    tac: entry?.matchedTac ?? query.exactTac ?? query.legacyTac,
    match,
  };
}

function unsupported(recognised: Recognition, reason: UnsupportedReason, message: string): DeviceResolution {
  const { manufacturer, model, tac } = recognised;
  return { outcome: 'unsupported', reason, message, manufacturer, model, tac };
}

/** Where attributes come from, first layer first: the model, its manufacturer default, the operator's. */
function attributeLayers(recognised: Recognition, operatorDefault: OperatorDeviceDefault | null): Layer[] {
  const layers: Layer[] = [];
  if (recognised.entry) layers.push({ source: 'model', attributes: recognised.entry });
  if (recognised.manufacturerDefault)
    layers.push({ source: 'manufacturer-default', attributes: recognised.manufacturerDefault });
  if (operatorDefault) {
    layers.push({
      source: 'operator-default',
      attributes: { ...operatorDefault, notes: null },
    });
  }
  return layers;
}

/** Who said format 'none': the model's entry, its manufacturer default or the operator default. */
function saidNone(recognised: Recognition, source: AttributeSource | null): string {
  const { entry, manufacturer, tac } = recognised;
  if (source === 'model') return describe(entry!.manufacturer, entry!.model, tac);
  if (source === 'manufacturer-default') return `${manufacturer} devices (manufacturer default)`;
  return 'unknown devices (operator default)';
}

/**
 * The decision, from catalogue rows already fetched (findCatalogueCandidates) — pure, so that callers
 * with their own cache can use it too.
 */
export function resolveFromCandidates(
  query: CatalogueKeys,
  candidates: CatalogueCandidate[],
  operatorDefault: OperatorDeviceDefault | null,
): DeviceResolution {
  const recognised = recognise(query, candidates, operatorDefault);
  const { entry, manufacturerDefault, manufacturer, model, tac, match } = recognised;
  if (match === null) {
    return unsupported(
      recognised,
      'UNKNOWN_DEVICE',
      `${describe(manufacturer, model, tac)} is not in the device catalogue and no operator default is configured`,
    );
  }

  const layers = attributeLayers(recognised, operatorDefault);
  const format = pick(layers, 'format');
  if (format.value === 'none') {
    return unsupported(
      recognised,
      'FORMAT_NONE',
      `${saidNone(recognised, format.source)}: the catalogue says it takes no over-the-air settings`,
    );
  }
  if (format.value === null || format.source === null) {
    return unsupported(
      recognised,
      'NO_FORMAT',
      `${describe(manufacturer, model, tac)}: neither its catalogue entry nor a default says which format it takes`,
    );
  }
  const securityMethods = pick(layers, 'securityMethods');
  const maxSegments = pick(layers, 'maxSegments');
  const capabilities = pick(layers, 'capabilities');
  return {
    outcome: 'supported',
    device: {
      manufacturer: entry?.manufacturer ?? manufacturerDefault?.manufacturer ?? manufacturer,
      model,
      modelId: entry?.id ?? null,
      tac,
      matchedBy: match,
      format: format.value,
      securityMethods: securityMethods.value,
      maxSegments: maxSegments.value,
      capabilities: capabilities.value,
      notes: entry?.notes ?? null,
      sources: {
        format: format.source,
        securityMethods: securityMethods.source,
        maxSegments: maxSegments.source,
        capabilities: capabilities.source,
      },
    },
  };
}

export interface ResolveDeviceOptions {
  /** What devices missing from the catalogue get; null: they are unsupported. */
  operatorDefault: OperatorDeviceDefault | null;
}

function invalid(message: string): DeviceResolution {
  return {
    outcome: 'unsupported',
    reason: 'INVALID_IMEI',
    message,
    manufacturer: null,
    model: null,
    tac: null,
  };
}

/** What to look up for a query, or the INVALID_IMEI resolution when its IMEI or TAC is malformed. */
export function catalogueKeysOf(query: DeviceQuery): CatalogueKeys | DeviceResolution {
  const keys: CatalogueKeys = {
    exactTac: null,
    legacyTac: null,
    manufacturer: query.manufacturer ?? null,
    model: query.model ?? null,
  };
  if (query.imei) {
    const parsed = parseImei(query.imei);
    if (!parsed.ok) return invalid(parsed.message);
    [keys.exactTac, keys.legacyTac] = tacLookupKeys(parsed.imei.tac);
  } else if (query.tac) {
    const parsed = parseTac(query.tac);
    if (!parsed.ok) return invalid(parsed.message);
    if (parsed.legacy) keys.legacyTac = parsed.tac;
    else [keys.exactTac, keys.legacyTac] = tacLookupKeys(parsed.tac);
  }
  return keys;
}

async function resolveKeys(
  db: Db,
  keys: CatalogueKeys,
  operatorDefault: OperatorDeviceDefault | null,
): Promise<DeviceResolution> {
  const tacs = [keys.exactTac, keys.legacyTac].filter((tac): tac is string => tac !== null);
  const candidates =
    tacs.length > 0 || keys.manufacturer
      ? await findCatalogueCandidates(db, { tacs, manufacturer: keys.manufacturer, model: keys.model })
      : [];
  return resolveFromCandidates(keys, candidates, operatorDefault);
}

/** Resolves one device against the catalogue (one query). */
export async function resolveDevice(
  db: Db,
  query: DeviceQuery,
  options: ResolveDeviceOptions,
): Promise<DeviceResolution> {
  const keys = catalogueKeysOf(query);
  return 'outcome' in keys ? keys : resolveKeys(db, keys, options.operatorDefault);
}
