/**
 * Profile selection rules: which profile a device gets, by manufacturer, model, firmware range and
 * subscriber group. The first matching rule wins: lower `priority` first, then the more specific rule
 * (more criteria set), then the order given. Pure.
 */
import { z } from 'zod';

/** The criteria of a rule; each one left out matches anything. */
export const ruleCriteriaSchema = z.strictObject({
  /** Lower runs first. */
  priority: z.int().min(0),
  /** Compared case-insensitively, like model and group. */
  manufacturer: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  /** Inclusive bounds, compared with compareFirmware. */
  firmwareMin: z.string().min(1).optional(),
  firmwareMax: z.string().min(1).optional(),
  group: z.string().min(1).optional(),
});

const firmwareRangeInOrder = (
  rule: { firmwareMin?: string; firmwareMax?: string },
  ctx: z.RefinementCtx,
): void => {
  if (
    rule.firmwareMin !== undefined &&
    rule.firmwareMax !== undefined &&
    compareFirmware(rule.firmwareMin, rule.firmwareMax) > 0
  )
    ctx.addIssue({ code: 'custom', path: ['firmwareMax'], message: 'is below firmwareMin' });
};

/** Rules as written in a profile's seed file (the profile is the file's). */
export const seedRuleSchema = ruleCriteriaSchema.superRefine(firmwareRangeInOrder);

export const profileRuleSchema = ruleCriteriaSchema
  .extend({ profileId: z.string().min(1) })
  .superRefine(firmwareRangeInOrder);

export type ProfileRule = z.output<typeof profileRuleSchema>;

export interface SelectionSubject {
  manufacturer: string;
  model: string;
  firmware?: string;
  group: string;
}

/**
 * The rule that decides the profile for this device and subscriber, or undefined when none matches.
 * A rule with a firmware bound never matches a device whose firmware is unknown.
 */
export function selectProfile<R extends ProfileRule>(
  rules: readonly R[],
  subject: SelectionSubject,
): R | undefined {
  let best: R | undefined;
  let bestIndex = -1;
  rules.forEach((rule, index) => {
    if (!matches(rule, subject)) return;
    if (best === undefined || ruleOrder(rule, index, best, bestIndex) < 0) {
      best = rule;
      bestIndex = index;
    }
  });
  return best;
}

/** The rules in the order selectProfile tries them. */
export function orderRules<R extends ProfileRule>(rules: readonly R[]): R[] {
  return rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => ruleOrder(a.rule, a.index, b.rule, b.index))
    .map(({ rule }) => rule);
}

export function matches(rule: ProfileRule, subject: SelectionSubject): boolean {
  if (rule.manufacturer !== undefined && !sameText(rule.manufacturer, subject.manufacturer)) return false;
  if (rule.model !== undefined && !sameText(rule.model, subject.model)) return false;
  if (rule.group !== undefined && !sameText(rule.group, subject.group)) return false;
  if (rule.firmwareMin !== undefined || rule.firmwareMax !== undefined) {
    if (subject.firmware === undefined) return false;
    if (rule.firmwareMin !== undefined && compareFirmware(subject.firmware, rule.firmwareMin) < 0)
      return false;
    if (rule.firmwareMax !== undefined && compareFirmware(subject.firmware, rule.firmwareMax) > 0)
      return false;
  }
  return true;
}

/** How many criteria a rule sets; a firmware range counts per bound. */
export function specificity(rule: ProfileRule): number {
  return [rule.manufacturer, rule.model, rule.firmwareMin, rule.firmwareMax, rule.group].filter(
    (criterion) => criterion !== undefined,
  ).length;
}

function ruleOrder(a: ProfileRule, aIndex: number, b: ProfileRule, bIndex: number): number {
  return a.priority - b.priority || specificity(b) - specificity(a) || aIndex - bIndex;
}

const sameText = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Orders firmware versions the way people read them: the digit runs compared as numbers, left to right,
 * everything else a separator ("V 5.02" < "V 5.10" < "6.0"; "5" = "5.0"; "10.1" > "9.9"). Arbitrarily
 * long digit runs compare correctly (no float conversion). Letters only separate: "R3A011" reads as 3.11, so
 * letter-coded versions need a firmware naming with digits to be ordered. Versions without digits compare equal.
 */
export function compareFirmware(a: string, b: string): number {
  const left = numericParts(a);
  const right = numericParts(b);
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const order = compareDigits(left[i] ?? '0', right[i] ?? '0');
    if (order !== 0) return order;
  }
  return 0;
}

/** Width of a digit run's length in firmwareKey: any run a text column can hold fits. */
const FIRMWARE_KEY_LENGTH_DIGITS = 10;

/**
 * A text whose plain byte order (SQL `COLLATE "C"`) is compareFirmware's order, so that the store can
 * compare firmware versions with an index-free `<`: each digit run (leading zeros dropped) as '.', its
 * length in 10 digits, then its digits; trailing zero runs dropped ("5" = "5.0"). A longer number sorts
 * after a shorter one by its length field, equal lengths by their digits, and a version that is a prefix
 * of another (after the zeros are dropped) sorts first, as compareFirmware pads with zeros.
 * src/campaigns/repository.ts builds the same key in SQL.
 */
export function firmwareKey(version: string): string {
  const parts = numericParts(version);
  while (parts.length > 0 && parts[parts.length - 1] === '0') parts.pop();
  return parts
    .map((part) => `.${String(part.length).padStart(FIRMWARE_KEY_LENGTH_DIGITS, '0')}${part}`)
    .join('');
}

function numericParts(version: string): string[] {
  return (version.match(/\d+/g) ?? []).map((part) => part.replace(/^0+(?=\d)/, ''));
}

/** Compares two digit strings without leading zeros as numbers. */
function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
