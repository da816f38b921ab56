/**
 * The typed parameter set behind a profile version: what an admin edits and what gets rendered into an
 * OMA CP `wap-provisioningdoc` or a Nokia OTA `CHARACTERISTIC-LIST` per device (render.ts). Deliberately
 * not XML: each field is one setting, references between sections are by id, and validation names the
 * exact field that is wrong (`connections[0].apn: ...`).
 *
 * Secret-bearing fields are always called `password`, `secret` or `nonce` (versions.ts masks them by name).
 */
import { z } from 'zod';
import { ProfileError } from './errors.ts';
import {
  describeIssues,
  requiredFieldErrors,
  toValidationIssues,
  type ValidationIssue,
} from './validation.ts';

export type { ValidationIssue } from './validation.ts';

/** NAPID / PROXY-ID values: plain tokens, referenced from other sections (ProvCont NAPDEF/PXLOGICAL ids). */
const identifier = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'must be 1–64 characters of letters, digits, "_", "." or "-", starting with a letter or digit',
  );

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const isIpv4Address = (value: string): boolean => IPV4.test(value);
export const isHostName = (value: string): boolean => HOST_NAME.test(value);

const host = z.string().refine((value) => isIpv4Address(value) || isHostName(value), {
  error: 'must be an IPv4 address or a domain name',
});
const port = z.int().min(1).max(65535);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const text = z.string().min(1);

/** A data connection: one NAPDEF (OMA CP) or the ADDRESS characteristic (Nokia OTA). */
export const connectionSchema = z
  .strictObject({
    /** NAPID; other sections refer to the connection by it (TO-NAPID). */
    id: identifier,
    name: text.optional(),
    bearer: z.enum(['GPRS', 'CSD']),
    /** Access point name, for bearer GPRS. */
    apn: text.optional(),
    /** Number to dial, for bearer CSD (E.164, optionally with a leading +). */
    dialString: z
      .string()
      .regex(/^\+?[0-9*#]{1,32}$/, 'must be a phone number (digits, optional leading +)')
      .optional(),
    /** CSD only. */
    callType: z.enum(['ANALOGUE', 'ISDN']).optional(),
    /** CSD only; AUTO lets the handset negotiate. */
    callSpeed: z.enum(['AUTO', '9600', '14400', '19200', '28800', '38400', '43200', '57600']).optional(),
    auth: z
      .strictObject({
        type: z.enum(['PAP', 'CHAP']),
        user: z.string(),
        password: z.string(),
      })
      .optional(),
    /** DNS servers (OMA CP DNS-ADDR; Nokia OTA cannot carry them). */
    dns: z
      .array(z.ipv4({ error: 'must be an IPv4 address' }))
      .max(4)
      .optional(),
  })
  .superRefine((connection, ctx) => {
    if (connection.bearer === 'GPRS') {
      if (connection.apn === undefined)
        ctx.addIssue({ code: 'custom', path: ['apn'], message: 'is required for a GPRS bearer' });
      for (const field of ['dialString', 'callType', 'callSpeed'] as const) {
        if (connection[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: 'applies only to a CSD bearer' });
      }
    } else {
      if (connection.dialString === undefined)
        ctx.addIssue({ code: 'custom', path: ['dialString'], message: 'is required for a CSD bearer' });
      if (connection.apn !== undefined)
        ctx.addIssue({ code: 'custom', path: ['apn'], message: 'applies only to a GPRS bearer' });
    }
  });

/** A WAP/HTTP proxy: one PXLOGICAL with one PXPHYSICAL (OMA CP) or PROXY/PORT (Nokia OTA). */
export const proxySchema = z
  .strictObject({
    /** PROXY-ID; applications refer to the proxy by it (TO-PROXY). */
    id: identifier,
    name: text.optional(),
    /** PHYSICAL-PROXY-ID of the one PXPHYSICAL; defaults to `<id>-PX`. */
    physicalProxyId: identifier.optional(),
    address: host,
    /** Inferred from `address` when left out. */
    addressType: z.enum(['IPV4', 'FQDN']).optional(),
    /** 9200/9201 = WSP connectionless/connection-oriented, 9202/9203 = the same over WTLS (docs/protocol.md §7). */
    port: port.optional(),
    /** OMA CP PORT/SERVICE, e.g. CO-WSP (docs/protocol.md §2.4 value tokens). */
    service: z.enum(['CL-WSP', 'CO-WSP', 'CL-SEC-WSP', 'CO-SEC-WSP', 'CL-SEC-WTA', 'CO-SEC-WTA']).optional(),
    /** The connection the proxy is reached through (TO-NAPID); defaults to the first connection. */
    connection: identifier.optional(),
    auth: z
      .strictObject({
        type: z.enum(['HTTP-BASIC', 'HTTP-DIGEST']),
        user: z.string(),
        password: z.string(),
      })
      .optional(),
  })
  .superRefine((proxy, ctx) => {
    if (proxy.addressType === 'IPV4' && !isIpv4Address(proxy.address))
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'must be an IPv4 address (addressType IPV4)',
      });
    if (proxy.addressType === 'FQDN' && (isIpv4Address(proxy.address) || !isHostName(proxy.address)))
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'must be a domain name (addressType FQDN)',
      });
  });

export const bookmarkSchema = z.strictObject({ name: text, url: httpUrl });

/**
 * Browser settings (OMA CP APPLICATION w2; Nokia OTA URL + BOOKMARKs). Reached through `proxy`, else
 * `connection`, else the first proxy, else the first connection.
 */
export const browserSchema = z.strictObject({
  name: text.optional(),
  proxy: identifier.optional(),
  connection: identifier.optional(),
  homePage: httpUrl.optional(),
  /** Title of the home-page RESOURCE; defaults to the browser name. */
  homePageName: text.optional(),
  bookmarks: z.array(bookmarkSchema).default([]),
});

/** MMS (OMA CP APPLICATION w4; Nokia OTA MMSURL). Same reachability rules as the browser. */
export const mmsSchema = z.strictObject({
  name: text.optional(),
  mmscUrl: httpUrl,
  proxy: identifier.optional(),
  connection: identifier.optional(),
});

const mailServerAuth = { user: z.string().optional(), password: z.string().optional() };

/**
 * One e-mail account: an incoming APPLICATION (APPID 110 POP3 / 143 IMAP4) and an outgoing one (APPID 25
 * SMTP) tied together by PROVIDER-ID. Nokia OTA 7.0 has no e-mail settings.
 */
export const emailSchema = z.strictObject({
  name: text,
  /** Groups the incoming and outgoing APPLICATIONs; defaults to the incoming host. */
  providerId: text.optional(),
  fromAddress: z.email({ error: 'must be an e-mail address' }),
  connection: identifier.optional(),
  incoming: z.strictObject({
    protocol: z.enum(['POP3', 'IMAP4']),
    host,
    /** Defaults to 110/995 (POP3) or 143/993 (IMAP4) by `ssl`. */
    port: port.optional(),
    ssl: z.boolean().default(false),
    ...mailServerAuth,
  }),
  outgoing: z.strictObject({
    host,
    /** Defaults to 25/465 by `ssl`. */
    port: port.optional(),
    ssl: z.boolean().default(false),
    ...mailServerAuth,
  }),
});

const dmCredentials = z.strictObject({
  /** Sent as a string, never a token (docs/protocol.md §10 #2). */
  type: z.enum(['BASIC', 'DIGEST', 'HMAC']).optional(),
  name: z.string(),
  secret: z.string(),
  /** AAUTHDATA, e.g. the base64 nonce package#0 digests are computed with (docs/protocol.md §9.2). */
  nonce: z.string().optional(),
});

/** OMA DM server bootstrap as an OMA CP APPLICATION w7 (docs/protocol.md §9.1 profile (a)). */
export const dmSchema = z.strictObject({
  /** PROVIDER-ID: the DM ServerID. */
  serverId: text,
  name: text,
  url: httpUrl,
  /** When set, the address goes in an APPADDR with a PORT; otherwise as the ADDR parm. */
  port: port.optional(),
  connection: identifier.optional(),
  proxy: identifier.optional(),
  /** Ask the client to start a session right away (valueless INIT parm). */
  init: z.boolean().default(false),
  /** AAUTHLEVEL=APPSRV: the credentials the handset presents to the server. */
  serverAuth: dmCredentials.optional(),
  /** AAUTHLEVEL=CLIENT: the credentials the server presents to the handset (package#0 uses these). */
  clientAuth: dmCredentials.optional(),
});

/**
 * The parts a push may leave out when the whole parameter set needs more SMS than the handset reassembles
 * (its catalogue max_segments), named as `omitted` names them (render.ts).
 */
export const OMISSIBLE_PARTS = ['email', 'browser.bookmarks', 'dm', 'mms'] as const;
export type OmissiblePart = (typeof OMISSIBLE_PARTS)[number];

/**
 * What a profile without `omitToFit` gives up, first first: the e-mail account (two APPLICATIONs, the
 * largest part), then the bookmarks, then the DM bootstrap. Connections, proxies, the browser and MMS stay.
 */
export const DEFAULT_OMIT_TO_FIT: readonly OmissiblePart[] = ['email', 'browser.bookmarks', 'dm'];

const omitToFitSchema = z
  .array(z.enum(OMISSIBLE_PARTS))
  .refine((parts) => new Set(parts).size === parts.length, { error: 'names a part twice' });

export const profileParametersSchema = z
  .strictObject({
    /** Shown on the handset: OMA CP BOOTSTRAP NAME, Nokia OTA NAME (at most 20 characters there). */
    name: text,
    connections: z.array(connectionSchema).default([]),
    proxies: z.array(proxySchema).default([]),
    browser: browserSchema.optional(),
    mms: mmsSchema.optional(),
    email: emailSchema.optional(),
    dm: dmSchema.optional(),
    /**
     * Escape hatch: a whole `wap-provisioningdoc` as XML text, sent as it is to OMA CP devices (checked by
     * the XML codec when rendered). Replaces every typed section.
     */
    rawOmaCp: text.optional(),
    /**
     * Which parts to leave out, in this order, until the push fits the handset's max_segments; [] leaves
     * nothing out (the push then fails TOO_MANY_SEGMENTS). Left out: DEFAULT_OMIT_TO_FIT. Not defaulted
     * here, so that the stored form (and content hash) of versions saved without it does not change.
     */
    omitToFit: omitToFitSchema.optional(),
  })
  .superRefine((parameters, ctx) => {
    const typedSections = (['browser', 'mms', 'email', 'dm'] as const).filter(
      (key) => parameters[key] !== undefined,
    );
    const connections = Array.isArray(parameters.connections) ? parameters.connections : [];
    const proxies = Array.isArray(parameters.proxies) ? parameters.proxies : [];
    if (parameters.rawOmaCp !== undefined) {
      const extra = [
        ...(connections.length > 0 ? ['connections'] : []),
        ...(proxies.length > 0 ? ['proxies'] : []),
        ...typedSections,
      ];
      if (extra.length > 0)
        ctx.addIssue({
          code: 'custom',
          path: ['rawOmaCp'],
          message: `replaces the typed sections; remove ${extra.join(', ')} or rawOmaCp`,
        });
      return;
    }
    if (connections.length === 0 && typedSections.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'nothing to provision: give connections, browser, mms, email, dm or rawOmaCp',
      });
    }
    const connectionIds = uniqueIds(connections, 'connections', ctx);
    const proxyIds = uniqueIds(proxies, 'proxies', ctx);
    const checkReference = (ids: Set<string>, kind: string, value: unknown, path: Array<string | number>) => {
      if (typeof value === 'string' && !ids.has(value))
        ctx.addIssue({ code: 'custom', path, message: `names no ${kind} (known: ${listOrNone(ids)})` });
    };
    proxies.forEach((proxy, index) =>
      checkReference(connectionIds, 'connection', proxy?.connection, ['proxies', index, 'connection']),
    );
    if (proxies.length > 0 && connections.length === 0)
      ctx.addIssue({ code: 'custom', path: ['proxies'], message: 'a proxy needs a connection to reach it' });
    for (const section of ['browser', 'mms', 'dm'] as const) {
      const value = parameters[section];
      checkReference(proxyIds, 'proxy', value?.proxy, [section, 'proxy']);
      checkReference(connectionIds, 'connection', value?.connection, [section, 'connection']);
    }
    checkReference(connectionIds, 'connection', parameters.email?.connection, ['email', 'connection']);
  });

function uniqueIds(
  items: ReadonlyArray<{ id?: unknown } | undefined>,
  section: string,
  ctx: z.RefinementCtx,
): Set<string> {
  const ids = new Set<string>();
  items.forEach((item, index) => {
    const id = item?.id;
    if (typeof id !== 'string') return;
    if (ids.has(id))
      ctx.addIssue({ code: 'custom', path: [section, index, 'id'], message: `"${id}" is used twice` });
    ids.add(id);
  });
  return ids;
}

const listOrNone = (ids: Set<string>): string => (ids.size === 0 ? 'none' : [...ids].join(', '));

export type ProfileParameters = z.output<typeof profileParametersSchema>;
/** What an admin writes (defaults not yet applied). */
export type ProfileParametersInput = z.input<typeof profileParametersSchema>;
export type Connection = ProfileParameters['connections'][number];
export type Proxy = ProfileParameters['proxies'][number];
export type Browser = NonNullable<ProfileParameters['browser']>;
export type Bookmark = Browser['bookmarks'][number];
export type Mms = NonNullable<ProfileParameters['mms']>;
export type Email = NonNullable<ProfileParameters['email']>;
export type DeviceManagement = NonNullable<ProfileParameters['dm']>;
export type DmCredentials = NonNullable<DeviceManagement['serverAuth']>;

export type ValidationResult =
  { ok: true; value: ProfileParameters } | { ok: false; issues: ValidationIssue[] };

/** Validates without throwing; every problem is reported with its field path. */
export function validateProfileParameters(input: unknown): ValidationResult {
  const result = profileParametersSchema.safeParse(input, { error: requiredFieldErrors });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: toValidationIssues(result.error) };
}

/** Validates and applies defaults; throws ProfileError('PROFILE_INVALID') listing every issue (details.issues). */
export function parseProfileParameters(input: unknown): ProfileParameters {
  const result = validateProfileParameters(input);
  if (result.ok) return result.value;
  throw new ProfileError(
    'PROFILE_INVALID',
    `invalid parameter set: ${describeIssues(result.issues, '(parameter set)')}`,
    { issues: result.issues },
  );
}

/** IPV4 or FQDN, as given or inferred from the address. */
export const proxyAddressType = (proxy: Proxy): 'IPV4' | 'FQDN' =>
  proxy.addressType ?? (isIpv4Address(proxy.address) ? 'IPV4' : 'FQDN');
