import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { AuditOutcome } from '../../store/repositories/audit.ts';
import type { AuditWriter } from '../audit-writer.ts';
import type { ApiState, Operation } from '../operation.ts';
import { renderError } from './error-handler.ts';

/**
 * Writes one audit entry per call of a mutating route (and of reads marked auditRead, such as a
 * subscriber's timeline): who (key name and role), what (the operation id), on which subject (left by
 * the handler in ctx.state.audit) and how it ended: ok, denied (401/403) or failed (any other error).
 * A 401 without a principal (no key, or one not accepted) is not written here: anyone can send those,
 * so the guard counts them and the audit log gets one summary per interval (UnauthenticatedRequests in
 * audit-writer.ts). Handlers put no IMSI in clear into audit details; they use maskImsi.
 */
export function auditTrail(writer: AuditWriter, logger: Logger, op: Operation): Middleware<ApiState> {
  return async (ctx, next) => {
    let outcome: AuditOutcome = 'ok';
    let failure: { status: number; code: string } | undefined;
    try {
      await next();
    } catch (error) {
      const rendered = renderError(error);
      outcome = rendered.status === 401 || rendered.status === 403 ? 'denied' : 'failed';
      failure = { status: rendered.status, code: rendered.code };
      throw error;
    } finally {
      // 401s and the per-address 429s before authentication: counted and summarised (UnauthenticatedRequests).
      const anonymousRefusal = (failure?.status === 401 || failure?.status === 429) && !ctx.state.principal;
      if (!anonymousRefusal) await writeEntry(writer, logger, op, ctx.state, outcome, failure);
    }
  };
}

async function writeEntry(
  writer: AuditWriter,
  logger: Logger,
  op: Operation,
  state: ApiState,
  outcome: AuditOutcome,
  failure: { status: number; code: string } | undefined,
): Promise<void> {
  const note = state.audit ?? {};
  const principal = state.principal;
  try {
    await writer.write({
      actor: principal?.name ?? 'anonymous',
      role: principal?.role ?? null,
      action: op.operationId,
      subjectType: note.subjectType ?? null,
      subjectId: note.subjectId ?? null,
      outcome,
      details: { ...note.details, ...(failure ? { status: failure.status, error: failure.code } : {}) },
      requestId: state.requestId,
    });
  } catch (error) {
    // The action has happened (or failed) already; losing its audit entry is logged loudly.
    logger.error({ err: error, requestId: state.requestId, action: op.operationId }, 'audit write failed');
  }
}
