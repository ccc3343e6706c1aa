/**
 * Which table locks a statement takes, derived from its text, so `plan` can say what a migration
 * will block before it runs. Modes and durations follow the PostgreSQL docs ("Explicit Locking",
 * ALTER TABLE / CREATE INDEX notes); anything unrecognised is reported as ACCESS EXCLUSIVE, the
 * safe assumption.
 */
import { stripComments } from "./sql-file";
import { addColumnRewrites, alterTable, isAlterColumnType } from "./statements";

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

const DURATIONS: StatementLock["duration"][] = ["none", "brief", "scan", "rewrite"];
const MODES: LockMode[] = ["ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"];

function rankLock(l: { mode: LockMode | null; duration: StatementLock["duration"] }): number {
  return MODES.indexOf(l.mode ?? "ACCESS SHARE") * 10 + DURATIONS.indexOf(l.duration);
}

interface ActionLock {
  mode: LockMode;
  duration: StatementLock["duration"];
  referenced?: StatementLock["referenced"];
}

/** The lock one ALTER TABLE action takes ("ALTER TABLE" notes in the PostgreSQL docs). */
function alterActionLock(action: string, statement: string): ActionLock {
  const a = action.toUpperCase();
  if (a.startsWith("VALIDATE CONSTRAINT")) return { mode: "SHARE UPDATE EXCLUSIVE", duration: "scan" };
  if (/^ADD (?:CONSTRAINT \S+ )?FOREIGN KEY/.test(a)) {
    const ref = /REFERENCES\s+((?:"[^"]+"|[\w.]+))/i.exec(statement);
    return { mode: "SHARE ROW EXCLUSIVE", duration: a.includes("NOT VALID") ? "brief" : "scan", ...(ref?.[1] ? { referenced: { table: ref[1], mode: "SHARE ROW EXCLUSIVE" as LockMode } } : {}) };
  }
  if (/^ADD (?:CONSTRAINT \S+ )?(?:CHECK|NOT NULL)/.test(a)) return { mode: "ACCESS EXCLUSIVE", duration: a.includes("NOT VALID") ? "brief" : "scan" };
  if (/^ADD (?:CONSTRAINT \S+ )?(?:UNIQUE|PRIMARY KEY) USING INDEX/.test(a)) return { mode: "ACCESS EXCLUSIVE", duration: "brief" };
  if (/^ADD (?:CONSTRAINT \S+ )?(?:UNIQUE|PRIMARY KEY|EXCLUDE)/.test(a)) return { mode: "ACCESS EXCLUSIVE", duration: "scan" };
  if (/^ADD CONSTRAINT/.test(a)) return { mode: "ACCESS EXCLUSIVE", duration: "scan" };
  // Since PG 11 a non-volatile default is metadata only; a volatile one rewrites the table.
  if (/^ADD\b/.test(a)) return { mode: "ACCESS EXCLUSIVE", duration: addColumnRewrites(action) ? "rewrite" : "brief" };
  // A type change rewrites the table (and its indexes) unless the types are binary-coercible.
  if (isAlterColumnType(action)) return { mode: "ACCESS EXCLUSIVE", duration: "rewrite" };
  if (/^ALTER (?:COLUMN )?\S+ SET NOT NULL/.test(a)) return { mode: "ACCESS EXCLUSIVE", duration: "scan" };
  if (/^SET (?:LOGGED|UNLOGGED|TABLESPACE|ACCESS METHOD|WITHOUT OIDS)\b/.test(a)) return { mode: "ACCESS EXCLUSIVE", duration: "rewrite" };
  if (/^SET \(|^RESET \(|^ALTER (?:COLUMN )?\S+ SET STATISTICS|^CLUSTER ON|^SET WITHOUT CLUSTER/.test(a)) return { mode: "SHARE UPDATE EXCLUSIVE", duration: "brief" };
  if (/^(?:ENABLE|DISABLE) (?:ALWAYS |REPLICA )?TRIGGER/.test(a)) return { mode: "SHARE ROW EXCLUSIVE", duration: "brief" };
  return { mode: "ACCESS EXCLUSIVE", duration: "brief" };
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
  const alter = alterTable(s);
  if (alter) {
    // One ALTER TABLE takes the strongest lock of its actions and holds it for the longest of them.
    const parts = alter.actions.map((a) => alterActionLock(a, s));
    const worst = parts.reduce((a, b) => (rankLock(b) > rankLock(a) ? b : a));
    const referenced = parts.find((p) => p.referenced)?.referenced;
    return lock(s, alter.table, worst.mode, parts.reduce<StatementLock["duration"]>((d, p) => (DURATIONS.indexOf(p.duration) > DURATIONS.indexOf(d) ? p.duration : d), "brief"), referenced);
  }
  if ((m = new RegExp(String.raw`^(?:VACUUM \(?FULL\b[^)]*\)?|VACUUM FULL|CLUSTER)(?: VERBOSE)? ${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "ACCESS EXCLUSIVE", "rewrite");
  if ((m = new RegExp(String.raw`^REINDEX (?:\([^)]*\) )?(?:TABLE|INDEX) CONCURRENTLY ${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "SHARE UPDATE EXCLUSIVE", "scan");
  if ((m = new RegExp(String.raw`^REINDEX (?:\([^)]*\) )?(?:TABLE|INDEX) ${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "SHARE", "scan");
  if ((m = new RegExp(String.raw`^LOCK (?:TABLE )?(?:ONLY )?${IDENT}(?:.* IN (.+) MODE)?`, "i").exec(s))) {
    const mode = ((m[2] ?? "ACCESS EXCLUSIVE").toUpperCase() as LockMode) ?? "ACCESS EXCLUSIVE";
    return lock(s, m[1] ?? null, mode, "brief");
  }
  if ((m = new RegExp(String.raw`^TRUNCATE (?:TABLE )?(?:ONLY )?${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "ACCESS EXCLUSIVE", "brief");
  if ((m = new RegExp(String.raw`^CREATE (?:OR REPLACE )?(?:CONSTRAINT )?TRIGGER \S+ .*? ON ${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "SHARE ROW EXCLUSIVE", "brief");
  if ((m = new RegExp(String.raw`^(?:INSERT INTO|UPDATE|DELETE FROM) ${IDENT}`, "i").exec(s))) return lock(s, m[1] ?? null, "ROW EXCLUSIVE", "brief");
  if (/^(SET|RESET|SELECT|COMMENT ON|CREATE (OR REPLACE )?(FUNCTION|VIEW|TYPE|SCHEMA|EXTENSION))\b/.test(u)) return lock(s, null, null, "none");
  return lock(s, null, "ACCESS EXCLUSIVE", "brief");
}
