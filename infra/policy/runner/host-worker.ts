/**
 * Worker-thread entry of the in-process host: serves both packs with @pulumi/policy's own server
 * code (infra/policy/runner/host.ts) and tells the parent their ports. The thread loads the packs
 * and the Pulumi SDK while the CLI's main thread reads and marshals the graph, and judges resources
 * while the main thread sends the next ones. "stop" shuts the servers down.
 */
import { parentPort, workerData } from "node:worker_threads";
import { hostPack, type HostedPack } from "./host";
import { PACKS } from "./packs";

export type WorkerMessage = { ports: number[] } | { error: string } | { stopped: true };

async function serve(): Promise<void> {
  // The compiled CLI maps stack traces to the TypeScript sources on its main thread; so here.
  const { stackTraces } = (workerData ?? {}) as { stackTraces?: string };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (stackTraces) (require(stackTraces) as { installSourceMappedStacks(): void }).installSourceMappedStacks();
  const port = parentPort;
  if (!port) throw new Error("host-worker.ts runs as a worker thread");
  const { packs = PACKS.map((_, i) => i) } = (workerData ?? {}) as { packs?: number[] };
  const started = await Promise.allSettled(packs.map((i) => PACKS[i]!).map(({ dir, pack }) => hostPack(dir, pack)));
  const hosted = started.flatMap((s): HostedPack[] => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    await Promise.all(hosted.map((h) => h.stop()));
    port.postMessage({ error: failed.reason instanceof Error ? failed.reason.message : String(failed.reason) } satisfies WorkerMessage);
    return;
  }
  port.postMessage({ ports: hosted.map((h) => h.port) } satisfies WorkerMessage);
  port.once("message", () => {
    void Promise.all(hosted.map((h) => h.stop())).then(() => port.postMessage({ stopped: true } satisfies WorkerMessage));
  });
}

void serve();
