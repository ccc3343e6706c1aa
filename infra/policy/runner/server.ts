/**
 * One policy pack served by @pulumi/policy, driven over its gRPC Analyzer service.
 *
 * Started the way the CLI's `pulumi-analyzer-policy` shim starts a Node.js pack: a child process
 * whose working directory is the pack (PolicyPack reads `./package.json` for its version), running
 * the pack's entry; here through tsx instead of ts-node. `serve()` binds 127.0.0.1:0 and prints
 * the port as the first line of stdout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type { ReconciledConfig } from "./config";

const MAX_MESSAGE = 400 * 1024 * 1024; // the limit @pulumi/policy's server accepts
const START_TIMEOUT_MS = 60_000;

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "low" | "medium" | "high" | "critical" | "unspecified";

export const LEVEL_NAMES: Record<number, EnforcementLevel> = {
  [analyzer.EnforcementLevel.ADVISORY]: "advisory",
  [analyzer.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzer.EnforcementLevel.DISABLED]: "disabled",
  [analyzer.EnforcementLevel.REMEDIATE]: "remediate",
};

const LEVEL_VALUES: Record<EnforcementLevel, analyzer.EnforcementLevel> = {
  advisory: analyzer.EnforcementLevel.ADVISORY,
  mandatory: analyzer.EnforcementLevel.MANDATORY,
  disabled: analyzer.EnforcementLevel.DISABLED,
  remediate: analyzer.EnforcementLevel.REMEDIATE,
};

export const SEVERITY_NAMES: Record<number, Severity> = {
  [analyzer.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED]: "unspecified",
  [analyzer.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [analyzer.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [analyzer.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [analyzer.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

export interface PolicyMeta {
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  severity: Severity;
  type: "resource" | "stack" | "unknown";
  remediationSteps: string;
  /** Policy tags: the compliance controls it enforces (`FSBP:ECR.2`, `CIS:5.2`, `ORG`). */
  tags: string[];
  /** Where to read about the control (SARIF helpUri). */
  url: string;
  configSchema?: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

export interface PackInfo {
  name: string;
  version: string;
  displayName: string;
  description: string;
  policies: PolicyMeta[];
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: EnforcementLevel;
  severity: Severity;
  urn: string;
}

export class PolicyServerError extends Error {
  override readonly name = "PolicyServerError";
}

function unary<Req, Res>(call: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    call(req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function toInfo(ai: analyzer.AnalyzerInfo): PackInfo {
  const typeNames: Record<number, PolicyMeta["type"]> = { [analyzer.PolicyType.POLICY_TYPE_RESOURCE]: "resource", [analyzer.PolicyType.POLICY_TYPE_STACK]: "stack" };
  return {
    name: ai.getName(),
    version: ai.getVersion(),
    displayName: ai.getDisplayname() || ai.getName(),
    description: ai.getDescription(),
    policies: ai.getPoliciesList().map((p) => {
      const schema = p.getConfigschema();
      const meta: PolicyMeta = {
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: LEVEL_NAMES[p.getEnforcementlevel()] ?? "advisory",
        severity: SEVERITY_NAMES[p.getSeverity()] ?? "unspecified",
        type: typeNames[p.getPolicyType()] ?? "unknown",
        remediationSteps: p.getRemediationSteps(),
        tags: p.getTagsList(),
        url: p.getUrl(),
      };
      if (schema) meta.configSchema = { properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, Record<string, unknown>>, required: schema.getRequiredList() };
      return meta;
    }),
  };
}

export function toDiagnostics(res: analyzer.AnalyzeResponse): Diagnostic[] {
  return res.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    policyPackName: d.getPolicypackname(),
    policyPackVersion: d.getPolicypackversion(),
    description: d.getDescription(),
    message: d.getMessage(),
    enforcementLevel: LEVEL_NAMES[d.getEnforcementlevel()] ?? "advisory",
    severity: SEVERITY_NAMES[d.getSeverity()] ?? "unspecified",
    urn: d.getUrn(),
  }));
}

/** How a pack's server is stopped, and what it wrote on stderr (a pack process; empty in-process). */
export interface PackBackend {
  stop(): Promise<void>;
  stderr(): string;
}

/** The Analyzer service's calls the runner makes, by request and response type. */
export interface AnalyzerCalls {
  getAnalyzerInfo: [Empty, analyzer.AnalyzerInfo];
  configureStack: [analyzer.AnalyzerStackConfigureRequest, analyzer.AnalyzerStackConfigureResponse];
  configure: [analyzer.ConfigureAnalyzerRequest, Empty];
  analyze: [analyzer.AnalyzeRequest, analyzer.AnalyzeResponse];
  analyzeStack: [analyzer.AnalyzeStackRequest, analyzer.AnalyzeResponse];
}

/** What carries the calls to a pack: gRPC to a pack process, or straight into its service in this process. */
export interface AnalyzerTransport {
  call<M extends keyof AnalyzerCalls>(method: M, request: AnalyzerCalls[M][0]): Promise<AnalyzerCalls[M][1]>;
  close(): void;
}

/** gRPC over 127.0.0.1:`port`, as the Pulumi CLI talks to a pack. */
export function grpcTransport(port: number): AnalyzerTransport {
  const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": MAX_MESSAGE,
    "grpc.max_send_message_length": MAX_MESSAGE,
  });
  const methods = client as unknown as Record<keyof AnalyzerCalls, (req: unknown, cb: (err: grpc.ServiceError | null, res: unknown) => void) => unknown>;
  return {
    call: (method, request) => unary(methods[method].bind(client), request) as Promise<never>,
    close: () => client.close(),
  };
}

export class PackServer {
  private constructor(
    readonly dir: string,
    private readonly backend: PackBackend,
    private readonly transport: AnalyzerTransport,
    readonly info: PackInfo,
  ) {}

  /** Spawns the pack in `dir`, waits for its port, connects, and reads its AnalyzerInfo. */
  static async start(dir: string): Promise<PackServer> {
    const child = spawn(process.execPath, ["--import", "tsx", join(dir, "index.ts")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    const stderr: string[] = [];
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PolicyServerError(`policy pack ${dir} printed no port within ${START_TIMEOUT_MS / 1000}s`)), START_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout! });
      lines.once("line", (line) => {
        clearTimeout(timer);
        const n = Number(line.trim());
        if (Number.isInteger(n) && n > 0) resolve(n);
        else reject(new PolicyServerError(`policy pack ${dir} printed '${line}' instead of its port`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new PolicyServerError(`policy pack ${dir} exited with code ${code} before serving: ${stderr.join("").trim()}`));
      });
    });
    return PackServer.connect(dir, port, { stop: () => stopChild(child), stderr: () => stderr.join("") });
  }

  /** Connects to a pack serving on 127.0.0.1:`port` and reads its AnalyzerInfo; `backend` stops it. */
  static connect(dir: string, port: number, backend: PackBackend): Promise<PackServer> {
    return PackServer.over(dir, grpcTransport(port), backend);
  }

  /** A pack reached through `transport`: reads its AnalyzerInfo; `backend` stops it. */
  static async over(dir: string, transport: AnalyzerTransport, backend: PackBackend): Promise<PackServer> {
    try {
      const info = toInfo(await transport.call("getAnalyzerInfo", new Empty()));
      return new PackServer(dir, backend, transport, info);
    } catch (err) {
      transport.close();
      await backend.stop();
      throw err;
    }
  }

  /** ConfigureStack (stack name, tags) then Configure (levels and properties), as the CLI does. */
  async configure(stack: string, project: string, config: ReconciledConfig): Promise<void> {
    const sreq = new analyzer.AnalyzerStackConfigureRequest();
    sreq.setStack(stack);
    sreq.setProject(project);
    sreq.setDryRun(true);
    await this.transport.call("configureStack", sreq);
    const req = new analyzer.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [name, c] of Object.entries(config)) {
      const pc = new analyzer.PolicyConfig();
      pc.setEnforcementlevel(LEVEL_VALUES[c.enforcementLevel]);
      pc.setProperties(Struct.fromJavaScript((c.properties ?? {}) as never));
      map.set(name, pc);
    }
    await this.transport.call("configure", req);
  }

  async analyze(req: analyzer.AnalyzeRequest): Promise<Diagnostic[]> {
    return toDiagnostics(await this.transport.call("analyze", req));
  }

  async analyzeStack(resources: analyzer.AnalyzerResource[]): Promise<Diagnostic[]> {
    const req = new analyzer.AnalyzeStackRequest();
    req.setResourcesList(resources);
    return toDiagnostics(await this.transport.call("analyzeStack", req));
  }

  /** Closes the channel and stops the pack; resolves once it has stopped. */
  async close(): Promise<void> {
    this.transport.close();
    await this.backend.stop();
  }

  stderrText(): string {
    return this.backend.stderr();
  }
}

/** Stops a pack process; resolves once it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
