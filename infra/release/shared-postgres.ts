/**
 * The release's one embedded PostgreSQL: started the first time a step asks for it, shared by
 * every step after that (each creates its own databases on it), stopped once by the pipeline.
 * Starting a cluster (initdb + server start) takes 1.5–2 s on a 2-core machine; the migration
 * verify and the smoke test used to pay it once each.
 *
 * The server's own interrupt cleanup (registered by startEmbeddedPostgres) still stops it and
 * removes its data directory on Ctrl-C, also while it is starting.
 */
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../postgres/embedded";

export interface SharedPostgres {
  /** The server, started on the first call; a failed start is the answer to every later call too. */
  get(): Promise<EmbeddedPostgres>;
  /** Stops the server if one was started (or is starting). Safe to call twice. */
  stop(): Promise<void>;
}

export function sharedPostgres(start: () => Promise<EmbeddedPostgres> = () => startEmbeddedPostgres()): SharedPostgres {
  let server: Promise<EmbeddedPostgres> | undefined;
  let stopping: Promise<void> | undefined;
  const stopOnce = async (): Promise<void> => {
    // A start that failed has cleaned up after itself already.
    const started = await server?.catch(() => undefined);
    // Never rejects: it runs while the run is being judged or unwound, and stop() is bounded and idempotent.
    await started?.stop().catch(() => undefined);
  };
  return {
    get() {
      if (stopping) return Promise.reject(new Error("the release's PostgreSQL was already stopped"));
      server ??= start();
      return server;
    },
    stop() {
      stopping ??= stopOnce();
      return stopping;
    },
  };
}
