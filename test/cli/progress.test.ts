/**
 * Issue 18: every long step says what it is doing, on stderr (stdout stays the output): plain
 * lines when stderr is not a terminal (CI logs), a spinner that keeps turning on a terminal
 * (even while the work blocks the main thread), nothing with --quiet. NO_COLOR (and a pipe, even
 * in GitHub Actions) means no ANSI escape, also from the release's task list. The AWS SDK is not
 * loaded (nor its Node.js support warning printed) by a verify-deploy that never asks AWS.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { HEARTBEAT_MS, step } from "../../infra/cli/progress";
import { fixtures, toDeployment } from "../policy/fixtures";
import { captureCli } from "../support/cli-capture";
import { cleanEnv, onTerminal, ROOT, withPipes } from "./terminal";

const ESC = "\u001b";
let dir: string;
let graph: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cli-progress-"));
  graph = join(dir, "graph.json");
  writeFileSync(graph, JSON.stringify(toDeployment(Object.values(fixtures()), "prod")));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI in this process, stdout and stderr captured as pipes (not terminals). */
const cli = (args: string[]) => captureCli(args, { pipes: true });

describe("progress when stderr is not a terminal", () => {
  it("policy: a line when evaluation starts and one when it ends, on stderr; stdout is exactly the report", async () => {
    const shown = await cli(["policy", "--state", graph, "--format", "json"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toMatch(/^› evaluating \d+ resources of prod with SEC-OPS and DATA-OPS…\n✓ evaluating \d+ resources of prod with SEC-OPS and DATA-OPS: done in \d+\.\d s\n$/);
    // The same report, written by a quiet run: stdout held nothing else.
    const out = join(dir, "report.json");
    const quiet = await cli(["--quiet", "policy", "--state", graph, "--format", "json", "--out", out]);
    expect(quiet).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(shown.stdout).toBe(readFileSync(out, "utf8"));
    expect(JSON.parse(shown.stdout)).toMatchObject({ summary: { mandatory: 0 } });
  }, 120_000);

  it("migrate lint: its step on stderr, the report alone on stdout", async () => {
    const r = await cli(["migrate", "lint", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^› linting the migration files \(runner rules and squawk\)…\n✓ linting the migration files \(runner rules and squawk\): done in \d+\.\d s\n$/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
  }, 120_000);

  it("a step that fails says so, then the error says why", async () => {
    // Port 1 on loopback: nothing listens there.
    const r = await cli(["migrate", "status", "--database-url", "postgres://app@127.0.0.1:1/orders"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^› reading the database's migration state…\n✗ reading the database's migration state: failed after \d+\.\d s\nblocked: could not connect to 127\.0\.0\.1:1\/orders/);
  }, 120_000);

  it("a step still running says so every 30 s, so a CI log shows a live job", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
    try {
      let finish = () => {};
      const running = step("waiting for the database", () => new Promise<void>((r) => (finish = r)));
      vi.advanceTimersByTime(HEARTBEAT_MS * 2 + 1);
      finish();
      await running;
    } finally {
      spy.mockRestore();
      vi.useRealTimers();
    }
    expect(stderr).toBe("› waiting for the database…\n  … waiting for the database: still running after 30.0 s\n  … waiting for the database: still running after 60.0 s\n✓ waiting for the database: done in 60.0 s\n");
  });
});

describe("progress on a terminal", () => {
  it("the spinner keeps turning while the policy packs evaluate, then one line says how it ended", () => {
    const out = join(dir, "tty-report.md");
    const r = onTerminal(["policy", "--state", graph, "--out", out], cleanEnv({ TERM: "xterm-256color" }));
    expect(r.status, r.output).toBe(0);
    const frames = new Set([...r.output.matchAll(new RegExp(`\r(?:${ESC}\\[36m)?([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏])(?:${ESC}\\[39m)? evaluating`, "g"))].map((m) => m[1]));
    expect(frames.size, JSON.stringify(r.output)).toBeGreaterThanOrEqual(2);
    expect(r.output).toMatch(new RegExp(`${ESC}\\[32m✓${ESC}\\[39m evaluating \\d+ resources of prod with SEC-OPS and DATA-OPS: done in \\d+\\.\\d s\r\n$`));
    expect(readFileSync(out, "utf8")).toMatch(/^### Policy report — prod/);
  }, 120_000);

  it("NO_COLOR: the same spinner without a single escape sequence", () => {
    const r = onTerminal(["policy", "--state", graph, "--out", join(dir, "nc.md")], cleanEnv({ TERM: "xterm-256color", NO_COLOR: "1" }));
    expect(r.status, r.output).toBe(0);
    expect(r.output).not.toContain(ESC);
    expect(new Set([...r.output.matchAll(/\r([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) evaluating/g)].map((m) => m[1])).size).toBeGreaterThanOrEqual(2);
    expect(r.output).toMatch(/✓ evaluating \d+ resources of prod with SEC-OPS and DATA-OPS: done in \d+\.\d s\r\n$/);
  }, 120_000);
});

// (In CI, stdout on a pipe: applyColorPolicy sets NO_COLOR for colorette, which would colour the
// pipe because CI is set; color.test.ts checks that, and this run that colorette then writes none.)
describe("the release's task list (listr2) follows the same colour rule", () => {
  const version = `0.0.0-cli-colour.${process.pid}`;
  const versionDir = join(ROOT, "backend", "outputs", "phase-5", version);
  // Interrupted once the backend is built: the pipeline checks for an interrupt only between steps,
  // so a Ctrl-C during the build would leave its tsc running after the cleanup.
  const AFTER_THE_BUILD = "writing the SBOM";
  afterAll(() => {
    // Created by these runs (the interrupt removes the partial package and the lock, not the version's directory).
    if (existsSync(versionDir)) rmSync(versionDir, { recursive: true, force: true });
  });

  it("on a terminal with NO_COLOR: plain lines instead of the live list (it moves the cursor with escapes)", () => {
    const r = onTerminal(["release", "--stack", "staging", "--version", version], cleanEnv({ TERM: "xterm-256color", NO_COLOR: "1" }), { interruptOn: AFTER_THE_BUILD });
    expect(r.output).toContain(AFTER_THE_BUILD);
    expect(r.output).not.toContain(ESC);
    expect(r.status).toBe(130);
  }, 180_000);
});

describe("the AWS SDK", () => {
  it("is not loaded, and prints nothing, when verify-deploy never asks AWS (bad input, NO-GO)", async () => {
    const r = await withPipes(["verify-deploy", "--stack", "prod", "--version", "1.4.0", "--package", join(dir, "no-package")], cleanEnv());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: no release package at /);
    expect(r.stderr).not.toMatch(/AWS SDK|NodeVersionSupportWarning|Warning:/);
  }, 120_000);
});
