/**
 * The safety rules `up` enforces on every pending file before anything runs, and that
 * `migrate lint` reports next to squawk's findings (same code, so `up` refuses what lint refuses).
 * Rule names follow squawk's where the meaning is the same, so one `-- allow <rule>: <reason>`
 * header line excepts a finding in both. Rules about removing what release N−1 uses (drop,
 * rename, type change of what it reads) live in rollout.ts: a contract declaration answers them.
 *
 * Only the up section is checked: a down section is destructive by nature and has its own gate
 * (`down` lists what it destroys and asks for confirmation on a production-tier stack).
 */
import { locksOf } from "./locks";
import type { RuleException, SqlMigrationFile } from "./sql-file";
import {
  actionColumn,
  addColumnRewrites,
  alterTable,
  createdTable,
  dmlTarget,
  flat,
  IDENT,
  isAlterColumnType,
  isTransactionControl,
  needsNoTransaction,
  normalizeName,
  splitTopLevel,
} from "./statements";

export interface RuleInfo {
  summary: string;
  help: string;
  /** False: no exception can make it safe (the statement cannot work as written). */
  exceptable: boolean;
}

export const RULES: Record<string, RuleInfo> = {
  "transaction-nesting": {
    summary: "transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT) in a migration file",
    help: "the runner owns the transaction: a COMMIT inside the file commits half the migration and leaves it unrecorded. Split the file instead; use `-- migrate:no-transaction` for statements that cannot run in a transaction",
    exceptable: false,
  },
  "ban-concurrent-index-creation-in-transaction": {
    summary: "CONCURRENTLY inside a transactional file",
    help: "PostgreSQL refuses it in a transaction: put it in its own file with `-- migrate:no-transaction`",
    exceptable: false,
  },
  "needs-no-transaction": {
    summary: "a statement PostgreSQL refuses inside a transaction (VACUUM, CREATE DATABASE, ALTER SYSTEM …)",
    help: "put it in its own file with `-- migrate:no-transaction`",
    exceptable: false,
  },
  "ban-drop-database": { summary: "DROP DATABASE", help: "never from a migration", exceptable: false },
  "backfill-in-ddl-transaction": {
    summary: "a backfill (UPDATE/DELETE/MERGE/INSERT … SELECT) in the same transaction as DDL that blocks writes",
    help: "the DDL's lock is held until COMMIT, so writers wait for the whole backfill: add the column in one migration, backfill in batches in a later one",
    exceptable: true,
  },
  "require-concurrent-index-creation": {
    summary: "CREATE INDEX without CONCURRENTLY on an existing table",
    help: "blocks writes for the whole build: use CREATE INDEX CONCURRENTLY IF NOT EXISTS in a `-- migrate:no-transaction` file",
    exceptable: true,
  },
  "require-concurrent-index-deletion": {
    summary: "DROP INDEX without CONCURRENTLY",
    help: "waits for and then blocks every query on the table: use DROP INDEX CONCURRENTLY IF EXISTS in a `-- migrate:no-transaction` file",
    exceptable: true,
  },
  "require-concurrent-reindex": { summary: "REINDEX without CONCURRENTLY", help: "use REINDEX … CONCURRENTLY in a `-- migrate:no-transaction` file", exceptable: true },
  "constraint-missing-not-valid": {
    summary: "a CHECK or FOREIGN KEY constraint validated while it is added",
    help: "add it NOT VALID (brief lock), then VALIDATE CONSTRAINT in a later migration (SHARE UPDATE EXCLUSIVE: writes continue)",
    exceptable: true,
  },
  "adding-foreign-key-constraint": {
    summary: "a FOREIGN KEY validated while it is added",
    help: "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
    exceptable: true,
  },
  "disallowed-unique-constraint": {
    summary: "ADD UNIQUE builds its index under ACCESS EXCLUSIVE",
    help: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … UNIQUE USING INDEX",
    exceptable: true,
  },
  "adding-serial-primary-key-field": {
    summary: "ADD PRIMARY KEY builds its index under ACCESS EXCLUSIVE",
    help: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … PRIMARY KEY USING INDEX",
    exceptable: true,
  },
  "adding-required-field": {
    summary: "ADD COLUMN … NOT NULL without a DEFAULT on an existing table",
    help: "fails on a non-empty table and breaks inserts of release N−1: add it nullable (or with a constant DEFAULT), backfill, then add NOT NULL via a validated CHECK",
    exceptable: true,
  },
  "adding-field-with-default": {
    summary: "ADD COLUMN whose default is volatile (or a stored generated column): rewrites the table under ACCESS EXCLUSIVE",
    help: "add the column without the default, backfill in batches, then SET DEFAULT",
    exceptable: true,
  },
  "changing-column-type": {
    summary: "ALTER COLUMN … TYPE: rewrites the table and its indexes under ACCESS EXCLUSIVE (unless binary-coercible)",
    help: "add a new column, dual-write, backfill, switch readers, drop the old one (expand/contract)",
    exceptable: true,
  },
  "adding-not-nullable-field": {
    summary: "SET NOT NULL scans the whole table under ACCESS EXCLUSIVE",
    help: "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL (PG 12+ uses the constraint and skips the scan)",
    exceptable: true,
  },
  "ban-drop-not-null": { summary: "DROP NOT NULL: code that relies on the column being set may read NULLs", help: "state why every reader copes with NULL", exceptable: true },
  "table-rewrite": {
    summary: "a statement that rewrites the table under ACCESS EXCLUSIVE (VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED, SET TABLESPACE)",
    help: "do it in a maintenance window, not in a release migration",
    exceptable: true,
  },
  "require-enum-value-ordering": { summary: "ALTER TYPE … ADD VALUE without BEFORE/AFTER", help: "say where the value goes (BEFORE/AFTER)", exceptable: true },
  "prefer-robust-stmts": {
    summary: "a statement in a no-transaction file that cannot be re-run",
    help: "a no-transaction file is re-run after a failure and undone by its down section: use IF [NOT] EXISTS forms (CREATE INDEX CONCURRENTLY IF NOT EXISTS, DROP … IF EXISTS, ADD COLUMN IF NOT EXISTS)",
    exceptable: true,
  },
  "prefer-bigint-over-int": { summary: "int/integer column", help: "use bigint: int overflows at 2^31", exceptable: true },
  "prefer-bigint-over-smallint": { summary: "smallint column", help: "use bigint", exceptable: true },
  "prefer-identity": { summary: "serial column", help: "use bigint GENERATED ALWAYS AS IDENTITY", exceptable: true },
  "prefer-text-field": { summary: "varchar(n) column", help: "use text (with a CHECK on length if needed): changing n later takes ACCESS EXCLUSIVE", exceptable: true },
  "prefer-timestamp-tz": { summary: "timestamp without time zone", help: "use timestamptz", exceptable: true },
  "ban-char-field": { summary: "char(n) column", help: "use text", exceptable: true },
};

export interface RuleFinding {
  rule: string;
  /** 1-based statement number in the up section. */
  statement: number;
  sql: string;
  message: string;
}

export interface FileRuleReport {
  /** Findings no exception covers: `up` refuses the file while any is left. */
  blocking: RuleFinding[];
  /** Findings covered by a reasoned `-- allow <rule>: <reason>` line (shown by plan and the release package). */
  excepted: Array<RuleFinding & { reason: string }>;
  /** Problems with the exceptions themselves (unknown rule, exception for a rule the file does not break). */
  problems: string[];
}

/** squawk rule names an `allow` line may name although this engine has no rule of that name. */
export const SQUAWK_ONLY_RULES = new Set(["ban-truncate-cascade", "ban-drop-column", "ban-drop-table", "renaming-column", "renaming-table", "ban-alter-domain-with-add-constraint", "ban-create-domain-with-constraint"]);

function short(sql: string): string {
  const s = flat(sql);
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/** Column types named in a CREATE TABLE body or an ADD COLUMN / ALTER COLUMN TYPE action. */
function columnTypes(sql: string): string[] {
  const s = flat(sql);
  const types: string[] = [];
  const table = /^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?\S+\s*\((.*)\)[^)]*$/is.exec(s);
  if (table) {
    for (const def of splitTopLevel(table[1] ?? "")) {
      if (/^(?:CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE|LIKE)\b/i.test(def)) continue;
      types.push(def.replace(/^(?:"[^"]+"|\S+)\s+/, ""));
    }
  }
  const alter = alterTable(s);
  for (const action of alter?.actions ?? []) {
    const add = /^ADD(?: COLUMN)?(?: IF NOT EXISTS)? (?:"[^"]+"|\S+)\s+(.*)$/is.exec(action);
    if (add && !/^ADD (?:CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b/i.test(action)) types.push(add[1] ?? "");
    const alterType = /^ALTER(?: COLUMN)? \S+ (?:SET DATA )?TYPE (.*)$/is.exec(action);
    if (alterType) types.push(alterType[1] ?? "");
  }
  return types;
}

function typeFindings(sql: string): string[] {
  const rules = new Set<string>();
  for (const t of columnTypes(sql).map((x) => x.toLowerCase())) {
    if (/^(?:int|integer|int4|serial|serial4)\b/.test(t)) rules.add("prefer-bigint-over-int");
    if (/^(?:smallint|int2|smallserial|serial2)\b/.test(t)) rules.add("prefer-bigint-over-smallint");
    if (/^(?:serial|serial2|serial4|serial8|bigserial|smallserial)\b/.test(t)) rules.add("prefer-identity");
    if (/^(?:varchar|character varying)\s*\(\s*\d+\s*\)/.test(t)) rules.add("prefer-text-field");
    if (/^timestamp\b(?!\s*(?:\(\s*\d+\s*\)\s*)?with time zone)(?!tz)/.test(t) || /^timestamp(?:\s*\(\s*\d+\s*\))?\s+without time zone/.test(t)) rules.add("prefer-timestamp-tz");
    if (/^(?:char|character|bpchar)\b(?!\s+varying)/.test(t)) rules.add("ban-char-field");
  }
  return [...rules];
}

/** Is the statement re-runnable as written (for no-transaction files)? */
function robust(sql: string): boolean {
  const s = flat(sql);
  if (/^CREATE (?:UNIQUE )?INDEX\b/i.test(s)) return /^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?IF NOT EXISTS\b/i.test(s);
  if (/^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE\b/i.test(s)) return /\bTABLE IF NOT EXISTS\b/i.test(s);
  if (/^DROP\b/i.test(s)) return /^DROP \w+(?: \w+)?? (?:CONCURRENTLY )?IF EXISTS\b/i.test(s);
  const alter = alterTable(s);
  if (alter) return alter.actions.every((a) => /^(?:ADD(?: COLUMN)? IF NOT EXISTS|DROP(?: COLUMN)? IF EXISTS|DROP CONSTRAINT IF EXISTS)\b/i.test(a));
  return true;
}

/** Every finding of the built-in rules on a file's up section, before exceptions. */
export function findRuleViolations(file: Pick<SqlMigrationFile, "up" | "transactional">): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const created = new Set<string>();
  let blockingDdl: number | null = null;
  const add = (rule: string, i: number, sql: string, detail?: string) =>
    findings.push({ rule, statement: i + 1, sql: short(sql), message: `${RULES[rule]?.summary ?? rule}${detail ? ` (${detail})` : ""}` });
  file.up.forEach((sql, i) => {
    const s = flat(sql);
    const newTable = createdTable(s);
    if (isTransactionControl(s)) add("transaction-nesting", i, sql);
    if (file.transactional && needsNoTransaction(s)) add(/CONCURRENTLY/i.test(s) ? "ban-concurrent-index-creation-in-transaction" : "needs-no-transaction", i, sql);
    if (/^DROP DATABASE\b/i.test(s)) add("ban-drop-database", i, sql);
    if (!file.transactional && !robust(s)) add("prefer-robust-stmts", i, sql);
    for (const rule of typeFindings(s)) add(rule, i, sql);

    const index = new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX (?!CONCURRENTLY)(?:IF NOT EXISTS )?(?:\S+ )?ON (?:ONLY )?${IDENT}`, "i").exec(s);
    if (index && !created.has(normalizeName(index[1] ?? ""))) add("require-concurrent-index-creation", i, sql);
    if (/^DROP INDEX (?!CONCURRENTLY)/i.test(s)) add("require-concurrent-index-deletion", i, sql);
    if (/^REINDEX\b/i.test(s) && !/\bCONCURRENTLY\b/i.test(s)) add("require-concurrent-reindex", i, sql);
    if (/^(?:VACUUM\s*\(?[^;]*\bFULL\b|CLUSTER\b)/i.test(s)) add("table-rewrite", i, sql);
    if (/^ALTER TYPE \S+ ADD VALUE\b/i.test(s) && !/\b(?:BEFORE|AFTER)\s+'/i.test(s)) add("require-enum-value-ordering", i, sql);

    const alter = alterTable(s);
    if (alter) {
      const existing = !created.has(alter.table);
      for (const action of alter.actions) {
        const a = action.toUpperCase();
        const column = actionColumn(action);
        if (isAlterColumnType(action)) add("changing-column-type", i, sql, column ? `${alter.table}.${column}` : undefined);
        if (/^SET (?:LOGGED|UNLOGGED|TABLESPACE|ACCESS METHOD)\b/.test(a)) add("table-rewrite", i, sql);
        if (/^ALTER (?:COLUMN )?\S+ DROP NOT NULL/.test(a)) add("ban-drop-not-null", i, sql);
        if (!existing) continue;
        if (/^ADD (?:CONSTRAINT \S+ )?FOREIGN KEY/.test(a) && !a.includes("NOT VALID")) {
          add("constraint-missing-not-valid", i, sql);
          add("adding-foreign-key-constraint", i, sql);
        } else if (/^ADD (?:CONSTRAINT \S+ )?CHECK/.test(a) && !a.includes("NOT VALID")) add("constraint-missing-not-valid", i, sql);
        else if (/^ADD (?:CONSTRAINT \S+ )?UNIQUE/.test(a) && !a.includes("USING INDEX")) add("disallowed-unique-constraint", i, sql);
        else if (/^ADD (?:CONSTRAINT \S+ )?PRIMARY KEY/.test(a) && !a.includes("USING INDEX")) add("adding-serial-primary-key-field", i, sql);
        else if (/^ADD (?:CONSTRAINT \S+ )?EXCLUDE/.test(a)) add("disallowed-unique-constraint", i, sql);
        else if (/^ADD\b/.test(a) && !/^ADD CONSTRAINT\b/.test(a)) {
          if (/\bNOT NULL\b/.test(a) && !/\bDEFAULT\b/.test(a) && !/\bGENERATED\b/.test(a)) add("adding-required-field", i, sql, column ? `${alter.table}.${column}` : undefined);
          if (addColumnRewrites(action)) add("adding-field-with-default", i, sql, column ? `${alter.table}.${column}` : undefined);
        }
        if (/^ALTER (?:COLUMN )?\S+ SET NOT NULL/.test(a)) add("adding-not-nullable-field", i, sql, column ? `${alter.table}.${column}` : undefined);
      }
    }

    // A lock that blocks writers, on a table others can see, is held until COMMIT.
    const l = locksOf(s);
    const onExisting = (l.table !== null && l.blocksWrites && !created.has(normalizeName(l.table))) || (l.referenced !== undefined && !created.has(normalizeName(l.referenced.table)));
    if (file.transactional && blockingDdl === null && onExisting && !dmlTarget(s)) blockingDdl = i;
    const dml = dmlTarget(s);
    if (file.transactional && dml && dml.fromQuery && blockingDdl !== null && !created.has(dml.table)) {
      add("backfill-in-ddl-transaction", i, sql, `after statement ${blockingDdl + 1} took a write-blocking lock`);
    }
    if (newTable) created.add(newTable);
  });
  return findings;
}

/** The built-in rules applied to a file, with its `-- allow` exceptions. */
export function checkRules(file: Pick<SqlMigrationFile, "name" | "up" | "transactional" | "directives">, extraRuleNames: ReadonlySet<string> = SQUAWK_ONLY_RULES): FileRuleReport {
  const findings = findRuleViolations(file);
  const allowed = new Map<string, RuleException>(file.directives.allow.map((a) => [a.rule, a]));
  const problems: string[] = [];
  for (const a of file.directives.allow) {
    const info = RULES[a.rule];
    if (!info && !extraRuleNames.has(a.rule)) problems.push(`${file.name}: \`-- allow ${a.rule}\`: unknown rule (rules: ${Object.keys(RULES).join(", ")})`);
    else if (info && !info.exceptable) problems.push(`${file.name}: \`-- allow ${a.rule}\`: ${a.rule} cannot be excepted (${info.help})`);
    else if (info && !findings.some((f) => f.rule === a.rule)) problems.push(`${file.name}: \`-- allow ${a.rule}\` but the file does not break ${a.rule}: remove the stale exception`);
  }
  const blocking: RuleFinding[] = [];
  const excepted: FileRuleReport["excepted"] = [];
  for (const f of findings) {
    const exception = RULES[f.rule]?.exceptable ? allowed.get(f.rule) : undefined;
    if (exception) excepted.push({ ...f, reason: exception.reason });
    else blocking.push(f);
  }
  return { blocking, excepted, problems };
}

export function describeFinding(file: string, f: RuleFinding): string {
  const info = RULES[f.rule];
  return `${file} statement ${f.statement} (\`${f.sql}\`): ${f.rule}: ${f.message}${info ? `; ${info.help}${info.exceptable ? `, or add \`-- allow ${f.rule}: <reason>\` to the file's header` : ""}` : ""}`;
}
