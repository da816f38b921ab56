/**
 * Long-running commands (start, smsc-sim) stop on SIGINT or SIGTERM: the signal aborts the run's
 * AbortSignal, the run shuts down in its own order and returns its exit code. The handlers are removed
 * afterwards, so a command run inside tests leaves the process as it found it.
 */
export async function runUntilSignal(run: (stop: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await run(stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
