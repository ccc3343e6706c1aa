/**
 * Ctrl-C during a release runs the cleanup and exits 130: no data directory, password file,
 * partial package or lock is left behind (issue 16), and no child process either while the steps
 * run side by side (issue 19). And the superuser password file initdb
 * reads is 0600 while it exists.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { startEmbeddedPostgres } from "../../infra/postgres/embedded";

let root: string;
/** A temp directory PostgreSQL can reach (as root it runs as the postgres user, which must traverse it). */
function reachable(dir: string): string {
  chmodSync(dir, 0o711);
  return dir;
}

beforeAll(() => {
  root = reachable(mkdtempSync(join(tmpdir(), "release-interrupt-")));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file or directory under `dir`, relative. */
function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

describe("an interrupted release", () => {
  it("exits 130 after stopping PostgreSQL and removing its data, the partial package and the lock", async () => {
    const tmp = reachable(mkdtempSync(join(root, "tmp-")));
    const out = join(root, "out");
    const script = join(root, "interrupted-release.ts");
    // A step that starts PostgreSQL and never finishes (both step shapes, so the script runs against any pipeline version).
    writeFileSync(
      script,
      `
      const { runRelease } = require(${JSON.stringify(join(REPO_ROOT, "infra", "release", "pipeline"))});
      const { startEmbeddedPostgres } = require(${JSON.stringify(join(REPO_ROOT, "infra", "postgres", "embedded"))});
      const { execFileSync } = require("node:child_process");
      const hang = async () => {
        await startEmbeddedPostgres();
        process.stdout.write("READY\\n");
        await new Promise(() => {});
      };
      const step = Object.assign(hang, { id: "smoke", title: "Start PostgreSQL and wait", blocking: true, produces: () => [], run: hang });
      const sha = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
      runRelease({ stack: "staging", version: "3.0.0", outputRoot: ${JSON.stringify(out)}, logFile: ${JSON.stringify(join(root, "log.md"))}, display: "plain", steps: [step],
        commit: { sha, time: new Date("2026-01-01T00:00:00Z"), dirty: false, shallow: false } });
      `,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 90_000;
    while (!output.includes("READY") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain("READY");
    expect(listAll(tmp).some((p) => p.startsWith("embedded-pg-"))).toBe(true);
    child.kill("SIGINT");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000))]);
    if (code === "hung") child.kill("SIGKILL");
    expect(code, output).toBe(130);
    // (tsx keeps its compile cache in the temp directory: not ours to judge.)
    expect(listAll(tmp).filter((p) => !p.startsWith("tsx-"))).toEqual([]);
    expect(existsSync(join(out, "3.0.0")) ? readdirSync(join(out, "3.0.0")) : []).toEqual([]);
    expect(existsSync(join(root, "log.md"))).toBe(false);
  }, 150_000);
});

/** The live processes (not zombies) whose environment carries `marker`, with their command lines. */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, "utf8").includes(marker)) continue;
      if (/^[ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "")) continue;
      found.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim());
    } catch {
      // gone while looking, or not ours to read
    }
  }
  return found;
}

describe("an interrupted release while its steps run side by side", () => {
  it("stops the backend build, PostgreSQL and every other child, and leaves no package, data directory or lock", async () => {
    const tmp = reachable(mkdtempSync(join(root, "tmp-concurrent-")));
    const out = join(root, "out-concurrent");
    const script = join(root, "interrupted-full-release.ts");
    const marker = `RELEASE_INTERRUPT_PROBE=${process.pid}-${Date.now()}`;
    writeFileSync(
      script,
      `
      const { runRelease } = require(${JSON.stringify(join(REPO_ROOT, "infra", "release", "pipeline"))});
      const { execFileSync } = require("node:child_process");
      const sha = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
      runRelease({ stack: "staging", version: "3.1.0", outputRoot: ${JSON.stringify(out)}, logFile: ${JSON.stringify(join(root, "log-concurrent.md"))}, display: "plain",
        commit: { sha, time: new Date("2026-01-01T00:00:00Z"), dirty: false, shallow: false } });
      `,
    );
    const [key, value] = marker.split("=") as [string, string];
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: REPO_ROOT, env: { ...process.env, TMPDIR: tmp, [key]: value }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Interrupt when the compiler and PostgreSQL run at the same time (the build and the migration verify overlap).
    const both = (ps: string[]) => ps.some((p) => /typescript\/bin\/tsc/.test(p)) && ps.some((p) => /(^|\/)postgres /.test(p));
    const deadline = Date.now() + 120_000;
    let seen: string[] = [];
    while (Date.now() < deadline && child.exitCode === null && !both((seen = processesWith(marker)))) await new Promise((r) => setTimeout(r, 50));
    expect(both(seen), `processes when giving up: ${seen.join("; ")}\n${output}`).toBe(true);
    child.kill("SIGINT");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 30_000))]);
    if (code === "hung") child.kill("SIGKILL");
    expect(code, output).toBe(130);
    // PostgreSQL's own children leave with their postmaster: give them a moment.
    const gone = Date.now() + 10_000;
    while (processesWith(marker).length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(processesWith(marker)).toEqual([]);
    expect(listAll(tmp).filter((p) => !p.startsWith("tsx-"))).toEqual([]);
    expect(existsSync(join(out, "3.1.0")) ? readdirSync(join(out, "3.1.0")) : []).toEqual([]);
    expect(existsSync(join(root, "log-concurrent.md"))).toBe(false);
  }, 240_000);
});

describe("embedded PostgreSQL's password file", () => {
  it("is 0600 in a private directory while initdb reads it, and gone afterwards", async () => {
    const tmp = reachable(mkdtempSync(join(root, "pw-")));
    const saved = process.env.TMPDIR;
    const seen = new Map<string, number>();
    const poll = setInterval(() => {
      try {
        for (const p of listAll(tmp)) {
          if (/pg-password|pwfile/.test(p)) seen.set(p, statSync(join(tmp, p)).mode & 0o777);
          else if (/^embedded-pg-pw-[^/]+$/.test(p)) seen.set(p, statSync(join(tmp, p)).mode & 0o777);
        }
      } catch {
        // removed while looking
      }
    }, 2);
    process.env.TMPDIR = tmp;
    let pg;
    try {
      pg = await startEmbeddedPostgres();
    } finally {
      process.env.TMPDIR = saved;
      clearInterval(poll);
    }
    try {
      const files = [...seen].filter(([p]) => /pg-password|pwfile/.test(p));
      expect(files.length, "initdb's password file was seen").toBeGreaterThan(0);
      for (const [path, mode] of files) expect(`${path} ${mode.toString(8)}`).toBe(`${path} 600`);
      for (const [path, mode] of [...seen].filter(([p]) => /^embedded-pg-pw-/.test(p) && !p.includes("/"))) expect(`${path} ${mode.toString(8)}`).toBe(`${path} 700`);
      expect(listAll(tmp).filter((p) => /pg-password|pwfile|embedded-pg-pw-/.test(p))).toEqual([]);
      expect(userInfo().uid === 0 || (await pg.version()).length > 0).toBe(true);
    } finally {
      await pg.stop();
    }
    expect(listAll(tmp)).toEqual([]);
  }, 60_000);
});
