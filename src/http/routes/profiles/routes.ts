import { toHex } from '../../../../codecs/bytes/hex.ts';
import { serializeXml } from '../../../../codecs/xml/serialize-xml.ts';
import type { SegmentMode } from '../../../connectors/types.ts';
import { resolveDevice, type ResolvedDevice } from '../../../devices/resolve-device.ts';
import type { Profile } from '../../../profiles/repository.ts';
import * as profiles from '../../../profiles/repository.ts';
import { diffParameters, maskDocumentSecrets, maskParameters } from '../../../profiles/versions.ts';
// The worker's own composer: the preview is the push a worker would send to that model (compose.ts).
import { PushComposer, type ComposedPush } from '../../../provisioning/compose.ts';
import type { Config } from '../../../config.ts';
import type { Db } from '../../../store/db.ts';
import { getDeviceModel } from '../../../store/repositories/devices.ts';
import { notFound, unprocessable } from '../../errors.ts';
import type { OperationInput } from '../../operation.ts';
import type { RouteKit } from '../../route-kit.ts';
import {
  createProfile,
  createVersion,
  diffVersions,
  listProfiles,
  listVersions,
  previewVersion,
} from './schema.ts';

/** MCC 001 / MNC 01 is the test network (ITU-T E.212): a harmless IMSI to sign previews with. */
const PREVIEW_IMSI = '001010123456789';

export async function profileOf(db: Db, ref: string): Promise<Profile> {
  const profile = await profiles.findProfile(db, ref);
  if (!profile) throw notFound('PROFILE_NOT_FOUND', `no profile '${ref}'`);
  return profile;
}

export async function versionOf(db: Db, profile: Profile, version: number) {
  const found = await profiles.getVersion(db, profile.id, version);
  if (!found)
    throw notFound('PROFILE_VERSION_NOT_FOUND', `profile '${profile.name}' has no version ${version}`);
  return found;
}

function maskedVersion(version: profiles.ProfileVersion) {
  return { ...version, parameters: maskParameters(version.parameters) };
}

export type PreviewQuery = OperationInput<typeof previewVersion>['query'];

/** No catalogue entry and no operator default: nothing limits the push but its format. */
function bareDevice(format: ResolvedDevice['format']): ResolvedDevice {
  return {
    manufacturer: null,
    model: null,
    modelId: null,
    tac: null,
    matchedBy: 'operator-default',
    format,
    securityMethods: null,
    maxSegments: null,
    capabilities: null,
    notes: null,
    sources: { format: 'operator-default', securityMethods: null, maxSegments: null, capabilities: null },
  };
}

/**
 * The device a push would be composed for, resolved as the worker resolves a handset (resolve-device.ts:
 * the model's entry, then its manufacturer default, then the operator default); without a model, a device
 * missing from the catalogue. A `format` in the query overrides the resolved one.
 */
async function previewDevice(db: Db, config: Config, query: PreviewQuery): Promise<ResolvedDevice> {
  const operatorDefault = config.devices.operatorDefault;
  let resolution;
  if (query.model !== undefined) {
    const model = await getDeviceModel(db, query.model);
    if (!model) throw notFound('DEVICE_MODEL_NOT_FOUND', `query.model: no device model ${query.model}`);
    resolution = await resolveDevice(
      db,
      { manufacturer: model.manufacturer, model: model.model },
      { operatorDefault },
    );
  } else {
    resolution = await resolveDevice(db, {}, { operatorDefault });
    // previewVersion's schema requires model or format.
    if (resolution.outcome === 'unsupported') return bareDevice(query.format!);
  }
  if (resolution.outcome === 'unsupported' && query.format === undefined)
    throw unprocessable('UNSUPPORTED_DEVICE', `query.model: ${resolution.message}`);
  const device = resolution.outcome === 'supported' ? resolution.device : bareDevice(query.format!);
  return query.format === undefined ? device : { ...device, format: query.format };
}

/** How the SMSC splits pushes unless the query says: the first configured SMSC's mode (docs/protocol.md §5.4). */
function defaultSegmentMode(config: Config): SegmentMode {
  return config.smsc.routing?.smscs[0]?.segmentMode ?? 'udh';
}

/** The body: the document (secrets masked in the XML), what was left out and the segments a worker sends. */
function previewBody(composed: ComposedPush, device: ResolvedDevice, mode: SegmentMode) {
  const { fitted, security, signed } = composed;
  return {
    format: device.format,
    device: {
      manufacturer: device.manufacturer,
      model: device.model,
      matchedBy: device.matchedBy,
      securityMethods: device.securityMethods,
      capabilities: device.capabilities,
      sources: device.sources,
    },
    omitted: fitted.omitted,
    omittedToFit: fitted.omittedToFit,
    fits: fitted.fits,
    ...(fitted.fits
      ? {}
      : {
          failure: {
            code: 'TOO_MANY_SEGMENTS',
            message: `the push needs ${fitted.segmentCount} SMS; the device reassembles at most ${String(device.maxSegments)}`,
          },
        }),
    xml: serializeXml(maskDocumentSecrets(fitted.root)),
    wbxmlHex: toHex(fitted.compiled.wbxml),
    contentType: fitted.compiled.pushKind.contentType,
    sec: security,
    mode,
    segmentCount: fitted.segmentCount,
    maxSegments: device.maxSegments,
    segments: (signed?.packed.segments ?? []).map((segment) => ({
      index: segment.index,
      udhi: segment.udhi,
      hex: toHex(segment.tpud),
    })),
  };
}

/** The preview's answer: the push a worker would send of that version for the query's device (the console shows the same). */
export async function previewPush(
  db: Db,
  config: Config,
  composer: PushComposer,
  version: profiles.ProfileVersion,
  query: PreviewQuery,
) {
  const device = await previewDevice(db, config, query);
  const mode = query.mode ?? defaultSegmentMode(config);
  const composed = await composer.compose(
    { versionId: version.id, device, policyMethod: query.sec ?? 'NETWPIN', mode },
    { imsi: query.imsi ?? PREVIEW_IMSI, reference: query.reference ?? 0, pin: query.pin },
  );
  return previewBody(composed, device, mode);
}

/** /v1/profiles itself: the list and a new profile. */
function profileCollectionRoutes({ api, auth, validate, context }: RouteKit): void {
  const db = context.db;

  api.get('/v1/profiles', auth('admin'), validate(listProfiles), async (ctx, { query }) => {
    ctx.body = {
      profiles: await profiles.listProfiles(db, { includeArchived: query.includeArchived === 'true' }),
    };
  });

  api.post('/v1/profiles', auth('admin'), validate(createProfile), async (ctx, { body }) => {
    ctx.state.audit = { subjectType: 'profile', subjectId: body.name };
    if (await profiles.findProfileByName(db, body.name)) {
      throw unprocessable('PROFILE_EXISTS', `body.name: a profile '${body.name}' exists already`);
    }
    const created = await profiles.createProfile(db, {
      name: body.name,
      description: body.description,
      parameters: body.parameters,
      createdBy: ctx.state.principal!.name,
      note: body.note,
    });
    ctx.state.audit = {
      subjectType: 'profile',
      subjectId: created.profile.id,
      details: { name: body.name, version: 1 },
    };
    ctx.status = 201;
    ctx.body = { profile: created.profile, version: maskedVersion(created.version) };
  });
}

/** /v1/profiles/:id/...: a profile's versions, their differences and previews. */
function profileVersionRoutes({ api, auth, validate, context }: RouteKit): void {
  const db = context.db;
  const composer = new PushComposer(db);

  api.post(
    '/v1/profiles/:id/versions',
    auth('admin'),
    validate(createVersion),
    async (ctx, { params, body }) => {
      ctx.state.audit = { subjectType: 'profile', subjectId: params.id };
      const profile = await profileOf(db, params.id);
      const version = await profiles.saveVersion(db, profile.id, {
        parameters: body.parameters,
        createdBy: ctx.state.principal!.name,
        note: body.note,
      });
      ctx.state.audit = {
        subjectType: 'profile',
        subjectId: profile.id,
        details: { version: version.version },
      };
      ctx.status = 201;
      ctx.body = maskedVersion(version);
    },
  );

  api.get('/v1/profiles/:id/versions', auth('admin'), validate(listVersions), async (ctx, { params }) => {
    const profile = await profileOf(db, params.id);
    ctx.body = { versions: (await profiles.listVersions(db, profile.id)).map(maskedVersion) };
  });

  api.get('/v1/profiles/:id/diff', auth('admin'), validate(diffVersions), async (ctx, { params, query }) => {
    const profile = await profileOf(db, params.id);
    const [from, to] = await Promise.all([
      versionOf(db, profile, query.from),
      versionOf(db, profile, query.to),
    ]);
    ctx.body = {
      from: from.version,
      to: to.version,
      changes: diffParameters(from.parameters, to.parameters),
    };
  });

  api.get(
    '/v1/profiles/:id/versions/:version/preview',
    auth('admin'),
    validate(previewVersion),
    async (ctx, { params, query }) => {
      const profile = await profileOf(db, params.id);
      const version = await versionOf(db, profile, params.version);
      ctx.body = await previewPush(db, context.config, composer, version, query);
    },
  );
}

export function profileRoutes(kit: RouteKit): void {
  profileCollectionRoutes(kit);
  profileVersionRoutes(kit);
}
