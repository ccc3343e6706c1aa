/**
 * Expand/contract: whether the release before this one (N−1) keeps working once a migration has
 * run. The class is derived from the up section and may be declared in the header
 * (`-- rollout: expand|contract`); a declaration can never be weaker than what the statements do.
 *
 * - expand: adds only (tables, nullable columns, indexes, NOT VALID constraints, data). Release
 *   N−1 ignores what it does not know, so rolling the service back needs no schema change.
 * - contract: removes or changes incompatibly what an older release may read or write (drop,
 *   rename, type change, NOT NULL, dropped default or constraint). It must list what it removes
 *   (`-- removes:`) and prove that release N−1 no longer needs it: `-- unused-since: <migration>`
 *   names the migration shipped with the release whose code stopped using it, and the runner
 *   checks in the database that a previous release applied it. `-- previous-release-safe: <reason>`
 *   is the reasoned exception, shown by plan and the release package.
 *
 * The class is recorded in the database with every applied file, so the runner of an older
 * release (rollback: the N−1 image's task against the N database) can judge files it has never seen.
 */
import type { Rollout, SqlMigrationFile } from "./sql-file";
import { actionColumn, alterTable, createdIndexName, flat, IDENT, normalizeName } from "./statements";

export interface ContractOp {
  /** 1-based statement number in the up section. */
  statement: number;
  /** What is removed or changed: `table`, `table.column`, `index`, `function`, … (normalized). */
  object: string;
  what: string;
}

/** Statements of an up section that release N−1 may not survive. */
export function contractOps(up: string[]): ContractOp[] {
  const ops: ContractOp[] = [];
  const created = new Set<string>();
  // `DROP INDEX … IF EXISTS x` before `CREATE INDEX … x` cleans up an earlier attempt: not a removal.
  const recreated = new Set(up.map(createdIndexName).filter((n): n is string => n !== null));
  up.forEach((sql, i) => {
    const s = flat(sql);
    const push = (object: string, what: string) => {
      const base = object.split(".")[0] ?? object;
      if (!created.has(base) && !created.has(object)) ops.push({ statement: i + 1, object, what });
    };
    const newTable = new RegExp(String.raw`^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?${IDENT}`, "i").exec(s);
    if (newTable) created.add(normalizeName(newTable[1] ?? ""));
    const drop = /^DROP (TABLE|VIEW|MATERIALIZED VIEW|FUNCTION|PROCEDURE|TYPE|DOMAIN|SCHEMA|SEQUENCE|INDEX|TRIGGER|RULE|POLICY)\s+(?:CONCURRENTLY\s+)?(?:IF EXISTS\s+)?(.+?)(?:\s+(?:CASCADE|RESTRICT))?$/is.exec(s);
    if (drop) {
      const kind = (drop[1] ?? "").toLowerCase();
      const target = (drop[2] ?? "").replace(/\s+ON\s+(\S+)$/i, " on $1");
      for (const name of target.split(",").map((n) => n.trim().replace(/\(.*$/, ""))) {
        const object = normalizeName(name.split(" ")[0] ?? name);
        if (kind === "index" && recreated.has(object)) continue;
        push(object, `drops ${kind} ${name}`);
      }
      return;
    }
    const truncate = new RegExp(String.raw`^TRUNCATE (?:TABLE )?(?:ONLY )?(.+?)(?:\s+(?:RESTART IDENTITY|CONTINUE IDENTITY|CASCADE|RESTRICT))*$`, "i").exec(s);
    if (truncate) {
      for (const name of (truncate[1] ?? "").split(",")) push(normalizeName(name.trim()), `empties table ${name.trim()}`);
      return;
    }
    const renameType = new RegExp(String.raw`^ALTER (TYPE|VIEW|MATERIALIZED VIEW|FUNCTION|SEQUENCE|INDEX|SCHEMA|DOMAIN) (?:IF EXISTS )?${IDENT}.*\bRENAME\b`, "i").exec(s);
    if (renameType) {
      push(normalizeName(renameType[2] ?? ""), `renames ${(renameType[1] ?? "").toLowerCase()} ${renameType[2]} (or one of its parts)`);
      return;
    }
    const alter = alterTable(s);
    if (!alter) return;
    const t = alter.table;
    for (const action of alter.actions) {
      const a = action.toUpperCase();
      const column = actionColumn(action);
      let m: RegExpExecArray | null;
      if ((m = new RegExp(String.raw`^RENAME (?:COLUMN )?${IDENT} TO`, "i").exec(action)) && !/^RENAME (?:TO|CONSTRAINT)\b/i.test(action)) push(`${t}.${normalizeName(m[1] ?? "")}`, `renames column ${t}.${normalizeName(m[1] ?? "")}`);
      else if (/^RENAME TO\b/i.test(action)) push(t, `renames table ${t}`);
      else if ((m = new RegExp(String.raw`^RENAME CONSTRAINT ${IDENT}`, "i").exec(action))) push(`${t}.${normalizeName(m[1] ?? "")}`, `renames constraint ${normalizeName(m[1] ?? "")} on ${t}`);
      else if (/^DROP CONSTRAINT\b/.test(a)) {
        const c = new RegExp(String.raw`^DROP CONSTRAINT (?:IF EXISTS )?${IDENT}`, "i").exec(action);
        push(`${t}.${normalizeName(c?.[1] ?? "?")}`, `drops constraint ${normalizeName(c?.[1] ?? "?")} on ${t} (release N−1 may rely on it, e.g. ON CONFLICT)`);
      } else if (/^DROP\b/.test(a) && column) push(`${t}.${column}`, `drops column ${t}.${column}`);
      else if (/^ALTER (?:COLUMN )?\S+ (?:SET DATA )?TYPE\b/.test(a) && column) push(`${t}.${column}`, `changes the type of ${t}.${column}`);
      else if (/^ALTER (?:COLUMN )?\S+ SET NOT NULL/.test(a) && column) push(`${t}.${column}`, `makes ${t}.${column} NOT NULL (release N−1 may insert without it)`);
      else if (/^ALTER (?:COLUMN )?\S+ DROP DEFAULT/.test(a) && column) push(`${t}.${column}`, `drops the default of ${t}.${column} (release N−1 may insert without it)`);
      else if (/^ADD\b/.test(a) && !/^ADD (?:CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b/.test(a) && /\bNOT NULL\b/.test(a) && !/\b(?:DEFAULT|GENERATED)\b/.test(a) && column) {
        push(`${t}.${column}`, `adds ${t}.${column} NOT NULL without a default (release N−1 inserts without it)`);
      }
    }
  });
  return ops;
}

export interface RolloutInfo {
  rollout: Rollout;
  /** Declared in the header (true) or derived from the statements (false). */
  declared: boolean;
  removes: string[];
  unusedSince: string | null;
  previousReleaseSafe: string | null;
  ops: ContractOp[];
  /** What is wrong with the declaration, whatever the database holds. Refused by up and lint. */
  problems: string[];
}

function covers(removes: string[], object: string): boolean {
  return removes.some((r) => r === object || object.startsWith(`${r}.`));
}

/** The file's class, from its header and its statements, with the declaration's problems. */
export function rolloutOf(file: Pick<SqlMigrationFile, "name" | "up" | "directives">): RolloutInfo {
  const d = file.directives;
  const ops = contractOps(file.up);
  const problems: string[] = [];
  const rollout: Rollout = d.rollout ?? (ops.length > 0 ? "contract" : "expand");
  const opList = ops.map((o) => `statement ${o.statement} ${o.what}`).join("; ");
  if (ops.length > 0 && d.rollout !== "contract") {
    problems.push(
      `${file.name} ${d.rollout === "expand" ? "declares `-- rollout: expand` but " : ""}${opList}: release N−1 may still use it. Either make it expand-only (add the new thing now, remove the old one in a later release), or declare \`-- rollout: contract\`, \`-- removes: <what>\` and \`-- unused-since: <the migration shipped with the release that stopped using it>\``,
    );
  }
  if (rollout === "contract") {
    const uncovered = ops.filter((o) => !covers(d.removes, o.object));
    if (d.rollout === "contract" && uncovered.length > 0) problems.push(`${file.name}: \`-- removes:\` does not list ${[...new Set(uncovered.map((o) => o.object))].join(", ")} (${uncovered.map((o) => o.what).join("; ")})`);
    if (d.rollout === "contract" && d.removes.length === 0 && ops.length === 0) problems.push(`${file.name}: a contract migration must say what it removes (\`-- removes: <table or table.column, …>\`)`);
    if (d.rollout === "contract" && !d.unusedSince && !d.previousReleaseSafe) {
      problems.push(`${file.name}: a contract migration must show that release N−1 no longer needs what it removes: \`-- unused-since: <migration>\` (checked against the database) or \`-- previous-release-safe: <reason>\``);
    }
  } else if (d.removes.length > 0 || d.unusedSince || d.previousReleaseSafe) {
    problems.push(`${file.name}: \`-- removes\`, \`-- unused-since\` and \`-- previous-release-safe\` only apply to \`-- rollout: contract\``);
  }
  return { rollout, declared: d.rollout !== null, removes: d.removes, unusedSince: d.unusedSince, previousReleaseSafe: d.previousReleaseSafe, ops, problems };
}

/** Bundle-level checks of contract declarations: `unused-since` names an older file of the bundle. */
export function unusedSinceProblems(files: Array<Pick<SqlMigrationFile, "name" | "up" | "directives">>): string[] {
  const names = new Set(files.map((f) => f.name));
  return files.flatMap((f) => {
    const u = f.directives.unusedSince;
    if (!u) return [];
    if (!names.has(u)) return [`${f.name}: \`-- unused-since: ${u}\` is not a migration of this bundle`];
    if (u >= f.name) return [`${f.name}: \`-- unused-since: ${u}\` must name an older migration (it ships in an earlier release)`];
    return [];
  });
}

/** What the database recorded about an applied file: enough for a runner that has no file for it. */
export interface RecordedRollout {
  name: string;
  rollout: Rollout | null;
  removes: string[];
  unusedSince: string | null;
  state: string;
}

/**
 * The database holds files newer than this bundle (the service was rolled back to this release).
 * Acceptable when each is expand-only, or a contract whose `unused-since` migration this bundle
 * contains (so this release's code already stopped using what it removed). Returns the problems.
 */
export function aheadProblems(ahead: RecordedRollout[], bundleNames: ReadonlySet<string>): string[] {
  return ahead.flatMap((r) => {
    if (r.state !== "applied") return [`${r.name} is newer than this bundle and was left incomplete (${r.state}); finish it with the release that contains it`];
    if (r.rollout === "expand") return [];
    if (r.rollout === null) return [`${r.name} is newer than this bundle and the database has no rollout class for it (applied by an older runner): this bundle cannot tell whether it still works with that schema`];
    if (r.unusedSince && bundleNames.has(r.unusedSince)) return [];
    return [
      `${r.name} is a contract migration newer than this bundle: it removed ${r.removes.join(", ") || "(unlisted objects)"}, which this release may still use${r.unusedSince ? ` (this bundle predates ${r.unusedSince}, the release that stopped using it)` : ""}. This release cannot run on that schema: roll forward to a release that contains ${r.name}, or restore the database from a snapshot taken before it`,
    ];
  });
}
