/**
 * The control API's routes for the DM handsets (dm-handset.ts): make a phone DM-capable and set how it
 * behaves, read its tree, notifications and sessions, set a node as its user would, give it an account
 * by hand (a factory bootstrap), and start a client-initiated session.
 */
import type { Context } from 'koa';
import type Router from '@koa/router';
import { z } from 'zod';
import { HttpError } from './control-api.ts';
import type { DmHandsets } from './dm-handset.ts';

interface Helpers {
  readJson(ctx: Context): Promise<unknown>;
  validate<T>(schema: z.ZodType<T>, value: unknown): T;
}

const text = z.string().max(200);
const settingsSchema = z.strictObject({
  imei: z
    .string()
    .regex(/^[0-9]{14,16}$/)
    .optional(),
  man: text.optional(),
  mod: text.optional(),
  fwV: text.optional(),
  swV: text.optional(),
  hwV: text.optional(),
  oem: text.optional(),
  devTyp: text.optional(),
  lang: text.optional(),
  dmV: text.optional(),
  apn: text.optional(),
  proxy: text.optional(),
  proxyPort: text.optional(),
  encoding: z.enum(['xml', 'wbxml']).optional(),
  maxMsgSize: z.number().int().min(512).max(1_048_576).optional(),
  clientAuth: z.enum(['md5', 'basic']).optional(),
  requireServerAuth: z.boolean().optional(),
  fumoResultCode: z
    .string()
    .regex(/^[0-9]{3}$/)
    .optional(),
  fumoDelayMs: z.number().int().min(0).max(600_000).optional(),
  updatedFwV: text.optional(),
  scomoResultCode: z
    .string()
    .regex(/^[0-9]{4}$/)
    .optional(),
  answerNotifications: z.boolean().optional(),
});
const nodesSchema = z.strictObject({
  nodes: z
    .array(z.strictObject({ uri: z.string().min(1).max(500), value: z.string().max(10_000) }))
    .min(1)
    .max(100),
});
const authSchema = z.strictObject({
  level: z.enum(['CLCRED', 'SRVCRED']),
  type: z.string().max(20).default('DIGEST'),
  name: text,
  secret: text,
  data: z.string().max(200).default(''),
});
const accountSchema = z.strictObject({
  serverId: z.string().min(1).max(200),
  name: text.default(''),
  addr: z.url(),
  auths: z.array(authSchema).max(4),
});
const sessionSchema = z.strictObject({ serverId: z.string().optional() });

export function dmControlRoutes(router: Router, dm: DmHandsets, { readJson, validate }: Helpers): void {
  const viewOr404 = (msisdn: string) => {
    const view = dm.view(msisdn);
    if (!view) throw new HttpError(404, 'DM_HANDSET_UNKNOWN', `no DM handset ${msisdn}`);
    return view;
  };
  router.get('/dm/handsets', (ctx) => {
    ctx.body = dm.list();
  });
  router.put('/dm/handsets/:msisdn', async (ctx) => {
    ctx.body = dm.register(ctx.params.msisdn, validate(settingsSchema, await readJson(ctx)));
  });
  router.get('/dm/handsets/:msisdn', (ctx) => {
    ctx.body = viewOr404(ctx.params.msisdn);
  });
  router.delete('/dm/handsets/:msisdn', (ctx) => {
    if (!dm.remove(ctx.params.msisdn))
      throw new HttpError(404, 'DM_HANDSET_UNKNOWN', `no DM handset ${ctx.params.msisdn}`);
    ctx.status = 204;
  });
  router.patch('/dm/handsets/:msisdn/tree', async (ctx) => {
    const { nodes } = validate(nodesSchema, await readJson(ctx));
    viewOr404(ctx.params.msisdn);
    const tree = dm.tree(ctx.params.msisdn)!;
    const missing = nodes.filter((node) => !tree.has(node.uri)).map((node) => node.uri);
    if (missing.length > 0) {
      throw new HttpError(400, 'DM_NODE_UNKNOWN', 'the tree has no such leaf', { uris: missing });
    }
    for (const node of nodes) tree.write(node.uri, node.value);
    ctx.body = viewOr404(ctx.params.msisdn);
  });
  router.post('/dm/handsets/:msisdn/accounts', async (ctx) => {
    const account = validate(accountSchema, await readJson(ctx));
    dm.installAccount(ctx.params.msisdn, account);
    ctx.status = 201;
    ctx.body = viewOr404(ctx.params.msisdn);
  });
  router.post('/dm/handsets/:msisdn/sessions', async (ctx) => {
    const { serverId } = validate(sessionSchema, await readJson(ctx));
    ctx.body = await dm.startSession(ctx.params.msisdn, serverId);
  });
}
