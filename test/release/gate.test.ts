/**
 * The release gate around the steps (issue 16, issue 13): one run of a version at a time,
 * versions checked before any work, failed steps shown as failed, steps as declared objects
 * whose declarations the checklist and the pipeline hold them to. Steps here are quick stand-ins.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { governance } from "../../infra/release/governance-step";
import { LOCK_FILE, LockHeldError } from "../../infra/release/lock";
import { ReleaseRefusedError, runRelease, summaryLine, type ReleaseOptions } from "../../infra/release/pipeline";
import { step, type Deliverable, type ReleaseStep, type StepResult } from "../../infra/release/types";
import { signManifest } from "../../infra/signoff/sign";
import { makeKey } from "../signoff/fixtures";

const sha = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const commit = { sha, time: new Date("2026-01-01T00:00:00Z"), dirty: false, shallow: false };
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function sandbox(): Pick<ReleaseOptions, "outputRoot" | "logFile" | "display" | "commit"> & { root: string; outputRoot: string; logFile: string } {
  const root = mkdtempSync(join(tmpdir(), "release-gate-"));
  made.push(root);
  return { root, outputRoot: join(root, "out"), logFile: join(root, "docs", "Test_Result_Analysis.md"), display: "silent", commit };
}

/** A step that writes its files (and optionally fails, or waits for `gate`). */
function quick(id: string, opts: { files?: string[]; declares?: Deliverable[]; fail?: string; gate?: Promise<void> } = {}): ReleaseStep {
  const files = opts.files ?? [`${id}/out.txt`];
  return {
    id,
    title: `Step ${id}`,
    blocking: true,
    produces: () => opts.declares ?? files.map((f) => ({ standard: "REL-BACKEND" as const, item: `${id} output`, location: f })),
    run: async (ctx): Promise<StepResult> => {
      await opts.gate;
      const result = step(id, `Step ${id}`);
      for (const f of files) {
        mkdirSync(join(ctx.dir, f, ".."), { recursive: true });
        writeFileSync(join(ctx.dir, f), `${id}\n`);
        result.files.push(f);
      }
      if (opts.fail) {
        result.status = "fail";
        result.reasons.push(opts.fail);
      }
      result.summary = opts.fail ? "broken" : "fine";
      return result;
    },
  };
}

async function until(condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("one release of a version at a time", () => {
  it("refuses a second run of the same version while the first holds the lock, and any sign-off meanwhile", async () => {
    const s = sandbox();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const first = runRelease({ ...s, stack: "staging", version: "5.0.0", steps: [quick("a", { gate })] });
    const lock = join(s.outputRoot, "5.0.0", LOCK_FILE);
    await until(() => existsSync(lock));
    expect(JSON.parse(readFileSync(lock, "utf8"))).toMatchObject({ pid: process.pid, host: hostname(), command: "release --stack staging --version 5.0.0" });
    const second = await runRelease({ ...s, stack: "staging", version: "5.0.0", force: true, steps: [quick("a")] }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(LockHeldError);
    expect((second as Error).message).toMatch(new RegExp(`^pid ${process.pid} on ${hostname()} \\(release --stack staging --version 5\\.0\\.0\\) holds .*\\.release\\.lock since .*; wait for it to finish \\(or pass --wait-lock <seconds>\\)$`));
    // Another stack of the same version waits for the same lock.
    await expect(runRelease({ ...s, stack: "prod", version: "5.0.0", steps: [quick("a")] })).rejects.toThrow(LockHeldError);
    open();
    const done = await first;
    expect(readdirSync(join(s.outputRoot, "5.0.0"))).toEqual(["staging"]);

    // While a --force rebuild runs, a sign-off is refused rather than written into the package being replaced.
    let reopen!: () => void;
    const gate2 = new Promise<void>((r) => (reopen = r));
    const rebuild = runRelease({ ...s, stack: "staging", version: "5.0.0", force: true, steps: [quick("a", { gate: gate2 })] });
    await until(() => existsSync(lock));
    const key = makeKey(s.root, "ann");
    await expect(signManifest({ packageDir: done.packageDir, role: "security", keyPath: key.path, principal: "ann@example.com", allowedSignersPath: join(s.root, "none") })).rejects.toThrow(LockHeldError);
    reopen();
    await rebuild;
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over the lock of a run that died on this host, and waits for a live one with waitLockMs", async () => {
    const s = sandbox();
    mkdirSync(join(s.outputRoot, "5.1.0"), { recursive: true });
    const lock = join(s.outputRoot, "5.1.0", LOCK_FILE);
    writeFileSync(lock, JSON.stringify({ pid: 999_999_9, host: hostname(), command: "release", since: "2026-01-01T00:00:00Z", token: "dead" }));
    await runRelease({ ...s, stack: "staging", version: "5.1.0", steps: [quick("a")] });
    expect(existsSync(lock)).toBe(false);

    writeFileSync(lock, JSON.stringify({ pid: 1, host: "elsewhere.example", command: "release", since: "2026-01-01T00:00:00Z", token: "remote" }));
    await expect(runRelease({ ...s, stack: "staging", version: "5.1.0", force: true, steps: [quick("a")] })).rejects.toThrow(`pid 1 on elsewhere.example (release) holds ${lock} since 2026-01-01T00:00:00Z; if no run is active on elsewhere.example, remove ${lock}`);
    setTimeout(() => rmSync(lock), 300);
    await runRelease({ ...s, stack: "staging", version: "5.1.0", force: true, waitLockMs: 20_000, steps: [quick("a")] });
  });
});

describe("versions", () => {
  it("refuses a version that is not semver before any work, and strips a leading v", async () => {
    const s = sandbox();
    for (const bad of ["banana", "1.4", "01.4.0", "1.4.0-", "../1.4.0", "1.4.0/x", ""]) {
      await expect(runRelease({ ...s, stack: "staging", version: bad, steps: [quick("a")] })).rejects.toThrow(ReleaseRefusedError);
    }
    expect(existsSync(s.outputRoot)).toBe(false);
    expect(existsSync(s.logFile)).toBe(false);
    const out = await runRelease({ ...s, stack: "staging", version: "v1.4.0-rc.1+build.7", steps: [quick("a")] });
    expect(out.packageDir).toBe(join(s.outputRoot, "1.4.0-rc.1+build.7", "staging"));
    expect(JSON.parse(readFileSync(join(out.packageDir, "manifest.json"), "utf8"))).toMatchObject({ version: "1.4.0-rc.1+build.7" });
  });
});

describe("failed steps", () => {
  it("show as failed (✖) in the progress display and in the summary line", async () => {
    const s = sandbox();
    let printed = "";
    const capture = (chunk: unknown) => ((printed += String(chunk)), true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(capture);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(capture);
    let outcome;
    try {
      outcome = await runRelease({ ...s, display: "plain", stack: "staging", version: "6.0.0", steps: [quick("a"), quick("b", { fail: "the migration failed halfway" }), quick("c")] });
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(printed).toContain("✖ Step b: FAIL — broken");
    expect(printed).not.toMatch(/✔ Step b/);
    expect(printed).toContain("✔ Step c: PASS — fine");
    expect(outcome.results.map((r) => r.status)).toEqual(["pass", "fail", "pass"]);
    expect(summaryLine(outcome.results)).toBe("Steps: 2 passed, 1 failed — ✔ a  ✖ b  ✔ c");
    expect(readFileSync(join(outcome.packageDir, "status", "verdict.md"), "utf8")).toContain("| Step b | ✖ FAIL | broken |");
  });
});

describe("steps as declared objects", () => {
  it("derives the governance checklist from what the steps declare", async () => {
    const s = sandbox();
    const extra = quick("extra", { files: ["extra/thing.md"], declares: [{ standard: "OPS-API", item: "A deliverable only this step declares", location: "extra/thing.md" }] });
    const out = await runRelease({ ...s, stack: "staging", version: "7.0.0", steps: [quick("a"), extra, governance] });
    const checklist = readFileSync(join(out.packageDir, "governance-checklist.md"), "utf8");
    expect(checklist).toContain("| [x] | A deliverable only this step declares | `extra/thing.md` | extra |");
    expect(checklist).toContain("| [x] | a output | `a/out.txt` | a |");
    expect(checklist).not.toContain("release-notes.md"); // no step of this run declares it
    expect(out.results.find((r) => r.id === "governance")).toMatchObject({ status: "pass", figures: { deliverables: 2, complete: 2 } });
  });

  it("fails a step that writes what it does not declare, and ticks no box for a failed step", async () => {
    const s = sandbox();
    const sneaky = quick("sneaky", { files: ["sneaky/declared.md", "sneaky/undeclared.md"], declares: [{ standard: "REL-BACKEND", item: "Declared", location: "sneaky/declared.md" }] });
    const out = await runRelease({ ...s, stack: "staging", version: "7.1.0", steps: [sneaky, governance] });
    expect(out.results[0]).toMatchObject({ status: "fail", reasons: ['wrote sneaky/undeclared.md, which step "sneaky" does not declare among what it produces (add it to its declaration)'] });
    expect(readFileSync(join(out.packageDir, "governance-checklist.md"), "utf8")).toContain('| [ ] | Declared (step "sneaky" did not pass) | `sneaky/declared.md` | sneaky |');
  });
});
