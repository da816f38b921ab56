import { z } from 'zod';
import { API_KEY_NAME_PATTERN } from '../../../auth/api-keys.ts';
import { ROLES } from '../../../auth/roles.ts';
import { operation } from '../../operation.ts';
import { isoTimeSchema, uuidSchema } from '../../schemas.ts';

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  keyPrefix: z.string(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const createKey = operation({
  operationId: 'apiKeys.create',
  tag: 'admin',
  summary: 'Create an API key; the secret is in this answer only',
  body: z.strictObject({
    name: z.string().regex(API_KEY_NAME_PATTERN, 'name: 1-80 letters, digits, space, . _ @ : -'),
    role: z.enum(ROLES),
    expiresAt: isoTimeSchema.optional(),
  }),
  response: { status: 201, description: 'created', schema: apiKeySchema.extend({ key: z.string() }) },
});

export const listKeys = operation({
  operationId: 'apiKeys.list',
  tag: 'admin',
  summary: 'List API keys (never their secrets)',
  query: z.strictObject({ includeRevoked: z.enum(['true', 'false']).optional() }),
  response: { status: 200, description: 'keys', schema: z.object({ keys: z.array(apiKeySchema) }) },
});

export const revokeKey = operation({
  operationId: 'apiKeys.revoke',
  tag: 'admin',
  summary: 'Revoke an API key (at once in this process, within seconds in others)',
  params: z.strictObject({ id: uuidSchema }),
  response: { status: 200, description: 'revoked', schema: apiKeySchema },
});
