import type { Logger } from 'pino';
import type { AuditWriter } from '../http/audit-writer.ts';
import type { AuditNote } from '../http/operation.ts';
import type { AuditOutcome } from '../store/repositories/audit.ts';
import { readableError } from './errors.ts';
import type { ConsoleSession } from './sessions.ts';

/**
 * The audit entry of a console action: the API operation's own action name (provisionings.resend,
 * subscribers.timeline, ...), the key's name as actor, and `via: 'console'` in its details, so the log
 * reads the same whichever way an agent worked. Written whether the action succeeds (ok), is refused
 * (denied: 401/403) or fails, as auditTrail (src/http/middleware/audit.ts) does for the API.
 */
export class ConsoleAudit {
  constructor(
    private readonly writer: AuditWriter,
    private readonly logger: Logger,
  ) {}

  /** Runs `action` and audits it; `action` may fill in the note (subject, details) as it learns them. */
  async run<T>(
    session: ConsoleSession,
    requestId: string,
    operationId: string,
    note: AuditNote,
    action: (note: AuditNote) => Promise<T>,
  ): Promise<T> {
    let outcome: AuditOutcome = 'ok';
    let failure: { status: number; error: string } | undefined;
    try {
      return await action(note);
    } catch (error) {
      const readable = readableError(error);
      outcome = readable.status === 401 || readable.status === 403 ? 'denied' : 'failed';
      failure = { status: readable.status, error: readable.code };
      throw error;
    } finally {
      await this.write(session, requestId, operationId, note, outcome, failure);
    }
  }

  private async write(
    session: ConsoleSession,
    requestId: string,
    operationId: string,
    note: AuditNote,
    outcome: AuditOutcome,
    failure: { status: number; error: string } | undefined,
  ): Promise<void> {
    try {
      await this.writer.write({
        actor: session.principal.name,
        role: session.principal.role,
        action: operationId,
        subjectType: note.subjectType ?? null,
        subjectId: note.subjectId ?? null,
        outcome,
        details: { ...note.details, via: 'console', ...failure },
        requestId,
      });
    } catch (error) {
      this.logger.error({ err: error, requestId, action: operationId }, 'console audit write failed');
    }
  }
}
