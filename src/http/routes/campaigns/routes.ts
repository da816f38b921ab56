import { CampaignService } from '../../../campaigns/service.ts';
import type { Campaign, CampaignDocument } from '../../../campaigns/types.ts';
import type { Actor } from '../../../provisioning/types.ts';
import type { RouteKit } from '../../route-kit.ts';
import { actorOf } from '../triggers/routes.ts';
import {
  cancelCampaign,
  createCampaign,
  getCampaignOp,
  listCampaignsOp,
  pauseCampaign,
  resumeCampaign,
  startCampaign,
} from './schema.ts';

export function campaignRoutes({ api, auth, validate, context }: RouteKit): void {
  const campaigns = new CampaignService(context);

  api.post('/v1/campaigns', auth('admin'), validate(createCampaign), async (ctx, { body }) => {
    ctx.state.audit = { subjectType: 'campaign', details: { name: body.name, content: body.content.kind } };
    const campaign = await campaigns.create(body as CampaignDocument, actorOf(ctx));
    ctx.state.audit.subjectId = campaign.id;
    ctx.state.audit.details!.subscribers = campaign.preview.subscribers;
    ctx.status = 201;
    ctx.body = campaign;
  });

  api.get('/v1/campaigns', auth('admin'), validate(listCampaignsOp), async (ctx, { query }) => {
    ctx.body = { campaigns: await campaigns.list({ state: query.state, limit: query.limit }) };
  });

  api.get('/v1/campaigns/:id', auth('admin'), validate(getCampaignOp), async (ctx, { params }) => {
    ctx.body = await campaigns.get(params.id);
  });

  type Change = (id: string, actor: Actor, reason?: string) => Promise<Campaign>;
  const stateRoute = (op: typeof startCampaign, change: Change): void => {
    const action = op.operationId.slice('campaigns.'.length);
    api.post(`/v1/campaigns/:id/${action}`, auth('admin'), validate(op), async (ctx, { params, body }) => {
      ctx.state.audit = {
        subjectType: 'campaign',
        subjectId: params.id,
        details: { reason: body?.reason ?? null },
      };
      const campaign = await change(params.id, actorOf(ctx), body?.reason);
      ctx.state.audit.details!.state = campaign.state;
      ctx.body = campaign;
    });
  };
  stateRoute(startCampaign, (id, actor) => campaigns.start(id, actor));
  stateRoute(pauseCampaign, (id, actor, reason) => campaigns.pause(id, actor, reason));
  stateRoute(resumeCampaign, (id, actor) => campaigns.resume(id, actor));
  stateRoute(cancelCampaign, (id, actor, reason) => campaigns.cancel(id, actor, reason));
}
