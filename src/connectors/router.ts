/**
 * Several SMSCs behind one SmscConnector: a push goes to the SMSC of the longest destination prefix
 * that matches; when none of that SMSC's binds is up, to the next SMSC of the route, then to those of
 * shorter matching prefixes (failover). Receipts, MO messages and bind states of all SMSCs come out of
 * the router.
 */
import { EventEmitter } from 'node:events';
import type {
  BindStatus,
  OutboundPush,
  StatusAnswer,
  StatusQuery,
  SegmentMode,
  SegmentResult,
  SmscConnector,
  SmscConnectorEvents,
  SmsSegment,
} from './types.ts';

export interface SmscRoute {
  /** destination prefix, digits only; '' matches everything */
  prefix: string;
  /** in order of preference */
  smscIds: string[];
}

/** '+447700…' and '447700…' route alike. */
function routingDigits(destination: string): string {
  return destination.startsWith('+') ? destination.slice(1) : destination;
}

/** Segments made for TLV mode carry no UDH and their addressing as TLVs (codecs/sms segmentDatagram). */
function modeOfSegments(segments: SmsSegment[]): SegmentMode | undefined {
  const first = segments[0];
  if (!first) return undefined;
  return !first.udhi && first.tlv ? 'tlv' : 'udh';
}

/** The routes in the order they are tried: longest prefix first; none given: every SMSC in order, for all. */
export function orderRoutes(routes: readonly SmscRoute[], smscIds: readonly string[]): SmscRoute[] {
  const effective = routes.length > 0 ? routes : [{ prefix: '', smscIds: [...smscIds] }];
  return [...effective].sort((a, b) => b.prefix.length - a.prefix.length);
}

/**
 * The ids of the SMSCs that may carry a push to `destination`, in the order they would be tried, from
 * routes ordered by orderRoutes. Pure: the campaign feeder paces by it without a connection.
 */
export function candidateSmscIds(ordered: readonly SmscRoute[], destination: string): string[] {
  const digits = routingDigits(destination);
  const ids: string[] = [];
  for (const route of ordered) {
    if (!digits.startsWith(route.prefix)) continue;
    for (const id of route.smscIds) if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

export class SmscRouter extends EventEmitter<SmscConnectorEvents> implements SmscConnector {
  readonly id = 'router';
  private readonly byId = new Map<string, SmscConnector>();
  /** longest prefix first */
  private readonly routes: SmscRoute[];

  constructor(connectors: SmscConnector[], routes: SmscRoute[] = []) {
    super();
    for (const connector of connectors) {
      if (this.byId.has(connector.id)) throw new Error(`duplicate SMSC id ${connector.id}`);
      this.byId.set(connector.id, connector);
      connector.on('receipt', (report, ack) => this.emit('receipt', report, ack));
      connector.on('mo', (message, ack) => this.emit('mo', message, ack));
      connector.on('bind-state', (status) => this.emit('bind-state', status));
    }
    for (const route of routes) {
      for (const id of route.smscIds)
        if (!this.byId.has(id)) throw new Error(`route ${route.prefix} names unknown SMSC ${id}`);
    }
    this.routes = orderRoutes(
      routes,
      connectors.map((connector) => connector.id),
    );
  }

  connector(id: string): SmscConnector | undefined {
    return this.byId.get(id);
  }

  /** SMSCs that may carry a push to `destination`, in the order they would be tried. */
  candidates(destination: string): SmscConnector[] {
    return candidateSmscIds(this.routes, destination).map((id) => this.byId.get(id) as SmscConnector);
  }

  /**
   * The SMSC a push to `destination` goes to now: the first candidate with a bound bind, else the first.
   * With `mode`, only SMSCs taking segments made in that mode are candidates.
   */
  route(destination: string, mode?: SegmentMode): SmscConnector | undefined {
    const candidates = this.candidates(destination).filter(
      (connector) => mode === undefined || connector.segmentModeFor(destination) === mode,
    );
    return candidates.find((connector) => connector.isAvailable()) ?? candidates[0];
  }

  /** The mode of the SMSC a push would go to now (segment for this one, then submit). */
  segmentModeFor(destination: string): SegmentMode | undefined {
    return this.route(destination)?.segmentModeFor(destination);
  }

  async start(): Promise<void> {
    await Promise.all([...this.byId.values()].map((connector) => connector.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byId.values()].map((connector) => connector.stop()));
  }

  async submit(push: OutboundPush): Promise<SegmentResult[]> {
    // plain text has no port addressing, so an SMSC in either segment mode takes it
    const mode = push.kind === 'text' ? undefined : modeOfSegments(push.segments);
    const connector = this.route(push.destination, mode);
    if (!connector) {
      return push.segments.map((segment) => ({
        index: segment.index,
        ok: false as const,
        outcome: 'permanent' as const,
        message: `no SMSC route for destination ${push.destination}`,
      }));
    }
    return connector.submit(push);
  }

  status(): BindStatus[] {
    return [...this.byId.values()].flatMap((connector) => connector.status());
  }

  statusQueries(): Array<{ smscId: string; afterMs: number }> {
    return [...this.byId.values()].flatMap((connector) => connector.statusQueries?.() ?? []);
  }

  /** To the SMSC that gave the id. */
  async queryStatus(query: StatusQuery): Promise<StatusAnswer> {
    const connector = this.byId.get(query.smscId);
    if (!connector?.queryStatus) return { outcome: 'no-answer', reason: `no SMSC ${query.smscId} to ask` };
    return connector.queryStatus(query);
  }

  isAvailable(): boolean {
    return [...this.byId.values()].some((connector) => connector.isAvailable());
  }

  /** Each SMSC's running counts (SmppConnector.counters), for the bind snapshots workers publish. */
  counters(): Record<string, unknown> {
    const counts: Record<string, unknown> = {};
    for (const [id, connector] of this.byId) {
      const withCounters = connector as SmscConnector & { counters?: () => unknown };
      if (typeof withCounters.counters === 'function') counts[id] = withCounters.counters();
    }
    return counts;
  }
}
