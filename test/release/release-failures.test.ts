/**
 * The release's failure paths, with the step under test real and the others trimmed away:
 * an interrupted run, a failing migration, a policy violation. Each gives NO-GO with its reason
 * (or, interrupted, nothing at all) and never a partial package (issue 8).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultBundlePaths, type BundlePaths } from "../../backend/src/migrate/paths";
import { writeManifest } from "../../backend/src/migrate/manifest";
import { headCommit } from "../../infra/release/git";
import { ReleaseInterruptedError, removeStalePartials, runRelease, type ReleaseStep } from "../../infra/release/pipeline";
import { policy } from "../../infra/release/policy-step";
import { migrations } from "../../infra/release/steps";
import { step } from "../../infra/release/types";
import { mutatedStackFile } from "../support/stack-yaml";

const commit = { ...headCommit(), dirty: false, shallow: false };
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), "release-fail-"));
  made.push(root);
  return { outputRoot: join(root, "out"), logFile: join(root, "log.md"), display: "silent" as const, commit };
}

/** A bundle copy with one extra migration that fails halfway (its second statement errors). */
function failingBundle(): BundlePaths {
  const base = defaultBundlePaths();
  const dir = mkdtempSync(join(tmpdir(), "bundle-"));
  made.push(dir);
  const paths: BundlePaths = { ...base, migrationsDir: join(dir, "migrations"), seedsDir: join(dir, "seeds"), manifestPath: join(dir, "migrations", "manifest.json") };
  cpSync(base.migrationsDir, paths.migrationsDir, { recursive: true });
  cpSync(base.seedsDir, paths.seedsDir, { recursive: true });
  writeFileSync(
    join(paths.migrationsDir, "20991231000000_broken_backfill.sql"),
    "-- Up Migration\nALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\nSELECT 1 / 0;\n\n-- Down Migration\nALTER TABLE orders DROP COLUMN IF EXISTS note;\n",
  );
  writeManifest(paths);
  return paths;
}

describe("release failures", () => {
  it("an interrupted run leaves no package and no temporary directory", async () => {
    const s = sandbox();
    const controller = new AbortController();
    const slow: ReleaseStep = {
      id: "artifacts",
      title: "Artifacts",
      blocking: true,
      produces: () => [],
      run: async () => {
        controller.abort();
        return step("artifacts", "Artifacts");
      },
    };
    await expect(runRelease({ ...s, stack: "staging", version: "2.0.0", steps: [slow, slow], signal: controller.signal })).rejects.toThrow(ReleaseInterruptedError);
    expect(readdirSync(join(s.outputRoot, "2.0.0"))).toEqual([]);
    expect(existsSync(s.logFile)).toBe(false);
  });

  it("a killed run's leftovers are removed by the next run", () => {
    const s = sandbox();
    const dead = join(s.outputRoot, "2.0.0", ".staging.partial-999999");
    cpSync(defaultBundlePaths().seedsDir, dead, { recursive: true });
    expect(removeStalePartials(join(s.outputRoot, "2.0.0"))).toEqual([".staging.partial-999999"]);
    expect(readdirSync(join(s.outputRoot, "2.0.0"))).toEqual([]);
  });

  it("a failing migration gives NO-GO with its reason, and the complete package", async () => {
    const s = sandbox();
    const out = await runRelease({ ...s, stack: "staging", version: "2.0.1", steps: [migrations], bundlePaths: failingBundle() });
    expect(out.verdict).toBe("NO-GO");
    expect(out.reasons.filter((r) => /division by zero/.test(r))).toEqual([expect.stringMatching(/^Migrations: lint, verify round trip, plan: verify: .*20991231000000_broken_backfill/)]);
    expect(readdirSync(join(s.outputRoot, "2.0.1"))).toEqual(["staging"]);
    expect(existsSync(join(out.packageDir, "manifest.json"))).toBe(true);
    expect(existsSync(join(out.packageDir, "migrations", "migration-plan.md"))).toBe(true);
  }, 120_000);

  it("a policy violation gives NO-GO with the rule and the resource", async () => {
    const s = sandbox();
    const configFile = mutatedStackFile("staging", (c) => {
      (c["backend-release:logs"] as Record<string, unknown>).retentionDays = 7;
    });
    const out = await runRelease({ ...s, stack: "staging", version: "2.0.2", steps: [policy], configFile });
    expect(out.verdict).toBe("NO-GO");
    expect(out.reasons.some((r) => /^Preview and policy packs \(SEC-OPS, DATA-OPS\): DATA-LOG-01-retention-minimum on .*-logs: /.test(r))).toBe(true);
    expect(readdirSync(join(s.outputRoot, "2.0.2"))).toEqual(["staging"]);
    expect(existsSync(join(out.packageDir, "policy", "results.sarif"))).toBe(true);
  }, 120_000);
});
