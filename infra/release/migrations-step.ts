/**
 * Step 2 — migrations: lint (the runner's own rules and rollout checks, plus squawk, over up and
 * down sections), then `verify` (up → down to zero → up on an empty database of the run's embedded
 * PostgreSQL, and again file by file with representative rows on a second one), and the migration plan: what runs in the one
 * timestamp order, the locks taken (a rewrite told from a brief lock), each file's expand/contract
 * class, every reasoned exception, what each file's duration depends on (from its locks, not
 * from timings, so the signed plan is the same on every run), and what a rollback means for each
 * (rollback-strategy.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadCheckedBundle } from "../../backend/src/migrate/bundle";
import { locksOf } from "../../backend/src/migrate/locks";
import { type BundlePaths, defaultBundlePaths } from "../../backend/src/migrate/paths";
import { planMigrations, type MigrationPlan } from "../../backend/src/migrate/plan";
import { lintMigrations, type LintReport } from "../../backend/src/tooling/lint";
import { verifyMigrations, type VerifyReport } from "../../backend/src/tooling/verify";
import { previousRelease, renderRollbackCells, rollbackProcedure } from "./rollback-strategy";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

/**
 * What a file's duration depends on, from the locks its statements take: a catalog change is
 * milliseconds whatever the size; a scan or a rewrite grows with the table. Derived, not measured:
 * timings on an empty database say nothing about production and change from run to run, and the
 * plan is part of the signed package (the same bytes for the same commit).
 */
export function durationClass(statements: string[]): string {
  const durations = statements.map((sql) => locksOf(sql).duration);
  if (durations.includes("rewrite")) return "rewrites a table: grows with its size";
  if (durations.includes("scan")) return "scans a table: grows with its size";
  return "catalog only: milliseconds";
}

export function renderMigrationPlan(plan: MigrationPlan, verify: VerifyReport | undefined, ctx: Pick<ReleaseContext, "version" | "stack" | "cfg">, bundlePaths?: BundlePaths): string {
  const bundle = loadCheckedBundle(bundlePaths ?? defaultBundlePaths());
  const files = new Map(bundle.steps.map((st) => [st.file.name, st.file]));
  const previous = previousRelease(ctx.version);
  const rollback = renderRollbackCells(plan, previous);
  const rows = plan.items.map((m) => {
    const file = files.get(m.name);
    const down = m.reversible && file ? durationClass(file.down) : "n/a";
    const cls = m.rollout === "contract" ? `contract (removes ${m.removes.join(", ")})` : "expand";
    return `| ${m.order} | ${m.kind} | \`${m.name}\` | ${cls} | ${m.transactional ? "yes" : "no (CONCURRENTLY)"} | ${m.summary || "none on existing tables"} | ${file ? durationClass(file.up) : "n/a"} | ${down} | ${rollback.get(m.name)} |`;
  });
  const exceptions = plan.items.flatMap((m) => [
    ...m.exceptions.map((e) => `- \`${m.name}\` statement ${e.statement}: **${e.rule}** allowed — ${e.reason}`),
    ...(m.rollout === "contract" && m.previousReleaseSafe ? [`- \`${m.name}\`: contract without \`unused-since\`, **previous-release-safe** — ${m.previousReleaseSafe}`] : []),
  ]);
  const rowsPass = verify?.withRows;
  return [
    `# Database migration plan — ${ctx.version} (${ctx.stack})`,
    "",
    `The migration task (same image as the service) runs these in order — migrations and seeds in one timestamp order, the order \`plan\`, \`verify\` and \`up\` all use — before the new image serves; the service rollout waits for it (see runbooks/deploy-and-rollback.md).`,
    `Every statement runs with lock_timeout ${ctx.cfg.database.migrationLockTimeoutMs} ms and statement_timeout ${ctx.cfg.database.migrationStatementTimeoutMs} ms; within one file, all write-blocking locks together get one lock_timeout budget, so a writer waits at most that long behind any file. A lock timeout is retried a bounded number of times; a second runner exits with "another migration is running" (exit 3).`,
    "Locks: *brief* = catalog change only; *scan* = held while the table is read; *rewrite* = held while the table (and its indexes) is rewritten.",
    "",
    `Schema version this build expects: \`${plan.expectedLatest ?? "none"}\`. Class: *expand* keeps release N−1 working; *contract* removes what an older release may use (applied only once the previous release no longer needs it).`,
    "",
    "| # | kind | migration | class | in a transaction | locks taken | up takes | down takes | rollback |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "## Exceptions to the safety rules",
    "",
    ...(exceptions.length > 0 ? exceptions : ["None: every file passes the rules `up` enforces without an exception."]),
    "",
    "## Rollback",
    "",
    ...rollbackProcedure(),
    "",
    `Verified on PostgreSQL ${verify?.postgresVersion ?? "?"} (\`migrate verify\`; its total time is in this run's BACK-PH5 log entry). On production data, scans and index builds grow with the table: see docs/performance.md (migrations under load, 1,000,000 rows).`,
    rowsPass ? `Also verified file by file with representative rows (${Object.entries(rowsPass.rows).map(([t, n]) => `${t}: ${n}`).join(", ") || "no tables"}): ${rowsPass.ok ? "ok" : "FAILED"}${rowsPass.skipped.length > 0 ? `; no rows could be generated for ${rowsPass.skipped.map((x) => x.table).join(", ")}` : ""}.` : "",
    "",
  ].join("\n");
}

export async function migrationsStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("migrations", "Migrations: lint, verify round trip, plan");
  let lint: LintReport | undefined;
  let verify: VerifyReport | undefined;
  // The run's PostgreSQL starts while the linter runs (the first step to ask for it pays the start).
  const postgres = ctx.postgres();
  postgres.catch(() => undefined); // awaited below; a failed start is reported there
  try {
    ctx.progress("linting migrations (squawk)");
    lint = await lintMigrations(ctx.bundlePaths);
    if (!lint.ok) fail(result, ...lint.violations.map((v) => `lint: ${v.file} (${v.section}): ${v.rule}: ${v.message}`));
    ctx.progress("verifying migrations on an embedded PostgreSQL");
    verify = await verifyMigrations({ embedded: await postgres, onProgress: ctx.progress, ...(ctx.bundlePaths ? { paths: ctx.bundlePaths } : {}) });
    if (!verify.ok) fail(result, ...verify.problems.map((p) => `verify: ${p}`));
    const plan = await planMigrations(ctx.bundlePaths ? { paths: ctx.bundlePaths } : {});
    const dir = join(ctx.dir, "migrations");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "migration-plan.md"), renderMigrationPlan(plan, verify, ctx, ctx.bundlePaths));
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
