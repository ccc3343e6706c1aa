/**
 * Serves a policy pack inside this process with `@pulumi/policy`'s own server code.
 *
 * The server module keeps the pack it serves in module state (name, configuration, stack tags) and
 * refuses a second pack per process, which is why `pulumi preview --policy-pack` starts one process
 * per pack. Here each pack gets a private instance of that module (its file compiled again; every
 * other module — the proxy, deserialisation, the protobuf classes — is shared), so both packs are
 * served in one process on two ports, through the same gRPC service, handlers and configuration
 * logic the CLI talks to. Only two things differ from a pack process: the bound port is handed back
 * instead of printed on stdout, and what would `process.exit(1)` (an invalid pack) is thrown.
 */
import { existsSync, readFileSync } from "node:fs";
import Module from "node:module";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import type { PolicyPackArgs } from "@pulumi/policy";
import { PolicyServerError } from "./server";
import type { WorkerMessage } from "./host-worker";

/** What a pack's entry passes to `new PolicyPack(name, args)`. */
export interface PackDefinition {
  name: string;
  args: PolicyPackArgs;
}

export interface HostedPack {
  port: number;
  stop(): Promise<void>;
}

type Serve = (name: string, version: string, enforcementLevel: string, args: PolicyPackArgs, initialConfig?: unknown) => void;

/** Node's CommonJS internals we use to compile a second instance of a module. */
interface CompilableModule extends Module {
  filename: string;
  paths: string[];
  require(id: string): unknown;
  _compile(source: string, filename: string): void;
}

const SERVER_JS = require.resolve("@pulumi/policy/server");

/** @pulumi/policy's default when a pack sets no level (policy.js, `defaultEnforcementLevel`). */
const DEFAULT_ENFORCEMENT_LEVEL = "advisory";

/** A private instance of @pulumi/policy's server module, whose `require` hands it our grpc and process. */
function serverModule(overrides: Record<string, unknown>): { serve: Serve } {
  const m = new Module(SERVER_JS, module) as CompilableModule;
  m.filename = SERVER_JS;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(SERVER_JS));
  const load = m.require.bind(m);
  m.require = (id: string) => (Object.hasOwn(overrides, id) ? overrides[id] : load(id));
  m._compile(readFileSync(SERVER_JS, "utf8"), SERVER_JS);
  return m.exports as { serve: Serve };
}

/** The pack's version, as PolicyPack reads it: `version` of the package.json in the pack's directory. */
export function packVersion(dir: string): string {
  const version = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: unknown }).version;
  if (typeof version !== "string" || version === "") throw new PolicyServerError(`${join(dir, "package.json")}: a policy pack needs a version`);
  return version;
}

/** Starts `pack` (whose directory is `dir`) on 127.0.0.1 and resolves with its port. */
export function hostPack(dir: string, pack: PackDefinition): Promise<HostedPack> {
  return new Promise<HostedPack>((resolve, reject) => {
    // The server module binds with `bindAsync(…, callback)`; this subclass keeps the server and its port.
    class HostedServer extends grpc.Server {
      override bindAsync(address: string, creds: grpc.ServerCredentials, callback: (error: Error | null, port: number) => void): void {
        void callback; // prints the port for a parent process; we have no parent to tell
        super.bindAsync(address, creds, (err, port) => {
          if (err) return reject(new PolicyServerError(`policy pack ${pack.name} could not listen on ${address}: ${err.message}`));
          const stop = () => new Promise<void>((done) => this.tryShutdown(() => done()));
          resolve({ port, stop });
        });
      }
    }
    const exitToError = Object.create(process, {
      exit: {
        value: (code?: number) => {
          throw new PolicyServerError(`policy pack ${pack.name} in ${dir} is invalid (@pulumi/policy would exit with code ${code ?? 0}; its reason is printed above)`);
        },
      },
    }) as NodeJS.Process;
    try {
      const { serve } = serverModule({ "@grpc/grpc-js": { ...grpc, Server: HostedServer }, process: exitToError });
      serve(pack.name, packVersion(dir), pack.args.enforcementLevel ?? DEFAULT_ENFORCEMENT_LEVEL, pack.args);
    } catch (err) {
      reject(err instanceof Error ? err : new PolicyServerError(String(err)));
    }
  });
}

/**
 * The worker's code: require the compiled module next to this one, or (TypeScript sources: tests,
 * tsx) the .ts file through tsx's require hook.
 */
function workerEntry(): { code: string; stackTraces?: string } {
  const compiled = safeResolve("./host-worker");
  if (compiled?.endsWith(".js")) return { code: `require(${JSON.stringify(compiled)});`, stackTraces: join(__dirname, "..", "..", "build", "stack-traces.cjs") };
  const ts = join(__dirname, "host-worker.ts");
  if (!existsSync(ts)) throw new PolicyServerError(`no policy host worker next to ${__filename}`);
  return { code: `require(${JSON.stringify(require.resolve("tsx/cjs/api"))}).register(); require(${JSON.stringify(ts)});` };
}

function safeResolve(id: string): string | undefined {
  try {
    return require.resolve(id);
  } catch {
    return undefined;
  }
}

export interface PackWorker {
  ports: number[];
  /** Stops both packs' servers and ends the thread. */
  stop(): Promise<void>;
}

/** Serves packs (indices into ./packs.ts; default all) in a worker thread of this process; resolves with their ports in that order. */
export function startPackWorker(packs?: number[]): Promise<PackWorker> {
  const entry = workerEntry();
  const worker = new Worker(entry.code, { eval: true, workerData: { stackTraces: entry.stackTraces, packs }, stdout: false, stderr: false });
  return new Promise<PackWorker>((resolve, reject) => {
    const fail = (err: Error) => {
      void worker.terminate();
      reject(err instanceof PolicyServerError ? err : new PolicyServerError(`policy host thread: ${err.message}`));
    };
    worker.once("error", fail);
    worker.once("exit", (code) => fail(new PolicyServerError(`policy host thread exited with code ${code} before serving`)));
    worker.once("message", (msg: WorkerMessage) => {
      worker.removeAllListeners("exit");
      if ("error" in msg) return fail(new PolicyServerError(msg.error));
      if (!("ports" in msg)) return fail(new PolicyServerError("policy host thread answered without ports"));
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= new Promise<void>((done) => {
          worker.once("message", () => void worker.terminate().then(() => done()));
          worker.once("exit", () => done());
          worker.postMessage("stop");
        }));
      resolve({ ports: msg.ports, stop });
    });
  });
}

