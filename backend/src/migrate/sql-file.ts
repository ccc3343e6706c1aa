/**
 * Reads a migration file in node-pg-migrate's SQL format (`-- Up Migration` / `-- Down Migration`)
 * and splits each section into single statements.
 *
 * Statements are sent one by one: PostgreSQL runs a multi-statement query string as one implicit
 * transaction, which `CREATE INDEX CONCURRENTLY` refuses. A file whose header carries
 * `-- migrate:no-transaction` runs outside a transaction (node-pg-migrate's `pgm.noTransaction()`).
 *
 * The header (the comment lines before `-- Up Migration`) also carries the file's rollout
 * declaration and its reasoned exceptions, one per line:
 *
 *   -- rollout: expand | contract          whether release N-1 keeps working (derived when absent)
 *   -- removes: orders.note, old_table     contract: what it removes or changes incompatibly
 *   -- unused-since: <migration name>      contract: the release that shipped this migration no
 *                                          longer uses what this one removes
 *   -- previous-release-safe: <reason>     contract: the reasoned alternative to unused-since
 *   -- allow <rule>: <reason>              a reasoned exception to one safety rule
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename } from "node:path";

export const NO_TRANSACTION_DIRECTIVE = "-- migrate:no-transaction";
export const IRREVERSIBLE_DIRECTIVE = "-- migrate:irreversible";

export type Rollout = "expand" | "contract";

export interface RuleException {
  rule: string;
  reason: string;
}

/** What the header declares; every field is optional in the file. */
export interface HeaderDirectives {
  rollout: Rollout | null;
  removes: string[];
  unusedSince: string | null;
  previousReleaseSafe: string | null;
  allow: RuleException[];
}

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
  directives: HeaderDirectives;
  /** Malformed header directives or sections: the file is refused while any is present. */
  problems: string[];
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

const MIN_REASON = 15;
const DIRECTIVE_RE = /^--\s*(rollout|removes|unused-since|previous-release-safe|allow)\b\s*(.*)$/i;

/** Parses the header's directive lines; other comment lines are prose. */
export function parseDirectives(header: string): { directives: HeaderDirectives; problems: string[] } {
  const directives: HeaderDirectives = { rollout: null, removes: [], unusedSince: null, previousReleaseSafe: null, allow: [] };
  const problems: string[] = [];
  const reasoned = (what: string, reason: string): boolean => {
    if (reason.trim().length >= MIN_REASON) return true;
    problems.push(`${what} needs a reason (at least ${MIN_REASON} characters): say why it is safe here`);
    return false;
  };
  for (const raw of header.split("\n")) {
    const m = DIRECTIVE_RE.exec(raw.trim());
    if (!m) continue;
    const key = (m[1] ?? "").toLowerCase();
    const rest = (m[2] ?? "").trim();
    if (key === "allow") {
      const a = /^([a-z0-9-]+)\s*:\s*(.*)$/.exec(rest);
      if (!a) problems.push(`"${raw.trim()}": write \`-- allow <rule>: <reason>\``);
      else if (reasoned(`-- allow ${a[1]}`, a[2] ?? "")) directives.allow.push({ rule: a[1] ?? "", reason: (a[2] ?? "").trim() });
      continue;
    }
    if (!rest.startsWith(":")) {
      problems.push(`"${raw.trim()}": write \`-- ${key}: <value>\``);
      continue;
    }
    const value = rest.slice(1).trim();
    if (key === "rollout") {
      if (value === "expand" || value === "contract") directives.rollout = value;
      else problems.push(`"-- rollout: ${value}": expected expand or contract`);
    } else if (key === "removes") {
      directives.removes.push(...value.split(",").map((v) => v.trim().toLowerCase().replace(/"/g, "")).filter(Boolean));
    } else if (key === "unused-since") {
      if (/^\d{14}_[a-z0-9_]+$/.test(value)) directives.unusedSince = value;
      else problems.push(`"-- unused-since: ${value}": expected a migration name (<timestamp>_<name>, without .sql)`);
    } else if (reasoned("-- previous-release-safe", value)) directives.previousReleaseSafe = value;
  }
  return { directives, problems };
}

export function parseSqlMigration(path: string, content: string, digest = sha256(content)): SqlMigrationFile {
  const name = basename(path, ".sql");
  const upAt = content.search(UP_RE);
  const downAt = content.search(DOWN_RE);
  if (upAt < 0) throw new Error(`${basename(path)}: missing "-- Up Migration" section`);
  const header = content.slice(0, upAt);
  const { directives, problems } = parseDirectives(header);
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
    directives,
    problems: problems.map((p) => `${basename(path)}: ${p}`),
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
