/**
 * Everything the runner needs is a parameter: the bundle (directories and manifest), the lock id,
 * the table names, the timeouts. Nothing is read from module state, so one process (or one Pulumi
 * program) can migrate several databases, each with its own bundle and tables.
 *
 * `runnerSettingsFromEnv` is how the migration task (ECS) and the CLIs take them from the
 * environment; defaults keep the single-database layout of this repository.
 */
import type { ClientConfig } from "pg";
import { DEFAULT_TABLES, type MigrationTables, tableNameProblems } from "./record";
import { type BundlePaths, defaultBundlePaths } from "./paths";
import type { SessionSettings } from "./session";

export interface MigrationLogLine {
  level: "info" | "warn" | "error" | "debug";
  msg: string;
  [field: string]: unknown;
}

export interface RunnerSettings {
  /** Connection string or pg ClientConfig (from `databaseConfigFromEnv()` in ECS). */
  connection: string | ClientConfig;
  /** The bundle: migrations and seeds directories and the manifest (default: this repository's backend/). */
  paths?: BundlePaths;
  /** The advisory lock every runner of this database takes (default: node-pg-migrate's well-known id). */
  lockId?: number;
  /** Bookkeeping table names (default: pgmigrations, pgmigrations_seeds, pgmigrations_checksums). */
  tables?: Partial<MigrationTables>;
  /** SET lock_timeout, and the budget of write-blocking lock time per file (env MIGRATION_LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
  /** SET statement_timeout for every migration statement (env MIGRATION_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /** Retries of one migration after a lock timeout (env MIGRATION_LOCK_RETRIES). */
  lockRetries?: number;
  /** First back-off between retries, doubled each time (env MIGRATION_RETRY_DELAY_MS). */
  retryDelayMs?: number;
  /** Connecting must finish within this (env MIGRATION_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Client-side bound of the runner's own queries (env MIGRATION_QUERY_TIMEOUT_MS). */
  queryTimeoutMs?: number;
  /** Server-side check that the runner is still connected while a statement runs (env MIGRATION_CONNECTION_CHECK_INTERVAL_MS). */
  connectionCheckIntervalMs?: number;
  /** search_path every file starts with (env MIGRATION_SEARCH_PATH). */
  searchPath?: string;
  log?: (line: MigrationLogLine) => void;
}

export const DEFAULT_SETTINGS = {
  lockId: 7241865325823964, // node-pg-migrate's well-known id: also excludes its own CLI
  lockTimeoutMs: 2_000,
  statementTimeoutMs: 15 * 60_000,
  lockRetries: 4,
  retryDelayMs: 1_000,
  connectTimeoutMs: 10_000,
  queryTimeoutMs: 60_000,
  connectionCheckIntervalMs: 1_000,
  searchPath: "public",
  keepalive: { idleS: 5, intervalS: 2, count: 3 },
} as const;

/** Kept for callers of the first version. */
export const DEFAULT_TIMEOUTS = {
  lockTimeoutMs: DEFAULT_SETTINGS.lockTimeoutMs,
  statementTimeoutMs: DEFAULT_SETTINGS.statementTimeoutMs,
  lockRetries: DEFAULT_SETTINGS.lockRetries,
  retryDelayMs: DEFAULT_SETTINGS.retryDelayMs,
} as const;

export interface ResolvedSettings {
  paths: BundlePaths;
  lockId: number;
  tables: MigrationTables;
  lockRetries: number;
  retryDelayMs: number;
  session: SessionSettings;
  log: (line: MigrationLogLine) => void;
}

/** Bad request to the runner (e.g. `down --to` a migration that is not applied, a bad setting). Exit 2. */
export class MigrationUsageError extends Error {
  override readonly name = "MigrationUsageError";
}

export function resolveSettings(settings: RunnerSettings): ResolvedSettings {
  const tables = { ...DEFAULT_TABLES, ...settings.tables };
  const problems = tableNameProblems(tables);
  const lockId = settings.lockId ?? DEFAULT_SETTINGS.lockId;
  if (!Number.isSafeInteger(lockId)) problems.push(`lock id ${lockId}: use an integer between -2^53 and 2^53`);
  if (problems.length > 0) throw new MigrationUsageError(`bad runner settings: ${problems.join("; ")}`);
  return {
    paths: settings.paths ?? defaultBundlePaths(),
    lockId,
    tables,
    lockRetries: settings.lockRetries ?? DEFAULT_SETTINGS.lockRetries,
    retryDelayMs: settings.retryDelayMs ?? DEFAULT_SETTINGS.retryDelayMs,
    log: settings.log ?? (() => undefined),
    session: {
      connection: settings.connection,
      applicationName: "backend-release-migrate",
      connectTimeoutMs: settings.connectTimeoutMs ?? DEFAULT_SETTINGS.connectTimeoutMs,
      lockTimeoutMs: settings.lockTimeoutMs ?? DEFAULT_SETTINGS.lockTimeoutMs,
      statementTimeoutMs: settings.statementTimeoutMs ?? DEFAULT_SETTINGS.statementTimeoutMs,
      queryTimeoutMs: settings.queryTimeoutMs ?? DEFAULT_SETTINGS.queryTimeoutMs,
      searchPath: settings.searchPath ?? DEFAULT_SETTINGS.searchPath,
      connectionCheckIntervalMs: settings.connectionCheckIntervalMs ?? DEFAULT_SETTINGS.connectionCheckIntervalMs,
      keepalive: DEFAULT_SETTINGS.keepalive,
    },
  };
}

/** Runner settings from the environment (the ECS task sets these), validated. */
export function runnerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<RunnerSettings, "connection"> {
  const num = (key: string, min: number): number | undefined => {
    const raw = env[key];
    if (raw === undefined || raw === "") return undefined;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min) throw new MigrationUsageError(`${key} must be an integer >= ${min}, found "${raw}"`);
    return value;
  };
  const str = (key: string): string | undefined => (env[key] === undefined || env[key] === "" ? undefined : env[key]);
  const out: Omit<RunnerSettings, "connection"> = {};
  const set = <K extends keyof RunnerSettings>(k: K, v: RunnerSettings[K] | undefined) => {
    if (v !== undefined) (out as RunnerSettings)[k] = v;
  };
  set("lockTimeoutMs", num("MIGRATION_LOCK_TIMEOUT_MS", 1));
  set("statementTimeoutMs", num("MIGRATION_STATEMENT_TIMEOUT_MS", 1));
  set("lockRetries", num("MIGRATION_LOCK_RETRIES", 0));
  set("retryDelayMs", num("MIGRATION_RETRY_DELAY_MS", 0));
  set("connectTimeoutMs", num("MIGRATION_CONNECT_TIMEOUT_MS", 1));
  set("queryTimeoutMs", num("MIGRATION_QUERY_TIMEOUT_MS", 1));
  set("connectionCheckIntervalMs", num("MIGRATION_CONNECTION_CHECK_INTERVAL_MS", 1));
  set("searchPath", str("MIGRATION_SEARCH_PATH"));
  const lockId = str("MIGRATION_LOCK_ID");
  if (lockId !== undefined) {
    const id = Number(lockId);
    if (!Number.isSafeInteger(id)) throw new MigrationUsageError(`MIGRATION_LOCK_ID must be an integer, found "${lockId}"`);
    out.lockId = id;
  }
  const dirs = { migrationsDir: str("MIGRATION_MIGRATIONS_DIR"), seedsDir: str("MIGRATION_SEEDS_DIR"), manifestPath: str("MIGRATION_MANIFEST") };
  if (dirs.migrationsDir || dirs.seedsDir || dirs.manifestPath) {
    const base = defaultBundlePaths();
    const migrationsDir = dirs.migrationsDir ?? base.migrationsDir;
    out.paths = { migrationsDir, seedsDir: dirs.seedsDir ?? base.seedsDir, manifestPath: dirs.manifestPath ?? `${migrationsDir}/manifest.json` };
  }
  const tables: Partial<MigrationTables> = {};
  if (str("MIGRATION_TABLE")) tables.migrations = str("MIGRATION_TABLE");
  if (str("MIGRATION_SEEDS_TABLE")) tables.seeds = str("MIGRATION_SEEDS_TABLE");
  if (str("MIGRATION_RECORD_TABLE")) tables.record = str("MIGRATION_RECORD_TABLE");
  if (Object.keys(tables).length > 0) out.tables = tables;
  return out;
}

/** Who may run `down` here: from the caller (stack config), never guessed from a name. */
export interface DownGuard {
  /** The stack's profile says production-tier (env MIGRATE_PRODUCTION_TIER). */
  productionTier: boolean;
  /** The stack this database belongs to (env MIGRATE_STACK). */
  stack?: string;
  /** The operator's confirmation: the stack's name, typed again (`--confirm <stack>`). */
  confirm?: string;
}

/**
 * MIGRATE_PRODUCTION_TIER=true|false and MIGRATE_STACK. An unstated tier is treated as
 * production-tier: `down` against an unknown database asks for the confirmation.
 */
export function downGuardFromEnv(env: NodeJS.ProcessEnv = process.env): { productionTier: boolean; stated: boolean; stack?: string } {
  const raw = env.MIGRATE_PRODUCTION_TIER;
  const stack = env.MIGRATE_STACK || undefined;
  if (raw === undefined || raw === "") return { productionTier: true, stated: false, ...(stack ? { stack } : {}) };
  if (!/^(?:true|false|1|0)$/i.test(raw)) throw new MigrationUsageError(`MIGRATE_PRODUCTION_TIER must be true or false, found "${raw}"`);
  return { productionTier: /^(?:true|1)$/i.test(raw), stated: true, ...(stack ? { stack } : {}) };
}
