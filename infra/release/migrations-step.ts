/**
 * Step 2 — migrations: squawk lint over up and down sections, then `verify` (up → seed → down to
 * zero → up on an embedded PostgreSQL), and the migration plan: what runs in order, the locks
 * taken, the expected duration from the verify timings, and how to roll back each.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planMigrations, type MigrationPlan } from "../../backend/src/migrate/plan";
import { lintMigrations, type LintReport } from "../../backend/src/tooling/lint";
import { verifyMigrations, type VerifyReport } from "../../backend/src/tooling/verify";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

/**
 * A duration bound with 3x headroom over the measurement (on an empty database), in coarse
 * buckets: it says what to expect, and stays the same from run to run, so the signed package does.
 */
export function durationBound(ms: number): number {
  return [1_000, 10_000, 60_000, 600_000].find((b) => ms * 3 <= b) ?? Number.POSITIVE_INFINITY;
}

export function formatBound(bound: number): string {
  if (!Number.isFinite(bound)) return "over 10 min";
  return bound < 60_000 ? `≤ ${bound / 1000} s` : `≤ ${bound / 60_000} min`;
}

export function expectedDuration(ms: number): string {
  return formatBound(durationBound(ms));
}

export function renderMigrationPlan(plan: MigrationPlan, verify: VerifyReport | undefined, ctx: Pick<ReleaseContext, "version" | "stack" | "cfg">): string {
  const timing = new Map((verify?.timings ?? []).map((t) => [t.name, t]));
  const rows = plan.items.map((m) => {
    const t = timing.get(m.name);
    const rollback = m.reversible ? `\`npm run cli -- migrate down --to ${previousName(plan, m.name)}\` (runs its Down section)` : "irreversible: restore from the pre-deploy snapshot (see rollback-strategy.md)";
    const down = t?.downMs === undefined || t.downMs === null ? "n/a" : expectedDuration(t.downMs);
    return `| ${m.order} | ${m.kind} | \`${m.name}\` | ${m.transactional ? "yes" : "no (CONCURRENTLY)"} | ${m.summary || "none on existing tables"} | ${t ? expectedDuration(t.upMs) : "n/a"} | ${down} | ${rollback} |`;
  });
  // The sum of the per-migration bounds, not a bound of the sum: it moves only when one migration does.
  const total = (verify?.timings ?? []).reduce((sum, t) => sum + durationBound(t.upMs), 0);
  return [
    `# Database migration plan — ${ctx.version} (${ctx.stack})`,
    "",
    `The migration task (same image as the service) runs these in order before the new image serves; the service rollout waits for it (see runbooks/deploy-and-rollback.md).`,
    `Every statement runs with lock_timeout ${ctx.cfg.database.migrationLockTimeoutMs} ms and statement_timeout ${ctx.cfg.database.migrationStatementTimeoutMs} ms, retried a bounded number of times on lock timeout; a second runner exits with "another migration is running" (exit 3).`,
    "",
    `Schema version this build expects: \`${plan.expectedLatest ?? "none"}\`.`,
    "",
    "| # | kind | migration | in a transaction | locks taken | expected up | expected down | rollback |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `Expected duration: ${formatBound(total)} in total, from \`migrate verify\` on an empty PostgreSQL ${verify?.postgresVersion ?? "?"} (bounds with 3x headroom; the measured times are in this run's BACK-PH5 log entry). On production data, index builds scale with table size: see docs/performance.md (migrations under load: 1,000,000 rows).`,
    "",
  ].join("\n");
}

function previousName(plan: MigrationPlan, name: string): string {
  const same = plan.items.filter((i) => i.kind === plan.items.find((x) => x.name === name)?.kind);
  const idx = same.findIndex((i) => i.name === name);
  return idx > 0 ? same[idx - 1]!.name : "0";
}

export async function migrationsStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("migrations", "Migrations: lint, verify round trip, plan");
  let lint: LintReport | undefined;
  let verify: VerifyReport | undefined;
  try {
    ctx.progress("linting migrations (squawk)");
    lint = await lintMigrations(ctx.bundlePaths);
    if (!lint.ok) fail(result, ...lint.violations.map((v) => `lint: ${v.file} (${v.section}): ${v.rule}: ${v.message}`));
    ctx.progress("verifying migrations on an embedded PostgreSQL");
    verify = await verifyMigrations({ onProgress: ctx.progress, ...(ctx.bundlePaths ? { paths: ctx.bundlePaths } : {}) });
    if (!verify.ok) fail(result, ...verify.problems.map((p) => `verify: ${p}`));
    const plan = await planMigrations(ctx.bundlePaths ? { paths: ctx.bundlePaths } : {});
    const dir = join(ctx.dir, "migrations");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "migration-plan.md"), renderMigrationPlan(plan, verify, ctx));
    // Timings vary run to run; the signed package keeps the verdict and the schema diffs, the log keeps the times.
    const { timings, totalMs: _totalMs, ...stable } = verify;
    writeFileSync(join(dir, "verify-report.json"), `${JSON.stringify({ ...stable, verified: timings.map((t) => `${t.kind}/${t.name}`) }, null, 2)}\n`);
    writeFileSync(join(dir, "lint-report.json"), `${JSON.stringify(lint, null, 2)}\n`);
    result.files.push("migrations/migration-plan.md", "migrations/verify-report.json", "migrations/lint-report.json");
    result.figures = { migrations: plan.items.length, lintViolations: lint.violations.length, verifyMs: verify.totalMs, postgres: verify.postgresVersion };
    result.summary = `${plan.items.length} migrations/seeds; lint ${lint.ok ? "clean" : `${lint.violations.length} violation(s)`}; verify ${verify.ok ? "ok" : "FAILED"} in ${verify.totalMs} ms on PostgreSQL ${verify.postgresVersion}`;
  } catch (err) {
    fail(result, `migrations: ${(err as Error).message.split("\n")[0]}`);
    result.summary = "migration checks could not run";
  }
  return result;
}
