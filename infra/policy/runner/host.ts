/**
 * Serves a policy pack inside this process with `@pulumi/policy`'s own server code.
 *
 * The server module keeps the pack it serves in module state (name, configuration, stack tags) and
 * refuses a second pack per process, which is why `pulumi preview --policy-pack` starts one process
 * per pack. Here each pack gets a private instance of that module (its file compiled again; every
 * other module — the proxy, deserialisation, the protobuf classes — is shared), and its `serve()`
 * builds the Analyzer service exactly as in a pack process: the same handlers, configuration and
 * enforcement logic. What differs is the carrier. A pack process is reached over gRPC on a port;
 * here each call goes straight to the service's handler — the request and the response still
 * pass through the service definition's own protobuf serialisers, so the handler sees the bytes the
 * wire would carry — without HTTP/2, which cost more than judging the resources. Nothing listens on
 * a port, and what would `process.exit(1)` (an invalid pack) is thrown.
 */
import { readFileSync } from "node:fs";
import Module from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { PolicyPackArgs } from "@pulumi/policy";
import { AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { PolicyServerError, type AnalyzerCalls, type AnalyzerTransport } from "./server";

/** What a pack's entry passes to `new PolicyPack(name, args)`. */
export interface PackDefinition {
  name: string;
  args: PolicyPackArgs;
}

/** The Analyzer service implementation a pack's `serve()` registered, by method name. */
export type AnalyzerImplementation = Record<string, grpc.handleUnaryCall<unknown, unknown>>;

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

/** Runs `serve()` for `pack` (whose directory is `dir`) and returns the Analyzer service it built. */
export function hostPack(dir: string, pack: PackDefinition): AnalyzerImplementation {
  let service: AnalyzerImplementation | undefined;
  // The server module builds a grpc.Server, adds the Analyzer service and binds a port; this
  // subclass keeps the service and binds nothing.
  class HostedServer extends grpc.Server {
    override addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
      if (definition === (AnalyzerService as unknown)) service = implementation as AnalyzerImplementation;
      super.addService(definition, implementation);
    }
    override bindAsync(): void {
      // No socket: the service is called directly (see directTransport).
    }
  }
  const exitToError = Object.create(process, {
    exit: {
      value: (code?: number) => {
        throw new PolicyServerError(`policy pack ${pack.name} in ${dir} is invalid (@pulumi/policy would exit with code ${code ?? 0}; its reason is printed above)`);
      },
    },
  }) as NodeJS.Process;
  const { serve } = serverModule({ "@grpc/grpc-js": { ...grpc, Server: HostedServer }, process: exitToError });
  serve(pack.name, packVersion(dir), pack.args.enforcementLevel ?? DEFAULT_ENFORCEMENT_LEVEL, pack.args);
  if (!service) throw new PolicyServerError(`@pulumi/policy served ${pack.name} without an Analyzer service`);
  return service;
}

/** A call's failure as a gRPC client reports it: `<code> <STATUS>: <details>`, with code and details. */
function serviceError(err: unknown): Error {
  const e = (err ?? {}) as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof e.code === "number" ? e.code : grpc.status.UNKNOWN;
  const details = typeof e.details === "string" ? e.details : typeof e.message === "string" ? e.message : String(err);
  return Object.assign(new Error(`${code} ${grpc.status[code] ?? "UNKNOWN"}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

/** Calls into a hosted pack's service; requests and responses go through the service definition's serialisers. */
export function directTransport(service: AnalyzerImplementation): AnalyzerTransport {
  const definition = AnalyzerService as unknown as Record<string, grpc.MethodDefinition<unknown, unknown>>;
  return {
    call<M extends keyof AnalyzerCalls>(method: M, request: AnalyzerCalls[M][0]): Promise<AnalyzerCalls[M][1]> {
      const def = definition[method]!;
      const handler = service[method]!;
      const call = { request: def.requestDeserialize(def.requestSerialize(request)), metadata: new grpc.Metadata(), cancelled: false, getPeer: () => "in-process" };
      return new Promise((resolve, reject) => {
        try {
          handler(call as unknown as grpc.ServerUnaryCall<unknown, unknown>, (err, response) => {
            if (err) reject(serviceError(err));
            else resolve(def.responseDeserialize(def.responseSerialize(response)) as AnalyzerCalls[M][1]);
          });
        } catch (err) {
          reject(serviceError(err));
        }
      });
    },
    close: () => undefined,
  };
}
