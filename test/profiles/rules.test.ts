import { describe, expect, it } from 'vitest';
import {
  compareFirmware,
  matches,
  orderRules,
  profileRuleSchema,
  selectProfile,
  specificity,
  type ProfileRule,
} from '../../src/profiles/rules.ts';

const device = { manufacturer: 'Nokia', model: '6310i', firmware: 'V 5.10', group: 'prepaid' };

describe('compareFirmware', () => {
  it.each([
    ['5.02', '5.10', -1],
    ['5.10', '5.9', 1],
    ['10.1', '9.9', 1],
    ['V 5.10', '5.10', 0],
    ['5', '5.0', 0],
    ['5.0.1', '5', 1],
    ['06.20', '6.20', 0],
    ['R3A011', 'R3A009', 1],
    ['2.3.4-build7', '2.3.4-build12', -1],
    ['123456789012345678901234567890', '123456789012345678901234567889', 1],
    ['beta', 'alpha', 0],
  ])('compares %s with %s as %i', (a, b, expected) => {
    expect(Math.sign(compareFirmware(a, b))).toBe(expected);
    expect(Math.sign(compareFirmware(b, a))).toBe(-expected || 0);
  });
});

describe('matches', () => {
  it('matches manufacturer, model and group case-insensitively, ignoring surrounding space', () => {
    expect(
      matches(
        { priority: 1, manufacturer: 'NOKIA ', model: '6310I', group: 'Prepaid', profileId: 'p' },
        device,
      ),
    ).toBe(true);
    expect(matches({ priority: 1, manufacturer: 'Sony Ericsson', profileId: 'p' }, device)).toBe(false);
    expect(matches({ priority: 1, model: '7650', profileId: 'p' }, device)).toBe(false);
    expect(matches({ priority: 1, group: 'postpaid', profileId: 'p' }, device)).toBe(false);
  });

  it('matches a firmware range inclusively at both ends', () => {
    const range = { priority: 1, firmwareMin: '5.02', firmwareMax: '5.10', profileId: 'p' };
    expect(matches(range, { ...device, firmware: '5.02' })).toBe(true);
    expect(matches(range, { ...device, firmware: 'V 5.10' })).toBe(true);
    expect(matches(range, { ...device, firmware: '5.9' })).toBe(true);
    expect(matches(range, { ...device, firmware: '5.01' })).toBe(false);
    expect(matches(range, { ...device, firmware: '5.11' })).toBe(false);
    expect(matches({ priority: 1, firmwareMin: '5', profileId: 'p' }, { ...device, firmware: '12.0' })).toBe(
      true,
    );
    expect(
      matches({ priority: 1, firmwareMax: '4.39', profileId: 'p' }, { ...device, firmware: '4.40' }),
    ).toBe(false);
  });

  it('never matches a firmware rule when the device firmware is unknown', () => {
    const { firmware: _firmware, ...unknownFirmware } = device;
    expect(matches({ priority: 1, firmwareMin: '1', profileId: 'p' }, unknownFirmware)).toBe(false);
    expect(matches({ priority: 1, manufacturer: 'Nokia', profileId: 'p' }, unknownFirmware)).toBe(true);
  });

  it('matches anything with a rule of no criteria', () => {
    expect(matches({ priority: 1000, profileId: 'default' }, device)).toBe(true);
  });
});

describe('selectProfile', () => {
  const rules: ProfileRule[] = [
    { priority: 1000, profileId: 'default' },
    { priority: 100, group: 'corporate', profileId: 'corporate' },
    { priority: 50, manufacturer: 'Nokia', model: '6310i', profileId: 'wap1' },
    {
      priority: 50,
      manufacturer: 'Nokia',
      model: '6310i',
      firmwareMax: '5.00',
      profileId: 'wap1-old-firmware',
    },
    { priority: 50, manufacturer: 'Nokia', profileId: 'nokia-any' },
  ];

  it('picks the lowest priority number that matches', () => {
    expect(selectProfile(rules, { ...device, manufacturer: 'Samsung', model: 'E250' })?.profileId).toBe(
      'default',
    );
    expect(selectProfile(rules, { ...device, manufacturer: 'Samsung', group: 'corporate' })?.profileId).toBe(
      'corporate',
    );
    expect(selectProfile(rules, { ...device, group: 'corporate' })?.profileId).toBe('wap1');
  });

  it('breaks priority ties by specificity, then by the order given', () => {
    expect(selectProfile(rules, { ...device, firmware: '4.80' })?.profileId).toBe('wap1-old-firmware');
    expect(selectProfile(rules, device)?.profileId).toBe('wap1');
    expect(selectProfile(rules, { ...device, model: '3310' })?.profileId).toBe('nokia-any');
    const twins: ProfileRule[] = [
      { priority: 5, model: '6310i', profileId: 'first' },
      { priority: 5, manufacturer: 'Nokia', profileId: 'second' },
    ];
    expect(selectProfile(twins, device)?.profileId).toBe('first');
    expect(selectProfile([...twins].reverse(), device)?.profileId).toBe('second');
  });

  it('lets priority win over specificity', () => {
    const specificButLater: ProfileRule[] = [
      { priority: 10, profileId: 'catch-all' },
      {
        priority: 20,
        manufacturer: 'Nokia',
        model: '6310i',
        firmwareMin: '1',
        group: 'prepaid',
        profileId: 'exact',
      },
    ];
    expect(selectProfile(specificButLater, device)?.profileId).toBe('catch-all');
  });

  it('returns undefined when nothing matches, and for no rules', () => {
    expect(selectProfile(rules.slice(1), { ...device, manufacturer: 'Samsung' })).toBeUndefined();
    expect(selectProfile([], device)).toBeUndefined();
  });

  it('returns the rule object it was given (with its extra fields)', () => {
    const stored = [{ id: 42, priority: 1, profileId: 'p' }];
    expect(selectProfile(stored, device)).toBe(stored[0]);
  });

  it('does not reorder the input; orderRules gives the order it tries', () => {
    const copy = [...rules];
    selectProfile(rules, device);
    expect(rules).toEqual(copy);
    expect(orderRules(rules).map((rule) => rule.profileId)).toEqual([
      'wap1-old-firmware',
      'wap1',
      'nokia-any',
      'corporate',
      'default',
    ]);
  });

  it('counts each firmware bound as a criterion', () => {
    expect(specificity({ priority: 1, profileId: 'p' })).toBe(0);
    expect(
      specificity({
        priority: 1,
        manufacturer: 'a',
        model: 'b',
        firmwareMin: '1',
        firmwareMax: '2',
        group: 'c',
        profileId: 'p',
      }),
    ).toBe(5);
  });
});

describe('profileRuleSchema', () => {
  it('accepts a rule and rejects a firmware range upside down', () => {
    expect(
      profileRuleSchema.safeParse({ priority: 1, firmwareMin: '5.1', firmwareMax: '5.10', profileId: 'p' })
        .success,
    ).toBe(true);
    const result = profileRuleSchema.safeParse({
      priority: 1,
      firmwareMin: '5.10',
      firmwareMax: '5.9',
      profileId: 'p',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['firmwareMax', 'is below firmwareMin'],
    ]);
  });

  it('rejects a negative or fractional priority and unknown fields', () => {
    expect(profileRuleSchema.safeParse({ priority: -1, profileId: 'p' }).success).toBe(false);
    expect(profileRuleSchema.safeParse({ priority: 1.5, profileId: 'p' }).success).toBe(false);
    expect(profileRuleSchema.safeParse({ priority: 1, profileId: 'p', vendor: 'x' }).success).toBe(false);
  });
});
