/**
 * `npm run bench -- commands`: each command's whole-process time as users run it, as a ratio to
 * loading the four Pulumi SDKs (`require` of @pulumi/pulumi, aws, datadog, pagerduty) measured in
 * the same run. Rounds are interleaved — SDK load, then every command, then again — so a busy
 * machine weighs on the floor and the commands alike; medians of BENCH_RUNS rounds (default 5).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLine, median, runProcess, type ProcessSample } from "./process";
import { machineLine, writeSection } from "./report";

const ROOT = join(__dirname, "..", "..");
const ENTRY = join(ROOT, "infra", "cli", "bin.cjs");
const SDKS = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/datadog", "@pulumi/pagerduty"];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Case {
  label: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Exit codes that mean the command did its job (a finding is still a full run). */
  ok: number[];
  /** The issue's ceiling, as a multiple of the SDK load. */
  goal?: number;
}

function cases(graph: string): Case[] {
  const cli = (args: string[], extra: Partial<Case> = {}): Case => ({ label: `\`${args.join(" ")}\``, command: process.execPath, args: [ENTRY, ...args], ok: [0], ...extra });
  const viaNpm = (args: string[], extra: Partial<Case> = {}): Case => ({ label: `\`npm run cli -- ${args.join(" ")}\``, command: "npm", args: ["run", "-s", "cli", "--", ...args], ok: [0], ...extra });
  const policyArgs = ["policy", "--state", "<prod graph>", "--stack", "prod"];
  const withGraph = (args: string[]) => args.map((a) => (a === "<prod graph>" ? graph : a));
  return [
    { label: "SDK load (`require` of the four SDKs)", command: process.execPath, args: ["-e", `for (const m of ${JSON.stringify(SDKS)}) require(m)`], ok: [0] },
    { ...cli(["preview", "--stack", "prod"]), goal: 2 },
    { ...cli(withGraph(policyArgs)), label: `\`${policyArgs.join(" ")}\``, goal: 2 },
    viaNpm(["preview", "--stack", "prod"]),
    { ...viaNpm(withGraph(policyArgs)), label: `\`npm run cli -- ${policyArgs.join(" ")}\`` },
    { ...cli(["oncall", "coverage", "--stack", "prod"]), ok: [0, 1] },
    { ...cli(["preview", "--stack", "prod"]), label: "`preview --stack prod`, TypeScript sources through tsx (`BACKEND_RELEASE_CLI=tsx`)", env: { BACKEND_RELEASE_CLI: "tsx" } },
  ];
}

async function once(c: Case): Promise<ProcessSample> {
  const s = await runProcess(c.command, c.args, { cwd: ROOT, ...(c.env ? { env: c.env } : {}) });
  if (s.status === null || !c.ok.includes(s.status)) throw new Error(`${c.label} exited with ${s.status}: ${s.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return s;
}

export async function run(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "bench-commands-"));
  try {
    const graph = join(work, "prod.json");
    const loadBefore = loadLine();
    // Warm-up (also compiles the CLI if the sources changed) and the graph the policy rows judge.
    await once({ label: "preview --out", command: process.execPath, args: [ENTRY, "preview", "--stack", "prod", "--out", graph], ok: [0] });
    const all = cases(graph);
    const samples = all.map(() => [] as ProcessSample[]);
    for (let round = 0; round < RUNS; round++) {
      for (const [i, c] of all.entries()) samples[i]!.push(await once(c));
      process.stdout.write(`round ${round + 1}/${RUNS}: ${all.map((c, i) => `${Math.round(samples[i]!.at(-1)!.ms)}`).join(" ")} ms\n`);
    }
    const loadAfter = loadLine();
    const sdk = median(samples[0]!.map((s) => s.ms));
    const rows = all.map((c, i) => {
      const ms = samples[i]!.map((s) => s.ms);
      const m = median(ms);
      // Per-round ratios too: each compares a command with the SDK load of its own round.
      const perRound = median(ms.map((x, r) => x / samples[0]![r]!.ms));
      const ratio = m / sdk;
      const rss = Math.max(...samples[i]!.map((s) => s.peakRssMiB));
      const procs = Math.max(...samples[i]!.map((s) => s.processes));
      const goal = c.goal ? `≤ ${c.goal}× ${ratio <= c.goal ? "met" : "**not met**"}` : "";
      return `| ${c.label} | ${(m / 1000).toFixed(2)} s | ${(Math.min(...ms) / 1000).toFixed(2)}–${(Math.max(...ms) / 1000).toFixed(2)} s | ${ratio.toFixed(2)}× (per round ${perRound.toFixed(2)}×) | ${rss} MiB${procs > 1 ? ` (${procs} processes)` : ""} | ${goal} |`;
    });
    const md = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (1/5/15 min).`,
      `Each row is a fresh process as users run it: \`node infra/cli/bin.cjs …\` is what \`npm run cli -- …\` runs (the \`npm run\` rows add npm's own start).`,
      `${RUNS} interleaved rounds; median wall time from spawn to exit, its ratio to the SDK load of the same run, and peak RSS (every Node process the command starts, summed).`,
      "",
      "| command | median | range | × SDK load | peak RSS | goal |",
      "|---|---:|---:|---:|---:|---|",
      ...rows,
    ].join("\n");
    writeSection("commands", md);
    process.stdout.write(`${md}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
