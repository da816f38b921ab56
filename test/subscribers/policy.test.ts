import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  capReached,
  capWindow,
  confirmationDeadline,
  DEFAULT_GROUP_POLICY,
  parseGroupPolicies,
  parseGroupPolicy,
  PolicyError,
  policyFor,
  policyTimeZone,
  requiresSeparatePin,
  SECURITY_METHODS,
  type GroupPolicy,
} from '../../src/subscribers/policy.ts';

const GROUPS_YAML = fileURLToPath(new URL('../../config/groups.yaml', import.meta.url));

function policyError(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('expected a PolicyError');
}

describe('group policy', () => {
  it('defaults to automatic, NETWPIN, no quiet hours, no cap', () => {
    expect(parseGroupPolicy({})).toEqual({
      confirmation: 'automatic',
      confirmationTimeoutMinutes: 60,
      securityMethod: 'NETWPIN',
      priority: 10,
    });
    expect(DEFAULT_GROUP_POLICY).toEqual(parseGroupPolicy({}));
    expect(Object.isFrozen(DEFAULT_GROUP_POLICY)).toBe(true);
  });

  it('names every bad field by its path', () => {
    const error = policyError(() =>
      parseGroupPolicy({
        confirmation: 'sometimes',
        securityMethod: 'PIN',
        quietHours: { start: '22:00', end: '25:00', timeZone: 'Europe/Berlin' },
        dailyCap: 0,
        colour: 'red',
      }),
    );
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.details.issues.map((issue) => issue.path)).toEqual([
      'confirmation',
      'securityMethod',
      'quietHours.end',
      'dailyCap',
      'colour',
    ]);
    expect(error.message).toContain("quietHours.end: must be 'HH:MM' (24-hour)");
    expect(error.message).toContain('colour: is not a known field');
  });

  it('requires every quiet-hours field', () => {
    const error = policyError(() => parseGroupPolicy({ quietHours: { start: '22:00', end: '07:00' } }));
    expect(error.details.issues).toEqual([{ path: 'quietHours.timeZone', message: 'is required' }]);
  });
});

describe('config/groups.yaml', () => {
  const policies = parseGroupPolicies(parseYaml(readFileSync(GROUPS_YAML, 'utf8')));

  it('has prepaid ask-first, postpaid automatic and corporate with a user PIN', () => {
    expect(Object.keys(policies).sort()).toEqual(['corporate', 'default', 'postpaid', 'prepaid']);
    expect(policies.prepaid.confirmation).toBe('ask-first');
    expect(policies.prepaid.quietHours?.timeZone).toBe('Europe/Berlin');
    expect(policies.postpaid.confirmation).toBe('automatic');
    expect(policies.corporate.securityMethod).toBe('USERPIN');
    expect(requiresSeparatePin(policies.corporate.securityMethod)).toBe(true);
    expect(policies.corporate.priority).toBeLessThan(policies.prepaid.priority);
  });
});

describe('parseGroupPolicies', () => {
  it('names the group and field that are wrong', () => {
    const error = policyError(() =>
      parseGroupPolicies({ groups: { prepaid: { confirmation: 'ask-first', priority: 0 }, 'Bad Name': {} } }),
    );
    expect(error.details.issues.map((issue) => issue.path)).toEqual([
      'groups.prepaid.priority',
      'groups.Bad Name',
    ]);
  });

  it('requires the groups key', () => {
    expect(policyError(() => parseGroupPolicies({})).details.issues).toEqual([
      { path: 'groups', message: 'is required' },
    ]);
  });
});

describe('policyFor', () => {
  const custom = parseGroupPolicy({ priority: 3 });
  const fallback = parseGroupPolicy({ priority: 50 });

  it('gives the group its own policy, else "default", else the built-in default', () => {
    expect(policyFor({ vip: custom, default: fallback }, 'vip')).toBe(custom);
    expect(policyFor({ vip: custom, default: fallback }, 'prepaid')).toBe(fallback);
    expect(policyFor({ vip: custom }, 'prepaid')).toBe(DEFAULT_GROUP_POLICY);
    expect(policyFor({ vip: custom }, undefined)).toBe(DEFAULT_GROUP_POLICY);
  });

  it('does not take inherited object properties for groups', () => {
    expect(policyFor({}, 'constructor')).toBe(DEFAULT_GROUP_POLICY);
    expect(policyFor({}, 'toString')).toBe(DEFAULT_GROUP_POLICY);
  });
});

describe('daily cap', () => {
  const capped: GroupPolicy = parseGroupPolicy({ dailyCap: 3 });

  it('is reached at the cap, not before', () => {
    expect(capReached(0, capped)).toBe(false);
    expect(capReached(2, capped)).toBe(false);
    expect(capReached(3, capped)).toBe(true);
    expect(capReached(4, capped)).toBe(true);
  });

  it('is never reached without a cap', () => {
    expect(capReached(1_000_000, DEFAULT_GROUP_POLICY)).toBe(false);
  });

  it('counts the day in the quiet-hours zone, else UTC', () => {
    const berlin = parseGroupPolicy({
      dailyCap: 3,
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' },
    });
    expect(policyTimeZone(berlin)).toBe('Europe/Berlin');
    expect(policyTimeZone(capped)).toBe('UTC');
    const now = new Date('2024-06-01T22:30:00Z'); // already 2 June in Berlin
    expect(capWindow(now, berlin).start.toISOString()).toBe('2024-06-01T22:00:00.000Z');
    expect(capWindow(now, capped).start.toISOString()).toBe('2024-06-01T00:00:00.000Z');
  });

  it('prefers the group time zone over the quiet-hours zone', () => {
    const policy = parseGroupPolicy({
      timeZone: 'America/New_York',
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' },
    });
    expect(policyTimeZone(policy)).toBe('America/New_York');
    expect(policyError(() => parseGroupPolicy({ timeZone: 'Berlin' })).details.issues[0].path).toBe(
      'timeZone',
    );
  });
});

describe('confirmation and security', () => {
  it('gives the deadline for answering YES', () => {
    const policy = parseGroupPolicy({ confirmation: 'ask-first', confirmationTimeoutMinutes: 90 });
    expect(confirmationDeadline(new Date('2024-06-01T10:00:00Z'), policy).toISOString()).toBe(
      '2024-06-01T11:30:00.000Z',
    );
  });

  it('sends a separate PIN text for every method but NETWPIN', () => {
    expect(SECURITY_METHODS.filter(requiresSeparatePin)).toEqual(['USERPIN', 'USERNETWPIN', 'USERPINMAC']);
  });
});
