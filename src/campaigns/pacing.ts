/**
 * A campaign's pace, per SMSC (issue 12: "campaigns use at most that share of each SMSC's throughput").
 * Pacing `{ tps }` is one lane for the whole campaign. Pacing `{ shareOfSmsc }` is a lane per SMSC, at the
 * share of that SMSC's configured tps: each target goes to the lane of the SMSC its number routes to (the
 * first SMSC of the longest matching route prefix, as src/connectors/router.ts tries them), so each SMSC
 * gets at most share x its tps of the campaign's traffic. A failover to the next SMSC of a route while
 * the first one is down still counts against the first one's lane. Pure.
 */
import type { SmscRoutingConfig } from '../connectors/config.ts';
import { candidateSmscIds, orderRoutes } from '../connectors/router.ts';
import type { CampaignPacing } from './types.ts';

export interface PacingLane {
  /** the SMSC id, or ALL_TRAFFIC for a tps pacing */
  id: string;
  smsPerSecond: number;
}

export interface LanePlan {
  lanes: PacingLane[];
  /** the lane of a target's number */
  laneOf(msisdn: string): string;
}

/** The one lane of a `{ tps }` pacing. */
export const ALL_TRAFFIC = '*';
/** Numbers no route takes (their pushes fail at the router): paced as the slowest SMSC. */
export const NO_ROUTE = '(no route)';

type Routing = Pick<SmscRoutingConfig, 'routes'> & { smscs: ReadonlyArray<{ id: string; tps: number }> };

/** The lanes of a pacing; a share of the SMSCs needs their routing (else: null, nothing to take a share of). */
export function lanePlan(pacing: CampaignPacing, routing: Routing | undefined): LanePlan | null {
  if ('tps' in pacing)
    return { lanes: [{ id: ALL_TRAFFIC, smsPerSecond: pacing.tps }], laneOf: () => ALL_TRAFFIC };
  if (!routing || routing.smscs.some((smsc) => smsc.tps <= 0)) return null;
  const ordered = orderRoutes(
    routing.routes,
    routing.smscs.map((smsc) => smsc.id),
  );
  const lanes = routing.smscs.map((smsc) => ({ id: smsc.id, smsPerSecond: pacing.shareOfSmsc * smsc.tps }));
  const slowest = Math.min(...lanes.map((lane) => lane.smsPerSecond));
  return {
    lanes: [...lanes, { id: NO_ROUTE, smsPerSecond: slowest }],
    laneOf: (msisdn) => candidateSmscIds(ordered, msisdn)[0] ?? NO_ROUTE,
  };
}

/**
 * The SMS rate a pacing comes to over all SMSCs that carry a route's traffic first (the preview's
 * estimate and the status's figures; the feeder paces each lane on its own). Null: no figure.
 */
export function totalSmsPerSecond(pacing: CampaignPacing, routing: Routing | undefined): number | null {
  const plan = lanePlan(pacing, routing);
  if (!plan) return null;
  if ('tps' in pacing) return pacing.tps;
  const ordered = orderRoutes(
    routing!.routes,
    routing!.smscs.map((smsc) => smsc.id),
  );
  const first = new Set(ordered.map((route) => route.smscIds[0]));
  return plan.lanes.filter((lane) => first.has(lane.id)).reduce((sum, lane) => sum + lane.smsPerSecond, 0);
}
