/**
 * Reads a migration file in node-pg-migrate's SQL format (`-- Up Migration` / `-- Down Migration`)
 * and splits each section into single statements.
 *
 * Statements are sent one by one: PostgreSQL runs a multi-statement query string as one implicit
 * transaction, which `CREATE INDEX CONCURRENTLY` refuses. A file whose header carries
 * `-- migrate:no-transaction` runs outside a transaction (node-pg-migrate's `pgm.noTransaction()`).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";

export const NO_TRANSACTION_DIRECTIVE = "-- migrate:no-transaction";
export const IRREVERSIBLE_DIRECTIVE = "-- migrate:irreversible";

export interface SqlMigrationFile {
  /** File name without `.sql`: the name node-pg-migrate records. */
  name: string;
  path: string;
  sha256: string;
  /** False when the header says `-- migrate:no-transaction`. */
  transactional: boolean;
  /** False when there is no down section or it says `-- migrate:irreversible`. */
  reversible: boolean;
  upSql: string;
  downSql: string;
  up: string[];
  down: string[];
}

const UP_RE = /^\s*--[\s-]*up\s+migration/im;
const DOWN_RE = /^\s*--[\s-]*down\s+migration/im;

export function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

export function readSqlMigration(path: string): SqlMigrationFile {
  const raw = readFileSync(path);
  return parseSqlMigration(path, raw.toString("utf8"), sha256(raw));
}

export function parseSqlMigration(path: string, content: string, digest = sha256(content)): SqlMigrationFile {
  const name = basename(path, ".sql");
  const upAt = content.search(UP_RE);
  const downAt = content.search(DOWN_RE);
  if (upAt < 0) throw new Error(`${basename(path)}: missing "-- Up Migration" section`);
  const header = content.slice(0, upAt);
  const upSql = content.slice(upAt, downAt > upAt ? downAt : undefined);
  const downSql = downAt >= 0 ? content.slice(downAt, downAt > upAt ? undefined : upAt) : "";
  return {
    name,
    path,
    sha256: digest,
    transactional: !header.toLowerCase().includes(NO_TRANSACTION_DIRECTIVE),
    reversible: downAt >= 0 && !downSql.toLowerCase().includes(IRREVERSIBLE_DIRECTIVE),
    upSql,
    downSql,
    up: splitStatements(upSql),
    down: splitStatements(downSql),
  };
}

/**
 * Splits SQL into statements at top-level semicolons, respecting quotes, dollar quotes and
 * comments. Comment-only fragments are dropped; comments inside a statement are kept.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const eol = sql.indexOf("\n", i);
      i = eol < 0 ? n : eol + 1;
    } else if (ch === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (ch === "'" || ch === '"') {
      i++;
      while (i < n) {
        if (sql[i] === ch && sql[i + 1] === ch) i += 2;
        else if (sql[i] === ch) {
          i++;
          break;
        } else i++;
      }
    } else if (ch === "$") {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
      } else i++;
    } else if (ch === ";") {
      pushStatement(out, sql.slice(start, i));
      i++;
      start = i;
    } else i++;
  }
  pushStatement(out, sql.slice(start));
  return out;
}

function pushStatement(out: string[], fragment: string): void {
  const code = stripComments(fragment).trim();
  if (code.length > 0) out.push(fragment.trim());
}

/** The statement without comments, whitespace collapsed: for pattern matching (plan, locks). */
export function stripComments(sql: string): string {
  return sql
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}
