/**
 * `npm run bench -- release`: the release command's whole-process time on a fresh copy of the
 * repository, as the README has people run it: `git clone`, `npm ci`, then
 * `npm run release -- --stack staging --version 1.4.0` (NO-GO for the missing sign-offs only:
 * every step must pass, or the run does not count).
 *
 * BENCH_RELEASE_REFS (comma-separated, default HEAD) names the commits to compare, each in its
 * own clone; rounds (BENCH_RUNS, default 3) are interleaved between them so a busy machine weighs
 * on all alike. Before each round the clone is put back to its commit (the release writes its
 * record and the BACK-PH5 log) and the package removed. CPU is the whole process tree's user +
 * system time (what the bench process reaped), which a busy machine inflates less than wall time.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLine, median } from "./process";
import { machineLine, writeSection } from "./report";

const ROOT = join(__dirname, "..", "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const REFS = (process.env.BENCH_RELEASE_REFS ?? "HEAD").split(",").map((r) => r.trim()).filter(Boolean);
const VERSION = "1.4.0";
const STACK = "staging";
/** The issue's ceiling for the release on a fresh clone. */
const GOAL_S = 15;

interface Clone {
  ref: string;
  sha: string;
  subject: string;
  dir: string;
  npmCiS: number;
  wall: number[];
  cpu: number[];
}

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** CPU seconds of every child this process has reaped (and of theirs): /proc/self/stat cutime + cstime. */
function childrenCpuS(ticksPerSecond: number): number {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond;
}

function spawnCollect(command: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
  });
}

async function freshClone(ref: string, work: string): Promise<Clone> {
  const sha = git(ROOT, "rev-parse", `${ref}^{commit}`);
  const dir = join(work, `${ref.replace(/[^A-Za-z0-9._-]/g, "_")}-${sha.slice(0, 12)}`);
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", ROOT, dir], { stdio: "ignore" });
  git(dir, "checkout", "--quiet", "--detach", sha);
  console.log(`${ref} (${sha.slice(0, 12)}): npm ci …`);
  const ci = await spawnCollect("npm", ["ci", "--no-audit", "--no-fund"], dir);
  if (ci.status !== 0) throw new Error(`npm ci in the clone of ${ref} failed:\n${ci.stdout.split("\n").slice(-10).join("\n")}`);
  return { ref, sha, subject: git(dir, "log", "-1", "--format=%s"), dir, npmCiS: ci.ms / 1000, wall: [], cpu: [] };
}

async function release(clone: Clone, ticks: number): Promise<void> {
  // Back to the commit: the previous round's record, log and package go.
  git(clone.dir, "checkout", "--quiet", "--", ".");
  git(clone.dir, "clean", "-fdq");
  rmSync(join(clone.dir, "backend", "outputs", "phase-5", VERSION), { recursive: true, force: true });
  const cpuBefore = childrenCpuS(ticks);
  const r = await spawnCollect("npm", ["run", "release", "--", "--stack", STACK, "--version", VERSION], clone.dir);
  const cpu = childrenCpuS(ticks) - cpuBefore;
  // NO-GO (exit 1) is expected: nobody signed. Every step must have passed for the time to count.
  if (r.status !== 1 || !/Steps: 7 passed —/.test(r.stdout) || !/sign-off: role /.test(r.stdout)) {
    throw new Error(`release in the clone of ${clone.ref} did not get through every step (exit ${r.status}):\n${r.stdout.split("\n").slice(-25).join("\n")}`);
  }
  clone.wall.push(r.ms / 1000);
  clone.cpu.push(cpu);
  console.log(`${clone.ref}: ${(r.ms / 1000).toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU`);
}

export async function run(): Promise<void> {
  const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  const work = mkdtempSync(join(tmpdir(), "bench-release-"));
  // As root, PostgreSQL runs as the postgres user, which must reach the clone's binaries.
  chmodSync(work, 0o755);
  try {
    const clones: Clone[] = [];
    for (const ref of REFS) clones.push(await freshClone(ref, work));
    const loadBefore = loadLine();
    for (let round = 0; round < RUNS; round++) for (const c of clones) await release(c, ticks);
    const loadAfter = loadLine();
    const s = (x: number) => `${x.toFixed(1)} s`;
    const rows = clones.map((c) => {
      const m = median(c.wall);
      const goal = c === clones.at(-1) ? (m < GOAL_S ? `< ${GOAL_S} s met` : `< ${GOAL_S} s **not met**`) : "";
      return `| \`${c.sha.slice(0, 12)}\` ${c.ref === "HEAD" ? "" : `(${c.ref}) `}${c.subject.replace(/\|/g, "\\|").slice(0, 70)} | ${s(c.npmCiS)} | **${s(m)}** | ${c.wall.map((w) => w.toFixed(1)).join(", ")} | ${s(median(c.cpu))} | ${goal} |`;
    });
    writeSection(
      "release",
      [
        `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (1/5/15 min).`,
        `Each commit in its own fresh clone (\`git clone\`, \`npm ci\`), then \`npm run release -- --stack ${STACK} --version ${VERSION}\` as the README gives it: every step passing, NO-GO only for the missing sign-offs. ${RUNS} rounds, interleaved between the commits; wall time from spawn to exit (npm's own start included), and the CPU time (user + system) of the whole process tree.`,
        "",
        "| commit | `npm ci` | release, median | rounds | CPU, median | goal |",
        "|---|---:|---:|---|---:|---|",
        ...rows,
      ].join("\n"),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
