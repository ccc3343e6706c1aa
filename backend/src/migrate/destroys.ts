/**
 * What a `down` would destroy, read from the down sections it would run and counted in the
 * database before anything runs: tables with their row counts, columns with their non-NULL
 * values, rows a DELETE would remove, and objects without data (indexes, constraints, types).
 * Counts are exact within a short statement_timeout, else the planner's estimate (marked "~").
 */
import type { Client } from "pg";
import type { BundleStep } from "./bundle";
import { boundedQuery } from "./session";
import { alterTable, actionColumn, flat, IDENT, normalizeName } from "./statements";

export interface DestroyItem {
  migration: string;
  kind: "table" | "column" | "rows" | "object";
  object: string;
  /** Rows (tables, DELETE) or non-NULL values (columns); null when there is no data or it could not be counted. */
  count: number | null;
  estimated: boolean;
  statement: string;
}

function ident(name: string): string {
  return name
    .split(".")
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join(".");
}

async function count(client: Client, sql: string, estimateTable: string | null): Promise<{ count: number | null; estimated: boolean }> {
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL statement_timeout = '5s'");
    const res = await boundedQuery<{ n: string }>(client, sql, undefined, 10_000);
    await client.query("ROLLBACK");
    return { count: Number(res.rows[0]?.n ?? 0), estimated: false };
  } catch {
    await client.query("ROLLBACK").catch(() => undefined);
    if (!estimateTable) return { count: null, estimated: false };
    const est = await client.query<{ n: string | null }>("SELECT reltuples::int8 AS n FROM pg_class WHERE oid = to_regclass($1)", [estimateTable]).catch(() => null);
    const n = est?.rows[0]?.n;
    return n === null || n === undefined ? { count: null, estimated: false } : { count: Math.max(0, Number(n)), estimated: true };
  }
}

async function exists(client: Client, table: string): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>("SELECT to_regclass($1) IS NOT NULL AS ok", [table]);
  return res.rows[0]?.ok === true;
}

async function columnExists(client: Client, table: string, column: string): Promise<boolean> {
  const res = await client.query<{ ok: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped) AS ok", [table, column]);
  return res.rows[0]?.ok === true;
}

/** Lists what the down sections of `steps` (in the order they would run) destroy. */
export async function listDestroys(client: Client, steps: BundleStep[]): Promise<DestroyItem[]> {
  const items: DestroyItem[] = [];
  for (const { file } of steps) {
    for (const sql of file.down) {
      const s = flat(sql);
      const short = s.length > 100 ? `${s.slice(0, 97)}...` : s;
      const push = (item: Omit<DestroyItem, "migration" | "statement">) => items.push({ migration: file.name, statement: short, ...item });
      let m: RegExpExecArray | null;
      if ((m = /^DROP TABLE (?:IF EXISTS )?(.+?)(?:\s+(?:CASCADE|RESTRICT))?$/i.exec(s)) || (m = /^TRUNCATE (?:TABLE )?(?:ONLY )?(.+?)(?:\s+(?:RESTART IDENTITY|CONTINUE IDENTITY|CASCADE|RESTRICT))*$/i.exec(s))) {
        for (const raw of (m[1] ?? "").split(",").map((t) => t.trim())) {
          const table = normalizeName(raw);
          if (!(await exists(client, table))) continue;
          push({ kind: "table", object: table, ...(await count(client, `SELECT count(*) AS n FROM ${ident(table)}`, table)) });
        }
        continue;
      }
      const alter = alterTable(s);
      if (alter) {
        for (const action of alter.actions) {
          const column = actionColumn(action);
          if (/^DROP\b/i.test(action) && column && (await columnExists(client, alter.table, column))) {
            push({ kind: "column", object: `${alter.table}.${column}`, ...(await count(client, `SELECT count(${ident(column)}) AS n FROM ${ident(alter.table)}`, null)) });
          } else if (/^DROP CONSTRAINT\b/i.test(action)) {
            push({ kind: "object", object: `constraint ${action.replace(/^DROP CONSTRAINT (?:IF EXISTS )?/i, "").split(/\s/)[0]} on ${alter.table}`, count: null, estimated: false });
          }
        }
        continue;
      }
      if ((m = new RegExp(String.raw`^DELETE FROM (?:ONLY )?${IDENT}(?:\s+(?:AS\s+)?\w+)?(?:\s+WHERE\s+(.*))?$`, "is").exec(s))) {
        const table = normalizeName(m[1] ?? "");
        if (!(await exists(client, table))) continue;
        const where = m[2] ? ` WHERE ${m[2]}` : "";
        push({ kind: "rows", object: table, ...(await count(client, `SELECT count(*) AS n FROM ${s.slice(s.search(/FROM/i) + 4).replace(/\s+WHERE\s+.*$/is, "")}${where}`, null)) });
        continue;
      }
      if ((m = /^DROP (INDEX|VIEW|MATERIALIZED VIEW|FUNCTION|PROCEDURE|TYPE|DOMAIN|SCHEMA|SEQUENCE|TRIGGER|EXTENSION)\s+(?:CONCURRENTLY\s+)?(?:IF EXISTS\s+)?(.+?)(?:\s+(?:CASCADE|RESTRICT))?$/i.exec(s))) {
        push({ kind: "object", object: `${(m[1] ?? "").toLowerCase()} ${m[2]}`, count: null, estimated: false });
      }
    }
  }
  return items;
}

export function describeDestroys(items: DestroyItem[]): string[] {
  return items.map((i) => {
    const n = i.count === null ? "" : ` (${i.estimated ? "~" : ""}${i.count.toLocaleString("en-US")} ${i.kind === "column" ? "non-NULL values" : "rows"})`;
    const what = i.kind === "table" ? `table ${i.object}` : i.kind === "column" ? `column ${i.object}` : i.kind === "rows" ? `rows of ${i.object}` : i.object;
    return `${what}${n} — ${i.migration}`;
  });
}
