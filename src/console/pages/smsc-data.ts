/**
 * What the SMSC operators' page shows, loaded through the same readers as the API: the binds through
 * listSmscBinds (GET /v1/smsc's: every worker's, labelled by worker), the counts through the segment
 * and receipt repositories, the hour's history through smsc-history.ts.
 */
import { z } from 'zod';
import { freeText } from '../../http/schemas.ts';
import type { AppContext } from '../../app-context.ts';
import { fieldIssues, validationError } from '../../http/errors.ts';
import { countUnmatchedReceipts } from '../../provisioning/receipt-repository.ts';
import { listSmscBinds, type WorkerBindStatus } from '../../smsc/worker-binds.ts';
import { countSubmitErrors, type SubmitErrorCount } from '../../store/repositories/segments.ts';
import {
  listSmscMinutes,
  listTail,
  receiptLatencies,
  TAIL_STATES,
  type ReceiptLatency,
  type TailEntry,
  type TailState,
} from '../../store/repositories/smsc-history.ts';
import { minuteSeries, windowStartOf, type MinuteSeries } from './smsc-chart.ts';

/** The page looks back one hour, minute by minute. */
export const HISTORY_MINUTES = 60;
/** Segments the live tail reads: a few dozen pushes once folded into lines (smsc-view.ts tailLines). */
export const TAIL_LIMIT = 200;

export interface SmscSummary {
  smsc: string;
  series: MinuteSeries;
  /** absent: no final receipt in the hour */
  latency?: ReceiptLatency;
  errors: Array<Pick<SubmitErrorCount, 'status' | 'count'>>;
  unmatched: number;
  /** submit_sm per second over the last second, all its binds together */
  rateNow: number;
  /** ESME_RTHROTTLED / ESME_RMSGQFUL answers its binds got since their workers started */
  throttled: number;
}

export interface SmscOverview {
  binds: WorkerBindStatus[];
  /** false when Redis did not answer: only this process's binds */
  bindsComplete: boolean;
  smscs: SmscSummary[];
}

export interface TailQuery {
  smsc?: string;
  state?: TailState;
  msisdn?: string;
}

/** Empty fields are "any": the form sends them empty. */
const emptyAsAbsent = (value: unknown): unknown => (value === '' ? undefined : value);

const tailQuerySchema = z.object({
  smsc: z.preprocess(emptyAsAbsent, freeText(z.string().max(64)).optional()),
  state: z.preprocess(emptyAsAbsent, z.enum(TAIL_STATES).optional()),
  msisdn: z.preprocess(
    (value) => (typeof value === 'string' ? emptyAsAbsent(value.replace(/[\s+()-]/g, '')) : value),
    z
      .string()
      .regex(/^\d{1,15}$/, 'the start of an MSISDN: digits only')
      .optional(),
  ),
});

/** The tail filter of a query string; a bad field is a 400 naming it (query.msisdn, ...). */
export function readTailQuery(query: Record<string, unknown>): TailQuery {
  const parsed = tailQuerySchema.safeParse(query);
  if (!parsed.success) throw validationError(fieldIssues('query', parsed.error));
  return parsed.data;
}

export async function loadBinds(context: AppContext): Promise<Pick<SmscOverview, 'binds' | 'bindsComplete'>> {
  const listing = await listSmscBinds(context);
  return { binds: listing.binds, bindsComplete: listing.complete };
}

/** Every SMSC the page knows of: configured, bound, or seen in the hour's rows. */
function smscIds(context: AppContext, binds: readonly WorkerBindStatus[], seen: Iterable<string>): string[] {
  const configured = context.config.smsc.routing?.smscs.map((smsc) => smsc.id) ?? [];
  return [...new Set([...configured, ...binds.map((bind) => bind.smscId), ...seen])].sort();
}

export async function loadSummaries(
  context: AppContext,
  binds: readonly WorkerBindStatus[],
  now: Date,
): Promise<SmscSummary[]> {
  const start = windowStartOf(now, HISTORY_MINUTES);
  const [minutes, latencies, errors, unmatched] = await Promise.all([
    listSmscMinutes(context.db, start),
    receiptLatencies(context.db, start),
    countSubmitErrors(context.db, start),
    countUnmatchedReceipts(context.db),
  ]);
  const seen = [
    ...minutes.map((row) => row.smsc),
    ...latencies.map((row) => row.smsc),
    ...errors.flatMap((row) => (row.smsc ? [row.smsc] : [])),
    ...Object.keys(unmatched),
  ];
  return smscIds(context, binds, seen).map((smsc) => {
    const own = binds.filter((bind) => bind.smscId === smsc);
    return {
      smsc,
      series: minuteSeries(minutes, smsc, start, HISTORY_MINUTES),
      latency: latencies.find((row) => row.smsc === smsc),
      errors: errors.filter((row) => row.smsc === smsc).map(({ status, count }) => ({ status, count })),
      unmatched: unmatched[smsc] ?? 0,
      rateNow: own.reduce((total, bind) => total + bind.sentPerSecond, 0),
      throttled: own.reduce((total, bind) => total + bind.throttled, 0),
    };
  });
}

export async function loadOverview(context: AppContext, now: Date): Promise<SmscOverview> {
  const binds = await loadBinds(context);
  return { ...binds, smscs: await loadSummaries(context, binds.binds, now) };
}

export function loadTail(context: AppContext, query: TailQuery, now: Date): Promise<TailEntry[]> {
  return listTail(context.db, {
    since: new Date(now.getTime() - HISTORY_MINUTES * 60_000),
    smsc: query.smsc,
    state: query.state,
    msisdnPrefix: query.msisdn,
    limit: TAIL_LIMIT,
  });
}
