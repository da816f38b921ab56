import { accountView, createDmAccount as createAccount, rotateDmSecrets } from '../../../dm/accounts.ts';
import { dmDeviceView } from '../../../dm/device-view.ts';
import { DmAccountMissing, queueDmSession } from '../../../dm/notify.ts';
import {
  listDmAccounts as readAccounts,
  listDmCommands,
  revokeDmAccount as revoke,
} from '../../../dm/repository.ts';
import type { DmServer } from '../../../dm/server.ts';
import { notFound } from '../../errors.ts';
import type { RouteKit } from '../../route-kit.ts';
import { actorOf } from '../triggers/routes.ts';
import {
  createDmAccount,
  getDmDevice,
  listDmAccounts,
  requestDmSession,
  revokeDmAccount,
  rotateDmAccount,
} from './schema.ts';

/** The DM server's API (src/dm/): accounts (admin), server-initiated sessions and devices (care, admin). */
export function dmRoutes(kit: RouteKit, dm: DmServer): void {
  accountRoutes(kit, dm);
  sessionRoutes(kit, dm);
}

/** Accounts of handsets bootstrapped elsewhere: create, list, rotate, revoke (secrets shown once). */
function accountRoutes({ api, auth, validate, context }: RouteKit, dm: DmServer): void {
  const { db } = context;

  api.post('/v1/dm/accounts', auth('admin'), validate(createDmAccount), async (ctx, { body }) => {
    ctx.state.audit = {
      subjectType: 'dm-device',
      subjectId: body.deviceId,
      details: {
        serverId: body.serverId,
        clientAuth: body.clientAuth.type,
        serverAuth: body.serverAuth.type,
      },
    };
    const created = await createAccount(db, dm.box, { ...body, origin: 'admin' });
    ctx.state.audit.details!.accountId = created.account.id;
    ctx.status = 201;
    ctx.body = { account: accountView(created.account), secrets: created.secrets };
  });

  api.get('/v1/dm/accounts', auth('admin'), validate(listDmAccounts), async (ctx, { query }) => {
    const accounts = await readAccounts(db, {
      limit: query.limit,
      deviceId: query.deviceId,
      includeRevoked: query.includeRevoked === 'true',
    });
    ctx.body = { accounts: accounts.map(accountView) };
  });

  api.post(
    '/v1/dm/accounts/:id/rotate',
    auth('admin'),
    validate(rotateDmAccount),
    async (ctx, { params, body }) => {
      ctx.state.audit = {
        subjectType: 'dm-account',
        subjectId: params.id,
        details: { client: body.client !== false, server: body.server !== false },
      };
      const rotated = await rotateDmSecrets(db, dm.box, params.id, body);
      if (!rotated) throw notFound('DM_ACCOUNT_NOT_FOUND', `no live DM account ${params.id}`);
      ctx.body = { account: accountView(rotated.account), secrets: rotated.secrets };
    },
  );

  api.delete('/v1/dm/accounts/:id', auth('admin'), validate(revokeDmAccount), async (ctx, { params }) => {
    ctx.state.audit = { subjectType: 'dm-account', subjectId: params.id };
    const revoked = await revoke(db, params.id);
    if (!revoked) throw notFound('DM_ACCOUNT_NOT_FOUND', `no live DM account ${params.id}`);
    ctx.body = accountView(revoked);
  });
}

/** Server-initiated sessions, and what care sees of a device. */
function sessionRoutes({ api, auth, validate, context }: RouteKit, dm: DmServer): void {
  const { db } = context;

  api.post('/v1/dm/sessions', auth('care'), validate(requestDmSession), async (ctx, { body }) => {
    ctx.state.audit = {
      subjectType: 'msisdn',
      subjectId: body.msisdn,
      details: { actions: body.actions.map((action) => Object.keys(action)[0]), reason: body.reason ?? null },
    };
    const queued = await queueDmSession(
      { db, box: dm.box, provisioning: context.provisioning },
      {
        msisdn: body.msisdn,
        actions: body.actions,
        reason: body.reason ?? 'DM session',
        actor: actorOf(ctx),
      },
    ).catch((error: unknown) => {
      if (error instanceof DmAccountMissing)
        throw notFound(error.code, error.message, { field: 'body.msisdn' });
      throw error;
    });
    Object.assign(ctx.state.audit.details!, {
      sessionId: queued.session.id,
      provisioningId: queued.provisioningId,
    });
    const commands = await listDmCommands(db, queued.session.id);
    ctx.status = 202;
    ctx.body = {
      id: queued.session.id,
      state: queued.session.state,
      dmSessionId: queued.session.dmSessionId!,
      deviceId: queued.account.deviceId,
      provisioningId: queued.provisioningId,
      commands: commands.map((command) => ({ cmd: command.cmd, target: command.target })),
    };
  });

  api.get('/v1/dm/devices/:deviceId', auth('care'), validate(getDmDevice), async (ctx, { params, query }) => {
    const view = await dmDeviceView(db, params.deviceId, query.limit);
    if (!view) throw notFound('DM_DEVICE_NOT_FOUND', `no DM account was ever held for ${params.deviceId}`);
    ctx.body = view;
  });
}
