/**
 * Small, conservative readings of one SQL statement, shared by the lock labels (locks.ts), the
 * safety rules (rules.ts), the rollout classification (rollout.ts) and what `down` destroys
 * (destroys.ts). Not a parser: each helper answers one question from the statement's text with
 * comments stripped, and when in doubt answers the cautious way.
 */
import { stripComments } from "./sql-file";

const IDENT_SRC = String.raw`(?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?`;
export const IDENT = `(${IDENT_SRC})`;

/** `public.orders`, `"Orders"`, `orders` → `orders` / `Orders`: the name as the catalog stores it. */
export function normalizeName(name: string): string {
  const parts = name.split(".").map((p) => (p.startsWith('"') ? p.slice(1, -1) : p.toLowerCase()));
  const last = parts.at(-1) ?? name;
  return parts.length > 1 && parts[0] !== "public" ? `${parts[0]}.${last}` : last;
}

/** The statement as one line, comments removed. */
export function flat(sql: string): string {
  return stripComments(sql);
}

/** Splits at top-level occurrences of `sep` (outside parentheses and quotes). */
export function splitTopLevel(text: string, sep = ","): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === sep && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter(Boolean);
}

export interface AlterTable {
  table: string;
  /** Each top-level action of `ALTER TABLE t a1, a2, …`, trimmed; renames are one action. */
  actions: string[];
}

/** `ALTER TABLE [IF EXISTS] [ONLY] t <actions>` → the table and its actions; null for anything else. */
export function alterTable(sql: string): AlterTable | null {
  const m = new RegExp(String.raw`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${IDENT}\s+(.*)$`, "is").exec(flat(sql));
  if (!m) return null;
  const rest = m[2] ?? "";
  const actions = /^RENAME\b/i.test(rest) ? [rest] : splitTopLevel(rest);
  return { table: normalizeName(m[1] ?? ""), actions };
}

/** The column an ADD/DROP/ALTER COLUMN action names (normalized), or null. */
export function actionColumn(action: string): string | null {
  const m = new RegExp(String.raw`^(?:ADD|DROP|ALTER)(?: COLUMN)?(?: IF (?:NOT )?EXISTS)? ${IDENT}`, "i").exec(action);
  if (!m) return null;
  const word = (m[1] ?? "").toUpperCase();
  if (["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"].includes(word)) return null;
  return normalizeName(m[1] ?? "");
}

// Functions PostgreSQL marks immutable or stable that show up in column defaults: a default using
// only these is evaluated once (PG 11+: metadata only). Anything else is treated as volatile.
const NON_VOLATILE_FUNCTIONS = new Set([
  "now", "statement_timestamp", "transaction_timestamp", "current_date", "current_timestamp", "localtimestamp",
  "lower", "upper", "coalesce", "nullif", "greatest", "least", "jsonb_build_object", "json_build_object",
  "jsonb_build_array", "json_build_array", "to_jsonb", "to_json", "array", "make_interval", "interval", "abs", "round",
]);

/** True when a DEFAULT expression calls a function that may be volatile (forces a table rewrite on ADD COLUMN). */
export function hasVolatileCall(expr: string): boolean {
  const calls = [...expr.replace(/'(?:[^']|'')*'/g, "''").matchAll(/([A-Za-z_][\w.]*)\s*\(/g)].map((m) => (m[1] ?? "").toLowerCase().replace(/^pg_catalog\./, ""));
  return calls.some((f) => !NON_VOLATILE_FUNCTIONS.has(f) && !/^(?:numeric|varchar|char|character|timestamp|timestamptz|time|decimal|bit|varbit)$/.test(f));
}

/** The DEFAULT expression of an ADD COLUMN / SET DEFAULT action, or null. */
export function defaultExpression(action: string): string | null {
  const m = /\bDEFAULT\s+(.+?)(?:\s+(?:NOT\s+NULL|NULL|CONSTRAINT|CHECK|REFERENCES|UNIQUE|PRIMARY\s+KEY|GENERATED|COLLATE)\b.*)?$/is.exec(action);
  return m ? (m[1] ?? "").trim() : null;
}

/** Does an ADD COLUMN action rewrite the table (volatile default, stored generated column, serial type)? */
export function addColumnRewrites(action: string): boolean {
  if (/\bGENERATED\s+ALWAYS\s+AS\s*\(.*\)\s*STORED/is.test(action)) return true;
  if (/^ADD(?: COLUMN)?(?: IF NOT EXISTS)? \S+ (?:small|big)?serial\d?\b/i.test(action)) return true;
  const def = defaultExpression(action);
  return def !== null && hasVolatileCall(def);
}

export function isAlterColumnType(action: string): boolean {
  return /^ALTER(?: COLUMN)? \S+ (?:SET DATA )?TYPE\b/i.test(action);
}

/** Statements that end or open a transaction: refused in migration files. */
export function isTransactionControl(sql: string): boolean {
  return /^(?:BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b/i.test(flat(sql)) && !/^BEGIN\s+ATOMIC\b/i.test(flat(sql));
}

/** Statements PostgreSQL refuses inside a transaction block. */
export function needsNoTransaction(sql: string): boolean {
  const s = flat(sql);
  return (
    /^(?:CREATE (?:UNIQUE )?INDEX|DROP INDEX|REINDEX\b.*?)\s*CONCURRENTLY\b/i.test(s) ||
    /^REINDEX\b.*\bCONCURRENTLY\b/i.test(s) ||
    /^ALTER TABLE .* DETACH PARTITION .* CONCURRENTLY/i.test(s) ||
    /^(?:VACUUM|CREATE DATABASE|DROP DATABASE|ALTER SYSTEM|CREATE TABLESPACE|DROP TABLESPACE)\b/i.test(s)
  );
}

/** The index name of a CREATE INDEX statement (normalized), or null. */
export function createdIndexName(sql: string): string | null {
  const m = new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?${IDENT}\s+ON\b`, "i").exec(flat(sql));
  return m ? normalizeName(m[1] ?? "") : null;
}

/** Tables a CREATE TABLE statement creates (normalized), or null. */
export function createdTable(sql: string): string | null {
  const m = new RegExp(String.raw`^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?${IDENT}`, "i").exec(flat(sql));
  return m ? normalizeName(m[1] ?? "") : null;
}

/** The table a data-modifying statement writes (normalized), or null. */
export function dmlTarget(sql: string): { verb: "INSERT" | "UPDATE" | "DELETE" | "MERGE"; table: string; fromQuery: boolean } | null {
  const s = flat(sql).replace(/^WITH\b.*?\)\s*(?=(?:INSERT|UPDATE|DELETE|MERGE)\b)/is, "");
  const m = new RegExp(String.raw`^(INSERT INTO|UPDATE(?: ONLY)?|DELETE FROM(?: ONLY)?|MERGE INTO) ${IDENT}`, "i").exec(s);
  if (!m) return null;
  const verb = (m[1] ?? "").split(" ")[0]!.toUpperCase() as "INSERT" | "UPDATE" | "DELETE" | "MERGE";
  // INSERT … VALUES writes what it lists; INSERT … SELECT copies an unknown number of rows.
  const fromQuery = verb !== "INSERT" || !/\bVALUES\s*\(/i.test(s) || /\bSELECT\b/i.test(s.replace(/\bON CONFLICT\b.*$/is, ""));
  return { verb, table: normalizeName(m[2] ?? ""), fromQuery };
}
