/**
 * Which table locks a statement takes, derived from its text, so `plan` can say what a migration
 * will block before it runs. Modes and durations follow the PostgreSQL docs ("Explicit Locking",
 * ALTER TABLE / CREATE INDEX notes); anything unrecognised is reported as ACCESS EXCLUSIVE, the
 * safe assumption.
 */
import { stripComments } from "./sql-file";

export type LockMode =
  | "ACCESS SHARE"
  | "ROW SHARE"
  | "ROW EXCLUSIVE"
  | "SHARE UPDATE EXCLUSIVE"
  | "SHARE"
  | "SHARE ROW EXCLUSIVE"
  | "EXCLUSIVE"
  | "ACCESS EXCLUSIVE";

export interface StatementLock {
  /** First words of the statement, for display. */
  statement: string;
  table: string | null;
  mode: LockMode | null;
  /** brief: catalog change only; scan: held while the table is read; rewrite: held while it is rewritten. */
  duration: "none" | "brief" | "scan" | "rewrite";
  blocksReads: boolean;
  blocksWrites: boolean;
  /** Also locks a referenced table (foreign keys). */
  referenced?: { table: string; mode: LockMode };
}

const IDENT = String.raw`((?:"[^"]+"|[\w.]+))`;

function blocking(mode: LockMode | null): { blocksReads: boolean; blocksWrites: boolean } {
  if (mode === null) return { blocksReads: false, blocksWrites: false };
  return {
    blocksReads: mode === "ACCESS EXCLUSIVE",
    blocksWrites: ["SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"].includes(mode),
  };
}

function lock(statement: string, table: string | null, mode: LockMode | null, duration: StatementLock["duration"], referenced?: StatementLock["referenced"]): StatementLock {
  const short = statement.length > 80 ? `${statement.slice(0, 77)}...` : statement;
  return { statement: short, table, mode, duration, ...blocking(mode), ...(referenced ? { referenced } : {}) };
}

export function locksOf(sql: string): StatementLock {
  const s = stripComments(sql);
  const u = s.toUpperCase();
  let m: RegExpExecArray | null;
  if ((m = new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX CONCURRENTLY (?:IF NOT EXISTS )?\S+ ON (?:ONLY )?${IDENT}`, "i").exec(s))) {
    return lock(s, m[1] ?? null, "SHARE UPDATE EXCLUSIVE", "scan");
  }
  if ((m = new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?\S+ ON (?:ONLY )?${IDENT}`, "i").exec(s))) {
    return lock(s, m[1] ?? null, "SHARE", "scan");
  }
  if ((m = new RegExp(String.raw`^DROP INDEX CONCURRENTLY (?:IF EXISTS )?${IDENT}`, "i").exec(s))) {
    return lock(s, m[1] ?? null, "SHARE UPDATE EXCLUSIVE", "brief");
  }
  if ((m = new RegExp(String.raw`^DROP INDEX (?:IF EXISTS )?${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "ACCESS EXCLUSIVE", "brief");
  if ((m = new RegExp(String.raw`^CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?${IDENT}`, "i").exec(s))) {
    // A new table is invisible to others; only referenced tables are locked (SHARE ROW EXCLUSIVE).
    const ref = /\bREFERENCES\s+((?:"[^"]+"|[\w.]+))/i.exec(s);
    return lock(s, m[1] ?? null, null, "none", ref?.[1] ? { table: ref[1], mode: "SHARE ROW EXCLUSIVE" } : undefined);
  }
  if ((m = new RegExp(String.raw`^DROP TABLE (?:IF EXISTS )?${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "ACCESS EXCLUSIVE", "brief");
  if ((m = new RegExp(String.raw`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${IDENT} (.*)$`, "i").exec(s))) {
    const table = m[1] ?? null;
    const action = (m[2] ?? "").toUpperCase();
    if (action.startsWith("VALIDATE CONSTRAINT")) return lock(s, table, "SHARE UPDATE EXCLUSIVE", "scan");
    if (/^ADD CONSTRAINT \S+ FOREIGN KEY/.test(action)) {
      const ref = /REFERENCES\s+((?:"[^"]+"|[\w.]+))/i.exec(s);
      const duration = action.includes("NOT VALID") ? "brief" : "scan";
      return lock(s, table, "SHARE ROW EXCLUSIVE", duration, ref?.[1] ? { table: ref[1], mode: "SHARE ROW EXCLUSIVE" } : undefined);
    }
    if (/^ADD CONSTRAINT \S+ (CHECK|NOT NULL)/.test(action)) return lock(s, table, "ACCESS EXCLUSIVE", action.includes("NOT VALID") ? "brief" : "scan");
    if (/^ADD CONSTRAINT \S+ (UNIQUE|PRIMARY KEY) USING INDEX/.test(action)) return lock(s, table, "ACCESS EXCLUSIVE", "brief");
    if (/^ADD CONSTRAINT/.test(action)) return lock(s, table, "ACCESS EXCLUSIVE", "scan");
    if (/^ADD (COLUMN )?/.test(action)) {
      // Since PG 11 a non-volatile default is metadata only; a volatile one rewrites the table.
      const volatile = /DEFAULT\s+(?:RANDOM|CLOCK_TIMESTAMP|GEN_RANDOM_UUID|NEXTVAL)\s*\(/.test(action) || /GENERATED ALWAYS AS \(.*\) STORED/.test(action);
      return lock(s, table, "ACCESS EXCLUSIVE", volatile ? "rewrite" : "brief");
    }
    if (/^ALTER (COLUMN )?\S+ (SET DATA )?TYPE/.test(action)) return lock(s, table, "ACCESS EXCLUSIVE", "rewrite");
    if (/^ALTER (COLUMN )?\S+ SET NOT NULL/.test(action)) return lock(s, table, "ACCESS EXCLUSIVE", "scan");
    if (/^SET \(|^ALTER (COLUMN )?\S+ SET STATISTICS|^CLUSTER ON|^SET WITHOUT CLUSTER/.test(action)) return lock(s, table, "SHARE UPDATE EXCLUSIVE", "brief");
    return lock(s, table, "ACCESS EXCLUSIVE", "brief");
  }
  if ((m = new RegExp(String.raw`^(?:INSERT INTO|UPDATE|DELETE FROM) ${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "ROW EXCLUSIVE", "brief");
  if (/^(SET|RESET|SELECT|COMMENT ON|CREATE (OR REPLACE )?(FUNCTION|VIEW|TYPE|SCHEMA|EXTENSION))\b/.test(u)) return lock(s, null, null, "none");
  return lock(s, null, "ACCESS EXCLUSIVE", "brief");
}
