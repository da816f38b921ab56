/**
 * Turning zod failures into messages an admin can act on: every issue carries the dotted field path
 * (`connections[0].apn`), a missing field says "is required", and an unknown field (a typo in YAML, usually)
 * is reported at its own path.
 */
import type { z } from 'zod';

export interface ValidationIssue {
  /** `connections[0].apn`; empty for the value as a whole. */
  path: string;
  message: string;
}

/** Per-parse error map: a missing value reads "is required" rather than "expected string, received undefined". */
export const requiredFieldErrors: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        issues.push({ path: formatPath([...issue.path, key]), message: 'is not a known field' });
    } else {
      issues.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  return issues;
}

/** One line per issue: `connections[0].apn: is required; browser.homepage: is not a known field`. */
export const describeIssues = (issues: readonly ValidationIssue[], whole = '(value)'): string =>
  issues.map((issue) => `${issue.path || whole}: ${issue.message}`).join('; ');

/** `['connections', 0, 'apn']` -> `connections[0].apn`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
