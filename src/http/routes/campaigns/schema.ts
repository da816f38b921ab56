import { z } from 'zod';
import { CAMPAIGN_STATES } from '../../../campaigns/types.ts';
import { pushContentSchema } from '../../../provisioning/push-content.ts';
import { operation } from '../../operation.ts';
import { freeText, isoTimeSchema, msisdnSchema, reasonSchema, uuidSchema } from '../../schemas.ts';
import { profileRefSchema } from '../provisionings/schema.ts';

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const GROUP_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A selector's list is an index scan per entry; a million numbers go through a CSV instead. */
const MAX_LIST = 100_000;

const names = z
  .array(freeText(z.string().trim().min(1).max(100)))
  .min(1)
  .max(1000);

const selectorSchema = z
  .strictObject({
    profile: profileRefSchema.optional(),
    versions: z
      .union([
        z.strictObject({ below: z.int().min(1).max(1_000_000) }),
        z.array(z.int().min(1).max(1_000_000)).min(1).max(1000),
      ])
      .optional()
      .describe('{ below: N } or a list: the last delivered version of selector.profile'),
    models: names.optional().describe('model names ("6230i" or "Nokia 6230i"), case-insensitive'),
    manufacturers: names.optional(),
    groups: z.array(z.string().regex(GROUP_NAME, 'a group name')).min(1).max(1000).optional(),
    msisdnPrefix: z
      .string()
      .regex(/^\+?[1-9][0-9]{0,14}$/, 'digits of an E.164 number, optional +')
      .optional(),
    msisdns: z
      .union([z.array(msisdnSchema).min(1).max(MAX_LIST), freeText(z.string().min(1).max(16_000_000))])
      .optional()
      .describe('a list of numbers, or the text of a CSV whose first column holds them'),
    lastDeliveredBefore: isoTimeSchema.optional(),
    never: z.boolean().optional().describe('subscribers never delivered any push'),
  })
  .refine((selector) => selector.versions === undefined || selector.profile !== undefined, {
    message: 'versions needs selector.profile',
    path: ['versions'],
  });

const contentSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('profile'),
    profile: profileRefSchema,
    version: z.int().min(1).optional().describe('default: the latest version when the campaign is created'),
  }),
  // An SI or SL push (software download), validated as POST /v1/pushes validates it.
  ...pushContentSchema.options,
]);

const pacingSchema = z.union([
  z.strictObject({ tps: z.number().gt(0).max(100_000).describe('SMS per second') }),
  z.strictObject({
    shareOfSmsc: z.number().gt(0).max(1).describe("share of the SMSCs' configured throughput"),
  }),
]);

export const campaignDocumentSchema = z.strictObject({
  name: freeText(z.string().trim().min(1).max(200)),
  selector: selectorSchema,
  content: contentSchema,
  pacing: pacingSchema.optional().describe('default { tps: 10 }'),
  window: z
    .strictObject({
      start: z.string().regex(HH_MM, "must be 'HH:MM' (24-hour)"),
      end: z.string().regex(HH_MM, "must be 'HH:MM' (24-hour)"),
    })
    .optional()
    .describe("campaign hours in each group's time zone, on top of its quiet hours"),
  breaker: z
    .strictObject({
      threshold: z.number().gt(0).max(1).optional().describe('default 0.2'),
      window: z.int().min(10).max(100_000).optional().describe('finished pushes looked at; default 200'),
    })
    .optional(),
});

const campaignSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  preview: z.looseObject({ subscribers: z.number(), pushes: z.number(), segments: z.number() }),
});

const statusSchema = campaignSchema.extend({
  counts: z.looseObject({ selected: z.number(), remaining: z.number() }),
  rate: z.object({ pushesPerSecond: z.number(), smsPerSecond: z.number() }),
  estimatedCompletion: z.string().nullable(),
});

const idParams = z.strictObject({ id: uuidSchema });

export const createCampaign = operation({
  operationId: 'campaigns.create',
  tag: 'admin',
  summary: 'Create a campaign (a draft) and preview it: nothing is sent before start',
  body: campaignDocumentSchema,
  response: { status: 201, description: 'the draft and its preview', schema: campaignSchema },
});

const actionBody = z.strictObject({ reason: reasonSchema.optional() }).optional();

function stateChange(action: 'start' | 'pause' | 'resume' | 'cancel', summary: string) {
  return operation({
    operationId: `campaigns.${action}`,
    tag: 'admin',
    summary,
    params: idParams,
    body: actionBody,
    response: { status: 200, description: 'the campaign in its new state', schema: campaignSchema },
  });
}

export const startCampaign = stateChange(
  'start',
  'Start a draft: its targets are written and the feeder sends',
);
export const pauseCampaign = stateChange('pause', 'Pause a running campaign (pushes already queued go on)');
export const resumeCampaign = stateChange('resume', 'Resume a paused or breaker-paused campaign');
export const cancelCampaign = stateChange('cancel', 'Cancel a campaign: its pending targets are skipped');

export const listCampaignsOp = operation({
  operationId: 'campaigns.list',
  tag: 'admin',
  summary: 'Campaigns, newest first',
  query: z.strictObject({
    state: z.enum(CAMPAIGN_STATES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  }),
  response: {
    status: 200,
    description: 'the campaigns',
    schema: z.object({ campaigns: z.array(campaignSchema) }),
  },
});

export const getCampaignOp = operation({
  operationId: 'campaigns.get',
  tag: 'admin',
  summary: 'A campaign with its counts, rate now and estimated completion',
  params: idParams,
  response: { status: 200, description: 'the campaign and its progress', schema: statusSchema },
});
