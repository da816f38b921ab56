import { z } from 'zod';
import { commandStatusCode } from '../connectors/smpp/command-status.ts';

/** Final receipt states an SMSC reports in `stat:` (docs/protocol.md §6.6). */
export const RECEIPT_STATS = [
  'DELIVRD',
  'EXPIRED',
  'DELETED',
  'UNDELIV',
  'ACCEPTD',
  'UNKNOWN',
  'REJECTD',
] as const;
export type ReceiptStat = (typeof RECEIPT_STATS)[number];

/**
 * Which destinations a rule applies to: a literal prefix of destination_addr, or a glob over all of it
 * (`*` any run of characters, `?` one). No regular expressions: a pattern comes from whoever reaches the
 * control API, and a backtracking regex run on each submit could freeze the process (issue 15 #12).
 */
export type DestinationPattern = { prefix: string; glob?: never } | { glob: string; prefix?: never };

export type OutcomeRule = DestinationPattern & { stat: ReceiptStat };
export type DestinationErrorRule = DestinationPattern & { status: number | string };

export type IdBase = 'hex' | 'dec';

/**
 * Everything the simulator can be told to do, switchable at start and at run time (PATCH /behaviour
 * merges top-level keys). Percentages are applied deterministically: 25 means exactly every 4th
 * eligible PDU, so tests can count on them.
 */
export interface SimBehaviour {
  /** Receipt carried as TLVs (receipted_message_id, message_state, network_error_code), as text, or both. */
  receiptFormat: 'tlv' | 'text' | 'both';
  /** Time between the submit_sm_resp and its receipt. */
  receiptDelayMs: number;
  /** First matching rule decides the receipt state of a destination. */
  receiptOutcomes: OutcomeRule[];
  /** For destinations no rule matches: percentage of each failure state; the rest is DELIVRD. */
  receiptOutcomeMix: Partial<Record<ReceiptStat, number>>;
  /** Base of the id in submit_sm_resp. */
  respIdBase: IdBase;
  /** Base of the id in the receipt text (`id:`), and in receipted_message_id unless receiptTlvIdBase says otherwise. */
  receiptIdBase: IdBase;
  /** Base of receipted_message_id when it differs from the text (some SMSCs do that); null = receiptIdBase. */
  receiptTlvIdBase: IdBase | null;
  /** Hex ids in upper case (`1000000A`) instead of lower case. */
  hexUppercase: boolean;
  /** Left-pad ids with zeros to this many characters (0 = no padding). */
  idMinLength: number;
  /** Send receipts on a different receiver-capable bind of the same system_id than the submit came on, when there is one. */
  receiptsOnOtherBind: boolean;
  /** Percentage of receipts sent twice. */
  duplicateReceiptPercent: number;
  /** Percentage of submits whose receipt is sent before their submit_sm_resp (the resp is held back). */
  outOfOrderReceiptPercent: number;
  /** How long an out-of-order submit_sm_resp is held back after its receipt went out. */
  outOfOrderLagMs: number;
  /**
   * A receipt whose deliver_sm is answered with an error, or not answered within this time, is sent again
   * (as an SMSC keeps a receipt until the ESME took it). null: only when its link drops.
   */
  receiptResendMs: number | null;
  /** Answer query_sm with the message's state (docs/protocol.md §6); false: ESME_RINVCMDID as before. */
  querySm: boolean;

  /** Delay of every submit_sm_resp (those submits count as outstanding for windowLimit). */
  responseDelayMs: number;
  /** Smooth token bucket per bind; above it submits get ESME_RTHROTTLED. null = unlimited. */
  throttleTpsPerBind: number | null;
  /** The same, shared by all binds of one system_id. */
  throttleTpsPerSystem: number | null;
  /** Bucket depth, as this many milliseconds of the rate (absorbs network jitter; not a per-second burst). */
  throttleBurstMs: number;
  /** Percentage of submits answered ESME_RTHROTTLED whatever the rate (an SMSC under load elsewhere). */
  throttlePercent: number;
  /** At most this many unanswered submits per bind; a submit beyond them gets ESME_RMSGQFUL at once. */
  windowLimit: number | null;

  /** Percentage of accepted submits whose receipt never comes. */
  lostReceiptPercent: number;
  /** Percentage of accepted submits that are never answered (their receipt still comes, with an id the client never saw). */
  lostResponsePercent: number;
  /** Fixed error status (name such as ESME_RINVDSTADR, or number) for destinations matching a pattern. */
  destinationErrors: DestinationErrorRule[];
  /** Percentage of submits answered with generic_nack (ESME_RINVCMDLEN) instead of submit_sm_resp. */
  genericNackPercent: number;
  /** Refuse every bind with ESME_RBINDFAIL. */
  rejectBinds: boolean;
  /** Close a connection right after answering its Nth submit (counted per connection). null = never. */
  dropAfterSubmits: number | null;
  /** Stop answering enquire_link. */
  silentEnquireLink: boolean;
  /** Feed WAP-push segments to the virtual handsets. */
  handsetEnabled: boolean;
}

export const DEFAULT_BEHAVIOUR: Readonly<SimBehaviour> = Object.freeze({
  receiptFormat: 'both',
  receiptDelayMs: 0,
  receiptOutcomes: [],
  receiptOutcomeMix: {},
  respIdBase: 'dec',
  receiptIdBase: 'dec',
  receiptTlvIdBase: null,
  hexUppercase: false,
  idMinLength: 0,
  receiptsOnOtherBind: false,
  duplicateReceiptPercent: 0,
  outOfOrderReceiptPercent: 0,
  outOfOrderLagMs: 20,
  receiptResendMs: 10_000,
  querySm: true,
  responseDelayMs: 0,
  throttleTpsPerBind: null,
  throttleTpsPerSystem: null,
  throttleBurstMs: 100,
  throttlePercent: 0,
  windowLimit: null,
  lostReceiptPercent: 0,
  lostResponsePercent: 0,
  destinationErrors: [],
  genericNackPercent: 0,
  rejectBinds: false,
  dropAfterSubmits: null,
  silentEnquireLink: false,
  handsetEnabled: true,
});

const percent = z.number().min(0).max(100);
const milliseconds = z.number().int().min(0).max(3_600_000);
const idBase = z.enum(['hex', 'dec']);
/** A destination is at most 21 characters (SMPP 3.4 §5.2.9); a longer pattern says nothing more. */
const MAX_PATTERN_LENGTH = 64;
const pattern = z.union([
  z.strictObject({ prefix: z.string().max(MAX_PATTERN_LENGTH) }),
  z.strictObject({
    glob: z
      .string()
      .min(1)
      .max(MAX_PATTERN_LENGTH)
      .describe('the whole destination: * any run of characters, ? one character'),
  }),
]);
const receiptStat = z.enum(RECEIPT_STATS);
const status = z
  .union([z.number().int().min(1), z.string()])
  .refine((value) => (destinationErrorStatus(value) ?? 0) > 0, { message: 'unknown SMPP status' });

/** The command_status of a `destinationErrors` rule: a number as is, a name or number text as command-status.ts reads it. */
export function destinationErrorStatus(value: string | number): number | undefined {
  return typeof value === 'number' ? value : commandStatusCode(value);
}

const behaviourPatchSchema = z
  .strictObject({
    receiptFormat: z.enum(['tlv', 'text', 'both']),
    receiptDelayMs: milliseconds,
    receiptOutcomes: z.array(z.intersection(pattern, z.object({ stat: receiptStat }))),
    receiptOutcomeMix: z
      .partialRecord(receiptStat, percent)
      .refine((mix) => Object.values(mix).reduce((sum, value) => sum + (value ?? 0), 0) <= 100, {
        message: 'percentages add up to more than 100',
      }),
    respIdBase: idBase,
    receiptIdBase: idBase,
    receiptTlvIdBase: idBase.nullable(),
    hexUppercase: z.boolean(),
    idMinLength: z.number().int().min(0).max(64),
    receiptsOnOtherBind: z.boolean(),
    duplicateReceiptPercent: percent,
    outOfOrderReceiptPercent: percent,
    outOfOrderLagMs: milliseconds,
    receiptResendMs: z.number().int().min(1).max(600_000).nullable(),
    querySm: z.boolean(),
    responseDelayMs: milliseconds,
    throttleTpsPerBind: z.number().positive().nullable(),
    throttleTpsPerSystem: z.number().positive().nullable(),
    throttleBurstMs: z.number().int().min(1).max(60_000),
    throttlePercent: percent,
    windowLimit: z.number().int().min(1).nullable(),
    lostReceiptPercent: percent,
    lostResponsePercent: percent,
    destinationErrors: z.array(z.intersection(pattern, z.object({ status }))),
    genericNackPercent: percent,
    rejectBinds: z.boolean(),
    dropAfterSubmits: z.number().int().min(1).nullable(),
    silentEnquireLink: z.boolean(),
    handsetEnabled: z.boolean(),
  })
  .partial();

export class BehaviourError extends Error {
  override readonly name = 'BehaviourError';
  readonly code = 'INVALID_BEHAVIOUR';
  constructor(
    message: string,
    readonly details: Array<{ path: string; message: string }>,
  ) {
    super(message);
  }
}

/** Checks a patch (from options or the control API); throws BehaviourError listing every problem. */
export function parseBehaviourPatch(patch: unknown): Partial<SimBehaviour> {
  const result = behaviourPatchSchema.safeParse(patch);
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    }));
    throw new BehaviourError(
      `invalid behaviour: ${details.map((d) => `${d.path || '(root)'}: ${d.message}`).join('; ')}`,
      details,
    );
  }
  return result.data as Partial<SimBehaviour>;
}

/** A destination test compiled once per behaviour change, not per submit. */
export type DestinationMatcher = (destination: string) => boolean;

export function compilePattern(rule: DestinationPattern): DestinationMatcher {
  if (rule.prefix !== undefined) {
    const prefix = rule.prefix;
    return (destination) => destination.startsWith(prefix);
  }
  const glob = rule.glob as string;
  return (destination) => globMatches(glob, destination);
}

/**
 * Whether the glob matches all of `text`: the classic two-pointer walk that only ever goes back to the
 * last `*`, so at most glob.length × text.length steps, however the glob is written.
 */
export function globMatches(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let starText = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === text[t])) {
      g += 1;
      t += 1;
    } else if (g < glob.length && glob[g] === '*') {
      star = g;
      starText = t;
      g += 1;
    } else if (star >= 0) {
      g = star + 1;
      starText += 1;
      t = starText;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g += 1;
  return g === glob.length;
}
