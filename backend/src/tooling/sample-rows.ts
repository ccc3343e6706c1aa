/**
 * Representative rows for `migrate verify`: before each migration, every table gets a few rows
 * generated from its catalog, so that each migration meets non-empty tables the way it will in
 * production (a NOT NULL column added without a default, a VALIDATE, a SET NOT NULL, a UNIQUE
 * index build fail here as they would there). Rows look like old data: nullable columns are NULL
 * in every other row, as rows written before a column existed are.
 *
 * Values come from the column type, foreign keys take an existing referenced value, defaults and
 * identity columns fill themselves. With `validateWith` (a database at the bundle's final schema),
 * a candidate row is used only if the final schema accepts it too: rows look like what the
 * current code writes, so a constraint a later migration adds and VALIDATEs holds for them, as it
 * must for production data. A table whose constraints reject every candidate is reported as
 * skipped, not failed: the generator is generic and says what it could not cover.
 */
import type { Client } from "pg";

export interface SampleResult {
  inserted: Record<string, number>;
  skipped: Array<{ table: string; reason: string }>;
}

interface Column {
  name: string;
  type: string;
  typeName: string;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  identityAlways: boolean;
  enumLabels: string[] | null;
  fk: { table: string; column: string } | null;
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function tablesInDependencyOrder(client: Client, exclude: string[]): Promise<string[]> {
  const res = await client.query<{ name: string; refs: string[] | null }>(
    `SELECT c.relname AS name,
            array_remove(array_agg(DISTINCT rc.relname), NULL) AS refs
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
       LEFT JOIN pg_class rc ON rc.oid = k.confrelid AND rc.oid <> c.oid
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> ALL($1)
      GROUP BY c.relname ORDER BY c.relname`,
    [exclude],
  );
  const pending = new Map(res.rows.map((r) => [r.name, new Set(r.refs ?? [])]));
  const order: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].find(([, refs]) => [...refs].every((r) => !pending.has(r)))?.[0] ?? [...pending.keys()][0]!;
    order.push(ready);
    pending.delete(ready);
  }
  return order;
}

async function columnsOf(client: Client, table: string): Promise<Column[]> {
  const res = await client.query<{
    name: string;
    type: string;
    type_name: string;
    not_null: boolean;
    has_default: boolean;
    generated: boolean;
    identity_always: boolean;
    enum_labels: string[] | null;
    fk_table: string | null;
    fk_column: string | null;
  }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typname AS type_name, a.attnotnull AS not_null,
            a.atthasdef OR a.attidentity <> '' AS has_default, a.attgenerated <> '' AS generated, a.attidentity = 'a' AS identity_always,
            (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid) AS enum_labels,
            (SELECT rc.relname FROM pg_constraint k JOIN pg_class rc ON rc.oid = k.confrelid
              WHERE k.conrelid = a.attrelid AND k.contype = 'f' AND array_length(k.conkey, 1) = 1 AND k.conkey[1] = a.attnum LIMIT 1) AS fk_table,
            (SELECT ra.attname FROM pg_constraint k JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
              WHERE k.conrelid = a.attrelid AND k.contype = 'f' AND array_length(k.conkey, 1) = 1 AND k.conkey[1] = a.attnum LIMIT 1) AS fk_column
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [`public.${quote(table)}`],
  );
  return res.rows.map((r) => ({
    name: r.name,
    type: r.type,
    typeName: r.type_name,
    notNull: r.not_null,
    hasDefault: r.has_default,
    generated: r.generated,
    identityAlways: r.identity_always,
    enumLabels: r.enum_labels,
    fk: r.fk_table && r.fk_column ? { table: r.fk_table, column: r.fk_column } : null,
  }));
}

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Candidate value `round` (0–3) for row `i` of a column, as SQL; null when the type is unknown. `i` is unique across batches. */
function candidate(col: Column, i: number, round: number, table: string): string | null {
  if (col.fk) return `(SELECT ${quote(col.fk.column)} FROM ${quote(col.fk.table)} ORDER BY 1 OFFSET ${i} % GREATEST(1, (SELECT count(*) FROM ${quote(col.fk.table)})) LIMIT 1)`;
  if (col.enumLabels?.length) return `'${col.enumLabels[i % col.enumLabels.length]!.replace(/'/g, "''")}'::${col.type}`;
  const t = col.typeName;
  const letters = `${LETTERS[i % 26]}${LETTERS[Math.floor(i / 26) % 26]}${LETTERS[Math.floor(i / 676) % 26]}`;
  if (["text", "varchar", "bpchar", "citext", "name"].includes(t)) {
    const width = /\((\d+)\)/.exec(col.type);
    const raw = [`sample-${table}-${i}`, letters, String(i + 1), letters.toLowerCase()][round]!;
    return `'${width ? raw.slice(0, Number(width[1])) : raw}'`;
  }
  if (["int2", "int4", "int8", "numeric", "float4", "float8", "money"].includes(t)) return String([i + 1, (i + 1) * 100, 0, 1][round]);
  if (t === "bool") return round % 2 === 0 ? "false" : "true";
  if (["timestamptz", "timestamp", "date"].includes(t)) return `(now() - interval '${i} hours')::${col.type}`;
  if (t === "time" || t === "timetz") return "'12:00'";
  if (t === "interval") return "interval '1 hour'";
  if (t === "uuid") return "gen_random_uuid()";
  if (t === "json" || t === "jsonb") return `'{}'::${t}`;
  if (t === "bytea") return "'\\x00'::bytea";
  if (t === "inet" || t === "cidr") return `'10.0.${i % 250}.1'`;
  if (t.startsWith("_")) return `'{}'::${col.type}`;
  return null;
}

/** Inserts `perTable` rows into every table (bookkeeping excluded); each table in its own savepoint. */
function rowSql(table: string, cols: Column[], perTable: number, offset: number, round: number, oldRows: boolean): { sql: string } | { unknown: Column } {
  const rows: string[] = [];
  for (let i = 0; i < perTable; i++) {
    const row: string[] = [];
    for (const col of cols) {
      // Old rows: a nullable column without a default is NULL in every other row.
      if (oldRows && !col.notNull && !col.fk && i % 2 === 1) row.push("NULL");
      else if (col.hasDefault && !col.notNull) row.push("DEFAULT");
      else {
        const v = candidate(col, offset + i, round, table) ?? (col.hasDefault ? "DEFAULT" : col.notNull ? null : "NULL");
        if (v === null) return { unknown: col };
        row.push(v);
      }
    }
    rows.push(`(${row.join(", ")})`);
  }
  if (cols.length === 0) return { sql: `INSERT INTO ${quote(table)} SELECT FROM generate_series(1, ${perTable})` };
  return { sql: `INSERT INTO ${quote(table)} (${cols.map((c) => quote(c.name)).join(", ")}) VALUES ${rows.join(", ")}` };
}

/** Runs `sql` in a savepoint: null when accepted (kept, unless `undo`), else the error. */
async function accepted(client: Client, sql: string, undo = false): Promise<string | null> {
  await client.query("SAVEPOINT sample");
  try {
    await client.query(sql);
    await client.query(undo ? "ROLLBACK TO SAVEPOINT sample" : "RELEASE SAVEPOINT sample");
    return null;
  } catch (err) {
    await client.query("ROLLBACK TO SAVEPOINT sample");
    return err instanceof Error ? err.message : String(err);
  }
}

export async function insertSampleRows(client: Client, options: { perTable?: number; exclude?: string[]; batch?: number; validateWith?: Client } = {}): Promise<SampleResult> {
  const perTable = options.perTable ?? 20;
  // Values stay unique across batches (a UNIQUE index built later must not meet generated duplicates).
  const offset = (options.batch ?? 0) * perTable;
  const result: SampleResult = { inserted: {}, skipped: [] };
  const final = options.validateWith;
  await client.query("BEGIN");
  await final?.query("BEGIN");
  try {
    for (const table of await tablesInDependencyOrder(client, options.exclude ?? [])) {
      const usable = (c: Column) => !c.generated && !c.identityAlways;
      const cols = (await columnsOf(client, table)).filter(usable);
      const finalCols = final ? (await columnsOf(final, table)).filter(usable) : [];
      let lastError = "no candidate row was accepted";
      let done = false;
      for (let round = 0; round < 4 && !done; round++) {
        if (final && finalCols.length > 0) {
          // The same round's values, complete for the final schema; always rolled back there.
          const check = rowSql(table, finalCols, perTable, offset, round, false);
          if ("unknown" in check) {
            lastError = `no sample value for column ${check.unknown.name} of type ${check.unknown.type}`;
            break;
          }
          const rejected = await accepted(final, check.sql, true);
          if (rejected !== null) {
            lastError = `the final schema rejects candidate rows: ${rejected}`;
            continue;
          }
        }
        const insert = rowSql(table, cols, perTable, offset, round, true);
        if ("unknown" in insert) {
          lastError = `no sample value for column ${insert.unknown.name} of type ${insert.unknown.type}`;
          break;
        }
        const rejected = await accepted(client, insert.sql);
        if (rejected === null) {
          result.inserted[table] = perTable;
          done = true;
        } else lastError = rejected;
      }
      if (!done) result.skipped.push({ table, reason: lastError });
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    await final?.query("ROLLBACK").catch(() => undefined);
  }
  return result;
}
