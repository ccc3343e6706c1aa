/**
 * `migrate <plan|up|down|status|adopt|lint|verify|manifest>`: the same runner the ECS migration
 * task runs (backend/src/migrate), plus the development-side checks (lint, verify, manifest).
 * Exit codes: 0 ok, 1 refused/failed/lint finding, 2 bad usage, 3 another migration is running.
 *
 * `down` lists what it destroys first; on a production-tier stack (--production-tier,
 * MIGRATE_PRODUCTION_TIER=true, or `--stack S` whose config says `profile: production`; a tier
 * stated nowhere counts as production-tier) it runs only with `--stack <s> --confirm <s>`.
 * `manifest` refuses to pin files that `lint` refuses.
 */
import type { Command } from "commander";
import { ConfigError, databaseConfigFromEnv } from "../../../backend/src/db/connection";
import { MigrationRefusedError, writeManifest } from "../../../backend/src/migrate/manifest";
import { downGuardFromEnv, type MigrationLogLine, MigrationUsageError, runnerSettingsFromEnv } from "../../../backend/src/migrate/options";
import { type BundlePaths, defaultBundlePaths } from "../../../backend/src/migrate/paths";
import { migrationStatus, planMigrations, type MigrationPlan, type MigrationStatus } from "../../../backend/src/migrate/plan";
import { describeDestroys } from "../../../backend/src/migrate/destroys";
import {
  type AdoptReport,
  adoptDatabase,
  MigrationConfirmationError,
  MigrationFailedError,
  MigrationLockHeldError,
  migrateDown,
  migrateUp,
  type RunReport,
} from "../../../backend/src/migrate/runner";
import { MigrationConnectionError } from "../../../backend/src/migrate/session";
import { lintMigrations, type LintReport } from "../../../backend/src/tooling/lint";
import { verifyMigrations, type VerifyReport } from "../../../backend/src/tooling/verify";
import { loadStackConfig } from "../../../config/stack-file";
import { BlockingError, ExitCodeError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";
import { notice, progressLine, step } from "../progress";
import { knownStack, stackOption } from "../stack";

interface MigrateOptions {
  databaseUrl?: string;
  to?: string;
  format?: string;
  dryRun?: boolean;
  confirm?: string;
  stack?: string;
  productionTier?: string | boolean;
  timeZone?: string;
}

function connectionFrom(opts: MigrateOptions): string | ReturnType<typeof databaseConfigFromEnv> {
  if (opts.databaseUrl) return opts.databaseUrl;
  try {
    return databaseConfigFromEnv(process.env);
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError("no database: pass --database-url or set DATABASE_URL (or PGHOST, PGDATABASE, PGUSER, PGPASSWORD)", err.problems);
    throw err;
  }
}

/** The runner's own log: its info lines are progress (silent with --quiet), warnings always show. */
function runnerLog(line: MigrationLogLine): void {
  if (line.level === "debug") return;
  if (line.level === "info") progressLine(line.msg);
  else notice(`${line.level}: ${line.msg}`);
}

function printRun(report: RunReport): void {
  if (report.direction === "down" && report.destroys.length > 0) {
    process.stdout.write(`${report.dryRun ? "would destroy" : "destroyed"}:\n${describeDestroys(report.destroys).map((l) => `  ${l}\n`).join("")}`);
  }
  if (report.dryRun) {
    process.stdout.write("dry run: nothing changed\n");
    return;
  }
  if (report.ahead.length > 0) process.stdout.write(`database is ahead of this bundle (kept, they keep this release working): ${report.ahead.join(", ")}\n`);
  if (report.steps.length === 0) process.stdout.write(`nothing to do; latest migration: ${report.latest ?? "none"}\n`);
  for (const s of report.steps) process.stdout.write(`${s.direction === "up" ? "applied " : "reverted"} ${s.kind === "seeds" ? "seed " : ""}${s.name}  ${s.ms} ms${s.attempts > 1 ? ` (${s.attempts} attempts)` : ""}\n`);
  process.stdout.write(`latest: ${report.latest ?? "none"}  total ${report.totalMs} ms\n`);
}

function printPlan(plan: MigrationPlan): void {
  process.stdout.write(`plan against ${plan.against === "database" ? plan.database : "an empty database"}; this build expects ${plan.expectedLatest ?? "no migrations"}\n`);
  for (const item of plan.items) {
    const flags = [item.rollout, item.transactional ? "transaction" : "NO transaction", item.reversible ? "reversible" : "IRREVERSIBLE"].join(", ");
    process.stdout.write(`${item.state === "pending" ? "will run" : item.state === "applied" ? "applied " : item.state} ${item.kind === "seeds" ? "seed " : ""}${item.name}  [${flags}]  ${item.summary}\n`);
    if (item.rollout === "contract") process.stdout.write(`    contract: removes ${item.removes.join(", ") || "?"}; ${item.unusedSince ? `unused since ${item.unusedSince}` : `previous-release-safe: ${item.previousReleaseSafe ?? "?"}`}\n`);
    for (const e of item.exceptions) process.stdout.write(`    exception: ${e.rule} (statement ${e.statement}): ${e.reason}\n`);
    for (const r of item.refusals) process.stdout.write(`    REFUSED: ${r}\n`);
  }
  if (plan.ahead.length > 0) process.stdout.write(`ahead of this bundle: ${plan.ahead.join(", ")}\n`);
  for (const r of plan.refusals.filter((r) => !plan.items.some((i) => i.refusals.includes(r)))) process.stdout.write(`REFUSED: ${r}\n`);
  process.stdout.write(plan.pending.length === 0 ? "nothing pending\n" : `${plan.pending.length} pending${plan.refusals.length > 0 ? `; up would refuse (${plan.refusals.length} problem(s))` : ""}\n`);
}

function printStatus(status: MigrationStatus): void {
  process.stdout.write(`${status.database}: at ${status.appliedLatest ?? "nothing"}, build expects ${status.expectedLatest ?? "nothing"}${status.upToDate ? " (up to date)" : ""}\n`);
  for (const e of status.entries) process.stdout.write(`  ${e.state.padEnd(20)} ${e.kind === "seeds" ? "seed " : ""}${e.name}${e.rollout ? ` [${e.rollout}]` : ""}${e.checksum && e.checksum !== "ok" ? `  checksum ${e.checksum}` : ""}\n`);
  for (const p of status.problems) process.stdout.write(`  problem: ${p}\n`);
}

function printLint(report: LintReport): void {
  for (const v of report.violations) process.stdout.write(`${v.file} (${v.section}) ${v.line > 0 ? `${v.source === "runner" ? "statement" : "line"} ${v.line}` : "header"}: ${v.rule}: ${v.message}${v.help ? ` — ${v.help}` : ""}\n`);
  for (const e of report.exceptions) process.stdout.write(`${e.file}: exception ${e.rule}: ${e.reason}\n`);
  process.stdout.write(report.ok ? `lint: ${report.filesChecked} files clean (runner rules and squawk, up and down sections)\n` : `lint: ${report.violations.length} finding(s)\n`);
}

function printVerify(report: VerifyReport): void {
  process.stdout.write(`PostgreSQL ${report.postgresVersion} (${report.database}): up → seed → down to zero → up, in one timestamp order\n`);
  for (const t of report.timings) process.stdout.write(`  ${t.name.padEnd(48)} up ${t.upMs} ms  down ${t.downMs ?? "-"} ms  re-up ${t.reapplyMs ?? "-"} ms\n`);
  for (const l of [...report.downDiff, ...report.reapplyDiff]) process.stdout.write(`  ${l}\n`);
  if (report.withRows) {
    const rows = Object.entries(report.withRows.rows).map(([t, n]) => `${t} ${n}`).join(", ");
    process.stdout.write(`  with representative rows (${rows || "none"}): ${report.withRows.ok ? "ok" : "FAILED"}\n`);
    for (const s of report.withRows.skipped) process.stdout.write(`  no sample rows for ${s.table}: ${s.reason}\n`);
  } else process.stdout.write("  with representative rows: skipped (an external database was given)\n");
  process.stdout.write(report.ok ? `round trip ok: schema after down equals the empty schema (${report.totalMs} ms)\n` : `verify FAILED: ${report.problems.join("; ")}\n`);
}

function printAdopt(report: AdoptReport): void {
  for (const b of report.bookkeeping) process.stdout.write(`bookkeeping: ${b}\n`);
  process.stdout.write(report.adopted.length === 0 ? "nothing to adopt: every applied file has its checksum\n" : `adopted ${report.adopted.length} file(s): ${report.adopted.join(", ")}\n`);
}

/** Maps runner errors to the CLI contract. */
function translate(err: unknown): unknown {
  if (err instanceof MigrationLockHeldError) return new ExitCodeError(err.message, err.exitCode);
  if (err instanceof MigrationUsageError) return new InputError(err.message);
  if (err instanceof MigrationRefusedError) return new BlockingError(err.message);
  if (err instanceof MigrationFailedError) return new BlockingError(err.message);
  if (err instanceof MigrationConfirmationError) return new BlockingError(err.message);
  if (err instanceof MigrationConnectionError) return new BlockingError(err.message);
  return err;
}

/** The bundle: this repository's, or the one MIGRATION_MIGRATIONS_DIR / _SEEDS_DIR / _MANIFEST name. */
function bundlePaths(): BundlePaths {
  return runnerSettingsFromEnv().paths ?? defaultBundlePaths();
}

/**
 * Who may run `down`: --production-tier, else MIGRATE_PRODUCTION_TIER, else the profile in the
 * named stack's config (`--stack S` reads Pulumi.S.yaml); a tier stated nowhere counts as
 * production-tier. Never the stack's name.
 */
function guardFrom(opts: MigrateOptions): { productionTier: boolean; stack?: string; confirm?: string } {
  const env = downGuardFromEnv(process.env);
  const tier = opts.productionTier;
  if (tier !== undefined && tier !== true && tier !== "true" && tier !== "false") throw new InputError(`--production-tier takes true or false, found "${String(tier)}"`);
  // Checked like every command's --stack; PULUMI_STACK is not read here (see ../stack.ts).
  const stack = opts.stack !== undefined ? knownStack(opts.stack, "--stack") : env.stack !== undefined ? knownStack(env.stack, "MIGRATE_STACK") : undefined;
  let productionTier: boolean;
  if (tier !== undefined) productionTier = tier === true || tier === "true";
  else if (env.stated) productionTier = env.productionTier;
  else if (stack) productionTier = loadStackConfig(stack).profile === "production";
  else {
    notice("warning: the stack's tier is not stated (--production-tier, MIGRATE_PRODUCTION_TIER, or --stack <a stack of this repository>): treated as production-tier");
    productionTier = true;
  }
  return { productionTier, ...(stack ? { stack } : {}), ...(opts.confirm ? { confirm: opts.confirm } : {}) };
}

/** The command's own behaviour for each action, on the connection and settings of `opts`. */
async function runAction(action: Action, opts: MigrateOptions): Promise<void> {
  const format = parseFormat(opts.format, ["text", "json"] as const, "text");
  const out = <T>(value: T, human: (v: T) => void) => (format === "json" ? printJson(value) : human(value));
  switch (action) {
    case "plan": {
      const against = opts.databaseUrl || process.env.DATABASE_URL;
      const plan = await step(`planning the migrations against ${against ? "the database" : "an empty database"}`, () => planMigrations(against ? { connection: connectionFrom(opts), ...runnerSettingsFromEnv() } : runnerSettingsFromEnv()));
      return out(plan, printPlan);
    }
    case "up":
      return out(await step("applying the pending migrations", () => migrateUp({ connection: connectionFrom(opts), ...runnerSettingsFromEnv(), log: runnerLog })), printRun);
    case "down": {
      const guard = guardFrom(opts);
      const title = opts.dryRun ? "listing what down would destroy" : `reverting migrations${opts.to !== undefined ? ` down to ${opts.to}` : ""}`;
      const report = await step(title, () => migrateDown({ connection: connectionFrom(opts), ...runnerSettingsFromEnv(), log: runnerLog, guard, dryRun: opts.dryRun === true, ...(opts.to !== undefined ? { to: opts.to } : {}) }));
      return out(report, printRun);
    }
    case "status": {
      const status = await step("reading the database's migration state", () => migrationStatus({ connection: connectionFrom(opts), ...runnerSettingsFromEnv() }));
      out(status, printStatus);
      if (status.problems.length > 0) throw new BlockingError(`${status.problems.length} problem(s) between the database and the bundle`);
      return;
    }
    case "adopt":
      return out(await step("adopting the database's applied migrations", () => adoptDatabase({ connection: connectionFrom(opts), ...runnerSettingsFromEnv(), log: runnerLog, ...(opts.timeZone ? { timeZone: opts.timeZone } : {}) })), printAdopt);
    case "lint": {
      const report = await step(LINT_TITLE, () => lintMigrations(bundlePaths()));
      out(report, printLint);
      if (!report.ok) throw new BlockingError(`unsafe migration SQL: ${[...new Set(report.violations.map((v) => v.rule))].join(", ")}`);
      return;
    }
    case "verify": {
      const where = opts.databaseUrl ? "the given database" : "an embedded PostgreSQL";
      const report = await step(`verifying the migrations on ${where}`, (control) => verifyMigrations({ paths: bundlePaths(), ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}), onProgress: (m) => control.update(m) }));
      out(report, printVerify);
      if (!report.ok) throw new BlockingError(report.problems.join("; "));
      return;
    }
    case "manifest": {
      // The manifest pins what ships: a file lint refuses (and `up` would refuse) is not pinned.
      const paths = bundlePaths();
      const lint = await step(LINT_TITLE, () => lintMigrations(paths));
      if (!lint.ok) {
        printLint(lint);
        throw new BlockingError(`manifest not written: lint refuses ${[...new Set(lint.violations.map((v) => v.file))].join(", ")}`);
      }
      const manifest = writeManifest(paths);
      return out(manifest, (m) => process.stdout.write(`wrote ${paths.manifestPath}: ${m.migrations.length} migrations, ${m.seeds.length} seeds\n`));
    }
  }
}

const LINT_TITLE = "linting the migration files (runner rules and squawk)";

type Action = "plan" | "up" | "down" | "status" | "adopt" | "lint" | "verify" | "manifest";

const DATABASE_URL = ["--database-url <url>", "PostgreSQL connection string (default: DATABASE_URL or PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD)"] as const;

/** Each action: its description, whether it connects to a database, and its own options. */
const ACTIONS: Record<Action, { description: string; database: boolean; options?: (cmd: Command) => Command }> = {
  plan: { description: "What up would run against the database (or an empty one): order, locks, rollout class, reversibility, refusals", database: true },
  up: { description: "Apply the pending migrations and seeds under the migration lock (what the ECS migration task runs)", database: true },
  down: {
    description: "Revert migrations (default: the latest one); lists what it destroys first; production-tier stacks need --stack S --confirm S",
    database: true,
    options: (cmd) =>
      cmd
        .option("--to <name>", "revert until this migration is the latest applied; 0 reverts everything")
        .option("--dry-run", "list what it would destroy (tables, columns, rows with counts) and change nothing")
        .addOption(stackOption("the stack this database belongs to; its config's profile gives the tier", "MIGRATE_STACK, never PULUMI_STACK; no stack: production-tier"))
        .option("--confirm <stack>", "on a production-tier stack: the stack's name, typed again")
        .option("--production-tier [bool]", "the stack's profile is production-tier (default MIGRATE_PRODUCTION_TIER; unstated counts as true)"),
  },
  status: { description: "The database against this bundle: applied, pending, ahead, checksum mismatches", database: true },
  adopt: {
    description: "Take over a database an older runner migrated: record the checksums of the applied files",
    database: true,
    options: (cmd) => cmd.option("--time-zone <tz>", "the time zone an older runner's run_on values were written in (default: the database's)"),
  },
  lint: { description: "Lint the migration files: the runner's rules and squawk, up and down sections", database: false },
  verify: {
    description: "Round trips on an embedded PostgreSQL (or --database-url): up, down to zero, up again, then file by file with representative rows",
    database: true,
  },
  manifest: { description: "Pin the bundle's files and checksums in the manifest (refuses files lint refuses)", database: false },
};

export function registerMigrate(program: Command): void {
  const migrate = program
    .command("migrate")
    .description("Database migrations: plan, up, down, status, adopt, lint (runner rules + squawk), verify (embedded PostgreSQL round trips), manifest");
  for (const [action, def] of Object.entries(ACTIONS) as [Action, (typeof ACTIONS)[Action]][]) {
    let cmd = migrate.command(action).description(def.description);
    if (def.database) cmd = cmd.option(...DATABASE_URL);
    cmd = def.options?.(cmd) ?? cmd;
    cmd.option("--format <format>", "text | json", "text").action(async (opts: MigrateOptions) => {
      try {
        await runAction(action, opts);
      } catch (err) {
        throw translate(err);
      }
    });
  }
}
