/**
 * `migrate <plan|up|down|status|lint|verify|manifest>`: the same runner the ECS migration task
 * runs (backend/src/migrate), plus the development-side checks (lint, verify, manifest).
 * Exit codes: 0 ok, 1 refused/failed/lint finding, 2 bad usage, 3 another migration is running.
 */
import type { Command } from "commander";
import { ConfigError, databaseConfigFromEnv } from "../../../backend/src/db/connection";
import { MigrationRefusedError, writeManifest } from "../../../backend/src/migrate/manifest";
import { defaultBundlePaths } from "../../../backend/src/migrate/paths";
import { migrationStatus, planMigrations, type MigrationPlan, type MigrationStatus } from "../../../backend/src/migrate/plan";
import {
  type MigrationLogLine,
  MigrationFailedError,
  MigrationLockHeldError,
  MigrationUsageError,
  migrateDown,
  migrateUp,
  type RunReport,
  runnerSettingsFromEnv,
} from "../../../backend/src/migrate/runner";
import { lintMigrations, type LintReport } from "../../../backend/src/tooling/lint";
import { verifyMigrations, type VerifyReport } from "../../../backend/src/tooling/verify";
import { BlockingError, ExitCodeError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";

interface MigrateOptions {
  databaseUrl?: string;
  to?: string;
  format?: string;
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

function progress(line: MigrationLogLine): void {
  if (line.level === "debug") return;
  process.stderr.write(`${line.level === "info" ? "" : `${line.level}: `}${line.msg}\n`);
}

function printRun(report: RunReport): void {
  if (report.steps.length === 0) process.stdout.write(`nothing to do; latest migration: ${report.latest ?? "none"}\n`);
  for (const s of report.steps) process.stdout.write(`${s.direction === "up" ? "applied " : "reverted"} ${s.kind === "seeds" ? "seed " : ""}${s.name}  ${s.ms} ms${s.attempts > 1 ? ` (${s.attempts} attempts)` : ""}\n`);
  process.stdout.write(`latest: ${report.latest ?? "none"}  total ${report.totalMs} ms\n`);
}

function printPlan(plan: MigrationPlan): void {
  process.stdout.write(`plan against ${plan.against === "database" ? plan.database : "an empty database"}; this build expects ${plan.expectedLatest ?? "no migrations"}\n`);
  for (const item of plan.items) {
    const flags = [item.transactional ? "transaction" : "NO transaction", item.reversible ? "reversible" : "IRREVERSIBLE"].join(", ");
    process.stdout.write(`${item.state === "pending" ? "will run" : "applied "} ${item.kind === "seeds" ? "seed " : ""}${item.name}  [${flags}]  ${item.summary}\n`);
  }
  process.stdout.write(plan.pending.length === 0 ? "nothing pending\n" : `${plan.pending.length} pending\n`);
}

function printStatus(status: MigrationStatus): void {
  process.stdout.write(`${status.database}: at ${status.appliedLatest ?? "nothing"}, build expects ${status.expectedLatest ?? "nothing"}\n`);
  for (const e of status.entries) process.stdout.write(`  ${e.state.padEnd(20)} ${e.kind === "seeds" ? "seed " : ""}${e.name}${e.checksum && e.checksum !== "ok" ? `  checksum ${e.checksum}` : ""}\n`);
  for (const p of status.problems) process.stdout.write(`  problem: ${p}\n`);
}

function printLint(report: LintReport): void {
  for (const v of report.violations) process.stdout.write(`${v.file} (${v.section}) line ${v.line}: ${v.rule}: ${v.message}${v.help ? ` — ${v.help}` : ""}\n`);
  process.stdout.write(report.ok ? `squawk: ${report.filesChecked} files, up and down sections clean\n` : `squawk: ${report.violations.length} finding(s)\n`);
}

function printVerify(report: VerifyReport): void {
  process.stdout.write(`PostgreSQL ${report.postgresVersion} (${report.database}): up → seed → down to zero → up\n`);
  for (const t of report.timings) process.stdout.write(`  ${t.name.padEnd(48)} up ${t.upMs} ms  down ${t.downMs ?? "-"} ms  re-up ${t.reapplyMs ?? "-"} ms\n`);
  for (const l of [...report.downDiff, ...report.reapplyDiff]) process.stdout.write(`  ${l}\n`);
  process.stdout.write(report.ok ? `round trip ok: schema after down equals the empty schema (${report.totalMs} ms)\n` : `round trip FAILED: ${report.problems.join("; ")}\n`);
}

/** Maps runner errors to the CLI contract. */
function translate(err: unknown): unknown {
  if (err instanceof MigrationLockHeldError) return new ExitCodeError(err.message, err.exitCode);
  if (err instanceof MigrationUsageError) return new InputError(err.message);
  if (err instanceof MigrationRefusedError) return new BlockingError(err.message);
  if (err instanceof MigrationFailedError) return new BlockingError(err.message);
  return err;
}

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("database migrations: plan, up, down [--to NAME|0], status, lint (squawk), verify (embedded PostgreSQL round trip), manifest")
    .argument("<action>", "plan | up | down | status | lint | verify | manifest")
    .option("--database-url <url>", "PostgreSQL connection string (default: DATABASE_URL or PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD)")
    .option("--to <name>", "down: revert until this migration is the latest applied; 0 reverts everything")
    .option("--format <format>", "text | json", "text")
    .action(async (action: string, opts: MigrateOptions) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const out = <T>(value: T, human: (v: T) => void) => (format === "json" ? printJson(value) : human(value));
      if (opts.to !== undefined && action !== "down") throw new InputError("--to only applies to `migrate down`");
      try {
        switch (action) {
          case "plan": {
            const plan = await planMigrations(opts.databaseUrl || process.env.DATABASE_URL ? { connection: connectionFrom(opts) } : {});
            return out(plan, printPlan);
          }
          case "up":
            return out(await migrateUp({ connection: connectionFrom(opts), ...runnerSettingsFromEnv(), log: progress }), printRun);
          case "down":
            return out(await migrateDown({ connection: connectionFrom(opts), ...runnerSettingsFromEnv(), log: progress, ...(opts.to !== undefined ? { to: opts.to } : {}) }), printRun);
          case "status": {
            const status = await migrationStatus({ connection: connectionFrom(opts) });
            out(status, printStatus);
            if (status.problems.length > 0) throw new BlockingError(`${status.problems.length} problem(s) between the database and the bundle`);
            return;
          }
          case "lint": {
            const report = await lintMigrations();
            out(report, printLint);
            if (!report.ok) throw new BlockingError(`unsafe migration SQL: ${[...new Set(report.violations.map((v) => v.rule))].join(", ")}`);
            return;
          }
          case "verify": {
            const report = await verifyMigrations({ ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}), onProgress: (m) => process.stderr.write(`verify: ${m}\n`) });
            out(report, printVerify);
            if (!report.ok) throw new BlockingError(report.problems.join("; "));
            return;
          }
          case "manifest": {
            const paths = defaultBundlePaths();
            const manifest = writeManifest(paths);
            return out(manifest, (m) => process.stdout.write(`wrote ${paths.manifestPath}: ${m.migrations.length} migrations, ${m.seeds.length} seeds\n`));
          }
          default:
            throw new InputError(`unknown migrate action "${action}"; expected plan, up, down, status, lint, verify or manifest`);
        }
      } catch (err) {
        throw translate(err);
      }
    });
}
