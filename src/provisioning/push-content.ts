/**
 * SI and SL pushes (software download, issue 12): what they may say, the document the codecs encode
 * (docs/protocol.md §8), and which handsets take them. Pure: the worker's composition is in
 * compose-content.ts, the HTTP route in src/http/routes/pushes/.
 */
import { z } from 'zod';
import { el, type XmlElement } from '../../codecs/xml/element.ts';
import type { ResolvedDevice } from '../devices/resolve-device.ts';
import type { GroupPolicy } from '../subscribers/policy.ts';
import {
  ProvisioningError,
  SI_ACTIONS,
  SL_ACTIONS,
  type PushContent,
  type ServiceIndicationContent,
  type ServiceLoadingContent,
} from './types.ts';

/** The catalogue capability words of a handset that takes SI or SL pushes (config/devices.csv). */
export const CONTENT_CAPABILITY: Readonly<Record<PushContent['kind'], string>> = {
  si: 'si',
  sl: 'sl',
  'dm-notification': 'dm',
};

/**
 * A browser fetches the href: http or https only. The length keeps a push to a few SMS (the worker
 * still refuses one that needs more than the handset reassembles).
 */
const hrefSchema = z
  .url({ protocol: /^https?$/, error: 'href must be an http:// or https:// URL' })
  .max(512, 'href may be at most 512 characters');

/** %Datetime is whole seconds in UTC (docs/protocol.md §8.3): any ISO time is taken and written so. */
const datetimeSchema = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time' })
  .transform((value) => new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z'));

const siShape = {
  kind: z.literal('si'),
  href: hrefSchema,
  text: z.string().trim().min(1).max(160, 'text may be at most 160 characters').optional(),
  action: z.enum(SI_ACTIONS).optional().describe('default on the handset: signal-medium'),
  siId: z
    .string()
    .min(1)
    .max(64, 'siId may be at most 64 characters')
    .optional()
    .describe('a later SI with the same si-id replaces this one; delete needs it'),
  created: datetimeSchema.optional(),
  expires: datetimeSchema.optional().describe('the handset deletes the SI after this time'),
};

const slShape = {
  kind: z.literal('sl'),
  href: hrefSchema,
  action: z
    .enum(SL_ACTIONS)
    .optional()
    .describe("default on the handset: execute-low; execute-high only where the group's policy allows it"),
};

/** The rules across SI fields: delete names the SI it deletes; an SI expires after it is created. */
function checkIndication(
  content: Pick<ServiceIndicationContent, 'action' | 'siId' | 'created' | 'expires'>,
  ctx: z.RefinementCtx,
): void {
  if (content.action === 'delete' && content.siId === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['siId'],
      message: 'action delete needs the siId of the SI to delete',
    });
  }
  if (content.expires !== undefined && Date.parse(content.expires) <= Date.now()) {
    ctx.addIssue({ code: 'custom', path: ['expires'], message: 'expires must be in the future' });
  }
  if (
    content.expires !== undefined &&
    content.created !== undefined &&
    Date.parse(content.expires) <= Date.parse(content.created)
  ) {
    ctx.addIssue({ code: 'custom', path: ['expires'], message: 'expires must be after created' });
  }
}

/**
 * The content schemas with extra fields beside them (the /v1/pushes body adds the subscriber and the
 * reason); strict, so a field of the other kind (siId on an SL) is refused by name.
 */
export function pushContentSchemaWith<Extra extends z.ZodRawShape>(extra: Extra) {
  const si = z
    .strictObject({ ...siShape, ...extra })
    .superRefine((body, ctx) => checkIndication(body as Parameters<typeof checkIndication>[0], ctx));
  const sl = z.strictObject({ ...slShape, ...extra });
  return z.discriminatedUnion('kind', [si, sl]);
}

/** `{ kind: 'si' | 'sl', href, ... }`: a provisioning's content, a campaign's SI/SL content. */
export const pushContentSchema = pushContentSchemaWith({});

/** The DM server's own content (src/dm/notify.ts): never in an API body, so not in pushContentSchema. */
const dmNotificationSchema = z.strictObject({
  kind: z.literal('dm-notification'),
  serverId: z.string().min(1).max(255),
  sessionId: z.string().regex(/^[0-9A-F]{1,4}$/, 'sessionId: upper-case hex, 1-4 digits'),
  body: z.base64().max(1024),
});

/** Validates content given by a caller that did not go through an HTTP schema; INVALID_REQUEST names the field. */
export function parsePushContent(input: unknown): PushContent {
  const isDm = (input as { kind?: unknown } | null)?.kind === 'dm-notification';
  const result = (isDm ? dmNotificationSchema : pushContentSchema).safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: ['content', ...issue.path.map(String)].join('.'),
    message: issue.message,
    code: issue.code,
  }));
  throw new ProvisioningError('INVALID_REQUEST', `${issues[0].field}: ${issues[0].message}`, {
    field: issues[0].field,
    issues,
  });
}

/** Just the content of a request that carries other fields too (the /v1/pushes body). */
export function contentOf(
  body: PushContent & Record<string, unknown>,
): ServiceIndicationContent | ServiceLoadingContent {
  if (body.kind === 'sl') return withoutUndefined({ kind: 'sl', href: body.href, action: body.action });
  const si = body as ServiceIndicationContent;
  return withoutUndefined({
    kind: 'si',
    href: si.href,
    text: si.text,
    action: si.action,
    siId: si.siId,
    created: si.created,
    expires: si.expires,
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/**
 * Why the subscriber's group may not have this content, or undefined when it may: SL execute-high makes
 * the handset load the href without asking the user (docs/protocol.md §8.2), so only a group whose
 * policy says allowSlExecuteHigh gets it. A campaign skips such targets with this reason.
 */
export function contentNotAllowedReason(
  content: PushContent,
  policy: GroupPolicy,
  group: string,
): string | undefined {
  if (content.kind !== 'sl' || content.action !== 'execute-high' || policy.allowSlExecuteHigh === true)
    return undefined;
  return `action execute-high loads the href without asking the user; group ${group} does not allow it (policy allowSlExecuteHigh)`;
}

/** contentNotAllowedReason as a refusal: CONTENT_NOT_ALLOWED (HTTP 422) naming action. */
export function refuseUnallowedContent(content: PushContent, policy: GroupPolicy, group: string): void {
  const message = contentNotAllowedReason(content, policy, group);
  if (message === undefined) return;
  throw new ProvisioningError('CONTENT_NOT_ALLOWED', message, {
    field: 'action',
    group,
    issues: [{ field: 'action', message, code: 'not_allowed' }],
  });
}

/**
 * Why this handset cannot take the content, or undefined when it can: the catalogue must list the
 * capability (si, sl) for the model, its manufacturer's default or the operator default. A handset the
 * catalogue says nothing about is not sent one: an SI it cannot read is lost without a trace.
 */
export function unsupportedContentReason(
  device: ResolvedDevice,
  kind: PushContent['kind'],
): string | undefined {
  const capability = CONTENT_CAPABILITY[kind];
  if (device.capabilities?.includes(capability)) return undefined;
  const model = `${device.manufacturer ?? '?'} ${device.model ?? '?'}`;
  return device.capabilities === null
    ? `the catalogue does not say whether ${model} takes ${kind.toUpperCase()} pushes (capability ${capability})`
    : `${model} does not take ${kind.toUpperCase()} pushes (no capability ${capability} in the catalogue)`;
}

/** The SI or SL document (docs/protocol.md §8.1, §8.2; attribute order as in the §8.4 example). */
export function contentDocument(content: ServiceIndicationContent | ServiceLoadingContent): XmlElement {
  if (content.kind === 'sl') return serviceLoading(content);
  const attributes: Array<[string, string]> = [['href', content.href]];
  if (content.siId !== undefined) attributes.push(['si-id', content.siId]);
  if (content.action !== undefined) attributes.push(['action', content.action]);
  if (content.created !== undefined) attributes.push(['created', content.created]);
  if (content.expires !== undefined) attributes.push(['si-expires', content.expires]);
  const text = content.text === undefined ? [] : [content.text];
  return el('si', [], [el('indication', attributes, text)]);
}

function serviceLoading(content: ServiceLoadingContent): XmlElement {
  const attributes: Array<[string, string]> = [['href', content.href]];
  if (content.action !== undefined) attributes.push(['action', content.action]);
  return el('sl', attributes);
}
