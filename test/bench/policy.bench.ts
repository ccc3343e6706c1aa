/**
 * Policy evaluation time per resource, through the real analyzer (both packs served by
 * @pulumi/policy, driven over gRPC): on the prod graph recorded by the offline preview, and on a
 * synthetic 50-service graph (the test fixtures' per-service resources repeated 50 times).
 */
import { recordStack } from "../../infra/preview/record";
import type { Deployment } from "../../infra/preview/deployment";
import { PolicyRunner } from "../../infra/policy/runner";
import { fixtures, toDeployment, type Fixture } from "../policy/fixtures";
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
  const { result: runner, ms: startMs } = await measure(() => PolicyRunner.start());
  try {
    const prod = (await recordStack({ stack: "prod" })).deployment;
    const rows = [
      ["prod graph (offline preview)", await timeGraph(runner, prod, "prod")],
      ["50-service graph (synthetic)", await timeGraph(runner, fiftyServiceGraph(), "prod")],
    ] as const;
    const table = rows.map(([name, r]) => `| ${name} | ${r.resources} | ${r.ms.toFixed(0)} ms | ${r.perResourceMs.toFixed(2)} ms | ${r.peakRssMiB} MiB |`);
    const md = [
      `Both packs (SEC-OPS, DATA-OPS: ${runner.servers.reduce((n, s) => n + s.info.policies.length, 0)} policies) served by \`@pulumi/policy\` and driven over gRPC: \`analyze\` per resource and \`analyzeStack\` once per pack, packs in parallel. Median of ${RUNS} runs on warm servers; starting both servers took ${startMs.toFixed(0)} ms (once per process; \`PolicyRunner\` reuses them). Peak RSS is the runner's process only.`,
      "",
      "| graph | analyzed resources | evaluation | per resource | peak RSS |",
      "|---|---|---|---|---|",
      ...table,
      "",
      `Machine: ${machineLine()}. Measured ${new Date().toISOString().slice(0, 10)}.`,
    ].join("\n");
    writeSection("policy", md);
    console.log(md);
  } finally {
    await runner.close();
  }
}
