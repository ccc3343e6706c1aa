/**
 * Policy evaluation time per resource, through the real analyzer (both packs served by
 * @pulumi/policy, driven over gRPC): on the prod graph recorded by the offline preview, and on a
 * synthetic 50-service graph (the test fixtures' per-service resources repeated 50 times).
 */
import { recordStack } from "../../infra/preview/record";
import type { Deployment } from "../../infra/preview/deployment";
import { PolicyRunner } from "../../infra/policy/runner";
import { fixtures, toDeployment, type Fixture } from "../policy/fixtures";
import { loadLine } from "./process";
import { machineLine, measure, writeSection } from "./report";

const RUNS = 3;
const PER_SERVICE = ["repository", "taskDefinition", "migration", "service", "rolePolicy", "role", "logGroup", "secret"];

/** 50 services, each with its repository, task definition, migration, service, IAM and logs. */
export function fiftyServiceGraph(services = 50): Deployment {
  const base = fixtures();
  const shared = Object.entries(base).filter(([k]) => !PER_SERVICE.includes(k)).map(([, f]) => f);
  const perService: Fixture[] = [];
  for (let i = 0; i < services; i++) {
    const rename = (f: Fixture): Fixture => ({ ...f, name: `svc${i}-${f.name}` });
    const migration = rename(base.migration!);
    for (const key of PER_SERVICE) {
      const f = rename(base[key]!);
      if (key === "service") f.dependencies = [`urn:pulumi:test::backend-release::${migration.type}::${migration.name}`];
      perService.push(key === "migration" ? migration : f);
    }
  }
  return toDeployment([...shared, ...perService], "test");
}

async function timeGraph(runner: PolicyRunner, deployment: Deployment, stack: string): Promise<{ resources: number; ms: number; perResourceMs: number; peakRssMiB: number; mandatory: number }> {
  const samples: Array<{ ms: number; peakRssMiB: number; resources: number; mandatory: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const { result, ms, peakRssMiB } = await measure(() => runner.evaluate(deployment, { stack }));
    samples.push({ ms, peakRssMiB, resources: result.resourceCount, mandatory: result.summary.mandatory });
  }
  samples.sort((a, b) => a.ms - b.ms);
  const median = samples[Math.floor(samples.length / 2)]!;
  return { ...median, perResourceMs: median.ms / median.resources };
}

export async function run(): Promise<void> {
  const loadBefore = loadLine();
  const prod = (await recordStack({ stack: "prod" })).deployment;
  const fifty = fiftyServiceGraph();
  const rows: string[] = [];
  let policies = 0;
  for (const isolation of ["in-process", "process"] as const) {
    const { result: runner, ms: startMs } = await measure(() => PolicyRunner.start({ isolation }));
    try {
      policies = runner.servers.reduce((n, s) => n + s.info.policies.length, 0);
      const where = isolation === "in-process" ? "both packs in this process" : "one process per pack (as `pulumi preview --policy-pack`)";
      for (const [name, graph] of [["prod graph (offline preview)", prod], ["50-service graph (synthetic)", fifty]] as const) {
        const r = await timeGraph(runner, graph, "prod");
        rows.push(`| ${where} | ${Math.round(startMs)} ms | ${name} | ${r.resources} | ${r.ms.toFixed(0)} ms | ${r.perResourceMs.toFixed(2)} ms | ${r.peakRssMiB} MiB |`);
      }
    } finally {
      await runner.close();
    }
  }
  const md = [
    `Both packs (SEC-OPS, DATA-OPS: ${policies} policies) served by \`@pulumi/policy\`'s own server code and driven over gRPC: \`analyze\` per resource and \`analyzeStack\` once per pack. The CLI serves both packs in its own process (each by a private instance of the server module, on its own port); the per-process path is what \`pulumi preview --policy-pack\` does and what the equivalence test compares with. Start: until both packs answered GetAnalyzerInfo. Evaluation: median of ${RUNS} runs on started servers. Peak RSS: this process only (the per-process packs' own memory is not counted).`,
    "",
    "| packs | start | graph | analyzed resources | evaluation | per resource | peak RSS |",
    "|---|---:|---|---:|---:|---:|---:|",
    ...rows,
    "",
    `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadLine()} after (1/5/15 min). Measured ${new Date().toISOString().slice(0, 10)}.`,
  ].join("\n");
  writeSection("policy", md);
  console.log(md);
}
