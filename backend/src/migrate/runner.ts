/**
 * The migration runner: node-pg-migrate's `runner()` driven one file at a time, with the guards a
 * production database needs around it.
 *
 * - The bundle is checked against the committed manifest, and the database's history against the
 *   bundle (edited, missing or out-of-order files are refused) before anything runs.
 * - A session-level advisory lock taken with pg_try_advisory_lock: a second runner fails at once
 *   (exit 3). Never a blocking wait: a waiting lock request holds a snapshot, and
 *   CREATE INDEX CONCURRENTLY in the first runner would wait for it forever.
 * - lock_timeout and statement_timeout on the session, so every migration statement is bounded;
 *   a lock timeout is retried a bounded number of times with back-off.
 * - A failing migration leaves the database as it was before that migration: transactional files
 *   roll back; a file that runs outside a transaction (`-- migrate:no-transaction`) is
 *   compensated by its own idempotent down section (e.g. drops an INVALID half-built index).
 */
import { Client, type ClientConfig } from "pg";
import { type BundleKind, checkBundle, MigrationRefusedError, readManifest } from "./manifest";
import { checksumTableDdl, sqlLoaderStrategy } from "./loader";
import { loadNodePgMigrate } from "./node-pg-migrate";
import { type BundlePaths, CHECKSUMS_TABLE, defaultBundlePaths, IGNORE_PATTERN, MIGRATIONS_TABLE, SEEDS_TABLE } from "./paths";
import type { SqlMigrationFile } from "./sql-file";

export const MIGRATION_LOCK_ID = 7241865325823964; // node-pg-migrate's well-known id: also excludes its own CLI

export const DEFAULT_TIMEOUTS = {
  lockTimeoutMs: 2_000,
  statementTimeoutMs: 15 * 60_000,
  lockRetries: 4,
  retryDelayMs: 1_000,
} as const;

export interface MigrationLogLine {
  level: "info" | "warn" | "error" | "debug";
  msg: string;
  [field: string]: unknown;
}

export interface RunnerSettings {
  /** Connection string or pg ClientConfig (from `databaseConfigFromEnv()` in ECS). */
  connection: string | ClientConfig;
  paths?: BundlePaths;
  /** SET lock_timeout for every migration statement (env MIGRATION_LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
  /** SET statement_timeout for every migration statement (env MIGRATION_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
  /** Retries of one migration after a lock timeout (env MIGRATION_LOCK_RETRIES). */
  lockRetries?: number;
  /** First back-off between retries, doubled each time (env MIGRATION_RETRY_DELAY_MS). */
  retryDelayMs?: number;
  log?: (line: MigrationLogLine) => void;
}

export interface StepResult {
  kind: BundleKind;
  name: string;
  direction: "up" | "down";
  ms: number;
  attempts: number;
}

export interface RunReport {
  direction: "up" | "down";
  steps: StepResult[];
  totalMs: number;
  /** Latest applied migration after the run, null when none. */
  latest: string | null;
}

/** The runner's exit code when another runner holds the lock: the task, the CLI and the ECS waiter agree on it. */
export const EXIT_LOCK_HELD = 3;

/** Another runner holds the advisory lock. */
export class MigrationLockHeldError extends Error {
  override readonly name = "MigrationLockHeldError";
  readonly exitCode = EXIT_LOCK_HELD;
}

/** A migration failed (after its retries); the database is as it was before that migration. */
export class MigrationFailedError extends Error {
  override readonly name = "MigrationFailedError";
  constructor(
    message: string,
    readonly migration: string,
    readonly direction: "up" | "down",
    readonly attempts: number,
    readonly sqlState: string | undefined,
    readonly completed: StepResult[],
  ) {
    super(message);
  }
}

/** Bad request to the runner (e.g. `down --to` a migration that is not applied). Exit 2. */
export class MigrationUsageError extends Error {
  override readonly name = "MigrationUsageError";
}

/** Runner knobs from the environment (the ECS task sets these), validated. */
export function runnerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<RunnerSettings, "connection"> {
  const num = (key: string, fallback: number, min: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new MigrationUsageError(`${key} must be an integer >= ${min}, found "${raw}"`);
    return value;
  };
  return {
    lockTimeoutMs: num("MIGRATION_LOCK_TIMEOUT_MS", DEFAULT_TIMEOUTS.lockTimeoutMs, 1),
    statementTimeoutMs: num("MIGRATION_STATEMENT_TIMEOUT_MS", DEFAULT_TIMEOUTS.statementTimeoutMs, 1),
    lockRetries: num("MIGRATION_LOCK_RETRIES", DEFAULT_TIMEOUTS.lockRetries, 0),
    retryDelayMs: num("MIGRATION_RETRY_DELAY_MS", DEFAULT_TIMEOUTS.retryDelayMs, 0),
  };
}

function tableFor(kind: BundleKind): string {
  return kind === "migrations" ? MIGRATIONS_TABLE : SEEDS_TABLE;
}

function dirFor(paths: BundlePaths, kind: BundleKind): string {
  return kind === "migrations" ? paths.migrationsDir : paths.seedsDir;
}

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const LOCK_NOT_AVAILABLE = "55P03";
const QUERY_CANCELED = "57014";

async function connect(connection: string | ClientConfig): Promise<Client> {
  const client = new Client(typeof connection === "string" ? { connectionString: connection } : connection);
  client.on("error", () => undefined); // a dropped connection surfaces as a failed query instead
  await client.connect();
  await client.query("SET application_name = 'backend-release-migrate'");
  return client;
}

export interface AppliedRow {
  name: string;
  runOn: string;
}

export interface DatabaseHistory {
  migrations: AppliedRow[];
  seeds: AppliedRow[];
  /** `${kind}/${name}` → sha256 recorded when it ran. */
  checksums: Map<string, string>;
}

async function tableExists(client: Client, table: string): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [`public.${table}`]);
  return res.rows[0]?.ok === true;
}

export async function readHistory(client: Client): Promise<DatabaseHistory> {
  const applied = async (table: string): Promise<AppliedRow[]> => {
    if (!(await tableExists(client, table))) return [];
    const res = await client.query<{ name: string; run_on: Date }>(`SELECT name, run_on FROM ${table} ORDER BY run_on, id`);
    return res.rows.map((r) => ({ name: r.name, runOn: r.run_on.toISOString() }));
  };
  const checksums = new Map<string, string>();
  if (await tableExists(client, CHECKSUMS_TABLE)) {
    const res = await client.query<{ kind: string; name: string; sha256: string }>(`SELECT kind, name, sha256 FROM ${CHECKSUMS_TABLE}`);
    for (const r of res.rows) checksums.set(`${r.kind}/${r.name}`, r.sha256);
  }
  return { migrations: await applied(MIGRATIONS_TABLE), seeds: await applied(SEEDS_TABLE), checksums };
}

/**
 * The database's history must be a prefix of the bundle, file for file, with the same content.
 * Returns the problems (empty when consistent).
 */
export function historyProblems(kind: BundleKind, files: SqlMigrationFile[], applied: AppliedRow[], checksums: Map<string, string>): string[] {
  const problems: string[] = [];
  const byName = new Map(files.map((f) => [f.name, f]));
  const appliedNames = new Set(applied.map((a) => a.name));
  for (const row of applied) {
    const file = byName.get(row.name);
    if (!file) {
      problems.push(`${kind}: ${row.name} is applied in the database but its file is missing from the bundle (restore it; never delete a shipped migration)`);
      continue;
    }
    const recorded = checksums.get(`${kind}/${row.name}`);
    if (recorded && recorded !== file.sha256) {
      problems.push(`${kind}: ${row.name} was edited after it was applied (database sha256 ${recorded.slice(0, 12)}…, file ${file.sha256.slice(0, 12)}…): revert the edit and add a new migration instead`);
    }
  }
  const lastApplied = applied.reduce((idx, row) => Math.max(idx, files.findIndex((f) => f.name === row.name)), -1);
  for (let i = 0; i < lastApplied; i++) {
    const file = files[i];
    if (file && !appliedNames.has(file.name)) {
      problems.push(`${kind}: ${file.name} is pending but older than the applied ${files[lastApplied]?.name} (out of order): give it a timestamp after the latest applied migration`);
    }
  }
  return problems;
}

interface Session {
  client: Client;
  settings: Required<Omit<RunnerSettings, "connection" | "paths" | "log">> & { log: (line: MigrationLogLine) => void; paths: BundlePaths };
}

function resolveSettings(settings: RunnerSettings): Session["settings"] {
  return {
    lockTimeoutMs: settings.lockTimeoutMs ?? DEFAULT_TIMEOUTS.lockTimeoutMs,
    statementTimeoutMs: settings.statementTimeoutMs ?? DEFAULT_TIMEOUTS.statementTimeoutMs,
    lockRetries: settings.lockRetries ?? DEFAULT_TIMEOUTS.lockRetries,
    retryDelayMs: settings.retryDelayMs ?? DEFAULT_TIMEOUTS.retryDelayMs,
    log: settings.log ?? (() => undefined),
    paths: settings.paths ?? defaultBundlePaths(),
  };
}

/** Opens a session holding the migration advisory lock (fail-fast) with the timeouts set. */
async function withLockedSession<T>(settings: RunnerSettings, fn: (session: Session) => Promise<T>): Promise<T> {
  const resolved = resolveSettings(settings);
  const client = await connect(settings.connection);
  try {
    const got = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [MIGRATION_LOCK_ID]);
    if (got.rows[0]?.ok !== true) {
      const holder = await client.query<{ pid: number; since: Date | null }>(
        "SELECT l.pid, a.backend_start AS since FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint LIMIT 1",
        [MIGRATION_LOCK_ID],
      );
      const h = holder.rows[0];
      const who = h ? ` (held by backend pid ${h.pid}${h.since ? ` connected since ${h.since.toISOString()}` : ""})` : "";
      throw new MigrationLockHeldError(`another migration is running${who}; not waiting for it — retry when it has finished`);
    }
    try {
      await client.query(`SET lock_timeout = ${Math.trunc(resolved.lockTimeoutMs)}`);
      await client.query(`SET statement_timeout = ${Math.trunc(resolved.statementTimeoutMs)}`);
      await client.query(checksumTableDdl());
      return await fn({ client, settings: resolved });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_ID]).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks the bundle against the manifest and the database history; returns the checked files. */
async function checkedBundle(session: Session): Promise<{ migrations: SqlMigrationFile[]; seeds: SqlMigrationFile[]; history: DatabaseHistory }> {
  const { paths } = session.settings;
  const manifest = readManifest(paths.manifestPath);
  const migrations = checkBundle(paths, "migrations", manifest);
  const seeds = checkBundle(paths, "seeds", manifest);
  const history = await readHistory(session.client);
  const problems = [
    ...historyProblems("migrations", migrations, history.migrations, history.checksums),
    ...historyProblems("seeds", seeds, history.seeds, history.checksums),
  ];
  if (problems.length > 0) throw new MigrationRefusedError("the database history does not match the bundle", problems);
  return { migrations, seeds, history };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function oldestTransactions(client: Client): Promise<string> {
  const res = await client.query<{ pid: number; age: string; state: string; app: string }>(
    "SELECT pid, (now() - xact_start)::text AS age, state, application_name AS app FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 3",
  );
  return res.rows.map((r) => `pid ${r.pid} (${r.app || "?"}, ${r.state}, open ${r.age})`).join("; ") || "none visible";
}

/** Runs one file in one direction through node-pg-migrate, with retries and compensation. */
async function runOne(session: Session, kind: BundleKind, file: SqlMigrationFile, direction: "up" | "down", completed: StepResult[]): Promise<StepResult> {
  const { client, settings } = session;
  const { runner } = await loadNodePgMigrate();
  const forward = (level: MigrationLogLine["level"]) => (msg: string) => settings.log({ level: level === "info" ? "debug" : level, msg: String(msg).trim(), migration: file.name });
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await runner({
        dbClient: client,
        dir: dirFor(settings.paths, kind),
        ignorePattern: IGNORE_PATTERN,
        migrationsTable: tableFor(kind),
        direction,
        file: file.name,
        count: 1,
        checkOrder: true,
        singleTransaction: false,
        noLock: true, // we hold our own fail-fast lock for the whole session
        migrationLoaderStrategies: [sqlLoaderStrategy(kind)],
        logger: { debug: forward("debug"), info: forward("info"), warn: forward("debug"), error: forward("debug") },
      });
      const ms = Math.round(performance.now() - started);
      settings.log({ level: "info", msg: `${direction === "up" ? "applied" : "reverted"} ${kind === "seeds" ? "seed " : ""}${file.name}`, ms, attempts: attempt });
      return { kind, name: file.name, direction, ms, attempts: attempt };
    } catch (err) {
      // A transactional file stops mid-transaction on error: roll it back before anything else.
      await client.query("ROLLBACK").catch(() => undefined);
      const code = pgCode(err);
      if (!file.transactional && direction === "up") {
        // A cleanup blocked by the same long transaction is not final while retries remain:
        // the next attempt's up section drops what this one left (DROP ... IF EXISTS first).
        const cleanupError = await compensate(session, file).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (cleanupError && !(code === LOCK_NOT_AVAILABLE && attempt <= settings.lockRetries)) throw cleanupError;
      }
      const reason = err instanceof Error ? err.message : String(err);
      if (code === LOCK_NOT_AVAILABLE && attempt <= settings.lockRetries) {
        const delay = settings.retryDelayMs * 2 ** (attempt - 1);
        settings.log({ level: "warn", msg: `lock timeout (${settings.lockTimeoutMs} ms) in ${file.name}; retry ${attempt}/${settings.lockRetries} in ${delay} ms`, migration: file.name });
        await sleep(delay);
        continue;
      }
      let message = `${kind === "seeds" ? "seed" : "migration"} ${file.name} (${direction}) failed: ${reason}${code ? ` [SQLSTATE ${code}]` : ""}`;
      if (code === LOCK_NOT_AVAILABLE) {
        message = `${file.name} (${direction}) could not get its lock within lock_timeout ${settings.lockTimeoutMs} ms after ${attempt} attempts; oldest open transactions: ${await oldestTransactions(client).catch(() => "unknown")}`;
      } else if (code === QUERY_CANCELED) {
        message += ` (statement_timeout is ${settings.statementTimeoutMs} ms; raise MIGRATION_STATEMENT_TIMEOUT_MS if the table is large)`;
      }
      message += `. The database is as it was before ${file.name}.`;
      throw new MigrationFailedError(message, file.name, direction, attempt, code, completed);
    }
  }
}

/** Undo a half-run non-transactional file with its down section (written to be idempotent). */
async function compensate(session: Session, file: SqlMigrationFile): Promise<void> {
  const { settings } = session;
  for (const statement of file.down) {
    for (let attempt = 1; ; attempt++) {
      try {
        await session.client.query(statement);
        break;
      } catch (err) {
        // DROP INDEX CONCURRENTLY waits for the same old transactions the build waited for.
        if (pgCode(err) === LOCK_NOT_AVAILABLE && attempt <= settings.lockRetries) {
          const delay = settings.retryDelayMs * 2 ** (attempt - 1);
          settings.log({ level: "warn", msg: `lock timeout while undoing ${file.name}; retry ${attempt}/${settings.lockRetries} in ${delay} ms`, migration: file.name });
          await sleep(delay);
          continue;
        }
        settings.log({ level: "error", msg: `compensation of ${file.name} failed: ${err instanceof Error ? err.message : String(err)}`, migration: file.name });
        throw new MigrationFailedError(
          `${file.name} failed outside a transaction and its down section could not undo it: ${err instanceof Error ? err.message : String(err)}; a re-run drops what it left (its up section starts with DROP ... IF EXISTS) once the blocking transaction ends`,
          file.name,
          "up",
          1,
          pgCode(err),
          [],
        );
      }
    }
  }
}

function latestOf(history: DatabaseHistory): string | null {
  return history.migrations.at(-1)?.name ?? null;
}

/** Applies every pending migration, then every pending seed, in order. */
export async function migrateUp(settings: RunnerSettings): Promise<RunReport> {
  const started = performance.now();
  return withLockedSession(settings, async (session) => {
    const { migrations, seeds, history } = await checkedBundle(session);
    const steps: StepResult[] = [];
    for (const [kind, files, applied] of [
      ["migrations", migrations, history.migrations],
      ["seeds", seeds, history.seeds],
    ] as const) {
      const done = new Set(applied.map((a) => a.name));
      for (const file of files) {
        if (!done.has(file.name)) steps.push(await runOne(session, kind, file, "up", steps));
      }
    }
    if (steps.length === 0) session.settings.log({ level: "info", msg: "database is up to date" });
    const after = await readHistory(session.client);
    return { direction: "up", steps, totalMs: Math.round(performance.now() - started), latest: latestOf(after) };
  });
}

/**
 * Reverts migrations, newest first. Without `to`: the latest one. `to: "<name>"`: down to (and
 * keeping) that migration. `to: "0"`: everything, seeds first (they hold data in those tables).
 */
export async function migrateDown(settings: RunnerSettings & { to?: string }): Promise<RunReport> {
  const started = performance.now();
  return withLockedSession(settings, async (session) => {
    const { migrations, seeds, history } = await checkedBundle(session);
    const appliedMigrations = history.migrations.map((a) => a.name);
    let toRevert: string[];
    if (settings.to === undefined) toRevert = appliedMigrations.slice(-1);
    else if (settings.to === "0") toRevert = [...appliedMigrations];
    else {
      const idx = appliedMigrations.indexOf(settings.to);
      if (idx < 0) throw new MigrationUsageError(`--to ${settings.to}: not an applied migration (applied: ${appliedMigrations.join(", ") || "none"}; use --to 0 for all)`);
      toRevert = appliedMigrations.slice(idx + 1);
    }
    const steps: StepResult[] = [];
    const byName = new Map([...migrations].map((f) => [f.name, f]));
    const irreversible = toRevert.filter((n) => byName.get(n)?.reversible === false);
    if (irreversible.length > 0) throw new MigrationUsageError(`cannot go down past irreversible migration(s): ${irreversible.join(", ")}`);
    if (settings.to === "0") {
      const seedByName = new Map(seeds.map((f) => [f.name, f]));
      for (const row of [...history.seeds].reverse()) {
        const seed = seedByName.get(row.name);
        if (seed) steps.push(await runOne(session, "seeds", seed, "down", steps));
      }
    }
    for (const name of [...toRevert].reverse()) {
      const file = byName.get(name);
      if (file) steps.push(await runOne(session, "migrations", file, "down", steps));
    }
    if (steps.length === 0) session.settings.log({ level: "info", msg: "nothing to revert" });
    const after = await readHistory(session.client);
    return { direction: "down", steps, totalMs: Math.round(performance.now() - started), latest: latestOf(after) };
  });
}
