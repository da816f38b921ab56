import type { Middleware } from 'koa';
import { fieldIssues, validationError, type FieldIssue } from '../errors.ts';
import type { Operation } from '../operation.ts';
import { unstorableStringsIn } from '../schemas.ts';
import { readBody } from './body.ts';

export interface Validator<O extends Operation> extends Middleware {
  readonly operation: O;
}

/** Query values arrive as string | string[]; a repeated parameter is a mistake for every route we have. */
function singleValuedQuery(
  query: Record<string, string | string[] | undefined>,
  issues: FieldIssue[],
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value))
      issues.push({ field: `query.${name}`, message: 'give this parameter once', code: 'repeated' });
    else if (value !== undefined) result[name] = value;
  }
  return result;
}

/**
 * Strings no store can keep (NUL, lone surrogates, control characters) anywhere in the input, including
 * fields a schema takes as any JSON (profile parameters): the free-text refinement of schemas.ts applied
 * to everything, so no route can let one through to a multi-row INSERT (issue 15 #8). A field its schema
 * already refused is not named twice.
 */
function unstorableTextIssues(input: Record<string, unknown>, issues: FieldIssue[]): FieldIssue[] {
  const named = new Set(issues.map((issue) => issue.field));
  return unstorableStringsIn(input)
    .map((found) => ({ field: found.path.join('.'), message: found.message, code: 'unstorable_text' }))
    .filter((issue) => !named.has(issue.field));
}

/**
 * Parses params, query and body against the operation's schemas (strict: unknown fields and unknown
 * query parameters are refused) and leaves the typed result in ctx.state.input. Every problem is
 * reported at once, each naming its field.
 */
export function createValidate(bodyLimitBytes: number) {
  return function validate<O extends Operation>(op: O): Validator<O> {
    const middleware: Middleware = async (ctx, next) => {
      const issues: FieldIssue[] = [];
      const input: { params: unknown; query: unknown; body: unknown } = {
        params: {},
        query: {},
        body: undefined,
      };
      const params = (ctx as unknown as { params?: Record<string, string> }).params ?? {};
      if (op.params) {
        const parsed = op.params.safeParse(params);
        if (parsed.success) input.params = parsed.data;
        else issues.push(...fieldIssues('params', parsed.error));
      }
      const query = singleValuedQuery(ctx.query, issues);
      if (op.query) {
        const parsed = op.query.safeParse(query);
        if (parsed.success) input.query = parsed.data;
        else issues.push(...fieldIssues('query', parsed.error));
      } else {
        for (const name of Object.keys(query))
          issues.push({ field: `query.${name}`, message: 'unknown parameter', code: 'unknown_field' });
      }
      let raw: unknown;
      if (op.body) {
        raw = await readBody(ctx, op.bodyKind ?? 'json', bodyLimitBytes);
        const parsed = op.body.safeParse(raw);
        if (parsed.success) input.body = parsed.data;
        else issues.push(...fieldIssues('body', parsed.error));
      }
      issues.push(...unstorableTextIssues({ params, query, body: raw }, issues));
      if (issues.length > 0) throw validationError(issues);
      ctx.state.input = input;
      await next();
    };
    return Object.assign(middleware, { operation: op });
  };
}
