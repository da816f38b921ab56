import { z } from 'zod';
import { operation } from '../../operation.ts';
import { freeText, uuidSchema } from '../../schemas.ts';

const criterion = freeText(z.string().min(1).max(100));
const ruleView = z.looseObject({
  id: z.string(),
  priority: z.number(),
  profileId: z.string(),
  enabled: z.boolean(),
});

export const listRules = operation({
  operationId: 'rules.list',
  tag: 'admin',
  summary: 'Profile selection rules, in the order they are tried',
  query: z.strictObject({ enabledOnly: z.enum(['true', 'false']).optional() }),
  response: { status: 200, description: 'rules', schema: z.object({ rules: z.array(ruleView) }) },
});

export const createRule = operation({
  operationId: 'rules.create',
  tag: 'admin',
  summary: 'Add a selection rule (manufacturer, model, firmware range, group -> profile)',
  body: z.strictObject({
    priority: z.int().min(0).max(1_000_000),
    manufacturer: criterion.optional(),
    model: criterion.optional(),
    firmwareMin: criterion.optional(),
    firmwareMax: criterion.optional(),
    group: criterion.optional(),
    profileId: uuidSchema,
    profileVersion: z.int().min(1).optional(),
    enabled: z.boolean().optional(),
    note: freeText(z.string().max(500)).optional(),
  }),
  response: { status: 201, description: 'the rule', schema: ruleView },
});

export const updateRule = operation({
  operationId: 'rules.update',
  tag: 'admin',
  summary: 'Change a rule (fields left out stay; null clears)',
  params: z.strictObject({ id: uuidSchema }),
  body: z.strictObject({
    priority: z.int().min(0).max(1_000_000).optional(),
    manufacturer: criterion.nullable().optional(),
    model: criterion.nullable().optional(),
    firmwareMin: criterion.nullable().optional(),
    firmwareMax: criterion.nullable().optional(),
    group: criterion.nullable().optional(),
    profileId: uuidSchema.optional(),
    profileVersion: z.int().min(1).nullable().optional(),
    enabled: z.boolean().optional(),
    note: freeText(z.string().max(500)).nullable().optional(),
  }),
  response: { status: 200, description: 'the rule', schema: ruleView },
});

export const deleteRule = operation({
  operationId: 'rules.delete',
  tag: 'admin',
  summary: 'Remove a rule',
  params: z.strictObject({ id: uuidSchema }),
  response: { status: 204, description: 'removed' },
});
