/**
 * Whole-process measurements: a command run as users run it, its wall time from spawn to exit, and
 * the peak RSS of every Node process it started (summed: an upper bound of the tree's peak).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const PROBE = join(__dirname, "rss-probe.cjs");

export interface ProcessSample {
  ms: number;
  peakRssMiB: number;
  processes: number;
  status: number | null;
  stderr: string;
}

/** Runs `command args` to completion; stdout is discarded, stderr kept for a failure's message. */
export function runProcess(command: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<ProcessSample> {
  const dir = mkdtempSync(join(tmpdir(), "bench-rss-"));
  const rssFile = join(dir, "rss.jsonl");
  const env = { ...process.env, ...opts.env, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${PROBE}`.trim() };
  return new Promise<ProcessSample>((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: opts.cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", (err) => {
      rmSync(dir, { recursive: true, force: true });
      reject(err);
    });
    child.once("close", (status) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      let lines: string[] = [];
      try {
        lines = readFileSync(rssFile, "utf8").trim().split("\n").filter(Boolean);
      } catch {
        // No Node process reached exit normally (killed): no RSS figures.
      }
      rmSync(dir, { recursive: true, force: true });
      const kib = lines.map((l) => (JSON.parse(l) as { maxRssKiB: number }).maxRssKiB);
      resolve({ ms, peakRssMiB: Math.round(kib.reduce((a, b) => a + b, 0) / 1024), processes: kib.length, status, stderr });
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** "load average 1.2 / 0.9 / 0.7 (1/5/15 min) on 2 cores" */
export function loadLine(): string {
  const [a = 0, b = 0, c = 0] = loadavg();
  return `${a.toFixed(2)} / ${b.toFixed(2)} / ${c.toFixed(2)}`;
}
