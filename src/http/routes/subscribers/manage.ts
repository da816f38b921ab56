import type { AppContext } from '../../../app-context.ts';
import { maskImsi } from '../../../observability/logger.ts';
import { existingGroupNames } from '../../../store/repositories/groups.ts';
import {
  findSubscriber,
  findSubscribersHolding,
  updateSubscriber,
  upsertDeclaredSubscribers,
} from '../../../subscribers/repository.ts';
import { conflict, notFound, unprocessable } from '../../errors.ts';
import type { ApiContext, OperationInput } from '../../operation.ts';
import type { Db } from '../../../store/db.ts';
import { subscriberView } from './imsi-view.ts';
import type { changeSubscriber, createSubscriber } from './schema.ts';

/** 422 naming the field: the group must exist before anyone joins it (POST /v1/groups). */
async function requireGroup(db: Db, group: string, field: string): Promise<void> {
  if ((await existingGroupNames(db, [group])).has(group)) return;
  throw unprocessable('UNKNOWN_GROUP', `${field}: no group '${group}'`, {
    issues: [{ field, message: 'unknown group', code: 'unknown_group' }],
  });
}

function msisdnTaken(msisdn: string): never {
  throw conflict('MSISDN_TAKEN', `body.msisdn: ${msisdn} belongs to another subscriber`, {
    field: 'body.msisdn',
  });
}

/** POST /v1/subscribers. A race past the checks ends in the unique index: 409 CONFLICT. */
export async function createSubscriberHandler(
  context: AppContext,
  ctx: ApiContext,
  { body }: OperationInput<typeof createSubscriber>,
) {
  ctx.state.audit = {
    subjectType: 'msisdn',
    subjectId: body.msisdn,
    details: { imsi: maskImsi(body.imsi), group: body.group, imei: body.imei ?? null },
  };
  await requireGroup(context.db, body.group, 'body.group');
  const holders = await findSubscribersHolding(context.db, { imsis: [body.imsi], msisdns: [body.msisdn] });
  if (holders.some((holder) => holder.imsi === body.imsi)) {
    throw conflict('IMSI_TAKEN', 'body.imsi: a subscriber with this IMSI exists', { field: 'body.imsi' });
  }
  if (holders.length > 0) msisdnTaken(body.msisdn);
  await context.db.transaction((tx) => upsertDeclaredSubscribers(tx, [body], { insertOnly: true }));
  const created = (await findSubscriber(context.db, { imsi: body.imsi }))!;
  ctx.state.audit = { ...ctx.state.audit, subjectType: 'subscriber', subjectId: created.id };
  ctx.status = 201;
  ctx.body = subscriberView(created, maskImsi);
}

/** PATCH /v1/subscribers/:msisdn: the audit entry keeps the group and number before and after. */
export async function changeSubscriberHandler(
  context: AppContext,
  ctx: ApiContext,
  { params, body }: OperationInput<typeof changeSubscriber>,
) {
  ctx.state.audit = { subjectType: 'msisdn', subjectId: params.msisdn, details: { change: body } };
  const before = await findSubscriber(context.db, { msisdn: params.msisdn });
  if (!before) throw notFound('SUBSCRIBER_NOT_FOUND', `no subscriber with MSISDN ${params.msisdn}`);
  if (body.group !== undefined) await requireGroup(context.db, body.group, 'body.group');
  if (body.msisdn !== undefined && body.msisdn !== before.msisdn) {
    const holder = await findSubscriber(context.db, { msisdn: body.msisdn });
    if (holder && holder.id !== before.id) msisdnTaken(body.msisdn);
  }
  const after = (await updateSubscriber(context.db, before.id, body))!;
  ctx.state.audit = {
    subjectType: 'subscriber',
    subjectId: before.id,
    details: {
      before: { group: before.groupName, msisdn: before.msisdn },
      after: { group: after.groupName, msisdn: after.msisdn },
    },
  };
  ctx.body = subscriberView(after, maskImsi);
}
