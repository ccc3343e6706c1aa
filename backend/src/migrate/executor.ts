/**
 * The runner's statement hooks: the client handed to node-pg-migrate (its `dbClient` accepts any
 * object with `query`). Every statement node-pg-migrate sends passes through here, so the runner
 * can, for one file:
 *
 * - bound how long writers can wait behind it. In a transaction, the first statement that takes a
 *   write-blocking lock starts a budget of lock_timeout; every later statement gets only what is
 *   left as its lock_timeout (computed on the server's clock). A writer queued behind the file
 *   therefore never waits longer than lock_timeout plus the file's own execution time, however
 *   many tables the file locks one after the other. Outside a transaction every statement gets
 *   the full lock_timeout (no lock is held across statements).
 * - know how far the file got (statements done), to tell the truth when it stops half way;
 * - check, after a no-transaction up section, that every index it created or named is valid
 *   (`pg_index.indisvalid`) before the file is recorded as applied;
 * - write the record row (checksum, rollout class, bundle) in the same transaction as
 *   node-pg-migrate's own row, for transactional and no-transaction files alike.
 */
import type { Client, QueryResult } from "pg";
import { STATEMENT_TAG_RE } from "./loader";
import type { BundleKind } from "./manifest";
import { forgetSql, type MigrationTables, recordAppliedSql } from "./record";
import type { RolloutInfo } from "./rollout";
import { boundedQuery, type SessionSettings } from "./session";
import type { SqlMigrationFile } from "./sql-file";
import { createdIndexName } from "./statements";

export interface FileProgress {
  kind: BundleKind;
  file: SqlMigrationFile;
  direction: "up" | "down";
  /** File statements completed (they ran to the end; committed only outside a transaction). */
  done: number;
  total: number;
  /** Index oids that existed before a no-transaction up section started. */
  indexesBefore: number[];
}

/** An index a no-transaction file built is INVALID: the file is not recorded. */
export class InvalidIndexError extends Error {
  override readonly name = "InvalidIndexError";
  constructor(readonly indexes: Array<{ index: string; table: string }>) {
    super(`INVALID index(es) after the file ran: ${indexes.map((i) => `${i.index} on ${i.table}`).join(", ")}`);
  }
}

const WRITE_BLOCKING = "('ShareLock','ShareRowExclusiveLock','ExclusiveLock','AccessExclusiveLock')";

export async function indexOids(client: Client, timeoutMs: number): Promise<number[]> {
  const res = await boundedQuery<{ oid: number }>(client, "SELECT indexrelid::int8 AS oid FROM pg_index", undefined, timeoutMs);
  return res.rows.map((r) => Number(r.oid));
}

export interface ExecutorContext {
  client: Client;
  session: SessionSettings;
  tables: MigrationTables;
  bundleId: string;
  rollout: RolloutInfo;
  progress: FileProgress;
}

export function statementExecutor(ctx: ExecutorContext): { query: (text: string, values?: unknown[]) => Promise<QueryResult> } {
  const { client, session, progress } = ctx;
  const statementBound = session.statementTimeoutMs + 30_000;
  const q = (text: string, values?: unknown[], timeout = session.queryTimeoutMs) => boundedQuery(client, text, values, timeout);
  let inTransaction = false;
  let deadline: number | null = null;
  const markRe = new RegExp(String.raw`^(?:INSERT INTO|DELETE FROM) "[^"]+"\."(${ctx.tables.migrations}|${ctx.tables.seeds})"`);

  /**
   * Runs one file statement. In a transaction the budget is set in the SAME query string, just
   * before the statement (no round trip between them): lock_timeout is the full budget until a
   * write-blocking lock is held, then only what is left of it, computed on the server's clock.
   */
  const runStatement = async (text: string, values?: unknown[]): Promise<QueryResult> => {
    if (!inTransaction || values) {
      await q("SELECT set_config('lock_timeout', $1, false)", [`${session.lockTimeoutMs}ms`]);
      return q(text, values, statementBound);
    }
    const lockTimeout = deadline === null ? `'${Math.trunc(session.lockTimeoutMs)}ms'` : `greatest(1, round(${deadline} - extract(epoch from clock_timestamp()) * 1000))::bigint || 'ms'`;
    const results = (await q(`SELECT set_config('lock_timeout', ${lockTimeout}, true), extract(epoch from statement_timestamp()) * 1000 AS started; ${text}`, undefined, statementBound)) as unknown as QueryResult[];
    if (deadline === null) {
      const held = await q(`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND granted AND locktype = 'relation' AND mode IN ${WRITE_BLOCKING}) AS blocking`);
      // The budget started when this statement was sent: its own wait for the lock counts.
      if (held.rows[0]?.blocking === true) deadline = Number(results[0]?.rows[0]?.started) + session.lockTimeoutMs;
    }
    return results[results.length - 1]!;
  };
  const checkIndexes = async (): Promise<void> => {
    const named = progress.file.up.map(createdIndexName).filter((n): n is string => n !== null);
    const res = await q(
      `SELECT c.relname AS index, t.relname AS "table" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
        WHERE NOT i.indisvalid AND (c.relname = ANY($1::text[]) OR NOT (i.indexrelid::int8 = ANY($2::int8[])))`,
      [named, progress.indexesBefore],
    );
    if (res.rows.length > 0) throw new InvalidIndexError(res.rows as Array<{ index: string; table: string }>);
  };
  const recordSql = () =>
    progress.direction === "up" ? recordAppliedSql(ctx.tables, progress.kind, progress.file, ctx.rollout, ctx.bundleId) : forgetSql(ctx.tables, progress.kind, progress.file.name);

  return {
    query: async (text: string, values?: unknown[]): Promise<QueryResult> => {
      if (/^BEGIN;?$/i.test(text)) {
        inTransaction = true;
        deadline = null;
        return q(text);
      }
      if (/^(?:COMMIT|ROLLBACK);?$/i.test(text)) {
        inTransaction = false;
        return q(text);
      }
      if (STATEMENT_TAG_RE.test(text)) {
        const res = await runStatement(text, values);
        progress.done += 1;
        return res;
      }
      if (markRe.test(text)) {
        if (inTransaction) {
          const res = await q(text, values);
          await q(recordSql());
          return res;
        }
        // Outside a transaction: check what the file built, then write both rows atomically.
        if (progress.direction === "up") await checkIndexes();
        await q("BEGIN");
        try {
          const res = await q(text, values);
          await q(recordSql());
          await q("COMMIT");
          return res;
        } catch (err) {
          await q("ROLLBACK").catch(() => undefined);
          throw err;
        }
      }
      return q(text, values);
    },
  };
}
