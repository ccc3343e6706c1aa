/**
 * `migrate verify`: proves the bundle on a real PostgreSQL (embedded, unless a database URL is
 * given), in the one timestamp order `up` uses, twice:
 *
 * 1. on an empty database: up (migrations and seeds) → down to zero → up again. The schema after
 *    going down must equal the schema before the first up, and the second up the first;
 * 2. with representative rows: every file applied one at a time, each after generated rows were
 *    added to every table (sample-rows.ts) — as in production, where no migration meets an empty
 *    table — then down to zero, which must again leave the empty schema.
 *
 * Per-file timings (of the empty pass) are reported for the release package.
 */
import { Client } from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../testing/embedded-postgres";
import { loadCheckedBundle } from "../migrate/bundle";
import { DEFAULT_TABLES } from "../migrate/record";
import { type BundlePaths, defaultBundlePaths } from "../migrate/paths";
import { migrateDown, migrateUp, type RunReport } from "../migrate/runner";
import { diffCatalogs, dumpCatalog } from "./catalog";
import { insertSampleRows } from "./sample-rows";

export interface VerifyTiming {
  kind: "migrations" | "seeds";
  name: string;
  upMs: number;
  downMs: number | null;
  reapplyMs: number | null;
}

export interface VerifyWithRows {
  ok: boolean;
  /** Generated rows per table, over all files. */
  rows: Record<string, number>;
  /** Tables the generator could not fill (their CHECK constraints rejected every candidate), with why. */
  skipped: Array<{ table: string; reason: string }>;
  /** Schema after down to zero (with rows present) vs the empty schema: must be empty. */
  downDiff: string[];
  problems: string[];
}

export interface VerifyReport {
  ok: boolean;
  postgresVersion: string;
  database: "embedded" | "external";
  /** The order files ran in (kind/name): the same as plan, up and the release's verify step. */
  order: string[];
  timings: VerifyTiming[];
  /** Schema after down-to-zero vs before the first up: must be empty. */
  downDiff: string[];
  /** Schema after the second up vs after the first: must be empty. */
  reapplyDiff: string[];
  withRows: VerifyWithRows | null;
  /** Objects in the migrated schema (catalog lines), as a size indicator. */
  catalogObjects: number;
  totalMs: number;
  problems: string[];
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  // A server stopped under us (Ctrl-C stops the run's PostgreSQL while this step runs) must fail
  // the query, not crash the process with an unhandled 'error' event.
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const snapshot = (url: string) => withClient(url, dumpCatalog);
// verify owns these databases: nothing serves on them.
const NOT_PRODUCTION = { productionTier: false } as const;

/** `finalUrl`: a database at the bundle's final schema, to keep generated rows valid under it. */
async function verifyWithRows(url: string, finalUrl: string | null, paths: BundlePaths, empty: string[], progress: (m: string) => void): Promise<VerifyWithRows> {
  const settings = { connection: url, paths, lockRetries: 0 };
  const rows: Record<string, number> = {};
  const skipped = new Map<string, string>();
  const problems: string[] = [];
  const exclude = Object.values(DEFAULT_TABLES);
  let batch = 0;
  const addRows = async () => {
    const sample = await withClient(url, (c) =>
      finalUrl ? withClient(finalUrl, (f) => insertSampleRows(c, { exclude, batch: batch++, validateWith: f })) : insertSampleRows(c, { exclude, batch: batch++ }),
    );
    for (const [t, n] of Object.entries(sample.inserted)) rows[t] = (rows[t] ?? 0) + n;
    for (const s of sample.skipped) skipped.set(s.table, s.reason);
  };
  try {
    // Rows are added before every file, so each one meets non-empty tables, as in production.
    await migrateUp({ ...settings, beforeStep: addRows });
  } catch (err) {
    problems.push(`with representative rows: ${err instanceof Error ? err.message : String(err)}`);
    return { ok: false, rows, skipped: [...skipped].map(([table, reason]) => ({ table, reason })), downDiff: [], problems };
  }
  progress("down to zero with representative rows");
  let downDiff: string[] = [];
  try {
    await migrateDown({ ...settings, to: "0", guard: NOT_PRODUCTION });
    downDiff = diffCatalogs(empty, await snapshot(url));
    if (downDiff.length > 0) problems.push(`with representative rows: schema after down to zero differs from the empty schema (${downDiff.length} lines)`);
  } catch (err) {
    problems.push(`with representative rows: down to zero failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ok: problems.length === 0, rows, skipped: [...skipped].map(([table, reason]) => ({ table, reason })), downDiff, problems };
}

export interface VerifyOptions {
  /** An EMPTY database to use instead of an embedded server (the rows pass then needs `rowsDatabaseUrl`). */
  databaseUrl?: string;
  rowsDatabaseUrl?: string;
  /** An embedded server the caller started and stops (the release shares one between its steps): verify creates its two databases on it. */
  embedded?: EmbeddedPostgres;
  paths?: BundlePaths;
  onProgress?: (msg: string) => void;
}

/** Without `databaseUrl` or `embedded`, starts an embedded server of its own and stops it when done. */
export async function verifyMigrations(options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const paths = options.paths ?? defaultBundlePaths();
  const progress = options.onProgress ?? (() => undefined);
  const own = options.databaseUrl || options.embedded ? undefined : await startEmbeddedPostgres();
  const server = options.databaseUrl ? undefined : (options.embedded ?? own);
  try {
    const url = options.databaseUrl ?? (await server!.createDatabase("verify"));
    const settings = { connection: url, paths, lockRetries: 0 };
    const postgresVersion = await withClient(url, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "unknown");
    const order = loadCheckedBundle(paths).steps.map((s) => `${s.kind}/${s.file.name}`);

    const problems: string[] = [];
    const phase = async (label: string, fn: () => Promise<RunReport>): Promise<RunReport | null> => {
      progress(label);
      try {
        return await fn();
      } catch (err) {
        problems.push(`${label} failed: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      }
    };
    const empty = await snapshot(url);
    const up = await phase("up (migrations and seeds, one timestamp order)", () => migrateUp(settings));
    const migrated = await snapshot(url);
    const down = up ? await phase("down to zero", () => migrateDown({ ...settings, to: "0", guard: NOT_PRODUCTION })) : null;
    const reverted = await snapshot(url);
    const again = down ? await phase("up again", () => migrateUp(settings)) : null;
    const remigrated = await snapshot(url);

    const ms = (report: RunReport | null, kind: string, name: string) => report?.steps.find((s) => s.kind === kind && s.name === name)?.ms ?? null;
    const timings: VerifyTiming[] = (up?.steps ?? []).map((s) => ({ kind: s.kind, name: s.name, upMs: s.ms, downMs: ms(down, s.kind, s.name), reapplyMs: ms(again, s.kind, s.name) }));
    const downDiff = down ? diffCatalogs(empty, reverted) : [];
    const reapplyDiff = again ? diffCatalogs(migrated, remigrated) : [];
    if (downDiff.length > 0) problems.push(`schema after down to zero differs from the empty schema (${downDiff.length} lines)`);
    if (reapplyDiff.length > 0) problems.push(`schema after re-applying differs from the first apply (${reapplyDiff.length} lines)`);
    if (down) problems.push(...timings.filter((t) => t.downMs === null).map((t) => `${t.name} was not reverted by down to zero`));

    let withRows: VerifyWithRows | null = null;
    const rowsUrl = options.rowsDatabaseUrl ?? (server ? await server.createDatabase("verify_rows") : undefined);
    if (rowsUrl) {
      progress("up with representative rows, one file at a time");
      withRows = await verifyWithRows(rowsUrl, again ? url : null, paths, empty, progress);
      problems.push(...withRows.problems);
    }
    return {
      ok: problems.length === 0,
      postgresVersion,
      database: server ? "embedded" : "external",
      order,
      timings,
      downDiff,
      reapplyDiff,
      withRows,
      catalogObjects: migrated.length,
      totalMs: Math.round(performance.now() - started),
      problems,
    };
  } finally {
    await own?.stop();
  }
}
