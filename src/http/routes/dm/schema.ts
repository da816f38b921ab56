import { z } from 'zod';
import { dmActionSchema } from '../../../dm/actions.ts';
import { DM_AUTH_TYPES } from '../../../dm/repository.ts';
import { operation } from '../../operation.ts';
import { freeText, msisdnSchema, reasonSchema, uuidSchema } from '../../schemas.ts';

/** A DevId as handsets send it (docs/protocol-dm.md §6.1: URN form, e.g. IMEI:490154203237518). */
const deviceIdSchema = freeText(
  z
    .string()
    .min(1)
    .max(255, 'deviceId may be at most 255 characters')
    .regex(/^\S+$/, 'deviceId: the DevId, e.g. IMEI:490154203237518 (no spaces)'),
);

const credentialInput = z.strictObject({
  type: z
    .enum(DM_AUTH_TYPES)
    .describe('basic = syncml:auth-basic, md5 = syncml:auth-md5, hmac = x-syncml-hmac'),
  name: freeText(z.string().min(1).max(255)),
  secret: freeText(z.string().min(8, 'secret: at least 8 characters').max(255))
    .optional()
    .describe('absent: generated (shown in this answer only)'),
  nonce: z.base64('nonce: base64 text (the AAUTHDATA the handset was given)').max(255).optional(),
});

const credentialView = z.object({ type: z.enum(DM_AUTH_TYPES), name: z.string() });

export const dmAccountSchema = z.object({
  id: z.string(),
  deviceId: z.string(),
  serverId: z.string(),
  msisdn: z.string().nullable(),
  subscriberId: z.string().nullable(),
  origin: z.enum(['cp-w7', 'admin']),
  clientAuth: credentialView,
  serverAuth: credentialView,
  state: z.enum(['active', 'revoked']),
  createdAt: z.string(),
  rotatedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

const secretsOnce = z.object({
  clientSecret: z.string().optional().describe('what the handset presents (DMAcc CLCRED, w7 APPSRV)'),
  serverSecret: z
    .string()
    .optional()
    .describe('what the server presents (SRVCRED, w7 CLIENT); signs package #0'),
});

export const createDmAccount = operation({
  operationId: 'dm.accounts.create',
  tag: 'admin',
  summary:
    'Register the DM account of a handset bootstrapped elsewhere (factory, SIM); the secrets are in this answer only',
  description:
    'clientAuth is what the handset presents to the server (DMAcc AAuthLevel CLCRED), serverAuth what the ' +
    'server presents to it (SRVCRED; its secret also signs the DM notification). A live account of the same ' +
    'deviceId is revoked. basic is accepted only from accounts registered as basic (or with dm.allowBasic).',
  body: z.strictObject({
    deviceId: deviceIdSchema,
    serverId: freeText(z.string().min(1).max(255)),
    msisdn: msisdnSchema.optional(),
    clientAuth: credentialInput,
    serverAuth: credentialInput,
  }),
  response: {
    status: 201,
    description: 'the account and its secrets, shown once',
    schema: z.object({ account: dmAccountSchema, secrets: secretsOnce }),
  },
});

export const listDmAccounts = operation({
  operationId: 'dm.accounts.list',
  tag: 'admin',
  summary: 'DM accounts, newest first (never their secrets)',
  query: z.strictObject({
    deviceId: deviceIdSchema.optional(),
    includeRevoked: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  }),
  response: {
    status: 200,
    description: 'accounts',
    schema: z.object({ accounts: z.array(dmAccountSchema) }),
  },
});

export const rotateDmAccount = operation({
  operationId: 'dm.accounts.rotate',
  tag: 'admin',
  summary:
    'New secrets for a DM account (generated unless given); the handset must be told them (e.g. a Replace of its DMAcc)',
  params: z.strictObject({ id: uuidSchema }),
  body: z
    .strictObject({
      client: z.union([z.boolean(), freeText(z.string().min(8).max(255))]).default(true),
      server: z.union([z.boolean(), freeText(z.string().min(8).max(255))]).default(true),
    })
    .refine((body) => body.client !== false || body.server !== false, {
      message: 'rotate the client secret, the server secret or both',
      path: ['client'],
    }),
  response: {
    status: 200,
    description: 'the account and its new secrets, shown once',
    schema: z.object({ account: dmAccountSchema, secrets: secretsOnce }),
  },
});

export const revokeDmAccount = operation({
  operationId: 'dm.accounts.revoke',
  tag: 'admin',
  summary: 'Revoke a DM account: the handset is refused from its next message on',
  params: z.strictObject({ id: uuidSchema }),
  response: { status: 200, description: 'revoked', schema: dmAccountSchema },
});

export const requestDmSession = operation({
  operationId: 'dm.sessions.request',
  tag: 'care',
  summary: 'Queue DM actions for a subscriber\u2019s handset and send it the DM notification',
  description:
    'actions: { get: { target } }, { replace | add: { target, data, format?, type? } }, { delete: { target } }, ' +
    '{ exec: { target, data? } }, { firmwareUpdate: { packageUrl, version, node? } } (FUMO: Replace ' +
    '<node>/DownloadAndUpdate/PkgURL, Exec <node>/DownloadAndUpdate, result by Generic Alert). The notification ' +
    '(package #0) goes as a WAP push through the provisioning pipeline; the actions run when the handset calls in.',
  body: z.strictObject({
    msisdn: msisdnSchema,
    actions: z.array(dmActionSchema).min(1, 'give at least one action').max(50),
    reason: reasonSchema.optional(),
  }),
  response: {
    status: 202,
    description: 'the queued session and the provisioning carrying its notification',
    schema: z.object({
      id: z.string(),
      state: z.string(),
      dmSessionId: z.string(),
      deviceId: z.string(),
      provisioningId: z.string(),
      commands: z.array(z.object({ cmd: z.string(), target: z.string() })),
    }),
  },
});

const commandView = z.object({
  cmd: z.string(),
  target: z.string(),
  code: z.string().nullable(),
  status: z.string(),
  result: z.unknown().optional(),
  updatedAt: z.string(),
});

export const dmSessionView = z.object({
  id: z.string(),
  dmSessionId: z.string().nullable(),
  initiator: z.enum(['server', 'client']),
  state: z.enum(['queued', 'active', 'completed', 'failed']),
  failure: z.string().nullable(),
  provisioningId: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  commands: z.array(commandView),
});

export const getDmDevice = operation({
  operationId: 'dm.devices.get',
  tag: 'care',
  summary: 'A DM device: its account (no secrets), last DevInfo and DevDetail, sessions and their commands',
  params: z.strictObject({ deviceId: deviceIdSchema }),
  query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
  response: {
    status: 200,
    description: 'the device',
    schema: z.object({
      deviceId: z.string(),
      account: dmAccountSchema.nullable(),
      devInfo: z.record(z.string(), z.string()).nullable(),
      devDetail: z.record(z.string(), z.string()).nullable(),
      sessions: z.array(dmSessionView),
    }),
  },
});
