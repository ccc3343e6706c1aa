/**
 * `plan` and `status`: read-only views of the bundle and of a database. Neither takes the
 * migration lock nor writes anything. Both use the runner's own checks (the same order, rules,
 * rollout classes and history checks), so what `plan` says is what `up` does.
 */
import type { Client } from "pg";
import { describeConnection } from "../db/connection";
import { type BundleStep, loadCheckedBundle, stepKey } from "./bundle";
import { type BundleKind, MigrationRefusedError } from "./manifest";
import { resolveSettings, type RunnerSettings } from "./options";
import { type DatabaseHistory, readHistory, unrecordedApplied } from "./record";
import { aheadProblems, type ContractOp, unusedSinceProblems } from "./rollout";
import { checkFile, checkHistory, contractProblems, pendingSteps } from "./runner";
import { closeClient, connectSession } from "./session";
import { locksOf, type StatementLock } from "./locks";
import type { Rollout } from "./sql-file";

export interface PlannedMigration {
  /** 1-based position in the one timestamp order of migrations and seeds. */
  order: number;
  kind: BundleKind;
  name: string;
  sha256: string;
  state: "applied" | "pending" | "up-incomplete" | "down-incomplete";
  transactional: boolean;
  reversible: boolean;
  /** expand: release N−1 keeps working; contract: removes what an older release may use. */
  rollout: Rollout;
  rolloutDeclared: boolean;
  removes: string[];
  unusedSince: string | null;
  previousReleaseSafe: string | null;
  contractOps: ContractOp[];
  /** Reasoned exceptions to the safety rules (`-- allow <rule>: <reason>`). */
  exceptions: Array<{ rule: string; statement: number; reason: string }>;
  /** Why `up` would refuse this file (empty when it would run). */
  refusals: string[];
  /** Locks of the up section's statements, in order. */
  locks: StatementLock[];
  /** Strongest lock on an existing table, e.g. "ACCESS EXCLUSIVE (rewrite) on orders". */
  summary: string;
}

export interface MigrationPlan {
  /** "bundle" when no database was given: everything is pending against an empty database. */
  against: "bundle" | "database";
  database: string | null;
  /** The latest migration of this bundle: the schema version this build expects. */
  expectedLatest: string | null;
  items: PlannedMigration[];
  /** Names that `up` would run, in order (migrations and seeds interleaved by timestamp). */
  pending: string[];
  /** Files in the database newer than this bundle (a rolled-back release's view). */
  ahead: string[];
  /** Problems that make `up` refuse before running anything. */
  refusals: string[];
}

const STRENGTH = ["ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"];
const DURATION = ["none", "brief", "scan", "rewrite"];

export function summarizeLocks(locks: StatementLock[]): string {
  const real = locks.filter((l) => l.mode !== null && l.table !== null);
  if (real.length === 0) return "no locks on existing tables";
  const rank = (l: StatementLock) => STRENGTH.indexOf(l.mode ?? "") * 10 + DURATION.indexOf(l.duration);
  const worst = real.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  return `${worst.mode} (${worst.duration}) on ${worst.table}`;
}

function planItem(step: BundleStep, order: number, state: PlannedMigration["state"], refusals: string[]): PlannedMigration {
  const f = step.file;
  const check = checkFile(step);
  const locks = f.up.map(locksOf).filter((l) => l.duration !== "none" || l.referenced !== undefined);
  return {
    order,
    kind: step.kind,
    name: f.name,
    sha256: f.sha256,
    state,
    transactional: f.transactional,
    reversible: f.reversible,
    rollout: check.rollout.rollout,
    rolloutDeclared: check.rollout.declared,
    removes: check.rollout.removes,
    unusedSince: check.rollout.unusedSince,
    previousReleaseSafe: check.rollout.previousReleaseSafe,
    contractOps: check.rollout.ops,
    exceptions: check.rules.excepted.map((e) => ({ rule: e.rule, statement: e.statement, reason: e.reason })),
    refusals,
    locks,
    summary: summarizeLocks(locks),
  };
}

async function withClient<T>(settings: Partial<RunnerSettings> & Pick<RunnerSettings, "connection">, fn: (client: Client) => Promise<T>): Promise<T> {
  const resolved = resolveSettings(settings);
  const client = await connectSession(resolved.session);
  try {
    return await fn(client);
  } finally {
    await closeClient(client);
  }
}

const EMPTY_HISTORY: DatabaseHistory = { migrations: [], seeds: [], records: new Map(), checksums: new Map(), format: { legacyRunOn: [], missingRecordColumns: [], tablesExist: false } };

/**
 * What `up` would do, in order, with the locks, rollout class and exceptions of each file, and
 * why it would refuse. Checks the bundle against the manifest (throws MigrationRefusedError);
 * with a connection, also the database's history (throws on edited, missing or out-of-order files).
 */
export async function planMigrations(options: Partial<RunnerSettings> = {}): Promise<MigrationPlan> {
  const resolved = resolveSettings({ connection: "", ...options });
  const bundle = loadCheckedBundle(resolved.paths);
  const connection = options.connection;
  const history = connection ? await withClient({ ...options, connection }, (c) => readHistory(c, resolved.tables)) : EMPTY_HISTORY;
  const refusals: string[] = [...unusedSinceProblems(bundle.steps.map((s) => s.file))];
  let ahead: string[] = [];
  if (connection) {
    const unrecorded = unrecordedApplied(history);
    if (unrecorded.length > 0) refusals.push(`${unrecorded.length} applied file(s) have no checksum: \`migrate adopt\` first (${unrecorded.slice(0, 5).join(", ")})`);
    const h = checkHistory(bundle, history);
    if (h.problems.length > 0) throw new MigrationRefusedError("the database history does not match the bundle", h.problems);
    refusals.push(...aheadProblems(h.ahead.map((a) => ({ name: a.name, ...recorded(history, a.kind, a.name) })), new Set(bundle.steps.map((s) => s.file.name))));
    ahead = h.ahead.map((a) => `${a.kind}/${a.name}`);
  }
  const pending = pendingSteps(bundle, history);
  const pendingKeys = new Set(pending.map((s) => stepKey(s.kind, s.file.name)));
  const pendingNames = new Set(pending.map((s) => s.file.name));
  const items = bundle.steps.map((step, i) => {
    const key = stepKey(step.kind, step.file.name);
    const row = history.records.get(key);
    const state: PlannedMigration["state"] = row && row.state !== "applied" ? row.state : pendingKeys.has(key) ? "pending" : "applied";
    const check = checkFile(step);
    const fileRefusals = state === "applied" ? [] : [...check.problems, ...contractProblems(check, history, bundle.id, pendingNames)];
    return planItem(step, i + 1, state, fileRefusals);
  });
  return {
    against: connection ? "database" : "bundle",
    database: connection ? describeConnection(connection) : null,
    expectedLatest: bundle.migrations.at(-1)?.name ?? null,
    items,
    pending: pending.map((s) => s.file.name),
    ahead,
    refusals: [...refusals, ...items.flatMap((i) => i.refusals)],
  };
}

function recorded(history: DatabaseHistory, kind: BundleKind, name: string) {
  const r = history.records.get(stepKey(kind, name));
  return { rollout: r?.rollout ?? null, removes: r?.removes ?? [], unusedSince: r?.unusedSince ?? null, state: r?.state ?? "applied" };
}

export interface StatusEntry {
  kind: BundleKind;
  name: string;
  state: "applied" | "pending" | "applied-missing-file" | "ahead" | "up-incomplete" | "down-incomplete";
  appliedAt: string | null;
  /** ok: recorded sha256 equals the file; mismatch: edited after it ran; unrecorded: no checksum row. */
  checksum: "ok" | "mismatch" | "unrecorded" | null;
  rollout: Rollout | null;
  detail: string | null;
}

export interface MigrationStatus {
  database: string;
  expectedLatest: string | null;
  appliedLatest: string | null;
  /** Everything this build expects is applied, completely, with matching checksums (newer expand-only files are fine). */
  upToDate: boolean;
  entries: StatusEntry[];
  problems: string[];
}

/** The database's migration state next to the bundle's. Does not throw on inconsistencies: lists them. */
export async function migrationStatus(options: Partial<RunnerSettings> & Pick<RunnerSettings, "connection">): Promise<MigrationStatus> {
  const resolved = resolveSettings(options);
  const problems: string[] = [];
  let steps: BundleStep[] = [];
  try {
    steps = loadCheckedBundle(resolved.paths).steps;
  } catch (err) {
    problems.push(...((err as { problems?: string[] }).problems ?? [String(err)]));
  }
  const history = await withClient(options, (c) => readHistory(c, resolved.tables));
  const unrecorded = unrecordedApplied(history);
  if (unrecorded.length > 0) problems.push(`${unrecorded.length} applied file(s) have no checksum: adopt the database with \`migrate adopt\` (${unrecorded.slice(0, 5).join(", ")})`);
  const h = checkHistory({ steps }, history);
  problems.push(...h.problems, ...aheadProblems(h.ahead.map((a) => ({ name: a.name, ...recorded(history, a.kind, a.name) })), new Set(steps.map((s) => s.file.name))));
  const entries: StatusEntry[] = [];
  const appliedRows = new Map([...history.migrations.map((r) => [stepKey("migrations", r.name), r] as const), ...history.seeds.map((r) => [stepKey("seeds", r.name), r] as const)]);
  for (const step of steps) {
    const key = stepKey(step.kind, step.file.name);
    const row = appliedRows.get(key);
    const rec = history.records.get(key);
    const incomplete = rec && rec.state !== "applied" ? rec.state : null;
    if (incomplete) problems.push(`${key} is ${incomplete}: ${rec?.detail ?? ""}`.trim());
    entries.push({
      kind: step.kind,
      name: step.file.name,
      state: incomplete ?? (row ? "applied" : "pending"),
      appliedAt: row?.runOn ?? null,
      checksum: row ? (rec === undefined ? "unrecorded" : rec.sha256 === step.file.sha256 ? "ok" : "mismatch") : null,
      rollout: rec?.rollout ?? null,
      detail: rec?.detail ?? null,
    });
  }
  const known = new Set(steps.map((s) => stepKey(s.kind, s.file.name)));
  const aheadKeys = new Set(h.ahead.map((a) => stepKey(a.kind, a.name)));
  for (const [key, row] of appliedRows) {
    if (known.has(key)) continue;
    const [kind, name] = key.split("/") as [BundleKind, string];
    const rec = history.records.get(key);
    entries.push({ kind, name, state: aheadKeys.has(key) ? "ahead" : "applied-missing-file", appliedAt: row.runOn, checksum: null, rollout: rec?.rollout ?? null, detail: rec?.detail ?? null });
  }
  const expectedLatest = steps.filter((s) => s.kind === "migrations").at(-1)?.file.name ?? null;
  const appliedLatest = history.migrations.map((r) => r.name).sort().at(-1) ?? null;
  const upToDate = problems.length === 0 && entries.every((e) => e.state === "applied" || e.state === "ahead");
  return { database: describeConnection(options.connection), expectedLatest, appliedLatest, upToDate, entries, problems };
}
