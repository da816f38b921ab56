import { z } from 'zod';
import { freeText } from '../../schemas.ts';
import { groupPolicySchema } from '../../../subscribers/policy.ts';
import { operation } from '../../operation.ts';

/** A group's name, as the groups table's CHECK allows it. */
export const groupNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'group name: lower-case letters, digits, _ and -');
const groupView = z.object({
  name: z.string(),
  description: z.string().nullable(),
  policy: z.looseObject({}),
  subscribers: z.number(),
});

export const listGroups = operation({
  operationId: 'groups.list',
  tag: 'admin',
  summary: 'Subscriber groups and their policies',
  response: { status: 200, description: 'groups', schema: z.object({ groups: z.array(groupView) }) },
});

export const putGroup = operation({
  operationId: 'groups.put',
  tag: 'admin',
  summary: 'Create a group or replace its policy',
  description:
    'The policy applies to triggers and pushes from then on: within a few seconds in every process (each keeps the groups cached for 5 s).',
  params: z.strictObject({ name: groupNameSchema }),
  body: z.strictObject({ description: freeText(z.string().max(500)).optional(), policy: groupPolicySchema }),
  response: { status: 200, description: 'the group', schema: groupView },
});

export const createGroup = operation({
  operationId: 'groups.create',
  tag: 'admin',
  summary: 'Create a subscriber group (409 GROUP_EXISTS when the name is taken)',
  description:
    'Subscribers join it by POST/PATCH /v1/subscribers or the subscriber import; its policy applies from their next request on.',
  body: z.strictObject({
    name: groupNameSchema,
    description: freeText(z.string().max(500)).optional(),
    policy: groupPolicySchema.optional(),
  }),
  response: { status: 201, description: 'the new group', schema: groupView },
});

export const deleteGroup = operation({
  operationId: 'groups.delete',
  tag: 'admin',
  summary: 'Retire a group nobody is in (409 GROUP_NOT_EMPTY with the count; default cannot go)',
  description: "The group's selection rules are deleted with it.",
  params: z.strictObject({ name: groupNameSchema }),
  response: {
    status: 200,
    description: 'deleted',
    schema: z.object({ name: z.string(), deleted: z.literal(true), rulesDeleted: z.number() }),
  },
});
