/**
 * What a benchmark must undo even when it is interrupted (Ctrl-C, SIGTERM): the databases and
 * directories it made. Child processes stop by themselves when this process goes away (IPC disconnect).
 */
const pending = new Set<() => Promise<unknown>>();
let installed = false;

/**
 * Runs `undo` on SIGINT/SIGTERM (the latest registered first, one after the other) until the returned
 * function is called (after undoing it normally).
 */
export function undoOnInterrupt(undo: () => Promise<unknown>): () => void {
  if (!installed) {
    installed = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: cleaning up\n`);
        void (async () => {
          // the newest first: the gateway stops before its database is dropped
          for (const undo of [...pending].reverse()) await undo().catch(() => undefined);
          process.exit(130);
        })();
      });
    }
  }
  pending.add(undo);
  return () => pending.delete(undo);
}
