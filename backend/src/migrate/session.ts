/**
 * The runner's database session: bounded in every direction.
 *
 * - Connecting has a timeout (a host that accepts TCP and never answers fails within it), and
 *   every query has a client-side timeout on top of the server's statement_timeout.
 * - The server cancels the session's work soon after the runner dies: client_connection_check_interval
 *   makes a running statement notice a closed socket (kill -9, OOM), and TCP keepalives make a
 *   vanished host (task stopped, network gone) look closed within seconds. Locks go with it.
 * - The session settings (lock_timeout, statement_timeout, search_path, and the two above) are
 *   applied with RESET ALL before every file, so nothing a file SETs leaks into the next one.
 */
import { Client, type ClientConfig, type QueryConfig, type QueryResult, type QueryResultRow } from "pg";
import { describeConnection } from "../db/connection";

export interface SessionSettings {
  connection: string | ClientConfig;
  applicationName: string;
  connectTimeoutMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** Client-side bound of the runner's own (bookkeeping) queries. */
  queryTimeoutMs: number;
  searchPath: string;
  /** Server-side: how often a running statement checks that the runner is still connected. */
  connectionCheckIntervalMs: number;
  /** Server-side TCP keepalive: idle seconds before probing, seconds between probes, probes. */
  keepalive: { idleS: number; intervalS: number; count: number };
}

/** Could not reach or talk to the database in time. */
export class MigrationConnectionError extends Error {
  override readonly name = "MigrationConnectionError";
}

export function clientConfigOf(s: SessionSettings): ClientConfig {
  const base: ClientConfig = typeof s.connection === "string" ? { connectionString: s.connection } : { ...s.connection };
  return { ...base, connectionTimeoutMillis: s.connectTimeoutMs, keepAlive: true, keepAliveInitialDelayMillis: s.keepalive.idleS * 1000, application_name: s.applicationName };
}

/** Ends a client, and cuts the socket if the server does not answer in time. */
export async function closeClient(client: Client, waitMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      resolve();
    }, waitMs);
  });
  await Promise.race([client.end().catch(() => undefined), cut]);
  clearTimeout(timer);
}

export async function connectSession(s: SessionSettings): Promise<Client> {
  const client = new Client(clientConfigOf(s));
  client.on("error", () => undefined); // a dropped connection surfaces as a failed query instead
  try {
    await client.connect();
  } catch (err) {
    await closeClient(client, 100);
    const reason = err instanceof Error ? err.message : String(err);
    const timedOut = /timeout/i.test(reason);
    throw new MigrationConnectionError(
      `could not connect to ${describeConnection(s.connection)}${timedOut ? ` within ${s.connectTimeoutMs} ms (MIGRATION_CONNECT_TIMEOUT_MS)` : ""}: ${reason}`,
      { cause: err },
    );
  }
  return client;
}

/** A query with a client-side timeout; a timed-out query cuts the connection (the server then cancels it). */
export async function boundedQuery<R extends QueryResultRow = QueryResultRow>(client: Client, text: string, values: unknown[] | undefined, timeoutMs: number): Promise<QueryResult<R>> {
  try {
    // pg supports a per-query `query_timeout`; @types/pg does not declare it.
    const config = { text, ...(values ? { values } : {}), query_timeout: timeoutMs } as QueryConfig;
    return await client.query<R>(config);
  } catch (err) {
    if (err instanceof Error && err.message === "Query read timeout") {
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      throw new MigrationConnectionError(`the database did not answer within ${timeoutMs} ms; the connection was closed (the server cancels the statement)`, { cause: err });
    }
    throw err;
  }
}

/** The settings every file starts from, whatever the previous file SET. */
export async function applySessionSettings(client: Client, s: SessionSettings): Promise<void> {
  const settings: Array<[string, string]> = [
    ["application_name", s.applicationName],
    ["lock_timeout", `${Math.trunc(s.lockTimeoutMs)}ms`],
    ["statement_timeout", `${Math.trunc(s.statementTimeoutMs)}ms`],
    ["search_path", s.searchPath],
    ["idle_in_transaction_session_timeout", `${Math.max(60_000, Math.trunc(s.statementTimeoutMs))}ms`],
    ["client_connection_check_interval", `${Math.trunc(s.connectionCheckIntervalMs)}ms`],
    ["tcp_keepalives_idle", String(s.keepalive.idleS)],
    ["tcp_keepalives_interval", String(s.keepalive.intervalS)],
    ["tcp_keepalives_count", String(s.keepalive.count)],
  ];
  const sql = `RESET ALL; ${settings.map(([k, v]) => `SELECT set_config('${k}', '${v.replace(/'/g, "''")}', false);`).join(" ")}`;
  await boundedQuery(client, sql, undefined, s.queryTimeoutMs);
}
