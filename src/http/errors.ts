import type { z } from 'zod';

/**
 * Every failure the API reports is `{ error: { code, message, details } }` with a stable code
 * (house rule 6). Client mistakes are 4xx, a dependency that is down is 503, anything else is our bug (500).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (code: string, message: string, details: Record<string, unknown> = {}): ApiError =>
  new ApiError(404, code, message, details);
export const conflict = (code: string, message: string, details: Record<string, unknown> = {}): ApiError =>
  new ApiError(409, code, message, details);
export const unprocessable = (
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): ApiError => new ApiError(422, code, message, details);
export const unavailable = (code: string, message: string, details: Record<string, unknown> = {}): ApiError =>
  new ApiError(503, code, message, details, { 'Retry-After': '1' });

export interface FieldIssue {
  /** Where, as `body.observed.apn`, `params.imei`, `query.since`. */
  field: string;
  message: string;
  code: string;
}

/** Zod issues -> field issues; `where` is body, query or params. */
export function fieldIssues(where: string, error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ field: `${path}.${key}`, message: 'unknown field', code: 'unknown_field' });
      }
      continue;
    }
    // schemas.ts refuseUnstorableText marks its issues so they carry the code the validator's own scan gives.
    const unstorable = issue.code === 'custom' && issue.params?.text === 'unstorable';
    issues.push({ field: path, message: issue.message, code: unstorable ? 'unstorable_text' : issue.code });
  }
  return issues;
}

export function validationError(issues: FieldIssue[]): ApiError {
  const first = issues[0];
  const summary = first ? `${first.field}: ${first.message}` : 'invalid request';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new ApiError(400, 'VALIDATION_FAILED', summary + more, { issues });
}
