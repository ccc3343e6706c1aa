import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { buildProgram, exitCodeFor } from "../../infra/cli/main";
import { lintMigrations } from "../../backend/src/tooling/lint";
import { loadCheckedBundle } from "../../backend/src/migrate/bundle";
import { writeManifest } from "../../backend/src/migrate/manifest";
import { checkFile } from "../../backend/src/migrate/runner";
import { planMigrations } from "../../backend/src/migrate/plan";
import { verifyMigrations } from "../../backend/src/tooling/verify";
import { copyBundle, type EmbeddedPostgres, freshDatabase, startEmbeddedPostgres } from "./helpers";

// One server for the verify tests that bring their own databases (starting one costs seconds).
let shared: Promise<EmbeddedPostgres> | undefined;
const server = () => (shared ??= startEmbeddedPostgres());
afterAll(async () => {
  await (await shared)?.stop();
});
async function databases(): Promise<{ databaseUrl: string; rowsDatabaseUrl: string }> {
  const pg = await server();
  return { databaseUrl: await freshDatabase(pg), rowsDatabaseUrl: await freshDatabase(pg) };
}

const bundles: Array<{ cleanup: () => void }> = [];
afterEach(() => {
  for (const b of bundles.splice(0)) b.cleanup();
});

describe("migrate lint (squawk)", () => {
  it("the shipped bundle is clean, up and down", async () => {
    const report = await lintMigrations();
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("names the rule for unsafe DDL, in the up and in the down section", async () => {
    const paths = copyBundle();
    bundles.push(paths);
    writeFileSync(
      join(paths.migrationsDir, "20250606090000_unsafe.sql"),
      "-- Up Migration\nCREATE INDEX orders_currency_idx ON orders (currency);\nALTER TABLE orders ADD CONSTRAINT orders_positive CHECK (amount_cents > 0);\n-- Down Migration\nALTER TABLE orders DROP COLUMN currency;\n",
    );
    const report = await lintMigrations(paths);
    expect(report.ok).toBe(false);
    const found = report.violations.filter((v) => v.file === "migrations/20250606090000_unsafe.sql").map((v) => `${v.section}:${v.rule}`);
    expect(found).toEqual(expect.arrayContaining(["up:require-concurrent-index-creation", "up:constraint-missing-not-valid", "down:ban-drop-column"]));
  });

  it("catches a backfill in the same transaction as the column it fills (squawk alone does not)", async () => {
    const paths = copyBundle();
    bundles.push(paths);
    writeFileSync(join(paths.migrationsDir, "20250606090000_add_and_fill.sql"), "-- Up Migration\nALTER TABLE orders ADD COLUMN note text;\nUPDATE orders SET note = customer_id;\n-- Down Migration\nALTER TABLE orders DROP COLUMN note;\n");
    writeFileSync(join(paths.migrationsDir, "20250606090100_ignored_by_comment.sql"), "-- Up Migration\n-- squawk-ignore changing-column-type\nALTER TABLE orders ALTER COLUMN currency TYPE varchar(3);\n-- Down Migration\n");
    const report = await lintMigrations(paths);
    const rules = (file: string) => report.violations.filter((v) => v.file === `migrations/${file}.sql` && v.section === "up").map((v) => `${v.source}:${v.rule}`);
    expect(rules("20250606090000_add_and_fill")).toEqual(["runner:backfill-in-ddl-transaction"]);
    // squawk's own ignore comment is not a reasoned exception: the runner's rule still fires.
    expect(rules("20250606090100_ignored_by_comment")).toEqual(expect.arrayContaining(["runner:changing-column-type", "runner:squawk-ignore"]));
  });

  it("up refuses exactly what lint refuses, on a corpus of unsafe and safe migrations", async () => {
    const paths = copyBundle();
    bundles.push(paths);
    const tx = (sql: string) => `-- Up Migration\n${sql}\n-- Down Migration\n`;
    const noTx = (sql: string) => `-- migrate:no-transaction\n${tx(sql)}`;
    const corpus: Array<[string, string]> = [
      ["add_and_backfill", tx("ALTER TABLE orders ADD COLUMN c1 text;\nUPDATE orders SET c1 = 'x';")],
      ["alter_type", tx("ALTER TABLE orders ALTER COLUMN amount_cents TYPE numeric;")],
      ["set_data_type", tx("ALTER TABLE orders ALTER COLUMN currency SET DATA TYPE text;")],
      ["multi_action_type", tx("ALTER TABLE orders ADD COLUMN c2 bigint, ALTER COLUMN amount_cents TYPE numeric;")],
      ["rename_column", tx("ALTER TABLE orders RENAME COLUMN currency TO ccy;")],
      ["rename_table", tx("ALTER TABLE orders RENAME TO purchases;")],
      ["drop_column", tx("ALTER TABLE orders DROP COLUMN currency;")],
      ["drop_table", tx("DROP TABLE IF EXISTS order_statuses;")],
      ["plain_index", tx("CREATE INDEX i1 ON orders (currency);")],
      ["plain_drop_index", tx("DROP INDEX orders_customer_id_created_at_idx;")],
      ["fk_validated", tx("ALTER TABLE orders ADD CONSTRAINT fk1 FOREIGN KEY (status) REFERENCES order_statuses (code);")],
      ["check_validated", tx("ALTER TABLE orders ADD CONSTRAINT ck1 CHECK (amount_cents > 0);")],
      ["unique_constraint", tx("ALTER TABLE orders ADD CONSTRAINT uq1 UNIQUE (customer_id);")],
      ["primary_key", tx("ALTER TABLE order_statuses ADD PRIMARY KEY (code);")],
      ["required_field", tx("ALTER TABLE orders ADD COLUMN c3 bigint NOT NULL;")],
      ["volatile_default", tx("ALTER TABLE orders ADD COLUMN c4 uuid DEFAULT gen_random_uuid();")],
      ["stored_generated", tx("ALTER TABLE orders ADD COLUMN c5 bigint GENERATED ALWAYS AS (amount_cents * 2) STORED;")],
      ["set_not_null", tx("ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;")],
      ["drop_not_null", tx("ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;")],
      ["int_column", tx("ALTER TABLE orders ADD COLUMN c6 integer;")],
      ["smallint_column", tx("ALTER TABLE orders ADD COLUMN c7 smallint;")],
      ["serial_column", tx("CREATE TABLE t1 (id serial PRIMARY KEY, a varchar(10), b timestamp, c char(3));")],
      ["bigserial_add", tx("ALTER TABLE orders ADD COLUMN c8 bigserial;")],
      ["transaction_control", tx("BEGIN;\nALTER TABLE orders ADD COLUMN c9 text;\nCOMMIT;")],
      ["concurrently_in_tx", tx("CREATE INDEX CONCURRENTLY IF NOT EXISTS i2 ON orders (currency);")],
      ["reindex", tx("REINDEX TABLE orders;")],
      ["truncate_cascade", tx("TRUNCATE orders CASCADE;")],
      ["drop_database", tx("DROP DATABASE other;")],
      ["enum_add_value", tx("CREATE TYPE mood AS ENUM ('a');\nALTER TYPE mood ADD VALUE 'b';")],
      ["notx_not_robust_index", noTx("CREATE INDEX CONCURRENTLY i3 ON orders (currency);")],
      ["notx_not_robust_drop", noTx("DROP INDEX CONCURRENTLY i3;")],
      ["notx_alter", noTx("ALTER TABLE orders ADD CONSTRAINT ck2 CHECK (amount_cents >= 0) NOT VALID;")],
      ["safe_add_column", tx("ALTER TABLE orders ADD COLUMN s1 text;")],
      ["safe_default", tx("ALTER TABLE orders ADD COLUMN s2 timestamptz NOT NULL DEFAULT now();")],
      ["safe_not_valid", tx("ALTER TABLE orders ADD CONSTRAINT s3 CHECK (amount_cents >= 0) NOT VALID;")],
      ["safe_validate", tx("ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_cents_nonnegative;")],
      ["safe_new_table", tx("CREATE TABLE s4 (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text, at timestamptz);\nCREATE INDEX s4_note ON s4 (note);")],
      ["safe_notx_index", noTx("DROP INDEX CONCURRENTLY IF EXISTS s5;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS s5 ON orders (currency);")],
      ["safe_fk_not_valid", tx("ALTER TABLE orders ADD CONSTRAINT s6 FOREIGN KEY (status) REFERENCES order_statuses (code) NOT VALID;")],
      ["safe_data", tx("INSERT INTO order_statuses (code, description, position) VALUES ('s7', 'x', 70) ON CONFLICT (code) DO NOTHING;")],
    ];
    corpus.forEach(([name, sql], i) => writeFileSync(join(paths.migrationsDir, `2025070${Math.floor(i / 60)}${String(100000 + i).slice(1)}0_${name}.sql`), sql));
    writeManifest(paths);
    const lint = await lintMigrations(paths);
    const bundle = loadCheckedBundle(paths);
    const verdicts = corpus.map(([name]) => {
      const step = bundle.steps.find((s) => s.file.name.endsWith(`_${name}`))!;
      return { name, lint: lint.violations.some((v) => v.file === `migrations/${step.file.name}.sql` && v.section === "up"), up: checkFile(step).problems.length > 0 };
    });
    expect(verdicts.filter((v) => v.lint !== v.up)).toEqual([]);
    expect(verdicts.filter((v) => v.name.startsWith("safe_")).every((v) => !v.up)).toBe(true);
    expect(verdicts.filter((v) => !v.name.startsWith("safe_")).every((v) => v.up)).toBe(true);
  });

  it("`migrate manifest` does not pin a file that lint (and so up) refuses", async () => {
    const paths = copyBundle();
    bundles.push(paths);
    writeFileSync(join(paths.migrationsDir, "20250606090000_blocking_index.sql"), "-- Up Migration\nCREATE INDEX orders_currency_idx ON orders (currency);\n-- Down Migration\n");
    const before = readFileSync(paths.manifestPath, "utf8");
    const env = { MIGRATION_MIGRATIONS_DIR: paths.migrationsDir, MIGRATION_SEEDS_DIR: paths.seedsDir, MIGRATION_MANIFEST: paths.manifestPath };
    Object.assign(process.env, env);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      const err = await (await buildProgram())
        .parseAsync(["migrate", "manifest"], { from: "user" })
        .catch((e: unknown) => e);
      expect(exitCodeFor(err)).toBe(1);
      expect(String(err)).toMatch(/manifest not written: lint refuses migrations\/20250606090000_blocking_index\.sql/);
      expect(readFileSync(paths.manifestPath, "utf8")).toBe(before);
      writeFileSync(join(paths.migrationsDir, "20250606090000_blocking_index.sql"), "-- allow require-concurrent-index-creation: orders is empty until launch, the build is instant\n-- Up Migration\nCREATE INDEX orders_currency_idx ON orders (currency);\n-- Down Migration\n");
      await (await buildProgram()).parseAsync(["migrate", "manifest"], { from: "user" });
      expect(readFileSync(paths.manifestPath, "utf8")).toMatch(/20250606090000_blocking_index/);
    } finally {
      out.mockRestore();
      for (const k of Object.keys(env)) delete process.env[k];
    }
  });

  it("`migrate lint` exits 0 on the shipped bundle; bad usage exits 2", async () => {
    const program = await buildProgram();
    await expect(program.parseAsync(["migrate", "lint", "--format", "json"], { from: "user" })).resolves.toBeDefined();
    const err = await (await buildProgram())
      .parseAsync(["migrate", "sideways"], { from: "user" })
      .catch((e: unknown) => e);
    expect(exitCodeFor(err)).toBe(2);
  });
});

describe("migrate verify", () => {
  it("up → seed → down to zero → up on an embedded PostgreSQL: schemas match, timings reported", async () => {
    const report = await verifyMigrations();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.database).toBe("embedded");
    expect(report.downDiff).toEqual([]);
    expect(report.reapplyDiff).toEqual([]);
    expect(report.timings).toHaveLength(7);
    expect(report.withRows?.ok).toBe(true);
    expect(report.withRows?.skipped).toEqual([]);
    expect(Object.keys(report.withRows?.rows ?? {}).sort()).toEqual(["order_statuses", "orders"]);
    for (const t of report.timings) {
      expect(t.upMs).toBeGreaterThanOrEqual(0);
      expect(t.downMs).not.toBeNull();
      expect(t.reapplyMs).not.toBeNull();
    }
  });

  it("with representative rows: catches a migration that only fails on a table with rows, in the order plan and up use", async () => {
    const paths = copyBundle();
    bundles.push(paths);
    // Rows written before every order carried an idempotency key have NULL there: SET NOT NULL
    // fails on them in production, and on an empty database it passes.
    writeFileSync(
      join(paths.migrationsDir, "20250606090000_require_idempotency_key.sql"),
      "-- rollout: contract\n-- removes: orders.idempotency_key\n-- previous-release-safe: every release since 1.2 sends an Idempotency-Key with each order\n-- allow adding-not-nullable-field: orders holds a few thousand rows; the scan takes milliseconds\n-- Up Migration\nALTER TABLE orders ALTER COLUMN idempotency_key SET NOT NULL;\n-- Down Migration\nALTER TABLE orders ALTER COLUMN idempotency_key DROP NOT NULL;\n",
    );
    writeManifest(paths);
    const report = await verifyMigrations({ paths, ...(await databases()) });
    expect(report.downDiff).toEqual([]);
    expect(report.timings.map((t) => t.name)).toContain("20250606090000_require_idempotency_key"); // the empty pass applied it
    expect(report.ok).toBe(false);
    expect(report.withRows?.ok).toBe(false);
    expect(report.problems.join("\n")).toMatch(/with representative rows: .*20250606090000_require_idempotency_key .*contains null values/);
    expect(report.order).toEqual((await planMigrations({ paths })).items.map((i) => `${i.kind}/${i.name}`));
  });

  it("catches a down section that does not undo its up section", async () => {
    const paths = copyBundle();
    bundles.push(paths);
    writeFileSync(join(paths.migrationsDir, "20250606090000_leaky.sql"), "-- Up Migration\nCREATE TABLE audit_log (id bigint);\n-- Down Migration\n");
    writeManifest(paths);
    const report = await verifyMigrations({ paths, ...(await databases()) });
    expect(report.ok).toBe(false);
    expect(report.downDiff).toEqual(expect.arrayContaining(["+ table audit_log r persistence=p"]));
  });
});
