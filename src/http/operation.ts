import type { ParameterizedContext } from 'koa';
import type { z } from 'zod';
import type { BodyKind } from './middleware/body.ts';
import type { Principal } from './middleware/auth.ts';

/**
 * One API operation as data: what it takes (zod schemas for params, query, body) and what it answers.
 * validate() enforces it, the OpenAPI document is generated from it, the route-table tests walk it.
 */
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Default json. */
  bodyKind?: BodyKind;
  /** The success answer. */
  response: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Also write the audit log for this read (mutating calls are always audited). */
  auditRead?: boolean;
}

type OutputOr<T, Fallback> = T extends z.ZodType ? z.output<T> : Fallback;

export interface OperationInput<O extends Operation> {
  params: OutputOr<O['params'], Record<string, never>>;
  query: OutputOr<O['query'], Record<string, never>>;
  body: OutputOr<O['body'], undefined>;
}

/** What a handler may leave for the audit entry of its request. */
export interface AuditNote {
  subjectType?: string;
  subjectId?: string;
  details?: Record<string, unknown>;
}

export interface ApiState {
  requestId: string;
  principal?: Principal;
  input?: unknown;
  audit?: AuditNote;
}

export type ApiContext = ParameterizedContext<ApiState>;

export type Handler<O extends Operation> = (ctx: ApiContext, input: OperationInput<O>) => Promise<void>;

/** Declares an operation with its literal types kept. */
export function operation<const O extends Operation>(spec: O): O {
  return spec;
}
