/**
 * Sessions left half-way (issue 16): a handset that stopped answering leaves an active session row whose
 * Redis state expired (dm.sessionTimeoutMs without a message). The sweep fails it with where it stopped,
 * "stopped after package N, last command X" (N: the server's MsgID), from the progress the session store
 * keeps beside the state; actions never sent stay queued for the device's next session
 * (failStoppedDmSessions). Safe in several processes: a row is failed only from active.
 */
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import { failStoppedDmSessions, listActiveDmSessionsBefore } from './repository.ts';
import type { DmSessionProgress, DmSessionStore } from './session-store.ts';

export interface DmSweepDeps {
  db: Db;
  sessions: DmSessionStore;
  timeoutMs: number;
  logger: Logger;
  now?: () => Date;
}

/** Sessions looked at per run (the rest wait for the next run, oldest first). */
const BATCH = 200;

export function stoppedWhere(progress: DmSessionProgress | null, timeoutMs: number): string {
  const silence = `no message from the handset for ${timeoutMs / 1000} s`;
  if (!progress) return `stopped: ${silence}`;
  const last = progress.lastCommand ? `, last command ${progress.lastCommand}` : '';
  return `stopped after package ${progress.package}${last} (${silence})`;
}

/** One run: the stopped sessions failed; returns how many. */
export async function sweepStoppedDmSessions(deps: DmSweepDeps): Promise<number> {
  const now = deps.now?.() ?? new Date();
  const candidates = await listActiveDmSessionsBefore(
    deps.db,
    new Date(now.getTime() - deps.timeoutMs),
    BATCH,
  );
  const probes = await deps.sessions.probe(candidates);
  const stopped = candidates.flatMap((session, index) =>
    probes[index].alive
      ? []
      : [{ id: session.id, failure: stoppedWhere(probes[index].progress, deps.timeoutMs) }],
  );
  const failed = await failStoppedDmSessions(deps.db, stopped);
  if (failed > 0) deps.logger.info({ failed }, 'dm: sessions the handsets stopped answering marked failed');
  return failed;
}

/** Runs the sweep every `intervalMs`, one run at a time, until stopped. */
export function startDmSweep(deps: DmSweepDeps, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await sweepStoppedDmSessions(deps);
      } catch (error) {
        deps.logger.warn({ err: (error as Error).message }, 'dm: the sweep of stopped sessions failed');
      }
    });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
