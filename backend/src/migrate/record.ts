/**
 * The runner's bookkeeping in the database. Table names are parameters (one set per database):
 *
 * - `migrations` and `seeds`: node-pg-migrate's tables (id, name, run_on), created here with
 *   `run_on timestamptz` so that a TimeZone change between runs cannot reorder history;
 * - `record`: one row per applied file: its sha256 (every applied file must have one: an edited
 *   file is refused), its rollout class and what a contract removes (so the runner of an OLDER
 *   release can judge files it has no copy of), the bundle that applied it, and its state —
 *   `applied`, or `up-incomplete` / `down-incomplete` when a no-transaction file stopped half way.
 *
 * A database whose history has no checksums (an older runner's tables) is refused until it is
 * adopted explicitly (`migrate adopt`). The runner's own older format (run_on without time zone,
 * fewer record columns) is upgraded in place when every applied file has its checksum.
 */
import type { Client } from "pg";
import type { BundleKind } from "./manifest";
import type { RolloutInfo } from "./rollout";
import type { Rollout, SqlMigrationFile } from "./sql-file";
import { stepKey } from "./bundle";

export interface MigrationTables {
  migrations: string;
  seeds: string;
  record: string;
}

export const DEFAULT_TABLES: Readonly<MigrationTables> = { migrations: "pgmigrations", seeds: "pgmigrations_seeds", record: "pgmigrations_checksums" };

const TABLE_NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Table names are interpolated into SQL: only plain lower-case identifiers are accepted. */
export function tableNameProblems(tables: MigrationTables): string[] {
  const problems = Object.entries(tables)
    .filter(([, v]) => !TABLE_NAME_RE.test(v))
    .map(([k, v]) => `${k} table "${v}": use a lower-case identifier (letters, digits, _; at most 63 characters)`);
  if (new Set(Object.values(tables)).size !== 3) problems.push(`the migrations, seeds and record tables must be three different tables (got ${Object.values(tables).join(", ")})`);
  return problems;
}

export type RecordState = "applied" | "up-incomplete" | "down-incomplete";

export interface RecordRow {
  kind: BundleKind;
  name: string;
  sha256: string;
  appliedAt: string | null;
  rollout: Rollout | null;
  removes: string[];
  unusedSince: string | null;
  bundle: string | null;
  state: RecordState;
  detail: string | null;
}

export interface AppliedRow {
  name: string;
  runOn: string;
}

export interface DatabaseHistory {
  migrations: AppliedRow[];
  seeds: AppliedRow[];
  /** `${kind}/${name}` → the record row. */
  records: Map<string, RecordRow>;
  /** `${kind}/${name}` → sha256 recorded when it ran (kept for readers of the older shape). */
  checksums: Map<string, string>;
  format: { legacyRunOn: string[]; missingRecordColumns: string[]; tablesExist: boolean };
}

const RECORD_COLUMNS: Array<[string, string]> = [
  ["rollout", "text"],
  ["removes", "text[] NOT NULL DEFAULT '{}'"],
  ["unused_since", "text"],
  ["bundle", "text"],
  ["state", "text NOT NULL DEFAULT 'applied'"],
  ["detail", "text"],
];

async function columnsOf(client: Client, table: string): Promise<Map<string, string> | null> {
  // pg_attribute, not information_schema: the view costs tens of ms on a fresh session's cold cache.
  const res = await client.query<{ column_name: string; data_type: string }>(
    "SELECT attname AS column_name, format_type(atttypid, atttypmod) AS data_type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
    [`public.${table}`],
  );
  return res.rows.length === 0 ? null : new Map(res.rows.map((r) => [r.column_name, r.data_type]));
}

/** Reads the bookkeeping, whatever its format (read-only: plan and status use it too). */
export async function readHistory(client: Client, tables: MigrationTables): Promise<DatabaseHistory> {
  const format: DatabaseHistory["format"] = { legacyRunOn: [], missingRecordColumns: [], tablesExist: false };
  const applied = async (table: string): Promise<AppliedRow[]> => {
    const cols = await columnsOf(client, table);
    if (!cols) return [];
    format.tablesExist = true;
    if (cols.get("run_on") === "timestamp without time zone") format.legacyRunOn.push(table);
    // Insertion order (id), not run_on: ids are what the runner wrote, in the order it wrote them.
    const res = await client.query<{ name: string; run_on: Date }>(`SELECT name, run_on FROM public.${table} ORDER BY id`);
    return res.rows.map((r) => ({ name: r.name, runOn: r.run_on.toISOString() }));
  };
  const records = new Map<string, RecordRow>();
  const checksums = new Map<string, string>();
  const cols = await columnsOf(client, tables.record);
  if (cols) {
    format.tablesExist = true;
    format.missingRecordColumns = RECORD_COLUMNS.map(([c]) => c).filter((c) => !cols.has(c));
    const pick = (c: string, fallback: string) => (cols.has(c) ? c : `${fallback} AS ${c}`);
    const res = await client.query<{ kind: BundleKind; name: string; sha256: string; applied_at: Date | null; rollout: Rollout | null; removes: string[] | null; unused_since: string | null; bundle: string | null; state: RecordState | null; detail: string | null }>(
      `SELECT kind, name, sha256, applied_at, ${pick("rollout", "NULL::text")}, ${pick("removes", "'{}'::text[]")}, ${pick("unused_since", "NULL::text")}, ${pick("bundle", "NULL::text")}, ${pick("state", "'applied'::text")}, ${pick("detail", "NULL::text")} FROM public.${tables.record}`,
    );
    for (const r of res.rows) {
      const key = stepKey(r.kind, r.name);
      records.set(key, {
        kind: r.kind,
        name: r.name,
        sha256: r.sha256,
        appliedAt: r.applied_at ? r.applied_at.toISOString() : null,
        rollout: r.rollout,
        removes: r.removes ?? [],
        unusedSince: r.unused_since,
        bundle: r.bundle,
        state: r.state ?? "applied",
        detail: r.detail,
      });
      checksums.set(key, r.sha256);
    }
  }
  return { migrations: await applied(tables.migrations), seeds: await applied(tables.seeds), records, checksums, format };
}

/** Applied files without a checksum row: the database must be adopted before anything runs. */
export function unrecordedApplied(history: DatabaseHistory): string[] {
  return [
    ...history.migrations.filter((r) => !history.records.has(stepKey("migrations", r.name))).map((r) => `migrations/${r.name}`),
    ...history.seeds.filter((r) => !history.records.has(stepKey("seeds", r.name))).map((r) => `seeds/${r.name}`),
  ];
}

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The time zone naive run_on values were written in: the database's default, as NOW() used it. */
async function defaultTimeZone(client: Client): Promise<string> {
  const res = await client.query<{ tz: string }>("SELECT reset_val AS tz FROM pg_settings WHERE name = 'TimeZone'");
  return res.rows[0]?.tz ?? "UTC";
}

/**
 * Creates the bookkeeping tables, or brings the runner's own older format up to date. Returns
 * what it changed (for the log). Call only when `unrecordedApplied` is empty, or from adopt.
 */
export async function ensureBookkeeping(client: Client, tables: MigrationTables, history: DatabaseHistory, timeZone?: string): Promise<string[]> {
  const changes: string[] = [];
  for (const table of [tables.migrations, tables.seeds]) {
    const res = await client.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [`public.${table}`]);
    if (res.rows[0]?.ok !== true) {
      await client.query(`CREATE TABLE public.${table} (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamptz NOT NULL)`);
      changes.push(`created ${table}`);
    }
  }
  const tz = timeZone ?? (await defaultTimeZone(client));
  for (const table of history.format.legacyRunOn) {
    await client.query(`ALTER TABLE public.${table} ALTER COLUMN run_on TYPE timestamptz USING run_on AT TIME ZONE ${literal(tz)}`);
    changes.push(`${table}.run_on is now timestamptz (existing values read as ${tz})`);
  }
  const recordExists = (await client.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [`public.${tables.record}`])).rows[0]?.ok === true;
  if (!recordExists) {
    await client.query(
      `CREATE TABLE public.${tables.record} (kind text NOT NULL, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), ${RECORD_COLUMNS.map(([c, t]) => `${c} ${t}`).join(", ")}, PRIMARY KEY (kind, name))`,
    );
    changes.push(`created ${tables.record}`);
  } else if (history.format.missingRecordColumns.length > 0) {
    const add = RECORD_COLUMNS.filter(([c]) => history.format.missingRecordColumns.includes(c));
    await client.query(`ALTER TABLE public.${tables.record} ${add.map(([c, t]) => `ADD COLUMN IF NOT EXISTS ${c} ${t}`).join(", ")}`);
    changes.push(`${tables.record}: added ${add.map(([c]) => c).join(", ")}`);
  }
  return changes;
}

/** Fills the rollout class of rows recorded before the class was (runner format upgrade, adopt). */
export function backfillRolloutSql(tables: MigrationTables, kind: BundleKind, file: SqlMigrationFile, info: RolloutInfo): string {
  return `UPDATE public.${tables.record} SET rollout = ${literal(info.rollout)}, removes = ${arrayLiteral(info.removes)}, unused_since = ${info.unusedSince ? literal(info.unusedSince) : "NULL"} WHERE kind = ${literal(kind)} AND name = ${literal(file.name)} AND rollout IS NULL AND sha256 = ${literal(file.sha256)}`;
}

function arrayLiteral(values: string[]): string {
  return `ARRAY[${values.map(literal).join(", ")}]::text[]`;
}

export function recordAppliedSql(tables: MigrationTables, kind: BundleKind, file: SqlMigrationFile, info: RolloutInfo, bundleId: string): string {
  return `INSERT INTO public.${tables.record} (kind, name, sha256, rollout, removes, unused_since, bundle, state, detail) VALUES (${literal(kind)}, ${literal(file.name)}, ${literal(file.sha256)}, ${literal(info.rollout)}, ${arrayLiteral(info.removes)}, ${info.unusedSince ? literal(info.unusedSince) : "NULL"}, ${literal(bundleId)}, 'applied', NULL) ON CONFLICT (kind, name) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now(), rollout = EXCLUDED.rollout, removes = EXCLUDED.removes, unused_since = EXCLUDED.unused_since, bundle = EXCLUDED.bundle, state = 'applied', detail = NULL`;
}

export function forgetSql(tables: MigrationTables, kind: BundleKind, name: string): string {
  return `DELETE FROM public.${tables.record} WHERE kind = ${literal(kind)} AND name = ${literal(name)}`;
}

/** Marks a file left half-done by a no-transaction section (the row is created when missing). */
export function markIncompleteSql(tables: MigrationTables, kind: BundleKind, file: SqlMigrationFile, info: RolloutInfo, bundleId: string, state: Exclude<RecordState, "applied">, detail: string): string {
  return `INSERT INTO public.${tables.record} (kind, name, sha256, rollout, removes, unused_since, bundle, state, detail) VALUES (${literal(kind)}, ${literal(file.name)}, ${literal(file.sha256)}, ${literal(info.rollout)}, ${arrayLiteral(info.removes)}, ${info.unusedSince ? literal(info.unusedSince) : "NULL"}, ${literal(bundleId)}, ${literal(state)}, ${literal(detail)}) ON CONFLICT (kind, name) DO UPDATE SET state = EXCLUDED.state, detail = EXCLUDED.detail`;
}
