/**
 * A catalog dump of the application schema as sorted text lines, for comparing two states of a
 * database (`migrate verify`). Bookkeeping tables of the runner are left out: they exist after
 * the first run whatever the migrations do.
 */
import type { Client } from "pg";
import { BOOKKEEPING_TABLES } from "../migrate/paths";

/** The bookkeeping tables and their serial sequences. */
const EXCLUDED = BOOKKEEPING_TABLES.flatMap((t) => [t, `${t}_id_seq`]);

const QUERIES: Array<[string, string]> = [
  [
    "table",
    `SELECT c.relname || ' ' || c.relkind::text || ' persistence=' || c.relpersistence::text AS line
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r','p','v','m','S','f') AND c.relname <> ALL($1)`,
  ],
  [
    "column",
    `SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
            || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') || CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END AS line
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','v','m','f') AND c.relname <> ALL($1)`,
  ],
  [
    "constraint",
    `SELECT c.relname || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END AS line
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname <> ALL($1)`,
  ],
  [
    "index",
    `SELECT pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END AS line
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname <> ALL($1)`,
  ],
  [
    "function",
    `SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(pg_get_functiondef(p.oid)) AS line
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.prokind IN ('f','p')`,
  ],
  [
    "trigger",
    `SELECT pg_get_triggerdef(t.oid) AS line FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT t.tgisinternal`,
  ],
  [
    "type",
    `SELECT t.typname || ' ' || t.typtype::text || coalesce(' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '') AS line
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typtype IN ('e','d','c') AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.reltype = t.oid)`,
  ],
  ["extension", `SELECT extname || ' ' || extversion AS line FROM pg_extension`],
  ["schema", `SELECT nspname AS line FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`],
];

export async function dumpCatalog(client: Client): Promise<string[]> {
  const lines: string[] = [];
  for (const [kind, sql] of QUERIES) {
    const res = await client.query<{ line: string }>(sql, kind === "function" || kind === "trigger" || kind === "type" || kind === "extension" || kind === "schema" ? [] : [EXCLUDED]);
    for (const r of res.rows) lines.push(`${kind} ${r.line}`);
  }
  return lines.sort();
}

/** Lines only in `before` (prefixed "-") and only in `after` ("+"). Empty when equal. */
export function diffCatalogs(before: string[], after: string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [...before.filter((l) => !b.has(l)).map((l) => `- ${l}`), ...after.filter((l) => !a.has(l)).map((l) => `+ ${l}`)];
}
