/**
 * The migration runner: a library (everything a parameter, see options.ts) that drives
 * node-pg-migrate's `runner()` one file at a time, with the guards a production database needs.
 *
 * Before anything runs:
 * - the bundle is checked against its manifest, and the database's history against the bundle
 *   (edited, missing, out-of-order, or unrecorded files are refused — see record.ts for adopt);
 * - every pending file is checked: header directives, the safety rules (rules.ts; what lint
 *   refuses, unless excepted with a reason), its rollout class (rollout.ts: a contract migration
 *   runs only once the previous release no longer needs what it removes);
 * - files in the database that this bundle does not have (a rollback: release N−1's task against
 *   release N's database) are judged by the class recorded with them: expand-only → nothing to do.
 *
 * While running (migrations and seeds in one timestamp order):
 * - a session-level advisory lock taken with pg_try_advisory_lock: a second runner fails at once
 *   (exit 3). Never a blocking wait: a waiting lock request holds a snapshot, and
 *   CREATE INDEX CONCURRENTLY in the first runner would wait for it forever;
 * - session settings reset before every file; a write-blocking lock budget per file (executor.ts);
 *   a lock timeout is retried a bounded number of times with back-off;
 * - a failing file leaves the database as it was before it (transaction rolled back, or a
 *   no-transaction file undone by its idempotent down section), and when that is not possible
 *   the record and the message say exactly what is left.
 */
import type { Client } from "pg";
import { type BundleStep, type CheckedBundle, loadCheckedBundle, stepKey } from "./bundle";
import { type DestroyItem, describeDestroys, listDestroys } from "./destroys";
import { type FileProgress, indexOids, InvalidIndexError, statementExecutor } from "./executor";
import { sqlLoaderStrategy } from "./loader";
import { type BundleKind, MigrationRefusedError } from "./manifest";
import { loadNodePgMigrate } from "./node-pg-migrate";
import {
  type DownGuard,
  MigrationUsageError,
  type ResolvedSettings,
  resolveSettings,
  type RunnerSettings,
} from "./options";
import { IGNORE_PATTERN } from "./paths";
import {
  backfillRolloutSql,
  type DatabaseHistory,
  ensureBookkeeping,
  markIncompleteSql,
  type MigrationTables,
  readHistory,
  recordAppliedSql,
  type RecordRow,
  unrecordedApplied,
} from "./record";
import { aheadProblems, rolloutOf, type RolloutInfo, unusedSinceProblems } from "./rollout";
import { checkRules, describeFinding } from "./rules";
import { applySessionSettings, boundedQuery, closeClient, connectSession } from "./session";
import type { SqlMigrationFile } from "./sql-file";
import { createdIndexName, flat } from "./statements";

export { DEFAULT_TIMEOUTS, DEFAULT_SETTINGS, MigrationUsageError, runnerSettingsFromEnv, type MigrationLogLine, type RunnerSettings, type DownGuard } from "./options";
export { readHistory, type AppliedRow, type DatabaseHistory } from "./record";

/** node-pg-migrate's well-known advisory lock id: the default `lockId`. */
export const MIGRATION_LOCK_ID = 7241865325823964;

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
  /** Files in the database newer than this bundle (accepted: expand-only or no longer needed). */
  ahead: string[];
  /** Changes to the runner's own tables (creation, format upgrade). */
  bookkeeping: string[];
  /** down: what it destroyed (or, with dryRun, would destroy). */
  destroys: DestroyItem[];
  dryRun: boolean;
}

/** The runner's exit code when another runner holds the lock: the task, the CLI and the ECS waiter agree on it. */
export const EXIT_LOCK_HELD = 3;

/** Another runner holds the advisory lock. */
export class MigrationLockHeldError extends Error {
  override readonly name = "MigrationLockHeldError";
  readonly exitCode = EXIT_LOCK_HELD;
}

/** A migration failed (after its retries). The message says what state it left. */
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

function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const LOCK_NOT_AVAILABLE = "55P03";
const QUERY_CANCELED = "57014";
const DEADLOCK = "40P01";

interface Session {
  client: Client;
  settings: ResolvedSettings;
}

/** Opens a session holding the migration advisory lock (fail-fast). */
async function withLockedSession<T>(settings: RunnerSettings, fn: (session: Session) => Promise<T>): Promise<T> {
  const resolved = resolveSettings(settings);
  const client = await connectSession(resolved.session);
  try {
    await applySessionSettings(client, resolved.session);
    const got = await boundedQuery<{ ok: boolean }>(client, "SELECT pg_try_advisory_lock($1::bigint) AS ok", [resolved.lockId], resolved.session.queryTimeoutMs);
    if (got.rows[0]?.ok !== true) {
      const holder = await client.query<{ pid: number; since: Date | null }>(
        "SELECT l.pid, a.backend_start AS since FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint LIMIT 1",
        [resolved.lockId],
      );
      const h = holder.rows[0];
      const who = h ? ` (held by backend pid ${h.pid}${h.since ? ` connected since ${h.since.toISOString()}` : ""})` : "";
      throw new MigrationLockHeldError(`another migration is running${who}; not waiting for it — retry when it has finished`);
    }
    try {
      return await fn({ client, settings: resolved });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1::bigint)", [resolved.lockId]).catch(() => undefined);
    }
  } finally {
    await closeClient(client);
  }
}

export interface HistoryCheck {
  problems: string[];
  /** Applied rows whose file this bundle does not have and that are newer than all of its files. */
  ahead: Array<{ kind: BundleKind; name: string }>;
}

/**
 * The database's history against the bundle: every applied file must be in the bundle with the
 * same content, and nothing pending may be older than what is applied (one timestamp order over
 * migrations and seeds). Files newer than the whole bundle are reported as `ahead`, for the
 * caller to judge (rollback).
 */
export function checkHistory(bundle: Pick<CheckedBundle, "steps">, history: DatabaseHistory): HistoryCheck {
  const problems: string[] = [];
  const ahead: HistoryCheck["ahead"] = [];
  const newestFile = bundle.steps.at(-1)?.file.name ?? "";
  const byKey = new Map(bundle.steps.map((s) => [stepKey(s.kind, s.file.name), s.file]));
  const applied = appliedKeys(history);
  for (const [kind, rows] of [["migrations", history.migrations], ["seeds", history.seeds]] as const) {
    for (const row of rows) {
      const file = byKey.get(stepKey(kind, row.name));
      if (!file) {
        if (row.name > newestFile) ahead.push({ kind, name: row.name });
        else problems.push(`${kind}: ${row.name} is applied in the database but its file is missing from the bundle (restore it; never delete a shipped migration)`);
        continue;
      }
      const recorded = history.records.get(stepKey(kind, row.name))?.sha256;
      if (recorded && recorded !== file.sha256) {
        problems.push(`${kind}: ${row.name} was edited after it was applied (database sha256 ${recorded.slice(0, 12)}…, file ${file.sha256.slice(0, 12)}…): revert the edit and add a new migration instead`);
      }
    }
  }
  const newestApplied = [...history.migrations, ...history.seeds].reduce((max, r) => (r.name > max ? r.name : max), "");
  for (const step of bundle.steps) {
    if (!applied.has(stepKey(step.kind, step.file.name)) && step.file.name < newestApplied && incompleteState(history, step) === null) {
      problems.push(`${step.kind}: ${step.file.name} is pending but older than the applied ${newestApplied} (out of order): give it a timestamp after the latest applied migration or seed`);
    }
  }
  return { problems, ahead };
}

function appliedKeys(history: DatabaseHistory): Set<string> {
  return new Set([...history.migrations.map((r) => stepKey("migrations", r.name)), ...history.seeds.map((r) => stepKey("seeds", r.name))]);
}

function incompleteState(history: DatabaseHistory, step: BundleStep): RecordRow["state"] | null {
  const state = history.records.get(stepKey(step.kind, step.file.name))?.state;
  return state && state !== "applied" ? state : null;
}

/** Steps `up` runs: not applied, or left incomplete by a no-transaction section. */
export function pendingSteps(bundle: Pick<CheckedBundle, "steps">, history: DatabaseHistory): BundleStep[] {
  const applied = appliedKeys(history);
  return bundle.steps.filter((s) => !applied.has(stepKey(s.kind, s.file.name)) || incompleteState(history, s) !== null);
}

export interface FileCheck {
  step: BundleStep;
  rollout: RolloutInfo;
  rules: ReturnType<typeof checkRules>;
  /** Everything that makes `up` refuse this file (static: the database is not consulted). */
  problems: string[];
}

/** The static checks of one file: directives, safety rules, rollout declaration. */
export function checkFile(step: BundleStep): FileCheck {
  const rollout = rolloutOf(step.file);
  const rules = checkRules(step.file);
  const problems = [...step.file.problems, ...rules.problems, ...rules.blocking.map((f) => describeFinding(step.file.name, f)), ...rollout.problems];
  return { step, rollout, rules, problems };
}

/**
 * A contract migration may run only when nothing that still needs what it removes serves: on a
 * database where nothing was applied before this run, or when its `unused-since` migration was
 * applied by an earlier bundle (an earlier release), or with a reasoned `previous-release-safe`.
 */
export function contractProblems(check: FileCheck, history: DatabaseHistory, bundleId: string, pending: ReadonlySet<string>): string[] {
  const r = check.rollout;
  if (r.rollout !== "contract" || r.problems.length > 0) return [];
  const fresh = history.migrations.length === 0 && history.seeds.length === 0;
  if (fresh || r.previousReleaseSafe) return [];
  const name = check.step.file.name;
  const marker = r.unusedSince;
  if (!marker) return [];
  const recorded = history.records.get(stepKey("migrations", marker)) ?? history.records.get(stepKey("seeds", marker));
  const removes = r.removes.join(", ");
  if (pending.has(marker) || !recorded) {
    return [`${name} removes ${removes}, which the release serving now may still use: ${marker} (its \`unused-since\`) is not applied yet. Ship ${marker} with the code that stops using it in one release, and ${name} in a later one`];
  }
  if (recorded.bundle === bundleId) {
    return [`${name} removes ${removes}, but ${marker} (its \`unused-since\`) was applied by this same bundle, so the release serving before it may still use ${removes}. Ship ${name} in a later release than ${marker}`];
  }
  return [];
}

interface Preflight {
  bundle: CheckedBundle;
  history: DatabaseHistory;
  pending: BundleStep[];
  checks: Map<string, FileCheck>;
  ahead: string[];
}

/** Everything `up` checks before it runs anything; throws MigrationRefusedError listing all problems. */
async function preflightUp(session: Session): Promise<Preflight> {
  const { client, settings } = session;
  const bundle = loadCheckedBundle(settings.paths);
  const history = await readHistory(client, settings.tables);
  const unrecorded = unrecordedApplied(history);
  if (unrecorded.length > 0) {
    throw new MigrationRefusedError(`${unrecorded.length} applied file(s) have no checksum in ${settings.tables.record}: the runner cannot tell whether they were edited`, [
      ...unrecorded.slice(0, 10).map((u) => `${u} has no checksum row`),
      "check that the bundle's files are the ones that ran, then adopt the database explicitly: `migrate adopt` (records their checksums and classes; nothing else changes)",
    ]);
  }
  const { problems, ahead } = checkHistory(bundle, history);
  const pending = pendingSteps(bundle, history);
  const pendingNames = new Set(pending.map((s) => s.file.name));
  const checks = new Map<string, FileCheck>();
  problems.push(...unusedSinceProblems(bundle.steps.map((s) => s.file)));
  for (const step of pending) {
    const check = checkFile(step);
    checks.set(stepKey(step.kind, step.file.name), check);
    problems.push(...check.problems, ...contractProblems(check, history, bundle.id, pendingNames));
  }
  const names = new Set(bundle.steps.map((s) => s.file.name));
  problems.push(...aheadProblems(ahead.map((a) => recordedRollout(history, a.kind, a.name)), names));
  if (problems.length > 0) throw new MigrationRefusedError("refused before anything ran", problems);
  return { bundle, history, pending, checks, ahead: ahead.map((a) => `${a.kind}/${a.name}`) };
}

function recordedRollout(history: DatabaseHistory, kind: BundleKind, name: string) {
  const r = history.records.get(stepKey(kind, name));
  return { name, rollout: r?.rollout ?? null, removes: r?.removes ?? [], unusedSince: r?.unusedSince ?? null, state: r?.state ?? "applied" };
}

/** The runner's own older format: records without a class get the class of their (identical) file. */
async function backfillRollout(session: Session, bundle: CheckedBundle, history: DatabaseHistory): Promise<number> {
  let n = 0;
  for (const step of bundle.steps) {
    const row = history.records.get(stepKey(step.kind, step.file.name));
    if (row && row.rollout === null && row.sha256 === step.file.sha256) {
      await boundedQuery(session.client, backfillRolloutSql(session.settings.tables, step.kind, step.file, rolloutOf(step.file)), undefined, session.settings.session.queryTimeoutMs);
      n++;
    }
  }
  return n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function oldestTransactions(client: Client): Promise<string> {
  const res = await client.query<{ pid: number; age: string; state: string; app: string }>(
    "SELECT pid, (now() - xact_start)::text AS age, state, application_name AS app FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 3",
  );
  return res.rows.map((r) => `pid ${r.pid} (${r.app || "?"}, ${r.state}, open ${r.age})`).join("; ") || "none visible";
}

function shortSql(sql: string): string {
  const s = flat(sql);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function tableFor(tables: MigrationTables, kind: BundleKind): string {
  return kind === "migrations" ? tables.migrations : tables.seeds;
}

/** One attempt of one file in one direction through node-pg-migrate, with the statement hooks. */
async function attempt(session: Session, bundle: CheckedBundle, step: BundleStep, direction: "up" | "down", rollout: RolloutInfo): Promise<FileProgress> {
  const { client, settings } = session;
  const { runner } = await loadNodePgMigrate();
  const file = step.file;
  await applySessionSettings(client, settings.session);
  const progress: FileProgress = {
    kind: step.kind,
    file,
    direction,
    done: 0,
    total: direction === "up" ? file.up.length : file.down.length,
    indexesBefore: !file.transactional && direction === "up" ? await indexOids(client, settings.session.queryTimeoutMs) : [],
  };
  const forward = (msg: unknown) => settings.log({ level: "debug", msg: String(msg).trim(), migration: file.name });
  const dir = step.kind === "migrations" ? bundle.paths.migrationsDir : bundle.paths.seedsDir;
  const files = new Map((step.kind === "migrations" ? bundle.migrations : bundle.seeds).map((f) => [f.name, f]));
  try {
    await runner({
      dbClient: statementExecutor({ client, session: settings.session, tables: settings.tables, bundleId: bundle.id, rollout, progress }) as never,
      dir,
      ignorePattern: IGNORE_PATTERN,
      migrationsTable: tableFor(settings.tables, step.kind),
      direction,
      file: file.name,
      count: 1,
      checkOrder: false, // checkHistory does it, over migrations and seeds in one order
      singleTransaction: false,
      noLock: true, // we hold our own fail-fast lock for the whole session
      migrationLoaderStrategies: [sqlLoaderStrategy(step.kind, files)],
      logger: { debug: forward, info: forward, warn: forward, error: forward },
    });
  } catch (err) {
    // A transactional file stops mid-transaction on error: roll it back before anything else.
    await client.query("ROLLBACK").catch(() => undefined);
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { progress });
  }
  return progress;
}

/** Indexes a no-transaction up section left behind: created since it started, or named by it and INVALID. */
async function leftoverIndexes(client: Client, progress: FileProgress, timeoutMs: number): Promise<Array<{ index: string; table: string; valid: boolean }>> {
  const named = progress.file.up.map(createdIndexName).filter((n): n is string => n !== null);
  const res = await boundedQuery<{ index: string; table: string; valid: boolean }>(
    client,
    `SELECT c.relname AS index, t.relname AS "table", i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
      WHERE NOT (i.indexrelid::int8 = ANY($2::int8[])) OR (c.relname = ANY($1::text[]) AND NOT i.indisvalid)`,
    [named, progress.indexesBefore],
    timeoutMs,
  );
  return res.rows;
}

/** Runs a no-transaction file's down section as compensation (it is written to be idempotent). */
async function compensate(session: Session, file: SqlMigrationFile): Promise<void> {
  const { settings, client } = session;
  await applySessionSettings(client, settings.session);
  for (const statement of file.down) {
    for (let n = 1; ; n++) {
      try {
        await boundedQuery(client, statement, undefined, settings.session.statementTimeoutMs + 30_000);
        break;
      } catch (err) {
        // DROP INDEX CONCURRENTLY waits for the same old transactions the build waited for.
        if (pgCode(err) === LOCK_NOT_AVAILABLE && n <= settings.lockRetries) {
          await sleep(settings.retryDelayMs * 2 ** (n - 1));
          continue;
        }
        throw err;
      }
    }
  }
}

function describeError(err: unknown): string {
  const code = pgCode(err);
  return `${err instanceof Error ? err.message : String(err)}${code ? ` [SQLSTATE ${code}]` : ""}`;
}

/** Runs one file in one direction, with retries, compensation and a truthful message on failure. */
async function runStep(session: Session, bundle: CheckedBundle, step: BundleStep, direction: "up" | "down", rollout: RolloutInfo, completed: StepResult[], history: DatabaseHistory): Promise<StepResult> {
  const { client, settings } = session;
  const { file, kind } = step;
  const label = `${kind === "seeds" ? "seed" : "migration"} ${file.name} (${direction})`;
  const started = performance.now();
  if (direction === "up" && incompleteState(history, step) === "down-incomplete") {
    // Half reverted: forget the applied row so the (re-runnable) up section runs from the start.
    await boundedQuery(client, `DELETE FROM public.${tableFor(settings.tables, kind)} WHERE name = $1`, [file.name], settings.session.queryTimeoutMs);
    settings.log({ level: "warn", msg: `${file.name} was left half reverted by an earlier down; re-applying it`, migration: file.name });
  }
  for (let n = 1; ; n++) {
    try {
      await attempt(session, bundle, step, direction, rollout);
      const ms = Math.round(performance.now() - started);
      settings.log({ level: "info", msg: `${direction === "up" ? "applied" : "reverted"} ${kind === "seeds" ? "seed " : ""}${file.name}`, ms, attempts: n });
      return { kind, name: file.name, direction, ms, attempts: n };
    } catch (err) {
      const progress = (err as { progress?: FileProgress }).progress;
      const done = progress?.done ?? 0;
      const statements = direction === "up" ? file.up : file.down;
      const code = pgCode(err);
      const retryable = (code === LOCK_NOT_AVAILABLE || code === DEADLOCK) && n <= settings.lockRetries;
      const reason = err instanceof InvalidIndexError ? err.message : describeError(err);
      const failedAt = statements[done] ? ` at statement ${done + 1} of ${statements.length} (\`${shortSql(statements[done])}\`)` : "";
      if (file.transactional && retryable) {
        settings.log({ level: "warn", msg: `lock timeout (${settings.session.lockTimeoutMs} ms) in ${file.name}; rolled back; retry ${n}/${settings.lockRetries} in ${settings.retryDelayMs * 2 ** (n - 1)} ms`, migration: file.name });
        await sleep(settings.retryDelayMs * 2 ** (n - 1));
        continue;
      }
      let state: string;
      if (file.transactional) {
        state = direction === "up" ? `It ran in a transaction that was rolled back: the database is as it was before ${file.name}.` : `Its down section ran in a transaction that was rolled back: ${file.name} is still applied, unchanged.`;
      } else if (direction === "up") {
        // Undo what ran with the file's own down section (idempotent), then look for what is left:
        // a failed CONCURRENTLY build leaves an INVALID index even when it was the first statement.
        const cleanup = file.reversible && file.down.length > 0 ? await compensate(session, file).then(() => null, (e: unknown) => e) : new Error("the file has no down section");
        const left = progress ? await leftoverIndexes(client, progress, settings.session.queryTimeoutMs).catch(() => []) : [];
        if (cleanup === null && left.length === 0) {
          if (retryable) {
            settings.log({ level: "warn", msg: `lock timeout (${settings.session.lockTimeoutMs} ms) in ${file.name}; undone by its down section; retry ${n}/${settings.lockRetries}`, migration: file.name });
            await sleep(settings.retryDelayMs * 2 ** (n - 1));
            continue;
          }
          state = `It ran outside a transaction; its down section undid what had run: the database is as it was before ${file.name}, which is not recorded as applied.`;
        } else {
          if (retryable && file.up.some((u) => /^DROP INDEX CONCURRENTLY IF EXISTS\b/i.test(flat(u)))) {
            // The same old transaction blocks the cleanup: the next attempt's up section drops what is left.
            settings.log({ level: "warn", msg: `lock timeout in ${file.name} and its cleanup; retry ${n}/${settings.lockRetries}`, migration: file.name });
            await sleep(settings.retryDelayMs * 2 ** (n - 1));
            continue;
          }
          const ran = statements.slice(0, done).map(shortSql);
          const leftovers = left.map((i) => `${i.valid ? "" : "INVALID "}index ${i.index} on ${i.table} (drop it: DROP INDEX CONCURRENTLY IF EXISTS ${i.index})`);
          const why = cleanup === null ? "its down section ran but did not remove everything" : `its down section could not undo it (${describeError(cleanup)})`;
          const detail = `up stopped${failedAt}: ${reason}; ${why}`;
          await boundedQuery(client, markIncompleteSql(settings.tables, kind, file, rollout, bundle.id, "up-incomplete", detail), undefined, settings.session.queryTimeoutMs).catch(() => undefined);
          state = `It ran outside a transaction and ${why}. Statements that ran: ${ran.join("; ") || "none completed"}.${leftovers.length > 0 ? ` Left in the database: ${leftovers.join("; ")}.` : ""} ${file.name} is not recorded as applied and is marked up-incomplete in ${settings.tables.record} (\`migrate status\` reports it); once the cause is fixed, \`migrate up\` re-runs it from the start.`;
        }
      } else {
        if (retryable) {
          settings.log({ level: "warn", msg: `lock timeout in the down section of ${file.name}; retry ${n}/${settings.lockRetries} (it is idempotent)`, migration: file.name });
          await sleep(settings.retryDelayMs * 2 ** (n - 1));
          continue;
        }
        if (done === 0) state = `Nothing of its down section ran: ${file.name} is still applied, unchanged.`;
        else {
          const ran = statements.slice(0, done).map(shortSql);
          const detail = `down stopped${failedAt}: ${reason}; statements 1–${done} ran`;
          await boundedQuery(client, markIncompleteSql(settings.tables, kind, file, rollout, bundle.id, "down-incomplete", detail), undefined, settings.session.queryTimeoutMs).catch(() => undefined);
          state = `It runs outside a transaction: statements 1–${done} of its down section ran and stay done (${ran.join("; ")}); the rest did not. ${file.name} stays recorded as applied and is marked down-incomplete (\`migrate status\` reports it). Finish with \`migrate down\` again once the cause is fixed (the down section is idempotent), or restore it with \`migrate up\` (re-applies ${file.name}).`;
        }
      }
      let message = `${label} failed${failedAt}: ${reason}`;
      if (code === LOCK_NOT_AVAILABLE) {
        message = `${label} could not get its lock within lock_timeout ${settings.session.lockTimeoutMs} ms after ${n} attempts; oldest open transactions: ${await oldestTransactions(client).catch(() => "unknown")}`;
      } else if (code === QUERY_CANCELED) {
        message += ` (statement_timeout is ${settings.session.statementTimeoutMs} ms; raise MIGRATION_STATEMENT_TIMEOUT_MS if the table is large)`;
      } else if (err instanceof InvalidIndexError) {
        message = `${label}: ${err.indexes.map((i) => `index ${i.index} on ${i.table}`).join(", ")} is INVALID after the file ran (a CONCURRENTLY build failed — e.g. duplicate keys for a UNIQUE index — or an INVALID index from an earlier attempt was kept by IF NOT EXISTS); it is never recorded as applied. To recover: fix the cause (for UNIQUE: find the duplicates with SELECT <columns>, count(*) FROM <table> GROUP BY 1 HAVING count(*) > 1), make sure the index is gone (\`DROP INDEX CONCURRENTLY IF EXISTS ${err.indexes[0]?.index ?? "<index>"}\`; start the up section with that statement so re-runs do it), then run \`migrate up\` again`;
      }
      const before = completed.length > 0 ? ` Completed before it in this run: ${completed.map((c) => `${c.direction === "up" ? "applied" : "reverted"} ${c.name}`).join(", ")}.` : "";
      throw new MigrationFailedError(`${message}. ${state}${before}`, file.name, direction, n, code, completed);
    }
  }
}

function latestOf(history: DatabaseHistory): string | null {
  return history.migrations.at(-1)?.name ?? null;
}

function emptyReport(direction: "up" | "down"): Omit<RunReport, "totalMs" | "latest" | "steps"> {
  return { direction, ahead: [], bookkeeping: [], destroys: [], dryRun: false };
}

export interface UpSettings extends RunnerSettings {
  /** Apply pending files up to and including this one (default: all). */
  to?: string;
  /** Called before each file runs (`migrate verify` adds representative rows there). */
  beforeStep?: (step: { kind: BundleKind; name: string }) => Promise<void>;
}

/** Applies every pending migration and seed in one timestamp order. */
export async function migrateUp(settings: UpSettings): Promise<RunReport> {
  const started = performance.now();
  return withLockedSession(settings, async (session) => {
    const log = session.settings.log;
    const pre = await preflightUp(session);
    const bookkeeping = await ensureBookkeeping(session.client, session.settings.tables, pre.history);
    const filled = await backfillRollout(session, pre.bundle, pre.history);
    if (filled > 0) bookkeeping.push(`recorded the rollout class of ${filled} file(s) applied before classes were recorded`);
    for (const b of bookkeeping) log({ level: "info", msg: `bookkeeping: ${b}` });
    if (pre.ahead.length > 0) {
      log({ level: "info", msg: `the database is ahead of this bundle by ${pre.ahead.length} file(s) that keep this release working (${pre.ahead.join(", ")}); nothing to do for them` });
    }
    const steps: StepResult[] = [];
    if (settings.to !== undefined && !pre.bundle.steps.some((s) => s.file.name === settings.to)) throw new MigrationUsageError(`up --to ${settings.to}: not a migration or seed of this bundle`);
    for (const step of pre.pending.filter((s) => settings.to === undefined || s.file.name <= settings.to)) {
      const check = pre.checks.get(stepKey(step.kind, step.file.name))!;
      for (const e of check.rules.excepted) log({ level: "warn", msg: `${step.file.name}: ${e.rule} allowed by its header: ${e.reason}`, migration: step.file.name });
      if (check.rollout.previousReleaseSafe) log({ level: "warn", msg: `${step.file.name}: contract migration run on its reasoned exception: ${check.rollout.previousReleaseSafe}`, migration: step.file.name });
      await settings.beforeStep?.({ kind: step.kind, name: step.file.name });
      steps.push(await runStep(session, pre.bundle, step, "up", check.rollout, steps, pre.history));
    }
    if (steps.length === 0) log({ level: "info", msg: "database is up to date" });
    const after = await readHistory(session.client, session.settings.tables);
    return { ...emptyReport("up"), steps, totalMs: Math.round(performance.now() - started), latest: latestOf(after), ahead: pre.ahead, bookkeeping };
  });
}

/** Refused `down`: a production-tier stack without the explicit confirmation. */
export class MigrationConfirmationError extends Error {
  override readonly name = "MigrationConfirmationError";
  constructor(
    message: string,
    readonly destroys: DestroyItem[],
  ) {
    super(message);
  }
}

export interface DownSettings extends RunnerSettings {
  /** Without: the latest migration (and seeds newer than the one before it). `"<name>"`: down to, keeping, that migration. `"0"`: everything. */
  to?: string;
  /** Who may run it: required, from the stack's config (see options.ts). */
  guard: DownGuard;
  /** List what it would destroy and stop. */
  dryRun?: boolean;
}

/**
 * Reverts migrations and seeds, newest first, in the same timestamp order `up` applies them.
 * Before running it lists what it destroys; on a production-tier stack it runs only when the
 * operator confirmed by naming the stack.
 */
export async function migrateDown(settings: DownSettings): Promise<RunReport> {
  const started = performance.now();
  if (!settings.guard) throw new MigrationUsageError("down needs a guard: { productionTier, stack, confirm } from the stack's config");
  return withLockedSession(settings, async (session) => {
    const { client } = session;
    const log = session.settings.log;
    const bundle = loadCheckedBundle(session.settings.paths);
    const history = await readHistory(client, session.settings.tables);
    const unrecorded = unrecordedApplied(history);
    if (unrecorded.length > 0) throw new MigrationRefusedError(`applied file(s) without checksums: adopt the database first (\`migrate adopt\`)`, unrecorded);
    const { problems, ahead } = checkHistory(bundle, history);
    if (ahead.length > 0) problems.push(`the database has ${ahead.length} file(s) newer than this bundle (${ahead.map((a) => a.name).join(", ")}): run down from the bundle that contains them`);
    if (problems.length > 0) throw new MigrationRefusedError("the database history does not match the bundle", problems);

    const applied = appliedKeys(history);
    const appliedSteps = bundle.steps.filter((s) => applied.has(stepKey(s.kind, s.file.name)));
    const migrations = appliedSteps.filter((s) => s.kind === "migrations").map((s) => s.file.name);
    let keepUpTo: string;
    if (settings.to === "0") keepUpTo = "";
    else if (settings.to === undefined) keepUpTo = migrations.at(-2) ?? "";
    else {
      if (!migrations.includes(settings.to)) throw new MigrationUsageError(`--to ${settings.to}: not an applied migration (applied: ${migrations.join(", ") || "none"}; use --to 0 for all)`);
      keepUpTo = settings.to;
    }
    // Down to a migration keeps it and everything older, seeds included (one timestamp order).
    const toRevert = appliedSteps.filter((s) => s.file.name > keepUpTo).reverse();
    const irreversible = toRevert.filter((s) => !s.file.reversible).map((s) => s.file.name);
    if (irreversible.length > 0) throw new MigrationUsageError(`cannot go down past irreversible migration(s): ${irreversible.join(", ")}`);

    const destroys = await listDestroys(client, toRevert);
    const list = describeDestroys(destroys);
    const plan = `down would revert ${toRevert.length} file(s) (${toRevert.map((s) => s.file.name).join(", ") || "none"}) and destroy: ${list.length > 0 ? list.join("; ") : "no data (schema objects only)"}`;
    log({ level: "warn", msg: plan, destroys });
    const g = settings.guard;
    if (g.productionTier && toRevert.length > 0 && !settings.dryRun) {
      if (!g.stack) throw new MigrationConfirmationError(`down refused: production-tier database, but the stack it belongs to was not given (--stack <stack> or MIGRATE_STACK). ${plan}`, destroys);
      if (g.confirm !== g.stack) {
        throw new MigrationConfirmationError(
          `down refused on production-tier stack ${g.stack}: ${plan}. The release serving this stack must not need any of it: roll the service back first (runbooks/deploy-and-rollback.md). To proceed, run again with --confirm ${g.stack}`,
          destroys,
        );
      }
    }
    if (settings.dryRun) return { ...emptyReport("down"), steps: [], totalMs: Math.round(performance.now() - started), latest: latestOf(history), destroys, dryRun: true };

    const steps: StepResult[] = [];
    for (const step of toRevert) steps.push(await runStep(session, bundle, step, "down", rolloutOf(step.file), steps, history));
    if (steps.length === 0) log({ level: "info", msg: "nothing to revert" });
    const after = await readHistory(client, session.settings.tables);
    return { ...emptyReport("down"), steps, totalMs: Math.round(performance.now() - started), latest: latestOf(after), destroys };
  });
}

export interface AdoptReport {
  adopted: string[];
  bookkeeping: string[];
}

/**
 * Takes over a database migrated by an older runner (or by node-pg-migrate alone): records the
 * checksum and class of every applied file from this bundle — which must contain each of them —
 * and converts naive run_on timestamps (read in `timeZone`, default the database's). Changes
 * nothing else; an explicit command, never done silently by `up`.
 */
export async function adoptDatabase(settings: RunnerSettings & { timeZone?: string }): Promise<AdoptReport> {
  return withLockedSession(settings, async (session) => {
    const { client } = session;
    const { tables } = session.settings;
    const bundle = loadCheckedBundle(session.settings.paths);
    const history = await readHistory(client, tables);
    const { problems } = checkHistory(bundle, history);
    const byKey = new Map(bundle.steps.map((s) => [stepKey(s.kind, s.file.name), s]));
    const missing = unrecordedApplied(history).filter((k) => !byKey.has(k));
    problems.push(...missing.map((k) => `${k} is applied but not in this bundle: adopt with the bundle that applied it`));
    if (problems.length > 0) throw new MigrationRefusedError("cannot adopt: the database history does not match the bundle", problems);
    if (settings.timeZone) {
      const ok = await client.query("SELECT now() AT TIME ZONE $1", [settings.timeZone]).then(
        () => true,
        () => false,
      );
      if (!ok) throw new MigrationUsageError(`--time-zone ${settings.timeZone}: not a time zone PostgreSQL knows (e.g. UTC, Europe/Berlin)`);
    }
    await client.query("BEGIN");
    try {
      const bookkeeping = await ensureBookkeeping(client, tables, history, settings.timeZone);
      const adopted: string[] = [];
      for (const key of unrecordedApplied(history)) {
        const step = byKey.get(key)!;
        await client.query(recordAppliedSql(tables, step.kind, step.file, rolloutOf(step.file), "adopted"));
        adopted.push(key);
      }
      await client.query("COMMIT");
      const filled = await backfillRollout(session, bundle, await readHistory(client, tables));
      if (filled > 0) bookkeeping.push(`recorded the rollout class of ${filled} file(s)`);
      for (const a of adopted) session.settings.log({ level: "info", msg: `adopted ${a}` });
      return { adopted, bookkeeping };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  });
}
