/**
 * Prometheus metrics (prom-client), one registry per gateway so tests can run several side by side.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  registry: Registry;
  /** transitions into each provisioning state */
  provisionings: Counter<'state'>;
  /** first-use triggers by outcome (queued, unchanged, debounced, ...) */
  triggers: Counter<'outcome'>;
  /**
   * provisioning created (the trigger recorded in the store) -> the SMSC has answered every segment of
   * the push's first submission (its last submit_sm_resp), when at least one was accepted; resubmissions
   * are not observed
   */
  submitLatency: Histogram;
  /** one connector.submit of a whole push */
  submitDuration: Histogram<'outcome'>;
  receipts: Counter<'state' | 'matched'>;
  /** unmatched receipts the sweep removed for being older than the receipt timeout */
  unmatchedReceiptsDropped: Counter<'smsc'>;
  /**
   * pushes sent again while segments of an earlier attempt may have reached the handset (accepted, or
   * sent without an answer: a crash mid-submit, a timeout): the one source of duplicate pushes
   */
  resendsAfterUnknownOutcome: Counter;
  /** query_sm asked about unfinished segments (sweeps.ts queryOverdueSegments), by what came of it */
  statusQueries: Counter<'outcome'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'otagw_' });
  return {
    registry,
    provisionings: new Counter({
      name: 'otagw_provisionings_total',
      help: 'Provisioning state transitions, by the state entered',
      labelNames: ['state'],
      registers: [registry],
    }),
    triggers: new Counter({
      name: 'otagw_first_use_triggers_total',
      help: 'First-use triggers by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    submitLatency: new Histogram({
      name: 'otagw_trigger_to_submit_seconds',
      help: "Time from a provisioning's creation (its trigger recorded in the store) to the SMSC's answers to every segment of its first submission (the last submit_sm_resp); resubmissions are not observed",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    submitDuration: new Histogram({
      name: 'otagw_push_submit_seconds',
      help: 'Time to submit all segments of a push',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    receipts: new Counter({
      name: 'otagw_receipts_total',
      help: 'Delivery receipts by state and whether they matched a segment',
      labelNames: ['state', 'matched'],
      registers: [registry],
    }),
    unmatchedReceiptsDropped: new Counter({
      name: 'otagw_unmatched_receipts_dropped_total',
      help: 'Unmatched delivery receipts removed by the sweep, older than the receipt timeout',
      labelNames: ['smsc'],
      registers: [registry],
    }),
    resendsAfterUnknownOutcome: new Counter({
      name: 'otagw_resends_after_unknown_outcome_total',
      help: 'Pushes sent again although segments of an earlier attempt may have reached the handset (accepted, or sent without an answer): the one source of duplicates',
      registers: [registry],
    }),
    statusQueries: new Counter({
      name: 'otagw_status_queries_total',
      help: 'query_sm asked about segments without a final receipt, by outcome (final: settled like a receipt; pending: not final yet; unknown: the SMSC does not know the id; error: no answer)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

/** What the connector counters of /metrics read of each worker (smsc/worker-binds.ts listSmscBinds). */
export interface ConnectorCountersSource {
  workerId: string;
  /** by SMSC id: SmppConnector.counters() */
  counters: Record<string, unknown>;
}

/** The receipt counts of SmppConnector.counters() the gauges export, by metric name. */
const CONNECTOR_RECEIPT_COUNTS = [
  [
    'otagw_smsc_receipts_duplicates_dropped',
    'duplicatesDropped',
    'Receipts the connector dropped as duplicates (or after a final state), since its worker started',
  ],
  [
    'otagw_smsc_receipts_unreadable',
    'unreadable',
    'Receipts the connector could not read (no message id), since its worker started',
  ],
  [
    'otagw_smsc_receipts_unmatched',
    'unmatched',
    "Receipts for ids the connector did not submit (another worker's, or none), since its worker started",
  ],
  [
    'otagw_smsc_receipts_not_stored',
    'notStored',
    'Receipts answered with an error because the store did not take them: the SMSC sends them again, since its worker started',
  ],
  [
    'otagw_smsc_message_ids_reused',
    'reusedIds',
    'Message ids the SMSC gave a new segment while an older one of this worker still had them, since its worker started',
  ],
] as const;

/**
 * The connector's own receipt counts per SMSC and worker (issue #15 item 7), read when scraped from every
 * worker's published snapshot: duplicates dropped, unreadable receipts, unmatched, message ids reused.
 */
export function registerSmscConnectorCounters(
  metrics: GatewayMetrics,
  workers: () => ConnectorCountersSource[] | Promise<ConnectorCountersSource[]>,
): void {
  let reading: Promise<ConnectorCountersSource[]> | undefined;
  CONNECTOR_RECEIPT_COUNTS.forEach(([name, key, help], index) => {
    new Gauge({
      name,
      help,
      labelNames: ['smsc', 'worker'],
      registers: [metrics.registry],
      async collect() {
        // one read per scrape: the first gauge reads afresh, the others take its answer
        if (index === 0 || !reading)
          reading = Promise.resolve()
            .then(workers)
            .catch(() => []);
        this.reset();
        for (const worker of await reading) {
          for (const [smsc, counts] of Object.entries(worker.counters)) {
            const value = (counts as { receipts?: Record<string, unknown> } | null)?.receipts?.[key];
            if (typeof value === 'number') this.set({ smsc, worker: worker.workerId }, value);
          }
        }
      },
    });
  });
}

/**
 * The metric of this name in the registry, made by `create` the first time: the HTTP app registers its
 * metrics on the gateway's registry, and may be created more than once over one (tests, routesOf).
 */
export function registeredOnce<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/**
 * `otagw_unmatched_receipts{smsc}`: receipts waiting in unmatched_receipts, counted in the store when
 * scraped, so every process that serves /metrics sees those every worker parked.
 */
export function registerUnmatchedReceiptsGauge(
  registry: Registry,
  countUnmatched: () => Promise<Record<string, number>>,
): void {
  registeredOnce(
    registry,
    'otagw_unmatched_receipts',
    () =>
      new Gauge({
        name: 'otagw_unmatched_receipts',
        help: 'Delivery receipts that matched no segment, waiting in the store, by SMSC',
        labelNames: ['smsc'],
        registers: [registry],
        async collect() {
          this.reset();
          const counts = await countUnmatched().catch(() => ({}) as Record<string, number>);
          for (const [smsc, count] of Object.entries(counts)) this.set({ smsc }, count);
        },
      }),
  );
}

/**
 * `otagw_http_unauthenticated_total{code}`: requests refused with a 401 before any key was accepted.
 * They are counted here and summarised in the audit log once per interval, not written one row each.
 */
export function unauthenticatedRequestsCounter(registry: Registry): Counter<'code'> {
  return registeredOnce(
    registry,
    'otagw_http_unauthenticated_total',
    () =>
      new Counter({
        name: 'otagw_http_unauthenticated_total',
        help: 'HTTP requests refused with 401 without an accepted key or certificate, by error code',
        labelNames: ['code'],
        registers: [registry],
      }),
  );
}

/**
 * `otagw_provisionings_open{state}`: provisionings not yet final, by state, counted when scraped (the
 * store's partial index on open provisionings keeps that cheap).
 */
export function registerOpenProvisioningsGauge(
  metrics: GatewayMetrics,
  countOpen: () => Promise<Record<string, number>>,
): void {
  new Gauge({
    name: 'otagw_provisionings_open',
    help: 'Provisionings under way, by state',
    labelNames: ['state'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      const counts = await countOpen().catch(() => ({}) as Record<string, number>);
      for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
    },
  });
}

/** What the SMSC gauges read of each bind (connectors/types.ts BindStatus, smsc/worker-binds.ts). */
export interface BindGaugeSource {
  smscId: string;
  bindId: string;
  /** the worker process the bind lives in; absent: this process */
  workerId?: string;
  state: string;
  windowUsed: number;
  windowSize: number;
  sentPerSecond: number;
  rttMs?: { smoothed: number };
  submitted: number;
  throttled: number;
}

/**
 * The SMSC operators' view of every bind, read when scraped (from the connector, or from every worker's
 * snapshot in Redis: smsc/worker-binds.ts listSmscBinds): up or not, window in use and size, submit_sm
 * sent per second, smoothed submit round trip, and the running counts of submits and congestion answers
 * (ESME_RTHROTTLED / ESME_RMSGQFUL) since the worker started. Labelled by SMSC, bind and worker.
 */
export function registerSmscBindGauges(
  metrics: GatewayMetrics,
  binds: () => BindGaugeSource[] | Promise<BindGaugeSource[]>,
  localWorkerId = 'local',
): void {
  const labelNames = ['smsc', 'bind', 'worker'] as const;
  // one read per scrape for all seven gauges: a scrape collects them in registration order, and the
  // first one reads afresh
  let reading: Promise<BindGaugeSource[]> | undefined;
  let registered = 0;
  const gauge = (name: string, help: string, value: (bind: BindGaugeSource) => number | undefined): void => {
    const readsAfresh = registered++ === 0;
    const read = (): Promise<BindGaugeSource[]> => {
      if (readsAfresh || !reading)
        reading = Promise.resolve()
          .then(binds)
          .catch(() => []);
      return reading;
    };
    new Gauge({
      name,
      help,
      labelNames,
      registers: [metrics.registry],
      async collect() {
        this.reset();
        for (const bind of await read()) {
          const current = value(bind);
          if (current !== undefined && Number.isFinite(current)) {
            const worker = bind.workerId ?? localWorkerId;
            this.set({ smsc: bind.smscId, bind: bind.bindId, worker }, current);
          }
        }
      },
    });
  };
  gauge('otagw_smsc_bind_up', 'Whether the bind is bound (1) or not (0)', (bind) =>
    bind.state === 'bound' ? 1 : 0,
  );
  gauge('otagw_smsc_window_used', 'submit_sm sent and not yet answered', (bind) => bind.windowUsed);
  gauge('otagw_smsc_window_size', 'submit_sm the bind may have unanswered', (bind) => bind.windowSize);
  gauge(
    'otagw_smsc_sent_per_second',
    'submit_sm sent per second over the last second',
    (bind) => bind.sentPerSecond,
  );
  gauge('otagw_smsc_submit_rtt_seconds', 'submit_sm -> submit_sm_resp round trip, smoothed', (bind) =>
    bind.rttMs === undefined ? undefined : bind.rttMs.smoothed / 1000,
  );
  gauge(
    'otagw_smsc_submitted',
    'submit_sm sent by this bind since its worker started',
    (bind) => bind.submitted,
  );
  gauge(
    'otagw_smsc_congestion_answers',
    'ESME_RTHROTTLED and ESME_RMSGQFUL answers since its worker started',
    (bind) => bind.throttled,
  );
}
