/**
 * The migration task's entry in the image: `node dist/migrate/cli.js up` (ECS runs this before
 * every rollout). Connection from PGHOST/PGPORT/PGDATABASE/PGSSLMODE + PGUSER/PGPASSWORD secrets,
 * or DATABASE_URL. Logs one JSON object per line; the result is the last line.
 *
 * Every runner parameter has a flag and an environment variable (flags win):
 *   --migrations-dir / MIGRATION_MIGRATIONS_DIR, --seeds-dir / MIGRATION_SEEDS_DIR,
 *   --manifest / MIGRATION_MANIFEST, --lock-id / MIGRATION_LOCK_ID,
 *   --migrations-table / MIGRATION_TABLE, --seeds-table / MIGRATION_SEEDS_TABLE,
 *   --record-table / MIGRATION_RECORD_TABLE; timeouts: MIGRATION_LOCK_TIMEOUT_MS,
 *   MIGRATION_STATEMENT_TIMEOUT_MS, MIGRATION_LOCK_RETRIES, MIGRATION_RETRY_DELAY_MS,
 *   MIGRATION_CONNECT_TIMEOUT_MS, MIGRATION_QUERY_TIMEOUT_MS, MIGRATION_CONNECTION_CHECK_INTERVAL_MS.
 * `down` also takes --to, --dry-run, --confirm <stack>, --stack / MIGRATE_STACK and
 * --production-tier[=true|false] / MIGRATE_PRODUCTION_TIER (unstated: treated as production-tier).
 *
 * Exit codes: 0 ok (including "the database is ahead with migrations that keep this release
 * working"), 1 refused or failed (the message says what state it left), 2 bad usage or
 * configuration, 3 another migration is running.
 */
import { ConfigError, databaseConfigFromEnv } from "../db/connection";
import { createLogger } from "../log";
import { MigrationRefusedError } from "./manifest";
import { downGuardFromEnv, MigrationUsageError, type RunnerSettings, runnerSettingsFromEnv } from "./options";
import { defaultBundlePaths } from "./paths";
import { migrationStatus, planMigrations } from "./plan";
import { adoptDatabase, MigrationConfirmationError, MigrationFailedError, MigrationLockHeldError, migrateDown, migrateUp } from "./runner";
import { MigrationConnectionError } from "./session";

const USAGE =
  "usage: migrate <up|down|status|plan|adopt> [--to <name>|0] [--dry-run] [--confirm <stack>] [--stack <stack>] [--production-tier[=true|false]] [--time-zone <tz>] [--migrations-dir <dir>] [--seeds-dir <dir>] [--manifest <file>] [--lock-id <n>] [--migrations-table <t>] [--seeds-table <t>] [--record-table <t>]";

interface CliArgs {
  command: string | undefined;
  flags: Map<string, string>;
}

const VALUE_FLAGS = ["to", "confirm", "stack", "time-zone", "migrations-dir", "seeds-dir", "manifest", "lock-id", "migrations-table", "seeds-table", "record-table"];
const BOOLEAN_FLAGS = ["dry-run", "production-tier"];

export function parseArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i] ?? "");
    const name = m?.[1];
    if (!m || !name || (!VALUE_FLAGS.includes(name) && !BOOLEAN_FLAGS.includes(name))) throw new MigrationUsageError(`unexpected argument "${rest[i]}"`);
    if (BOOLEAN_FLAGS.includes(name)) flags.set(name, m[2] ?? "true");
    else if (m[2] !== undefined) flags.set(name, m[2]);
    else if (rest[i + 1] !== undefined) flags.set(name, rest[++i]!);
    else throw new MigrationUsageError(`--${name} needs a value`);
  }
  return { command, flags };
}

/** Runner settings from flags over environment variables. */
export function settingsFrom(flags: Map<string, string>, env: NodeJS.ProcessEnv): Omit<RunnerSettings, "connection"> {
  const fromEnv = runnerSettingsFromEnv(env);
  const f = (k: string) => flags.get(k);
  const base = fromEnv.paths ?? defaultBundlePaths();
  const migrationsDir = f("migrations-dir") ?? base.migrationsDir;
  const paths = { migrationsDir, seedsDir: f("seeds-dir") ?? base.seedsDir, manifestPath: f("manifest") ?? (f("migrations-dir") ? `${migrationsDir}/manifest.json` : base.manifestPath) };
  const tables = { ...fromEnv.tables };
  if (f("migrations-table")) tables.migrations = f("migrations-table");
  if (f("seeds-table")) tables.seeds = f("seeds-table");
  if (f("record-table")) tables.record = f("record-table");
  const lockId = f("lock-id");
  if (lockId !== undefined && !Number.isSafeInteger(Number(lockId))) throw new MigrationUsageError(`--lock-id must be an integer, found "${lockId}"`);
  return { ...fromEnv, paths, tables, ...(lockId !== undefined ? { lockId: Number(lockId) } : {}) };
}

/** The down guard: flags over MIGRATE_PRODUCTION_TIER / MIGRATE_STACK. */
export function guardFrom(flags: Map<string, string>, env: NodeJS.ProcessEnv): { productionTier: boolean; stated: boolean; stack?: string; confirm?: string } {
  const fromEnv = downGuardFromEnv(env);
  const tier = flags.get("production-tier");
  if (tier !== undefined && !/^(?:true|false)$/.test(tier)) throw new MigrationUsageError(`--production-tier takes true or false, found "${tier}"`);
  const stack = flags.get("stack") ?? fromEnv.stack;
  const confirm = flags.get("confirm");
  return {
    productionTier: tier !== undefined ? tier === "true" : fromEnv.productionTier,
    stated: tier !== undefined || fromEnv.stated,
    ...(stack ? { stack } : {}),
    ...(confirm ? { confirm } : {}),
  };
}

export async function runMigrateCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `service` (and `env`) are what the "migration task failed" monitor searches the logs for.
  const log = createLogger(env.LOG_LEVEL === "debug" ? "debug" : "info", { service: env.SERVICE_NAME ?? "orders-migrate", ...(env.DD_ENV ? { env: env.DD_ENV } : {}) });
  try {
    const { command, flags } = parseArgs(argv);
    if (flags.has("to") || flags.has("dry-run") || flags.has("confirm")) {
      if (command !== "down") throw new MigrationUsageError("--to, --dry-run and --confirm only apply to `down`");
    }
    if (flags.has("time-zone") && command !== "adopt") throw new MigrationUsageError("--time-zone only applies to `adopt`");
    const connection = databaseConfigFromEnv(env);
    const settings = { connection, ...settingsFrom(flags, env), log: (l: { level: "info" | "warn" | "error" | "debug"; msg: string }) => log[l.level](l.msg, l) };
    switch (command) {
      case "up":
        log.info("migrate up finished", { result: await migrateUp(settings) });
        return 0;
      case "down": {
        const guard = guardFrom(flags, env);
        if (!guard.stated) log.warn("the stack's tier is not stated (MIGRATE_PRODUCTION_TIER / --production-tier): treated as production-tier");
        const to = flags.get("to");
        const result = await migrateDown({ ...settings, guard, dryRun: flags.has("dry-run"), ...(to !== undefined ? { to } : {}) });
        log.info(result.dryRun ? "migrate down (dry run): nothing changed" : "migrate down finished", { result });
        return 0;
      }
      case "status": {
        const status = await migrationStatus(settings);
        log.info("migration status", { result: status });
        return status.problems.length > 0 ? 1 : 0;
      }
      case "plan":
        log.info("migration plan", { result: await planMigrations(settings) });
        return 0;
      case "adopt": {
        const tz = flags.get("time-zone");
        log.info("migrate adopt finished", { result: await adoptDatabase({ ...settings, ...(tz ? { timeZone: tz } : {}) }) });
        return 0;
      }
      default:
        log.error(`unknown command "${command ?? ""}"`, { usage: USAGE });
        return 2;
    }
  } catch (err) {
    if (err instanceof MigrationLockHeldError) {
      log.error(err.message);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      log.error("invalid configuration", { problems: err.problems });
      return 2;
    }
    if (err instanceof MigrationUsageError) {
      log.error(err.message, { usage: USAGE });
      return 2;
    }
    if (err instanceof MigrationRefusedError) {
      log.error(`refused: ${err.summary}`, { problems: err.problems });
      return 1;
    }
    if (err instanceof MigrationConfirmationError) {
      log.error(err.message, { destroys: err.destroys });
      return 1;
    }
    if (err instanceof MigrationFailedError) {
      log.error(err.message, { migration: err.migration, sqlState: err.sqlState, attempts: err.attempts, completed: err.completed });
      return 1;
    }
    if (err instanceof MigrationConnectionError) {
      log.error(err.message);
      return 1;
    }
    log.error("migration runner crashed", { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
}

if (require.main === module) {
  void runMigrateCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
