import { z } from 'zod';
import { groupPolicySchema } from '../../../subscribers/policy.ts';
import { operation } from '../../operation.ts';

const groupName = z
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
  params: z.strictObject({ name: groupName }),
  body: z.strictObject({ description: z.string().max(500).optional(), policy: groupPolicySchema }),
  response: { status: 200, description: 'the group', schema: groupView },
});
