/**
 * `npm run bench -- preview`: the offline preview as users run it (`node infra/cli/bin.cjs preview`,
 * a fresh process each time) for both stacks and for prod with 1, 10 and 50 services (the first
 * service cloned, names and digests included, through `--config-file`). Whole-process wall time
 * and peak RSS, medians of BENCH_RUNS rounds (default 3) interleaved with the SDK load, and how
 * time and memory grow per added service.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { loadStackConfig, stackFilePath } from "../../config/stack-file";
import { loadLine, median, runProcess, type ProcessSample } from "./process";
import { machineLine, writeSection } from "./report";

const ROOT = join(__dirname, "..", "..");
const ENTRY = join(ROOT, "infra", "cli", "bin.cjs");
const SDKS = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/datadog", "@pulumi/pagerduty"];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** `Pulumi.<stack>.yaml` with its first service cloned `count` times (and a promoted digest for each). */
export function generatedStackFile(stack: string, count: number, dir: string): string {
  const cfg = loadStackConfig(stack);
  const base = cfg.services[0]!;
  const services = Array.from({ length: count }, (_, i) => ({ ...base, name: `${base.name}-${String(i + 1).padStart(2, "0")}` }));
  const doc = parseDocument(readFileSync(stackFilePath(stack), "utf8"));
  doc.setIn(["config", "backend-release:services"], services);
  if (cfg.images.source === "promote") {
    const digest = cfg.images.digests[base.name]!;
    doc.setIn(["config", "backend-release:images"], { ...cfg.images, digests: Object.fromEntries(services.map((s) => [s.name, digest])) });
  }
  const file = join(dir, `Pulumi.${stack}-${count}.yaml`);
  writeFileSync(file, String(doc));
  return file;
}

interface Case {
  label: string;
  args: string[];
  services?: number;
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "bench-preview-"));
  try {
    const cases: Case[] = [
      { label: "staging (committed)", args: ["preview", "--stack", "staging"] },
      { label: "prod (committed)", args: ["preview", "--stack", "prod"] },
      ...[1, 10, 50].map((n) => ({ label: `prod, ${n} service${n === 1 ? "" : "s"}`, args: ["preview", "--stack", "prod", "--config-file", generatedStackFile("prod", n, work), "--format", "json"], services: n })),
    ];
    const loadBefore = loadLine();
    const sdk: ProcessSample[] = [];
    const samples = cases.map(() => [] as ProcessSample[]);
    const resources = cases.map(() => 0);
    const check = (s: ProcessSample, what: string): ProcessSample => {
      if (s.status !== 0) throw new Error(`${what} exited with ${s.status}: ${s.stderr.trim().split("\n").slice(-5).join("\n")}`);
      return s;
    };
    // Warm-up: compiles the CLI if the sources changed; reads each case's resource count.
    for (const [i, c] of cases.entries()) {
      const out = join(work, `graph-${i}.json`);
      check(await runProcess(process.execPath, [ENTRY, ...c.args, "--out", out], { cwd: ROOT }), c.label);
      resources[i] = (JSON.parse(readFileSync(out, "utf8")) as { deployment: { resources: unknown[] } }).deployment.resources.length;
    }
    for (let round = 0; round < RUNS; round++) {
      sdk.push(check(await runProcess(process.execPath, ["-e", `for (const m of ${JSON.stringify(SDKS)}) require(m)`], { cwd: ROOT }), "SDK load"));
      for (const [i, c] of cases.entries()) samples[i]!.push(check(await runProcess(process.execPath, [ENTRY, ...c.args], { cwd: ROOT }), c.label));
      process.stdout.write(`round ${round + 1}/${RUNS}: sdk ${Math.round(sdk.at(-1)!.ms)} ms, ${cases.map((c, i) => `${c.label} ${Math.round(samples[i]!.at(-1)!.ms)} ms`).join(", ")}\n`);
    }
    const loadAfter = loadLine();
    const sdkMs = median(sdk.map((s) => s.ms));
    const rows = cases.map((c, i) => {
      const ms = median(samples[i]!.map((s) => s.ms));
      const rss = Math.max(...samples[i]!.map((s) => s.peakRssMiB));
      return { c, ms, rss, resources: resources[i]! };
    });
    const table = rows.map((r) => `| ${r.c.label} | ${r.resources} | ${(r.ms / 1000).toFixed(2)} s | ${(r.ms / sdkMs).toFixed(2)}× | ${r.rss} MiB |`);
    const scaled = rows.filter((r) => r.c.services !== undefined);
    const [one, ten, fifty] = scaled;
    const per = (a: (typeof rows)[number], b: (typeof rows)[number], key: "ms" | "rss") => (b[key] - a[key]) / (b.c.services! - a.c.services!);
    const growth =
      one && ten && fifty
        ? [
            `Per added service: ${(per(one, ten, "ms") / 1000).toFixed(2)} s and ${per(one, ten, "rss").toFixed(1)} MiB from 1 to 10 services, ${(per(ten, fifty, "ms") / 1000).toFixed(2)} s and ${per(ten, fifty, "rss").toFixed(1)} MiB from 10 to 50`,
            `(time ${(per(ten, fifty, "ms") / per(one, ten, "ms")).toFixed(2)}×, memory ${(per(ten, fifty, "rss") / per(one, ten, "rss")).toFixed(2)}× the earlier rate; 1.00 is linear, below is better).`,
            `50 services: ${(fifty.ms / 1000).toFixed(1)} s (${(fifty.ms / sdkMs).toFixed(1)}× the SDK load; the goal, 10 s on a quiet machine where the SDK load takes about 1.1 s, is about 9×) and ${fifty.rss} MiB (goal ≤ 600 MiB).`,
          ].join(" ")
        : "";
    const md = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (1/5/15 min).`,
      `Each row is \`node infra/cli/bin.cjs preview …\` in a fresh process (what \`npm run cli -- preview …\` runs), generated stacks through \`--config-file\`; median of ${RUNS} rounds, each starting with the SDK load (${(sdkMs / 1000).toFixed(2)} s median) so the ratios share the machine's load; peak RSS of the process.`,
      "",
      "| graph | resources | whole process | × SDK load | peak RSS |",
      "|---|---:|---:|---:|---:|",
      ...table,
      "",
      growth,
    ].join("\n");
    writeSection("preview", md);
    process.stdout.write(`${md}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
