/**
 * The service and the stack as units (issue 13): a second service and a third stack added as
 * files only — a copy of the repository with a new `Pulumi.<stack>.yaml` (two services sharing the
 * database) and its policy config, no code change — preview, pass policy, get docs and runbooks,
 * and the graph has exactly one migration run that every database service waits for.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import type { Deployment } from "../../infra/preview/deployment";
import { Graph } from "../support/graph";

const run = promisify(execFile);
const STACK = "perf-eu";
let root: string;
let graph: Graph;

/** A working copy of the tracked files (the repository as a clone has it), sharing node_modules. */
async function copyRepository(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "units-"));
  const { stdout } = await run("git", ["ls-files", "-z"], { cwd: REPO_ROOT, maxBuffer: 64 * 2 ** 20 });
  for (const file of stdout.split("\0").filter(Boolean)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dir, file));
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** staging's config as a new stack named `perf-eu`, with a copy of orders-api named billing-api. */
function writeThirdStack(dir: string): void {
  const doc = parseDocument(readFileSync(join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8"));
  const config = (doc.toJS() as { config: Record<string, unknown> }).config;
  config["backend-release:environment"] = "perf";
  const services = config["backend-release:services"] as Array<Record<string, unknown>>;
  const billing = structuredClone(services[0]!);
  billing.name = "billing-api";
  billing.description = "Billing HTTP API";
  billing.secrets = ["BILLING_SIGNING_KEY"];
  services.push(billing);
  writeFileSync(join(dir, `Pulumi.${STACK}.yaml`), JSON.stringify({ config })); // JSON is YAML
  cpSync(join(dir, "infra", "policy", "config", "staging.json"), join(dir, "infra", "policy", "config", `${STACK}.json`));
}

async function cli(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "infra/cli/main.ts", ...args], { cwd: dir, maxBuffer: 64 * 2 ** 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  root = await copyRepository();
  writeThirdStack(root);
  const preview = await cli(root, "preview", "--stack", STACK, "--out", join(root, "graph.json"));
  expect(preview.stderr + preview.stdout).toContain("wrote");
  expect(preview.code).toBe(0);
  graph = new Graph(JSON.parse(readFileSync(join(root, "graph.json"), "utf8")) as Deployment);
}, 180_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("a third stack with a second service, added as files only", () => {
  it("has exactly one migration run for its database, and every service using the database waits for it", () => {
    const runs = graph.ofType("command:local:Command");
    expect(runs).toHaveLength(1);
    const services = graph.ofType("aws:ecs/service:Service");
    expect(services.map((s) => s.inputs?.name).sort()).toEqual(["billing-api", "orders-api"]);
    for (const s of services) expect(graph.transitiveDependencies(s)).toContain(runs[0]!.urn);
    // A new image of either service runs the (idempotent) migrations first.
    const triggers = runs[0]!.inputs?.triggers as string[];
    for (const s of services) {
      const td = graph.resources.find((r) => r.urn === (s.propertyDependencies?.taskDefinition ?? [])[0]);
      const digest = String(Graph.containers(td!)[0]!.environment && (Graph.containers(td!)[0]!.environment as { name: string; value: string }[]).find((e) => e.name === "IMAGE_DIGEST")?.value);
      expect(triggers).toContain(digest);
    }
  });

  it("declares the shared database's and migration run's monitors once, owned by the service that migrates it", () => {
    const monitors = graph.ofType("datadog:index/monitor:Monitor");
    const kindOf = (m: (typeof monitors)[number]) => (m.inputs?.tags as string[]).find((t) => t.startsWith("monitor-kind:"))?.slice("monitor-kind:".length);
    const shared = monitors.filter((m) => /^(db|migration)/.test(kindOf(m) ?? ""));
    expect(shared.length).toBeGreaterThan(0);
    const kinds = shared.map(kindOf);
    expect(new Set(kinds).size, "one monitor per database kind").toBe(kinds.length);
    for (const m of shared) expect(m.inputs?.tags as string[]).toContain("service:orders-api");
    // Each service still has its own service-scoped monitors.
    for (const svc of ["orders-api", "billing-api"]) expect(monitors.filter((m) => kindOf(m) === "cpu" && (m.inputs?.tags as string[]).includes(`service:${svc}`))).toHaveLength(1);
  });

  it("names everything after the stack and the service (one naming module)", () => {
    const cluster = graph.one("aws:ecs/cluster:Cluster");
    expect(cluster.inputs?.name).toBe(`backend-release-${STACK}`);
    const groups = graph.ofType("aws:cloudwatch/logGroup:LogGroup").map((g) => String(g.inputs?.name));
    expect(groups).toEqual(expect.arrayContaining([`/backend-release/${STACK}/orders-api`, `/backend-release/${STACK}/billing-api`, `/backend-release/${STACK}/orders-api-migrations`]));
    expect(graph.ofType("aws:ecr/repository:Repository").map((r) => r.inputs?.name).sort()).toEqual([`backend-release/${STACK}/billing-api`, `backend-release/${STACK}/orders-api`]);
  });

  it("passes both policy packs with its own policy config", async () => {
    const policy = await cli(root, "policy", "--state", join(root, "graph.json"), "--stack", STACK, "--format", "json");
    const report = JSON.parse(policy.stdout) as { summary: { mandatory: number }; violations: { policy: string; message: string }[] };
    expect(report.violations.filter((v) => v.policy.startsWith("DATA-MIG") || v.policy.startsWith("SEC"))).toEqual([]);
    expect(report.summary.mandatory).toBe(0);
    expect(policy.code).toBe(0);
  }, 120_000);

  it("gets runbooks and on-call docs that name both services, with no code change", async () => {
    expect((await cli(root, "docs", "generate")).code).toBe(0);
    const environments = readFileSync(join(root, "runbooks", "README.md"), "utf8") + readFileSync(join(root, "runbooks", "startup.md"), "utf8");
    expect(environments).toContain(`backend-release-${STACK}`);
    expect(environments).toContain("billing-api");
    expect((await cli(root, "docs", "check")).code).toBe(0);
    const coverage = await cli(root, "oncall", "coverage", "--stack", STACK, "--format", "json");
    expect(coverage.code).toBe(0);
  }, 120_000);
});
