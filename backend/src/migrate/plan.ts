/**
 * `plan` and `status`: read-only views of the bundle and of a database. Neither takes the
 * migration lock nor writes anything.
 */
import { Client, type ClientConfig } from "pg";
import { describeConnection } from "../db/connection";
import { type BundleKind, checkBundle, MigrationRefusedError, readManifest } from "./manifest";
import { type BundlePaths, defaultBundlePaths } from "./paths";
import { type AppliedRow, historyProblems, readHistory } from "./runner";
import type { SqlMigrationFile } from "./sql-file";
import { locksOf, type StatementLock } from "./locks";

export interface PlannedMigration {
  /** 1-based position in the bundle. */
  order: number;
  kind: BundleKind;
  name: string;
  sha256: string;
  state: "applied" | "pending";
  transactional: boolean;
  reversible: boolean;
  /** Locks of the up section's statements, in order. */
  locks: StatementLock[];
  /** Strongest lock on an existing table, e.g. "ACCESS EXCLUSIVE (brief) on orders". */
  summary: string;
}

export interface MigrationPlan {
  /** "bundle" when no database was given: everything is pending against an empty database. */
  against: "bundle" | "database";
  database: string | null;
  /** The latest migration of this bundle: the schema version this build expects. */
  expectedLatest: string | null;
  items: PlannedMigration[];
  /** Names that `up` would run, in order (migrations, then seeds). */
  pending: string[];
}

const STRENGTH = ["ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"];

function summarize(locks: StatementLock[]): string {
  const real = locks.filter((l) => l.mode !== null && l.table !== null);
  if (real.length === 0) return "no locks on existing tables";
  const rank = (l: StatementLock) => STRENGTH.indexOf(l.mode ?? "") * 10 + (l.duration === "brief" ? 0 : 1);
  const worst = real.reduce((a, b) => (rank(b) > rank(a) ? b : a));
  return `${worst.mode} (${worst.duration}) on ${worst.table}`;
}

function planItems(kind: BundleKind, files: SqlMigrationFile[], applied: AppliedRow[]): PlannedMigration[] {
  const done = new Set(applied.map((a) => a.name));
  return files.map((f, i) => {
    const locks = f.up.map(locksOf).filter((l) => l.duration !== "none" || l.referenced !== undefined);
    return {
      order: i + 1,
      kind,
      name: f.name,
      sha256: f.sha256,
      state: done.has(f.name) ? "applied" : "pending",
      transactional: f.transactional,
      reversible: f.reversible,
      locks,
      summary: summarize(locks),
    };
  });
}

async function withClient<T>(connection: string | ClientConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(typeof connection === "string" ? { connectionString: connection } : connection);
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * What `up` would do, in order, with the locks each migration takes. Checks the bundle against
 * the manifest (throws MigrationRefusedError); with a connection, also against the database.
 */
export async function planMigrations(options: { connection?: string | ClientConfig; paths?: BundlePaths } = {}): Promise<MigrationPlan> {
  const paths = options.paths ?? defaultBundlePaths();
  const manifest = readManifest(paths.manifestPath);
  const migrations = checkBundle(paths, "migrations", manifest);
  const seeds = checkBundle(paths, "seeds", manifest);
  const history = options.connection ? await withClient(options.connection, readHistory) : { migrations: [], seeds: [], checksums: new Map<string, string>() };
  if (options.connection) {
    const problems = [
      ...historyProblems("migrations", migrations, history.migrations, history.checksums),
      ...historyProblems("seeds", seeds, history.seeds, history.checksums),
    ];
    if (problems.length > 0) throw new MigrationRefusedError("the database history does not match the bundle", problems);
  }
  const items = [...planItems("migrations", migrations, history.migrations), ...planItems("seeds", seeds, history.seeds)];
  return {
    against: options.connection ? "database" : "bundle",
    database: options.connection ? describeConnection(options.connection) : null,
    expectedLatest: migrations.at(-1)?.name ?? null,
    items,
    pending: items.filter((i) => i.state === "pending").map((i) => i.name),
  };
}

export interface StatusEntry {
  kind: BundleKind;
  name: string;
  state: "applied" | "pending" | "applied-missing-file";
  appliedAt: string | null;
  /** ok: recorded sha256 equals the file; mismatch: edited after it ran; unrecorded: no checksum row. */
  checksum: "ok" | "mismatch" | "unrecorded" | null;
}

export interface MigrationStatus {
  database: string;
  expectedLatest: string | null;
  appliedLatest: string | null;
  /** The database is at (or past) the version this build expects, and consistent with the bundle. */
  upToDate: boolean;
  entries: StatusEntry[];
  problems: string[];
}

/** The database's migration state next to the bundle's. Does not throw on inconsistencies: lists them. */
export async function migrationStatus(options: { connection: string | ClientConfig; paths?: BundlePaths }): Promise<MigrationStatus> {
  const paths = options.paths ?? defaultBundlePaths();
  const manifest = readManifest(paths.manifestPath);
  const problems: string[] = [];
  const safeCheck = (kind: BundleKind): SqlMigrationFile[] => {
    try {
      return checkBundle(paths, kind, manifest);
    } catch (err) {
      problems.push(...((err as { problems?: string[] }).problems ?? [String(err)]));
      return [];
    }
  };
  const files = { migrations: safeCheck("migrations"), seeds: safeCheck("seeds") };
  const history = await withClient(options.connection, readHistory);
  const entries: StatusEntry[] = [];
  for (const kind of ["migrations", "seeds"] as const) {
    const applied = kind === "migrations" ? history.migrations : history.seeds;
    problems.push(...historyProblems(kind, files[kind], applied, history.checksums));
    const appliedByName = new Map(applied.map((a) => [a.name, a]));
    for (const f of files[kind]) {
      const row = appliedByName.get(f.name);
      const recorded = history.checksums.get(`${kind}/${f.name}`);
      entries.push({
        kind,
        name: f.name,
        state: row ? "applied" : "pending",
        appliedAt: row?.runOn ?? null,
        checksum: row ? (recorded === undefined ? "unrecorded" : recorded === f.sha256 ? "ok" : "mismatch") : null,
      });
    }
    for (const row of applied) {
      if (!files[kind].some((f) => f.name === row.name)) entries.push({ kind, name: row.name, state: "applied-missing-file", appliedAt: row.runOn, checksum: null });
    }
  }
  const expectedLatest = manifest.migrations.at(-1)?.name ?? null;
  const appliedLatest = history.migrations.at(-1)?.name ?? null;
  const upToDate = problems.length === 0 && entries.every((e) => e.state === "applied");
  return { database: describeConnection(options.connection), expectedLatest, appliedLatest, upToDate, entries, problems };
}
