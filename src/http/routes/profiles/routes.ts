import { toHex } from '../../../../codecs/bytes/hex.ts';
import { compileDocument, packCompiled } from '../../../../codecs/ota/pack.ts';
import { serializeXml } from '../../../../codecs/xml/serialize-xml.ts';
import type { Profile } from '../../../profiles/repository.ts';
import * as profiles from '../../../profiles/repository.ts';
import { renderProfile, type DeviceCapabilities, type DeviceFormat } from '../../../profiles/render.ts';
import type { ProfileParameters } from '../../../profiles/schema.ts';
// The worker's own mapping, so that a preview shows what a push to that model would carry.
import { capabilitiesOf } from '../../../provisioning/compose.ts';
import { diffParameters, maskParameters } from '../../../profiles/versions.ts';
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** MCC 001 / MNC 01 is the test network (ITU-T E.212): a harmless IMSI to sign previews with. */
const PREVIEW_IMSI = '001010123456789';

async function profileOf(db: Db, ref: string): Promise<Profile> {
  const profile = UUID.test(ref)
    ? await profiles.getProfile(db, ref)
    : await profiles.findProfileByName(db, ref);
  if (!profile) throw notFound('PROFILE_NOT_FOUND', `no profile '${ref}'`);
  return profile;
}

async function versionOf(db: Db, profile: Profile, version: number) {
  const found = await profiles.getVersion(db, profile.id, version);
  if (!found)
    throw notFound('PROFILE_VERSION_NOT_FOUND', `profile '${profile.name}' has no version ${version}`);
  return found;
}

function maskedVersion(version: profiles.ProfileVersion) {
  return { ...version, parameters: maskParameters(version.parameters) };
}

type PreviewQuery = OperationInput<typeof previewVersion>['query'];

interface PreviewTarget {
  format: DeviceFormat;
  capabilities: DeviceCapabilities;
  maxSegments: number | null;
}

/** What a preview renders for: the catalogue model (its format unless one is asked for), or just a format. */
async function previewTarget(db: Db, query: PreviewQuery): Promise<PreviewTarget> {
  // previewVersion's schema requires model or format.
  if (query.model === undefined) return { format: query.format!, capabilities: {}, maxSegments: null };
  const model = await getDeviceModel(db, query.model);
  if (!model) throw notFound('DEVICE_MODEL_NOT_FOUND', `query.model: no device model ${query.model}`);
  const modelFormat = query.format ?? model.format;
  if (modelFormat === 'none')
    throw unprocessable('UNSUPPORTED_DEVICE', `${model.manufacturer} ${model.model} takes no OTA settings`);
  return {
    format: modelFormat ?? 'oma-cp',
    capabilities: capabilitiesOf(model.capabilities),
    maxSegments: model.maxSegments,
  };
}

/** The document as XML and WBXML, and the segments a push of it carries, signed as the query asks. */
function renderPreview(parameters: ProfileParameters, target: PreviewTarget, query: PreviewQuery) {
  const { format, capabilities, maxSegments } = target;
  const rendered = renderProfile(parameters, { format, capabilities });
  const compiled = compileDocument(rendered.root);
  const sec = query.sec ?? (format === 'oma-cp' ? 'NETWPIN' : 'none');
  const packed = packCompiled(compiled, {
    sec: format === 'oma-cp' ? sec : 'none',
    imsi: query.imsi ?? PREVIEW_IMSI,
    pin: query.pin,
  });
  return {
    format,
    omitted: rendered.omitted,
    xml: serializeXml(rendered.root),
    wbxmlHex: toHex(packed.wbxml),
    contentType: packed.contentType,
    sec: packed.sec,
    segmentCount: packed.segments.length,
    maxSegments,
    segments: packed.segments.map((segment) => ({
      index: segment.index,
      udhi: segment.udhi,
      hex: toHex(segment.tpud),
    })),
  };
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
      ctx.body = renderPreview(version.parameters, await previewTarget(db, query), query);
    },
  );
}

export function profileRoutes(kit: RouteKit): void {
  profileCollectionRoutes(kit);
  profileVersionRoutes(kit);
}
