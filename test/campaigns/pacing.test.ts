/** The lanes a campaign's pacing is fed by (pure): one for a tps, one per SMSC for a share of each. */
import { describe, expect, it } from 'vitest';
import { ALL_TRAFFIC, lanePlan, NO_ROUTE, totalSmsPerSecond } from '../../src/campaigns/pacing.ts';

const smscs = [
  { id: 'a', tps: 100 },
  { id: 'b', tps: 40 },
  { id: 'c', tps: 10 },
];

describe('campaign pacing lanes', () => {
  it('is one lane at the tps given', () => {
    const plan = lanePlan({ tps: 25 }, undefined)!;
    expect(plan.lanes).toEqual([{ id: ALL_TRAFFIC, smsPerSecond: 25 }]);
    expect(plan.laneOf('491510000')).toBe(ALL_TRAFFIC);
    expect(totalSmsPerSecond({ tps: 25 }, undefined)).toBe(25);
  });

  it('gives each SMSC a lane at the share of its own tps, and each number the first SMSC of its longest route', () => {
    const routes = [
      { prefix: '49', smscIds: ['a', 'c'] },
      { prefix: '4915', smscIds: ['b', 'a'] },
      { prefix: '44', smscIds: ['c'] },
    ];
    const plan = lanePlan({ shareOfSmsc: 0.3 }, { smscs, routes })!;
    expect(plan.lanes.map((lane) => [lane.id, lane.smsPerSecond])).toEqual([
      ['a', 30],
      ['b', 12],
      ['c', 3],
      [NO_ROUTE, 3],
    ]);
    expect(plan.laneOf('4915123')).toBe('b');
    expect(plan.laneOf('+4917123')).toBe('a');
    expect(plan.laneOf('44123')).toBe('c');
    expect(plan.laneOf('33123')).toBe(NO_ROUTE);
    // every SMSC is first on some route: all their shares
    expect(totalSmsPerSecond({ shareOfSmsc: 0.3 }, { smscs, routes })).toBeCloseTo(45);
  });

  it('sends everything to the first SMSC when no route is given (the others stand by)', () => {
    const plan = lanePlan({ shareOfSmsc: 0.5 }, { smscs, routes: [] })!;
    expect(plan.laneOf('4915123')).toBe('a');
    expect(plan.laneOf('1')).toBe('a');
    expect(totalSmsPerSecond({ shareOfSmsc: 0.5 }, { smscs, routes: [] })).toBe(50);
  });

  it('has no lanes for a share without SMSCs or of an SMSC without a tps', () => {
    expect(lanePlan({ shareOfSmsc: 0.5 }, undefined)).toBeNull();
    expect(lanePlan({ shareOfSmsc: 0.5 }, { smscs: [{ id: 'a', tps: 0 }], routes: [] })).toBeNull();
    expect(totalSmsPerSecond({ shareOfSmsc: 0.5 }, undefined)).toBeNull();
  });
});
