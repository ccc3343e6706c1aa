/**
 * The offline policy run: both packs served by @pulumi/policy (in this process by default, or one
 * child process per pack as `pulumi preview --policy-pack` starts them), configured for the stack,
 * then `analyze` per resource and `analyzeStack` once, as the CLI would. A PolicyRunner keeps its
 * servers for several graphs; runPolicies is the one-shot form.
 */
import { urnType, type Deployment, type DeploymentResource } from "../../preview/deployment";
import { loadPolicyConfig, reconcile, type PolicyPackConfig } from "./config";
import { analyzable, RequestBuilder, type StackProperties } from "./marshal";
import { controlsOf, type PolicyReport, type PolicyViolation } from "./report";
import { PackServer, type Diagnostic } from "./server";
import { directTransport, hostPack } from "./host";
import { PACK_DIRS } from "./pack-dirs";

export { PACK_DIRS };

/**
 * Where the packs run. "in-process" (default): both served by @pulumi/policy's own server code in
 * this process (a private instance of its module per pack, called without a socket; see host.ts) —
 * no process start-up, the packs and the SDK loaded once. "process": one child process per pack
 * through tsx, reached over gRPC, exactly as `pulumi preview --policy-pack` runs a pack.
 */
export type PackIsolation = "in-process" | "process";
/** Analyze calls in flight per pack: enough to hide gRPC latency, few enough for 2 cores. */
const IN_FLIGHT = 16;

export interface EvaluateOptions {
  /** Stack name: selects infra/policy/config/<stack>.json and is sent in ConfigureStack. */
  stack?: string;
  /** Policy config to use instead of the stack's file. */
  config?: PolicyPackConfig;
  /** What AnalyzeStack sees: the planned state (default: outputs with the inputs laid over), outputs, or inputs. */
  stackProperties?: StackProperties;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function stripDescription(d: Diagnostic): string {
  // @pulumi/policy reports `${description}\n${message}` for string violations.
  const prefix = `${d.description}\n`;
  return d.message.startsWith(prefix) ? d.message.slice(prefix.length) : d.message;
}

/** A graph marshalled into the analyzer's requests, with the config that applies: everything an evaluation needs but the packs. */
export class PreparedEvaluation {
  constructor(
    readonly targets: DeploymentResource[],
    readonly byUrn: Map<string, DeploymentResource>,
    readonly stack: string,
    readonly project: string,
    readonly config: PolicyPackConfig,
    readonly analyzeRequests: ReturnType<RequestBuilder["analyzeRequest"]>[],
    readonly stackResources: ReturnType<RequestBuilder["stackResource"]>[],
  ) {}
}

/** Marshals a graph for evaluation (no pack needed: runs while the packs start). */
export function prepareEvaluation(deployment: Deployment, opts: EvaluateOptions = {}): PreparedEvaluation {
  const all = deployment.deployment.resources;
  const targets = analyzable(all);
  const byUrn = new Map<string, DeploymentResource>(all.map((r) => [r.urn, r]));
  const [, stackFromUrn, project = ""] = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(targets[0]?.urn ?? "") ?? [];
  const stack = opts.stack ?? stackFromUrn ?? "";
  const config = opts.config ?? loadPolicyConfig(opts.stack);
  const builder = new RequestBuilder(all);
  return new PreparedEvaluation(
    targets,
    byUrn,
    stack,
    project,
    config,
    targets.map((r) => builder.analyzeRequest(r)),
    targets.map((r) => builder.stackResource(r, opts.stackProperties ?? "planned")),
  );
}

export class PolicyRunner {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly servers: PackServer[]) {}

  /** Starts every pack (in parallel when they are processes). */
  static async start(opts: { isolation?: PackIsolation } = {}): Promise<PolicyRunner> {
    let started: Array<PromiseSettledResult<PackServer>>;
    if (opts.isolation === "process") {
      started = await Promise.allSettled(PACK_DIRS.map((dir) => PackServer.start(dir)));
    } else {
      // Loads @pulumi/policy and the rules: only when the packs are served here.
      const { PACKS } = await import("./packs");
      const nothingToStop = { stop: () => Promise.resolve(), stderr: () => "" };
      started = await Promise.allSettled(PACKS.map(async ({ dir, pack }) => PackServer.over(dir, directTransport(hostPack(dir, pack)), nothingToStop)));
    }
    const servers = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) {
      await Promise.all(servers.map((s) => s.close()));
      throw failed.reason;
    }
    return new PolicyRunner(servers);
  }

  /** Evaluates one graph (or one prepared by prepareEvaluation). Calls are serialised: Configure is per-server state. */
  evaluate(deployment: Deployment | PreparedEvaluation, opts: EvaluateOptions = {}): Promise<PolicyReport> {
    const run = this.queue.then(() => this.evaluateNow(deployment instanceof PreparedEvaluation ? deployment : prepareEvaluation(deployment, opts)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async evaluateNow({ targets, byUrn, stack, project, config, analyzeRequests, stackResources }: PreparedEvaluation): Promise<PolicyReport> {
    const perPack = await Promise.all(
      this.servers.map(async (server) => {
        await server.configure(stack, project, reconcile(server.info, config));
        const resourceDiags = await mapLimit(analyzeRequests, IN_FLIGHT, async (req) => (await server.analyze(req)).map((d) => ({ ...d, urn: d.urn || req.getUrn() })));
        const stackDiags = (await server.analyzeStack(stackResources)).map((d) => ({ ...d, urn: byUrn.has(d.urn) ? d.urn : (targets[0]?.urn ?? "") }));
        return [...resourceDiags.flat(), ...stackDiags];
      }),
    );

    const packs = this.servers.map((s) => s.info);
    const violations: PolicyViolation[] = perPack.flat().flatMap((d) => {
      if (d.enforcementLevel === "disabled") return [];
      const resource = byUrn.get(d.urn);
      const v: PolicyViolation = {
        policyPack: d.policyPackName,
        policyPackVersion: d.policyPackVersion,
        policy: d.policyName,
        urn: d.urn,
        type: resource?.type ?? urnType(d.urn),
        // The CLI counts a remediate-level violation as mandatory.
        enforcementLevel: d.enforcementLevel === "advisory" ? "advisory" : "mandatory",
        severity: d.severity,
        controls: controlsOf(packs, d.policyPackName, d.policyName),
        description: d.description,
        message: stripDescription(d),
      };
      if (resource?.sourcePosition) v.sourcePosition = resource.sourcePosition;
      return [v];
    });
    violations.sort((a, b) => a.policyPack.localeCompare(b.policyPack) || a.policy.localeCompare(b.policy) || a.urn.localeCompare(b.urn) || a.message.localeCompare(b.message));
    const report: PolicyReport = {
      packs,
      resourceCount: targets.length,
      violations,
      summary: { mandatory: violations.filter((v) => v.enforcementLevel === "mandatory").length, advisory: violations.filter((v) => v.enforcementLevel === "advisory").length },
    };
    if (stack) report.stack = stack;
    return report;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
  }
}

/** One-shot: start both packs, evaluate the graph, stop them. */
export async function runPolicies(input: { deployment: Deployment; isolation?: PackIsolation } & EvaluateOptions): Promise<PolicyReport> {
  const { deployment, isolation, ...opts } = input;
  // Bad config is bad input: report it before starting the packs.
  opts.config ??= loadPolicyConfig(opts.stack);
  // Pack processes start while this one marshals the graph.
  const starting = PolicyRunner.start(isolation ? { isolation } : {});
  let prepared: PreparedEvaluation;
  try {
    prepared = prepareEvaluation(deployment, opts);
  } catch (err) {
    await starting.then((r) => r.close(), () => undefined);
    throw err;
  }
  const runner = await starting;
  try {
    return await runner.evaluate(prepared);
  } finally {
    await runner.close();
  }
}
