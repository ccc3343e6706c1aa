/** Shared by the backend suites: one embedded PostgreSQL per test file, one database per test. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../backend/src/testing/embedded-postgres";
import { runMigrateCli } from "../../backend/src/migrate/cli";
import { migrateUp } from "../../backend/src/migrate/runner";
import { writeManifest } from "../../backend/src/migrate/manifest";
import { type BundlePaths, defaultBundlePaths } from "../../backend/src/migrate/paths";
import { dumpCatalog } from "../../backend/src/tooling/catalog";

export { startEmbeddedPostgres, type EmbeddedPostgres };

let counter = 0;
export async function freshDatabase(pg: EmbeddedPostgres): Promise<string> {
  counter += 1;
  return pg.createDatabase(`t_${process.pid}_${counter}`);
}

const templates = new WeakMap<EmbeddedPostgres, Promise<string>>();

/** A database with this repository's bundle applied: a copy of a template migrated once per server. */
export async function migratedDatabase(pg: EmbeddedPostgres): Promise<string> {
  let template = templates.get(pg);
  if (!template) {
    template = (async () => {
      const name = `tpl_${process.pid}`;
      await migrateUp({ connection: await pg.createDatabase(name), lockRetries: 0 });
      return name;
    })();
    templates.set(pg, template);
  }
  const source = await template;
  counter += 1;
  const name = `t_${process.pid}_${counter}`;
  await withClient(pg.url(), (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} TEMPLATE ${c.escapeIdentifier(source)}`));
  return pg.url(name);
}

/** A private copy of the real bundle, so a test can add, edit or delete files. */
export function copyBundle(): BundlePaths & { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), "bundle-"));
  const real = defaultBundlePaths();
  cpSync(real.migrationsDir, join(root, "migrations"), { recursive: true });
  cpSync(real.seedsDir, join(root, "seeds"), { recursive: true });
  const paths = defaultBundlePaths(root);
  return { ...paths, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * The usual setup of a database suite: one embedded PostgreSQL for the test file (`db.pg`, started
 * before its first test, stopped after its last) and private bundle copies (`db.bundle()`),
 * removed after each test.
 */
export function usePostgresAndBundles(): { readonly pg: EmbeddedPostgres; bundle: () => ReturnType<typeof copyBundle> } {
  let server: EmbeddedPostgres | undefined;
  const bundles: Array<{ cleanup: () => void }> = [];
  beforeAll(async () => {
    server = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(() => {
    for (const b of bundles.splice(0)) b.cleanup();
  });
  return {
    get pg(): EmbeddedPostgres {
      if (!server) throw new Error("the embedded PostgreSQL starts in beforeAll: use db.pg inside a test or hook");
      return server;
    },
    bundle() {
      const b = copyBundle();
      bundles.push(b);
      return b;
    },
  };
}

export function addMigration(paths: BundlePaths, name: string, sql: string, regenerate = true): void {
  writeFileSync(join(paths.migrationsDir, `${name}.sql`), sql);
  if (regenerate) writeManifest(paths);
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Schema and bookkeeping: what "the database is exactly as before" compares. */
export async function databaseState(url: string): Promise<{ catalog: string[]; applied: string[] }> {
  return withClient(url, async (c) => {
    const catalog = await dumpCatalog(c);
    const exists = (await c.query<{ ok: boolean }>("SELECT to_regclass('public.pgmigrations') IS NOT NULL AS ok")).rows[0]?.ok;
    const applied = exists ? (await c.query<{ name: string }>("SELECT name FROM pgmigrations ORDER BY id")).rows.map((r) => r.name) : [];
    return { catalog, applied };
  });
}

/** The task CLI (what ECS runs) with its JSON log lines captured. */
export async function runTask(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; lines: Array<Record<string, unknown>>; errors: string[] }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  try {
    const code = await runMigrateCli(argv, { PGSSLMODE: "disable", ...env });
    const lines = out
      .join("")
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const errors = lines.filter((l) => l.level === "error").map((l) => `${String(l.msg)} ${JSON.stringify(l.problems ?? "")}`);
    return { code, lines, errors };
  } finally {
    spy.mockRestore();
  }
}

/** The environment that points the task CLI at a bundle copy and a database. */
export function taskEnv(url: string, paths: BundlePaths, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { DATABASE_URL: url, MIGRATION_MIGRATIONS_DIR: paths.migrationsDir, MIGRATION_SEEDS_DIR: paths.seedsDir, MIGRATION_MANIFEST: paths.manifestPath, MIGRATION_RETRY_DELAY_MS: "50", ...extra };
}
