/**
 * The Pulumi SDK passes every promise it creates — hundreds per resource, one set per output
 * property — through `debuggablePromise`, which stamps a formatted `new Error().stack`, an id and a
 * context string on it, adds it to a leak-candidate set and chains a `.then` that removes it. That
 * bookkeeping serves one diagnostic: at exit, promises still pending are reported as leaks (with
 * their traces when PULUMI_DEBUG_PROMISE_LEAKS is set). Because the program declares every resource
 * before the first registration completes, it was held for the whole graph at once: more than half
 * of a preview's run time and about a fifth of its peak memory.
 *
 * The offline preview establishes completion itself — it waits for the SDK's RPC queue to drain and
 * for every registration to settle — so it runs the program without that bookkeeping. With
 * PULUMI_DEBUG_PROMISE_LEAKS set, the SDK's own function runs unchanged (traces and leak report).
 */
interface DebuggableModule {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
  debugPromiseLeaks?: boolean;
}

function debuggableModule(): DebuggableModule {
  // The SDK's own module; its callers read `debuggable_1.debuggablePromise` at each call.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require("@pulumi/pulumi/runtime/debuggable") as DebuggableModule;
  if (typeof mod.debuggablePromise !== "function") throw new Error("this @pulumi/pulumi version no longer exposes runtime/debuggable's debuggablePromise; update infra/preview/promise-bookkeeping.ts");
  return mod;
}

/** Runs `fn` (the recording) with `debuggablePromise` returning its promise as is, unless leaks are being debugged. */
export async function withoutPromiseBookkeeping<T>(fn: () => Promise<T>): Promise<T> {
  const mod = debuggableModule();
  if (mod.debugPromiseLeaks) return fn();
  const original = mod.debuggablePromise;
  mod.debuggablePromise = <P>(p: Promise<P>): Promise<P> => p;
  try {
    return await fn();
  } finally {
    mod.debuggablePromise = original;
  }
}
