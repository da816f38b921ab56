import { z } from 'zod';
import { SECURITY_CHOICES } from '../../../../codecs/ota/security.ts';
import { PROFILE_KEY } from '../../../profiles/seed-files.ts';
import { profileParametersSchema } from '../../../profiles/schema.ts';
import { operation } from '../../operation.ts';
import { freeText, imsiSchema } from '../../schemas.ts';

/** A profile by id (uuid) or by name. */
const profileRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a profile id or name');
const versionNumber = z.coerce.number().int().min(1).max(1_000_000);
const note = freeText(z.string().max(500)).optional();

const profileView = z.looseObject({ id: z.string(), name: z.string(), latestVersion: z.number() });
const versionView = z.looseObject({ id: z.string(), version: z.number(), parameters: z.unknown() });

export const listProfiles = operation({
  operationId: 'profiles.list',
  tag: 'admin',
  summary: 'Profiles (parameter sets)',
  query: z.strictObject({ includeArchived: z.enum(['true', 'false']).optional() }),
  response: { status: 200, description: 'profiles', schema: z.object({ profiles: z.array(profileView) }) },
});

export const createProfile = operation({
  operationId: 'profiles.create',
  tag: 'admin',
  summary: 'Create a profile with its first version',
  body: z.strictObject({
    name: z.string().regex(PROFILE_KEY, 'name: lower-case letters, digits and "-" (at most 64)'),
    description: freeText(z.string().max(500)).optional(),
    parameters: profileParametersSchema,
    note,
  }),
  response: {
    status: 201,
    description: 'created',
    schema: z.object({ profile: profileView, version: versionView }),
  },
});

export const createVersion = operation({
  operationId: 'profiles.newVersion',
  tag: 'admin',
  summary:
    'Save new parameters as the next version (versions never change); a secret posted as "***" keeps the previous version\'s',
  params: z.strictObject({ id: profileRef }),
  body: z.strictObject({ parameters: profileParametersSchema, note }),
  response: { status: 201, description: 'the new version', schema: versionView },
});

export const listVersions = operation({
  operationId: 'profiles.versions',
  tag: 'admin',
  summary: 'Every version of a profile, oldest first (secrets masked)',
  params: z.strictObject({ id: profileRef }),
  response: { status: 200, description: 'versions', schema: z.object({ versions: z.array(versionView) }) },
});

export const diffVersions = operation({
  operationId: 'profiles.diff',
  tag: 'admin',
  summary: 'What changed between two versions (secrets masked; a changed secret is flagged masked: true)',
  params: z.strictObject({ id: profileRef }),
  query: z.strictObject({ from: versionNumber, to: versionNumber }),
  response: {
    status: 200,
    description: 'changes',
    schema: z.object({
      from: z.number(),
      to: z.number(),
      changes: z.array(
        z.object({
          path: z.string(),
          old: z.unknown(),
          new: z.unknown(),
          masked: z.literal(true).optional(),
        }),
      ),
    }),
  },
});

const resolvedDeviceView = z.object({
  manufacturer: z.string().nullable(),
  model: z.string().nullable(),
  matchedBy: z.string(),
  securityMethods: z.array(z.string()).nullable(),
  capabilities: z.array(z.string()).nullable(),
  sources: z.record(z.string(), z.string().nullable()),
});

export const previewVersion = operation({
  operationId: 'profiles.preview',
  tag: 'admin',
  summary:
    'The push a worker would send for a device model: XML (secrets masked), WBXML hex, the exact segments',
  description:
    'model: a catalogue model id, resolved as the worker resolves a handset (its entry, then the manufacturer ' +
    'default, then the operator default); or give format (oma-cp, nokia-ota) alone for a device with no ' +
    'catalogue entry. The document is fitted to the device as the worker fits it: parts the profile lets go ' +
    '(omitToFit) are left out until the push fits max_segments (omittedToFit; fits false: the worker would ' +
    'fail it TOO_MANY_SEGMENTS, and no segments are shown). sec is the group policy method, settled against ' +
    'what the device takes (default NETWPIN); imsi signs it (default a test-network IMSI); mode is the ' +
    "SMSC's segment mode (default the first configured SMSC's); reference the concatenation reference (default 0).",
  params: z.strictObject({ id: profileRef, version: versionNumber }),
  query: z
    .strictObject({
      model: z.coerce.number().int().min(1).optional(),
      format: z.enum(['oma-cp', 'nokia-ota']).optional(),
      sec: z.enum(SECURITY_CHOICES).optional(),
      imsi: imsiSchema.optional(),
      pin: z
        .string()
        .regex(/^[0-9]{4,16}$/, 'pin: 4 to 16 digits')
        .optional(),
      mode: z.enum(['udh', 'tlv']).optional(),
      reference: z.coerce.number().int().min(0).max(255).optional(),
    })
    .refine((query) => query.model !== undefined || query.format !== undefined, {
      message: 'give model (a catalogue id) or format',
      path: ['model'],
    }),
  response: {
    status: 200,
    description: 'the push as a worker would send it',
    schema: z.object({
      format: z.string(),
      device: resolvedDeviceView,
      omitted: z.array(z.string()),
      omittedToFit: z.array(z.string()),
      fits: z.boolean(),
      failure: z.object({ code: z.string(), message: z.string() }).optional(),
      xml: z.string(),
      wbxmlHex: z.string(),
      contentType: z.string(),
      sec: z.string(),
      mode: z.enum(['udh', 'tlv']),
      segmentCount: z.number(),
      maxSegments: z.number().nullable(),
      segments: z.array(z.object({ index: z.number(), udhi: z.boolean(), hex: z.string() })),
    }),
  },
});
