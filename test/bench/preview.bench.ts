/**
 * Offline preview speed: wall time (program run and recording, in a fresh process, after the
 * modules are loaded) and peak RSS for both stacks and for generated configs of 1, 10 and 50
 * services. Three runs each; the median is reported. Process start-up (tsx, module loading) is
 * measured separately, since every CLI invocation pays it once.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { machineLine, writeSection } from "./report";

interface Sample {
  stack: string;
  services: number;
  resources: number;
  ms: number;
  peakRssMiB: number;
}

const CHILD = join(__dirname, "preview-child.ts");
const RUNS = 3;

function once(args: string[]): { sample: Sample; wallMs: number } {
  const t = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ["--import", "tsx", CHILD, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const line = out.trim().split("\n").pop()!;
  return { sample: JSON.parse(line) as Sample, wallMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  const cases: [string, string[]][] = [
    ["staging (committed)", ["staging"]],
    ["prod (committed)", ["prod"]],
    ["prod, 1 service", ["prod", "1"]],
    ["prod, 10 services", ["prod", "10"]],
    ["prod, 50 services", ["prod", "50"]],
  ];
  const rows: string[] = [];
  const perService: { services: number; ms: number }[] = [];
  for (const [label, args] of cases) {
    const runs = Array.from({ length: RUNS }, () => once(args));
    const ms = median(runs.map((r) => r.sample.ms));
    const wall = median(runs.map((r) => r.wallMs));
    const rss = Math.max(...runs.map((r) => r.sample.peakRssMiB));
    const { resources, services } = runs[0]!.sample;
    if (args[1]) perService.push({ services, ms });
    rows.push(`| ${label} | ${services} | ${resources} | ${ms} ms | ${Math.round(wall)} ms | ${rss} MiB |`);
    console.log(`${label}: ${resources} resources, ${ms} ms recording, ${Math.round(wall)} ms wall, ${rss} MiB`);
  }
  const [one, , fifty] = perService;
  const growth = one && fifty ? (fifty.ms / one.ms / (fifty.services / one.services)).toFixed(2) : "n/a";
  writeSection(
    "preview",
    [
      `Machine: ${machineLine()}. Median of ${RUNS} runs, each in a fresh process (\`npm run bench -- preview\`).`,
      "",
      "| graph | services | resources | program run + recording | whole process (tsx start, module load, run) | peak RSS |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
      `Growth from 1 to 50 services: ${growth}× the per-service cost of one service (1.00 = linear; below 1 means fixed costs amortise). Goal: prod under 5 s on this 2-core machine.`,
    ].join("\n"),
  );
}
