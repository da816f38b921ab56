/**
 * Configuration of SMSC connections: the full option set (config files) and the `SMSC_URL` shorthand for
 * the common single-SMSC case. src/config.ts reads files and env and hands the result to these schemas.
 * Durations carry their unit in the name; the password has no default (DESIGN house rule 10).
 */
import { z } from 'zod';
import { commandStatusCode } from './smpp/command-status.ts';
import { DEFAULT_AIMD } from './smpp/rate-controller.ts';
import { isKnownTimeZone } from '../time-zone.ts';

const octet = z.number().int().min(0).max(255);
const durationMs = z.number().int().min(1);
const messageIdBase = z.enum(['hex', 'dec', 'opaque']);

/** SMPP 3.4 §4.1 field limits (C-string sizes include the NUL; docs/protocol.md §6.2, §6.4). */
const MAX_SYSTEM_ID = 15;
const MAX_PASSWORD = 8;
const MAX_SYSTEM_TYPE = 12;
const MAX_ADDRESS_RANGE = 40;
const MAX_ADDRESS = 20;
const MAX_SERVICE_TYPE = 5;

export const smscConfigSchema = z.strictObject({
  /** names the SMSC in results, receipts, metrics and routes */
  id: z.string().min(1).default('smsc'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(2775),
  tls: z.boolean().default(false),
  tlsRejectUnauthorized: z.boolean().default(true),
  /** PEM of the CA that signed the SMSC's certificate, when not a public one */
  tlsCa: z.string().optional(),

  systemId: z.string().min(1).max(MAX_SYSTEM_ID),
  password: z.string().max(MAX_PASSWORD),
  systemType: z.string().max(MAX_SYSTEM_TYPE).default(''),
  addressRange: z.string().max(MAX_ADDRESS_RANGE).default(''),
  bindTon: octet.default(0),
  bindNpi: octet.default(0),
  /** one transceiver per bind, or a transmitter and a receiver per bind */
  bindMode: z.enum(['trx', 'tx-rx']).default('trx'),
  binds: z.number().int().min(1).max(64).default(1),
  /**
   * binds (sessions: a transceiver, transmitter or receiver is one) the account allows at once over every
   * worker; each bind opens only while it holds one of the account's leases in Redis (worker role;
   * connectors/account-limits/redis-limits.ts). Absent: no limit beyond `binds` per process
   */
  maxBinds: z.number().int().min(1).max(1000).optional(),

  sourceAddr: z.string().max(MAX_ADDRESS).default(''),
  sourceTon: octet.default(0),
  sourceNpi: octet.default(0),
  destTon: octet.default(1), // international (docs/protocol.md §6.4)
  destNpi: octet.default(1), // ISDN / E.164
  serviceType: z.string().max(MAX_SERVICE_TYPE).default(''),
  /**
   * data_coding of a `wap-push` (types.ts PushKind): 0x04 = 8-bit data, no class (docs/protocol.md §5.3);
   * some handsets want 0xF5. Text always goes in the SMSC default alphabet (0x00).
   */
  dataCoding: octet.default(0x04),
  /** UDHI (0x40) is added for segments that carry a UDH */
  esmClass: octet.default(0x00),
  protocolId: octet.default(0x00),
  priorityFlag: z.number().int().min(0).max(3).default(0),
  /**
   * The SMSC carries USSD: answers to USSD requests go back in the subscriber's session as submit_sm with
   * ussd_service_op pssr-response (SMPP 3.4 §5.3.2.44); false: they go as an SMS
   */
  ussd: z.boolean().default(false),
  /** UDH in short_message (portable) or port/SAR TLVs for the SMSC to build it (docs/protocol.md §5.4) */
  segmentMode: z.enum(['udh', 'tlv']).default('udh'),
  /**
   * registered_delivery of a segment whose push wants receipts (types.ts ReceiptRequest): 1 = receipt on
   * success or failure (docs/protocol.md §6.4; avoid 3 on 3.4 binds, §10 #14); 0 = never ask this SMSC
   */
  registeredDelivery: octet.default(1),
  /** base of the id in submit_sm_resp and in receipts (Kannel msg-id-type; docs/protocol.md §6.7) */
  msgIdResp: messageIdBase.default('opaque'),
  msgIdReceipt: messageIdBase.default('opaque'),
  /** base of receipted_message_id when it differs from the receipt text's (some SMSCs; docs/protocol.md §6.7) */
  msgIdReceiptTlv: messageIdBase.optional(),

  /** outstanding submit_sm per bind */
  window: z.number().int().min(1).max(1000).default(10),
  /**
   * submit_sm per second for the whole SMSC account, shared by its binds and, in the worker role, by every
   * worker bound to it (a token bucket in Redis); 0 = no configured limit
   */
  tps: z.number().min(0).default(0),
  /** pacing burst: the bucket holds at most this much sending time worth of tokens */
  pacingSmoothingMs: durationMs.default(20),
  /** the pacing's defaults are the rate controller's own (DEFAULT_AIMD), so the two cannot drift apart */
  minTps: z.number().positive().default(DEFAULT_AIMD.minRate),
  aimdDecreaseFactor: z.number().gt(0).lt(1).default(DEFAULT_AIMD.decreaseFactor),
  aimdCeilingFactor: z.number().gt(0).max(1).default(DEFAULT_AIMD.ceilingFactor),
  aimdRecoveryMs: durationMs.default(DEFAULT_AIMD.recoveryMs),
  /** growth above the learnt ceiling per second: 10 finds a limit again within a second (issue #15 item 5) */
  aimdProbePercentPerSecond: z
    .number()
    .min(0)
    .default(DEFAULT_AIMD.probeFractionPerSecond * 100),
  aimdHoldMs: z.number().int().min(0).default(DEFAULT_AIMD.holdMs),
  /** how often one segment may be sent again after ESME_RTHROTTLED / ESME_RMSGQFUL */
  throttleRetryLimit: z.number().int().min(0).default(20),

  connectTimeoutMs: durationMs.default(10_000),
  bindTimeoutMs: durationMs.default(10_000),
  /** submit_sm without a response after this long: outcome unknown */
  responseTimeoutMs: durationMs.default(30_000),
  /** a segment that found no bound bind (or no token) for this long fails as transient */
  queueTimeoutMs: durationMs.default(30_000),
  /** enquire_link after this much silence */
  enquireLinkIntervalMs: durationMs.default(30_000),
  /** an enquire_link unanswered for this long means the link is dead */
  enquireLinkTimeoutMs: durationMs.default(10_000),
  reconnectMinMs: durationMs.default(1_000),
  reconnectMaxMs: durationMs.default(60_000),
  /** on stop: how long outstanding submits may take before they are reported unknown */
  drainTimeoutMs: z.number().int().min(0).default(5_000),
  unbindTimeoutMs: durationMs.default(2_000),
  /**
   * a receipt that matches nothing yet is retried for this long, then emitted unmatched (with several
   * workers on one SMSC account, receipts for another worker's submits take this path to the store)
   */
  receiptParkMs: durationMs.default(10_000),
  /**
   * How long a receipt's or MO message's deliver_sm_resp waits for it to be stored; beyond it (or when
   * the store fails) it is answered ESME_RSYSERR and the SMSC sends it again (issue #15 item 1); the
   * write goes on, and the resend is answered with its outcome.
   */
  ackTimeoutMs: durationMs.default(20_000),
  /** whether the SMSC answers query_sm (SMPP 3.4 §4.8); false: no status queries are sent to it */
  querySm: z.boolean().default(true),
  /**
   * A submitted segment without its final receipt this long after its submit is asked about with
   * query_sm (and again every as long, until it is final or the push expires; issue #15 item 2).
   */
  statusQueryAfterMs: durationMs.default(10 * 60_000),
  /**
   * the zone of the SMSC's clock: receipt text dates (`submit date`, `done date`) carry none (SMPP 3.4
   * Appendix B, docs/protocol.md §6.6); `timeZone=Europe/Berlin` in SMSC_URL
   */
  timeZone: z
    .string()
    .refine(isKnownTimeZone, { message: 'must be an IANA time zone, e.g. Europe/Berlin' })
    .default('UTC'),
  /** how long a submitted segment stays matchable by receipts */
  receiptTrackMs: durationMs.default(2 * 24 * 3600_000),
  /** at most this many (~250 bytes each); older ones are matched by the store instead */
  receiptTrackMax: z.number().int().min(1).default(200_000),

  /** per-SMSC classification of submit statuses, e.g. vendor codes: { "0x0401": "transient" } */
  statusOverrides: z
    .record(z.string(), z.enum(['permanent', 'transient', 'throttle', 'rebind']))
    .default({})
    .refine((map) => Object.keys(map).every((key) => commandStatusCode(key) !== undefined), {
      message: 'keys must be SMPP status names or numbers',
    }),
});

export type SmscConfig = z.infer<typeof smscConfigSchema>;
export type SmscConfigInput = z.input<typeof smscConfigSchema>;

export const smscRouteSchema = z.strictObject({
  /** destination prefix (digits); '' matches every destination */
  prefix: z.string().regex(/^\d*$/),
  /** SMSC ids in order of preference; later ones take over when earlier ones have no bound bind */
  smscIds: z.array(z.string().min(1)).min(1),
});

export const smscRoutingSchema = z
  .strictObject({
    smscs: z.array(smscConfigSchema).min(1),
    /** when empty: every destination goes to the SMSCs in the order listed */
    routes: z.array(smscRouteSchema).default([]),
  })
  .superRefine((routing, context) => {
    const ids = new Set<string>();
    for (const smsc of routing.smscs) {
      if (ids.has(smsc.id)) context.addIssue({ code: 'custom', message: `duplicate SMSC id ${smsc.id}` });
      ids.add(smsc.id);
    }
    for (const route of routing.routes) {
      for (const id of route.smscIds) {
        if (!ids.has(id))
          context.addIssue({ code: 'custom', message: `route ${route.prefix} names unknown SMSC ${id}` });
      }
    }
  });

export type SmscRoutingConfig = z.infer<typeof smscRoutingSchema>;

export class SmscConfigError extends Error {
  readonly code = 'SMSC_CONFIG_INVALID';
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'SmscConfigError';
  }
}

/** Validates a config object; errors never echo the password. */
export function parseSmscConfig(input: unknown): SmscConfig {
  const result = smscConfigSchema.safeParse(input);
  if (!result.success) {
    const details = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new SmscConfigError(`invalid SMSC configuration: ${details.join('; ')}`, details);
  }
  return result.data;
}

/** URL query names that differ from the schema keys (the rest use the schema key itself). */
const QUERY_ALIASES: Readonly<Record<string, keyof SmscConfigInput>> = {
  dcs: 'dataCoding',
  mode: 'segmentMode',
  source: 'sourceAddr',
  from: 'sourceAddr',
  dlr: 'registeredDelivery',
  esm: 'esmClass',
};

const NUMERIC_KEYS = new Set<string>(
  Object.entries(smscConfigSchema.shape)
    .filter(([, schema]) => acceptsNumber(schema))
    .map(([key]) => key),
);
const BOOLEAN_KEYS = new Set<string>(['tls', 'tlsRejectUnauthorized', 'ussd', 'querySm']);
const URL_FORBIDDEN_KEYS = new Set<string>([
  'password',
  'systemId',
  'host',
  'port',
  'statusOverrides',
  'tlsCa',
]);

function acceptsNumber(schema: z.ZodType): boolean {
  return schema.safeParse(1).success && !schema.safeParse('x').success;
}

function parseNumber(key: string, text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text.slice(2), 16) : Number(text);
  if (text.trim() === '' || Number.isNaN(value))
    throw new SmscConfigError(`SMSC_URL: ${key} must be a number`);
  return value;
}

function parseBoolean(key: string, text: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new SmscConfigError(`SMSC_URL: ${key} must be true or false`);
}

/**
 * `smpp://system_id:password@host:port?window=10&tps=100&msgIdResp=hex&msgIdReceipt=dec&dcs=4&mode=udh`
 * (`ssmpp://` = TLS). Every option of the schema may be given as a query parameter under its own name
 * (plus the short aliases dcs, mode, source/from, dlr, esm); unknown parameters are an error so typos
 * do not pass silently. Without a password in the URL, `SMSC_PASSWORD` from `env` is used.
 */
export function parseSmscUrl(
  url: string,
  env: Readonly<Record<string, string | undefined>> = {},
): SmscConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SmscConfigError('SMSC_URL is not a URL (expected smpp://system_id:password@host:port)');
  }
  const scheme = parsed.protocol;
  if (scheme !== 'smpp:' && scheme !== 'ssmpp:') {
    throw new SmscConfigError(`SMSC_URL scheme must be smpp:// or ssmpp://, not ${scheme}//`);
  }
  const tls = scheme === 'ssmpp:';
  const systemId = decodeURIComponent(parsed.username);
  const password = parsed.password ? decodeURIComponent(parsed.password) : env.SMSC_PASSWORD;
  if (!systemId) throw new SmscConfigError('SMSC_URL has no system_id (smpp://system_id:password@host:port)');
  if (password === undefined) {
    throw new SmscConfigError('SMSC_URL has no password and SMSC_PASSWORD is not set (there is no default)');
  }
  const input: Record<string, unknown> = {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    // node-smpp's defaults: 2775 plain, 3550 TLS
    port: parsed.port ? Number(parsed.port) : tls ? 3550 : 2775,
    tls,
    systemId,
    password,
  };
  for (const [name, value] of parsed.searchParams) {
    const key = QUERY_ALIASES[name] ?? name;
    if (!(key in smscConfigSchema.shape) || URL_FORBIDDEN_KEYS.has(key)) {
      throw new SmscConfigError(`SMSC_URL: unknown parameter ${name}`);
    }
    if (NUMERIC_KEYS.has(key)) input[key] = parseNumber(name, value);
    else if (BOOLEAN_KEYS.has(key)) input[key] = parseBoolean(name, value);
    else input[key] = value;
  }
  return parseSmscConfig(input);
}
