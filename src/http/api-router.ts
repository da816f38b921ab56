import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { AuditWriter } from './audit-writer.ts';
import type { Db } from '../store/db.ts';
import type { AuthGuard } from './middleware/auth.ts';
import { auditTrail } from './middleware/audit.ts';
import type { Validator } from './middleware/validate.ts';
import type { ApiContext, ApiState, Handler, Operation, OperationInput } from './operation.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One row of the route table: what the OpenAPI document and the role-matrix test walk. */
export interface RouteEntry {
  method: HttpMethod;
  /** Koa-style path: /v1/devices/:imei/reports */
  path: string;
  role: AuthGuard['role'];
  clientCertUnder: AuthGuard['clientCertUnder'];
  operation: Operation;
}

/**
 * The route table. Every route is registered as a sentence — `api.post(path, auth('care'),
 * validate(op), handler)` — and remembered here; an audit step is put in front of every mutating route
 * (and audited reads) so no handler can forget it.
 */
export class ApiRouter {
  readonly router = new Router<ApiState>();
  readonly routes: RouteEntry[] = [];
  private readonly audit: AuditWriter;

  constructor(
    db: Db,
    private readonly logger: Logger,
    audit?: AuditWriter,
  ) {
    this.audit = audit ?? new AuditWriter(db, { logger });
  }

  get<O extends Operation>(
    path: string,
    guard: AuthGuard,
    validator: Validator<O>,
    handler: Handler<O>,
  ): void {
    this.add('GET', path, guard, validator, handler);
  }
  post<O extends Operation>(
    path: string,
    guard: AuthGuard,
    validator: Validator<O>,
    handler: Handler<O>,
  ): void {
    this.add('POST', path, guard, validator, handler);
  }
  put<O extends Operation>(
    path: string,
    guard: AuthGuard,
    validator: Validator<O>,
    handler: Handler<O>,
  ): void {
    this.add('PUT', path, guard, validator, handler);
  }
  patch<O extends Operation>(
    path: string,
    guard: AuthGuard,
    validator: Validator<O>,
    handler: Handler<O>,
  ): void {
    this.add('PATCH', path, guard, validator, handler);
  }
  delete<O extends Operation>(
    path: string,
    guard: AuthGuard,
    validator: Validator<O>,
    handler: Handler<O>,
  ): void {
    this.add('DELETE', path, guard, validator, handler);
  }

  private add<O extends Operation>(
    method: HttpMethod,
    path: string,
    guard: AuthGuard,
    validator: Validator<O>,
    handler: Handler<O>,
  ): void {
    const op = validator.operation;
    const chain: Middleware<ApiState>[] = [];
    if (method !== 'GET' || op.auditRead) chain.push(auditTrail(this.audit, this.logger, op));
    chain.push(guard as Middleware<ApiState>, validator as Middleware<ApiState>);
    chain.push(async (ctx) => {
      await handler(ctx as ApiContext, ctx.state.input as OperationInput<O>);
    });
    this.router.register(path, [method], chain as never, { name: op.operationId });
    this.routes.push({
      method,
      path,
      role: guard.role,
      clientCertUnder: guard.clientCertUnder,
      operation: op,
    });
  }
}
