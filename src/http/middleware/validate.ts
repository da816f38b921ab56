import type { Middleware } from 'koa';
import { fieldIssues, validationError, type FieldIssue } from '../errors.ts';
import type { Operation } from '../operation.ts';
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
      if (op.body) {
        const raw = await readBody(ctx, op.bodyKind ?? 'json', bodyLimitBytes);
        const parsed = op.body.safeParse(raw);
        if (parsed.success) input.body = parsed.data;
        else issues.push(...fieldIssues('body', parsed.error));
      }
      if (issues.length > 0) throw validationError(issues);
      ctx.state.input = input;
      await next();
    };
    return Object.assign(middleware, { operation: op });
  };
}
