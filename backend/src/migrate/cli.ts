/**
 * The migration task's entry in the image: `node dist/migrate/cli.js up` (ECS runs this before
 * every rollout). Connection from PGHOST/PGPORT/PGDATABASE/PGSSLMODE + PGUSER/PGPASSWORD secrets,
 * or DATABASE_URL. Logs one JSON object per line; the result is the last line.
 *
 * Exit codes: 0 ok, 1 refused or failed (database unchanged by the failing migration),
 * 2 bad usage or configuration, 3 another migration is running.
 */
import { ConfigError, databaseConfigFromEnv } from "../db/connection";
import { createLogger } from "../log";
import { MigrationRefusedError } from "./manifest";
import { migrationStatus, planMigrations } from "./plan";
import { MigrationFailedError, MigrationLockHeldError, MigrationUsageError, migrateDown, migrateUp, runnerSettingsFromEnv } from "./runner";

const USAGE = "usage: migrate <up|down|status|plan> [--to <name>|0]";

export async function runMigrateCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `service` (and `env`) are what the "migration task failed" monitor searches the logs for.
  const log = createLogger(env.LOG_LEVEL === "debug" ? "debug" : "info", { service: env.SERVICE_NAME ?? "orders-migrate", ...(env.DD_ENV ? { env: env.DD_ENV } : {}) });
  const [command, ...rest] = argv;
  let to: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--to" && rest[i + 1] !== undefined) to = rest[++i];
    else {
      log.error(`unexpected argument "${rest[i]}"`, { usage: USAGE });
      return 2;
    }
  }
  try {
    const connection = databaseConfigFromEnv(env);
    const settings = { connection, ...runnerSettingsFromEnv(env), log: (l: { level: "info" | "warn" | "error" | "debug"; msg: string }) => log[l.level](l.msg, l) };
    switch (command) {
      case "up":
        log.info("migrate up finished", { result: await migrateUp(settings) });
        return 0;
      case "down":
        log.info("migrate down finished", { result: await migrateDown({ ...settings, ...(to !== undefined ? { to } : {}) }) });
        return 0;
      case "status": {
        const status = await migrationStatus({ connection });
        log.info("migration status", { result: status });
        return status.problems.length > 0 ? 1 : 0;
      }
      case "plan":
        log.info("migration plan", { result: await planMigrations({ connection }) });
        return 0;
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
      log.error(err.message);
      return 2;
    }
    if (err instanceof MigrationRefusedError) {
      log.error(`refused: ${err.summary}`, { problems: err.problems });
      return 1;
    }
    if (err instanceof MigrationFailedError) {
      log.error(err.message, { migration: err.migration, sqlState: err.sqlState, attempts: err.attempts, completed: err.completed });
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
