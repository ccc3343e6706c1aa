/**
 * Release steps run as soon as what they need has finished, several at once (issue 19): results,
 * records and the plain display keep the declared order whatever finishes first; a step waits
 * for what it needs (or, undeclared, for every step before it); a failure or an interrupt while
 * another step runs still gives the right verdict and leaves nothing behind. The steps here are
 * quick stand-ins; test/release/release.test.ts runs the real ones.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { governance } from "../../infra/release/governance-step";
import { ReleaseInterruptedError, runRelease, type ReleaseOptions } from "../../infra/release/pipeline";
import { waitsFor } from "../../infra/release/schedule";
import { DEFAULT_STEPS } from "../../infra/release/steps";
import { step, type ReleaseContext, type ReleaseStep, type StepResult } from "../../infra/release/types";

const sha = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const commit = { sha, time: new Date("2026-01-01T00:00:00Z"), dirty: false, shallow: false };
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function sandbox(): Pick<ReleaseOptions, "outputRoot" | "logFile" | "display" | "commit"> & { outputRoot: string; logFile: string } {
  const root = mkdtempSync(join(tmpdir(), "release-schedule-"));
  made.push(root);
  return { outputRoot: join(root, "out"), logFile: join(root, "log.md"), display: "silent", commit };
}

/** Resolves when `open` is called, or rejects after `ms` (so a schedule that never opens it fails, not hangs). */
function gate(ms = 15_000): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("gave up waiting: the step it waits for did not run meanwhile")), ms);
    open = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { opened, open };
}

const events: string[] = [];
/** A step that logs its start and end, reports progress, optionally waits and fails, then writes its file. */
function probe(id: string, opts: { needs?: string[]; before?: (ctx: ReleaseContext) => Promise<void>; fail?: string } = {}): ReleaseStep {
  return {
    id,
    title: `Step ${id}`,
    blocking: true,
    ...(opts.needs ? { needs: opts.needs } : {}),
    produces: () => [{ standard: "REL-BACKEND", item: `${id} output`, location: `${id}/out.txt` }],
    run: async (ctx): Promise<StepResult> => {
      events.push(`start ${id}`);
      ctx.progress(`${id} is working`);
      await opts.before?.(ctx);
      ctx.progress(`${id} is done`);
      const result = step(id, `Step ${id}`);
      mkdirSync(join(ctx.dir, id), { recursive: true });
      writeFileSync(join(ctx.dir, id, "out.txt"), `${id}\n`);
      result.files.push(`${id}/out.txt`);
      if (opts.fail) {
        result.status = "fail";
        result.reasons.push(opts.fail);
      }
      result.summary = opts.fail ? "broken" : "fine";
      events.push(`end ${id}`);
      return result;
    },
  };
}

async function capture<T>(fn: () => Promise<T>): Promise<{ value: T; printed: string }> {
  let printed = "";
  const write = (chunk: unknown) => ((printed += String(chunk)), true);
  const out = vi.spyOn(process.stdout, "write").mockImplementation(write);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(write);
  try {
    return { value: await fn(), printed };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe("steps that need nothing of each other", () => {
  it("run at the same time, and results, records and the plain display keep the declared order", async () => {
    events.length = 0;
    // a cannot finish until b has started (only a concurrent schedule gets through), and b finishes first.
    const bStarted = gate();
    const a = probe("a", { needs: [], before: async () => {
      await bStarted.opened;
      await new Promise((r) => setTimeout(r, 100));
    } });
    const b = probe("b", { needs: [], before: async () => bStarted.open() });
    const { value: out, printed } = await capture(() => runRelease({ ...sandbox(), display: "plain", stack: "staging", version: "8.0.0", steps: [a, b, governance] }));
    expect(events.indexOf("start b")).toBeLessThan(events.indexOf("end a"));
    expect(events.indexOf("end b")).toBeLessThan(events.indexOf("end a"));
    expect(out.results.map((r) => [r.id, r.status])).toEqual([
      ["a", "pass"],
      ["b", "pass"],
      ["governance", "pass"],
    ]);
    const manifest = JSON.parse(readFileSync(join(out.packageDir, "manifest.json"), "utf8")) as { checks: { id: string }[] };
    expect(manifest.checks.map((c) => c.id)).toEqual(["a", "b", "governance"]);
    const record = JSON.parse(readFileSync(join(out.packageDir, "status", "record.json"), "utf8")) as { checks: { id: string }[] };
    expect(record.checks.map((c) => c.id)).toEqual(["a", "b", "governance"]);
    // Each step's lines together, in declared order, though b finished first.
    const lines = printed.split("\n").filter((l) => /Step [ab]|is (working|done)/.test(l));
    const order = lines.map((l) => /Step (\w)/.exec(l)?.[1] ?? /(\w) is/.exec(l)?.[1]);
    expect(order).toEqual(["a", "a", "a", "a", "b", "b", "b", "b"]);
    expect(printed).toMatch(/› a is working[\s\S]*› a is done[\s\S]*✔ Step a: PASS — fine[\s\S]*› b is working[\s\S]*› b is done[\s\S]*✔ Step b: PASS — fine/);
    // The governance step saw both results (it waits for every step before it).
    expect(readFileSync(join(out.packageDir, "governance-checklist.md"), "utf8")).toContain("| [x] | b output | `b/out.txt` | b |");
  });
});

describe("what a step waits for", () => {
  it("a declared need, and otherwise every step before it", async () => {
    events.length = 0;
    const slowDone = gate();
    const slow = probe("slow", { needs: [], before: () => slowDone.opened });
    // Runs alongside "slow" (needs nothing) and lets it finish only once it ran itself.
    const quick = probe("quick", { needs: [], before: async () => slowDone.open() });
    const reader = probe("reader", { needs: ["slow"] });
    const last = probe("last");
    const out = await runRelease({ ...sandbox(), stack: "staging", version: "8.1.0", steps: [slow, quick, reader, last] });
    expect(events.indexOf("start reader")).toBeGreaterThan(events.indexOf("end slow"));
    expect(events.indexOf("start last")).toBeGreaterThan(Math.max(events.indexOf("end slow"), events.indexOf("end quick"), events.indexOf("end reader")));
    expect(out.results.map((r) => [r.id, r.status])).toEqual([
      ["slow", "pass"],
      ["quick", "pass"],
      ["reader", "pass"],
      ["last", "pass"],
    ]);
  });

  it("refuses, before any work, a step that needs itself or a later step", async () => {
    const s = sandbox();
    const early = probe("early", { needs: ["late"] });
    await expect(runRelease({ ...s, stack: "staging", version: "8.2.0", steps: [early, probe("late")] })).rejects.toThrow('release step "early" needs "late", which comes after it: a step can only wait for earlier steps');
    expect(existsSync(join(s.outputRoot, "8.2.0"))).toBe(false);
    expect(() => waitsFor([probe("self", { needs: ["self"] })])).toThrow('needs "self", which is itself');
  });

  it("the release's own steps: the build, the migration verify, the policy, the API check and the documents start together", () => {
    const waits = Object.fromEntries(DEFAULT_STEPS.map((s, i) => [s.id, waitsFor(DEFAULT_STEPS)[i]]));
    expect(waits).toEqual({
      artifacts: [],
      migrations: [],
      policy: [],
      smoke: ["artifacts", "migrations"],
      api: [],
      documents: [],
      governance: ["artifacts", "migrations", "policy", "smoke", "api", "documents"],
    });
  });
});

describe("a failure while another step runs", () => {
  it("gives NO-GO with the failed step's reason, the other step's result, and the complete package", async () => {
    events.length = 0;
    const failed = gate();
    const runner = probe("runner", { needs: [], before: () => failed.opened });
    const breaker: ReleaseStep = { ...probe("breaker", { needs: [] }), run: async () => {
      events.push("start breaker");
      failed.open();
      throw new Error("the disk is full");
    } };
    const s = sandbox();
    const out = await runRelease({ ...s, stack: "staging", version: "8.3.0", steps: [runner, breaker] });
    expect(out.verdict).toBe("NO-GO");
    expect(out.results.map((r) => [r.id, r.status])).toEqual([
      ["runner", "pass"],
      ["breaker", "fail"],
    ]);
    expect(out.reasons).toContain("Step breaker: unexpected error: the disk is full");
    expect(readdirSync(join(s.outputRoot, "8.3.0"))).toEqual(["staging"]);
    expect(existsSync(join(out.packageDir, "runner", "out.txt"))).toBe(true);
  });
});

describe("an interrupt while steps run", () => {
  it("starts nothing more, lets the running steps finish and clean up, then removes the partial package", async () => {
    events.length = 0;
    const s = sandbox();
    const controller = new AbortController();
    const interrupted = gate();
    let stillWriting: string | undefined;
    // Interrupted while it runs; it finishes its work (writing into the package) afterwards.
    const running = probe("running", {
      needs: [],
      before: async (ctx) => {
        await interrupted.opened;
        await new Promise((r) => setTimeout(r, 200));
        stillWriting = ctx.dir;
      },
    });
    const interrupter = probe("interrupter", {
      needs: [],
      before: async () => {
        controller.abort();
        interrupted.open();
      },
    });
    const after = probe("after", { needs: ["interrupter"] });
    await expect(runRelease({ ...s, stack: "staging", version: "8.4.0", steps: [running, interrupter, after], signal: controller.signal })).rejects.toThrow(ReleaseInterruptedError);
    expect(events).toContain("end running");
    expect(events).not.toContain("start after");
    expect(stillWriting).toBeDefined();
    expect(existsSync(stillWriting!)).toBe(false);
    expect(readdirSync(join(s.outputRoot, "8.4.0"))).toEqual([]);
    expect(existsSync(s.logFile)).toBe(false);
  });
});
