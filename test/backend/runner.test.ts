import { rmSync, renameSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationRefusedError } from "../../backend/src/migrate/manifest";
import { migrationStatus, planMigrations } from "../../backend/src/migrate/plan";
import { MigrationFailedError, MigrationLockHeldError, MIGRATION_LOCK_ID, migrateDown, migrateUp } from "../../backend/src/migrate/runner";
import { runMigrateCli } from "../../backend/src/migrate/cli";
import { addMigration, databaseState, freshDatabase, migratedDatabase, withClient, usePostgresAndBundles } from "./helpers";

const db = usePostgresAndBundles();
const bundle = db.bundle;

const quiet = { lockRetries: 0 };
const dev = { productionTier: false } as const;

describe("migrate up / down / status / plan", () => {
  it("applies migrations and seeds in one timestamp order, reports status, and goes down step by step", async () => {
    const url = await freshDatabase(db.pg);
    const plan = await planMigrations({ connection: url });
    expect(plan.pending).toHaveLength(7);
    const up = await migrateUp({ connection: url, ...quiet });
    // The seed (…090100) runs right after the migration that creates its table, as in plan.
    expect(up.steps.map((s) => s.kind)).toEqual(["migrations", "seeds", "migrations", "migrations", "migrations", "migrations", "migrations"]);
    expect(up.steps.map((s) => s.name)).toEqual(plan.pending);
    expect(up.latest).toBe(plan.expectedLatest);
    const statuses = await withClient(url, (c) => c.query("SELECT code FROM order_statuses ORDER BY position"));
    expect(statuses.rows.map((r) => r.code)).toEqual(["pending", "paid", "shipped", "delivered", "cancelled"]);

    const status = await migrationStatus({ connection: url });
    expect(status.upToDate).toBe(true);
    expect(status.entries.every((e) => e.checksum === "ok")).toBe(true);
    expect((await migrateUp({ connection: url })).steps).toEqual([]);

    const one = await migrateDown({ connection: url, guard: dev });
    expect(one.steps.map((s) => s.name)).toEqual(["20250605120000_create_service_role"]);
    const to = await migrateDown({ connection: url, guard: dev, to: "20250602090000_add_orders_idempotency_key" });
    expect(to.steps.map((s) => s.name)).toEqual(["20250605090000_validate_orders_amount_check", "20250604090000_add_orders_amount_check", "20250603090000_index_orders_concurrently"]);
    expect(to.latest).toBe("20250602090000_add_orders_idempotency_key");
    expect((await migrationStatus({ connection: url })).upToDate).toBe(false);
    await expect(migrateDown({ connection: url, guard: dev, to: "nope" })).rejects.toThrow(/not an applied migration/);
  });

  it("seeds run in timestamp order between migrations: a migration that needs a seed's rows works on a fresh database", async () => {
    const url = await freshDatabase(db.pg);
    const paths = bundle();
    // The seed 20250601090100_order_statuses is older than these: they backfill and then require a
    // label on its rows. Seeds run last, and the NOT VALID check would refuse the seed's rows.
    addMigration(paths, "20250606090000_add_status_label", "-- Up Migration\nALTER TABLE order_statuses ADD COLUMN label text;\n-- Down Migration\nALTER TABLE order_statuses DROP COLUMN label;\n");
    addMigration(paths, "20250606090100_backfill_status_label", "-- Up Migration\nUPDATE order_statuses SET label = initcap(code) WHERE label IS NULL;\n-- Down Migration\n");
    addMigration(paths, "20250606090200_require_status_label", "-- Up Migration\nALTER TABLE order_statuses ADD CONSTRAINT order_statuses_label_present CHECK (label IS NOT NULL) NOT VALID;\n-- Down Migration\nALTER TABLE order_statuses DROP CONSTRAINT order_statuses_label_present;\n");
    addMigration(paths, "20250606090300_validate_status_label", "-- Up Migration\nALTER TABLE order_statuses VALIDATE CONSTRAINT order_statuses_label_present;\n-- Down Migration\n");
    const plan = await planMigrations({ paths });
    const up = await migrateUp({ connection: url, paths, ...quiet });
    expect(up.steps.map((s) => s.name)).toEqual(plan.pending);
    expect(up.steps[1]).toMatchObject({ kind: "seeds", name: "20250601090100_order_statuses" });
    const labels = await withClient(url, (c) => c.query("SELECT label FROM order_statuses ORDER BY position"));
    expect(labels.rows.map((r) => r.label)).toEqual(["Pending", "Paid", "Shipped", "Delivered", "Cancelled"]);
  });

  it("plan labels a rewrite (type change, multi-action ALTER, volatile default) apart from a brief lock", async () => {
    const paths = bundle();
    const allow = "-- allow changing-column-type: orders_archive holds at most a few hundred rows; the rewrite takes milliseconds\n";
    addMigration(paths, "20250606090000_multi_action", `${allow}-- Up Migration\nALTER TABLE orders ADD COLUMN memo text, ALTER COLUMN currency TYPE varchar(3);\n-- Down Migration\n`, false);
    addMigration(paths, "20250606090100_volatile_default", "-- allow adding-field-with-default: measured: under 5 ms on the current table size\n-- Up Migration\nALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();\n-- Down Migration\n", false);
    addMigration(paths, "20250606090200_stable_default", "-- Up Migration\nALTER TABLE orders ADD COLUMN noted_at timestamptz DEFAULT now();\n-- Down Migration\n");
    const byName = Object.fromEntries((await planMigrations({ paths })).items.map((i) => [i.name, i]));
    expect(byName["20250606090000_multi_action"]?.summary).toBe("ACCESS EXCLUSIVE (rewrite) on orders");
    expect(byName["20250606090100_volatile_default"]?.summary).toBe("ACCESS EXCLUSIVE (rewrite) on orders");
    expect(byName["20250606090200_stable_default"]?.summary).toBe("ACCESS EXCLUSIVE (brief) on orders");
    expect(byName["20250606090000_multi_action"]?.exceptions).toEqual([{ rule: "changing-column-type", statement: 1, reason: "orders_archive holds at most a few hundred rows; the rewrite takes milliseconds" }]);
  });

  it("plan derives the locks each statement takes", async () => {
    const plan = await planMigrations();
    const byName = Object.fromEntries(plan.items.map((i) => [i.name, i]));
    expect(byName["20250603090000_index_orders_concurrently"]?.transactional).toBe(false);
    expect(byName["20250603090000_index_orders_concurrently"]?.summary).toBe("SHARE UPDATE EXCLUSIVE (scan) on orders");
    expect(byName["20250602090000_add_orders_idempotency_key"]?.summary).toBe("ACCESS EXCLUSIVE (brief) on orders");
    expect(byName["20250605090000_validate_orders_amount_check"]?.locks.every((l) => l.mode === "SHARE UPDATE EXCLUSIVE" && !l.blocksWrites)).toBe(true);
  });
});

describe("up refuses what lint refuses, unless the file carries a reasoned exception", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["backfill in the column's transaction", "-- Up Migration\nALTER TABLE orders ADD COLUMN note text;\nUPDATE orders SET note = customer_id;\n-- Down Migration\nALTER TABLE orders DROP COLUMN note;\n", /statement 2 .*backfill-in-ddl-transaction/],
    ["a column type change (table rewrite)", "-- Up Migration\nALTER TABLE orders ALTER COLUMN amount_cents TYPE numeric(12, 0);\n-- Down Migration\n", /changing-column-type/],
    ["renaming a column the running release reads", "-- Up Migration\nALTER TABLE orders RENAME COLUMN customer_id TO client_id;\n-- Down Migration\nALTER TABLE orders RENAME COLUMN client_id TO customer_id;\n", /renames column orders\.customer_id: release N−1 may still use it/],
    ["dropping a column the running release reads", "-- Up Migration\nALTER TABLE orders DROP COLUMN currency;\n-- Down Migration\n", /drops column orders\.currency/],
    ["a blocking index build", "-- Up Migration\nCREATE INDEX orders_currency_idx ON orders (currency);\n-- Down Migration\n", /require-concurrent-index-creation/],
  ];
  it.each(cases)("%s: refused before anything runs, database unchanged", async (_label, sql, reason) => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(paths, "20250606090000_unsafe", sql);
    const before = await databaseState(url);
    const err = (await migrateUp({ connection: url, paths }).catch((e: unknown) => e)) as MigrationRefusedError;
    expect(err).toBeInstanceOf(MigrationRefusedError);
    expect(err.problems.join("\n")).toMatch(reason);
    expect(await databaseState(url)).toEqual(before);
    const plan = await planMigrations({ connection: url, paths });
    expect(plan.items.find((i) => i.name === "20250606090000_unsafe")?.refusals.join("\n")).toMatch(reason);
  });

  it("an exception needs a rule name and a reason; with it the file runs and the plan shows why", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    const sql = "-- Up Migration\nCREATE INDEX orders_currency_idx ON orders (currency);\n-- Down Migration\n";
    addMigration(paths, "20250606090000_index_currency", `-- allow require-concurrent-index-creation: short\n${sql}`);
    await expect(migrateUp({ connection: url, paths })).rejects.toThrow(/needs a reason/);
    addMigration(paths, "20250606090000_index_currency", `-- allow require-concurrent-index-creation: orders is empty until launch; the build is instant\n${sql}`);
    const logs: string[] = [];
    await migrateUp({ connection: url, paths, log: (l) => logs.push(l.msg) });
    expect(logs).toContain("20250606090000_index_currency: require-concurrent-index-creation allowed by its header: orders is empty until launch; the build is instant");
    const item = (await planMigrations({ connection: url, paths })).items.find((i) => i.name === "20250606090000_index_currency");
    expect(item?.exceptions.map((e) => e.rule)).toEqual(["require-concurrent-index-creation"]);
  });
});

describe("the fail-fast advisory lock", () => {
  it("a second runner fails at once with exit code 3 while the lock is held", async () => {
    const url = await freshDatabase(db.pg);
    await withClient(url, async (holder) => {
      await holder.query("SELECT pg_advisory_lock($1::bigint)", [MIGRATION_LOCK_ID]);
      const started = Date.now();
      await expect(migrateUp({ connection: url })).rejects.toBeInstanceOf(MigrationLockHeldError);
      await expect(migrateUp({ connection: url })).rejects.toThrow(/another migration is running/);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await runMigrateCli(["up"], { DATABASE_URL: url, PGSSLMODE: "disable" })).toBe(3);
    });
    expect((await databaseState(url)).applied).toEqual([]);
  });

  it("two runners racing: one applies everything, the other gets 'another migration is running'", async () => {
    const url = await freshDatabase(db.pg);
    const paths = bundle();
    // A slow first migration keeps the lock held long enough for the race to be real.
    addMigration(paths, "20250601080000_slow_start", "-- Up Migration\nSELECT pg_sleep(0.4);\n-- Down Migration\n");
    const results = await Promise.allSettled([migrateUp({ connection: url, paths }), migrateUp({ connection: url, paths })]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toBeInstanceOf(MigrationLockHeldError);
    expect((await databaseState(url)).applied).toHaveLength(7);
  });
});

describe("the manifest and the database history", () => {
  it("refuses an applied migration that was edited, even with a regenerated manifest", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    const file = join(paths.migrationsDir, "20250602090000_add_orders_idempotency_key.sql");
    writeFileSync(file, readFileSync(file, "utf8").replace("idempotency_key text", "idempotency_key varchar(64)"));
    await expect(migrateUp({ connection: url, paths })).rejects.toThrow(/edited after it was recorded/);
    addMigration(paths, "20250606090000_noop", "-- Up Migration\nSELECT 1;\n-- Down Migration\n"); // regenerates the manifest
    const refused = await migrateUp({ connection: url, paths }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MigrationRefusedError);
    expect((refused as MigrationRefusedError).problems.join("\n")).toMatch(/20250602090000_add_orders_idempotency_key was edited after it was applied/);
  });

  it("refuses a missing file and an out-of-order file", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    const file = join(paths.migrationsDir, "20250605090000_validate_orders_amount_check.sql");
    renameSync(file, `${file}.bak`);
    await expect(migrateUp({ connection: url, paths })).rejects.toThrow(/does not match manifest.json/);
    await expect(planMigrations({ paths })).rejects.toThrow(/listed in the manifest but missing/);
    rmSync(`${file}.bak`);
    addMigration(paths, "20250606090000_noop", "-- Up Migration\nSELECT 1;\n-- Down Migration\n");
    const missing = (await migrateUp({ connection: url, paths }).catch((e: unknown) => e)) as MigrationRefusedError;
    expect(missing.problems.join("\n")).toMatch(/20250605090000_validate_orders_amount_check is applied in the database but its file is missing/);

    const url2 = await freshDatabase(db.pg);
    const paths2 = bundle();
    await migrateUp({ connection: url2, paths: paths2 });
    addMigration(paths2, "20250601000000_late_arrival", "-- Up Migration\nSELECT 1;\n-- Down Migration\n");
    const late = (await migrateUp({ connection: url2, paths: paths2 }).catch((e: unknown) => e)) as MigrationRefusedError;
    expect(late).toBeInstanceOf(MigrationRefusedError);
    expect(late.problems.join("\n")).toMatch(/20250601000000_late_arrival is pending but older than the applied .* \(out of order\)/);
  });
});

describe("a failing migration leaves the database as it was", () => {
  it("transactional: rolled back, later migrations not run, exit 1 from the task CLI", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    const before = await databaseState(url);
    addMigration(paths, "20250606090000_broken", "-- Up Migration\nCREATE TABLE side_effect (id bigint);\nALTER TABLE orders ADD COLUMN note text;\nSELECT 1 / 0;\n-- Down Migration\n");
    addMigration(paths, "20250607090000_after_broken", "-- Up Migration\nCREATE TABLE never_created (id bigint);\n-- Down Migration\n");
    const err = (await migrateUp({ connection: url, paths }).catch((e: unknown) => e)) as MigrationFailedError;
    expect(err).toBeInstanceOf(MigrationFailedError);
    expect(err.message).toMatch(/20250606090000_broken \(up\) failed at statement 3 of 3 .*: division by zero \[SQLSTATE 22012\].*as it was before/);
    expect(await databaseState(url)).toEqual(before);
  });

  it("no-transaction: a failed CREATE INDEX CONCURRENTLY leaves no INVALID index behind", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    await withClient(url, (c) => c.query("INSERT INTO orders (customer_id, amount_cents, currency) VALUES ('dup', 1, 'EUR'), ('dup', 2, 'EUR')"));
    const before = await databaseState(url);
    addMigration(
      paths,
      "20250606090000_unique_customer",
      "-- migrate:no-transaction\n-- Up Migration\nDROP INDEX CONCURRENTLY IF EXISTS orders_customer_unique;\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_unique ON orders (customer_id);\n-- Down Migration\nDROP INDEX CONCURRENTLY IF EXISTS orders_customer_unique;\n",
    );
    await expect(migrateUp({ connection: url, paths })).rejects.toThrow(/could not create unique index/);
    const after = await databaseState(url);
    expect(after).toEqual(before);
    expect(after.catalog.join("\n")).not.toMatch(/INVALID/);
  });
});

describe("lock_timeout with bounded retries", () => {
  it("gives up after the configured retries under a long transaction, database unchanged", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(paths, "20250606090000_add_note", "-- Up Migration\nALTER TABLE orders ADD COLUMN note text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN note;\n");
    const before = await databaseState(url);
    await withClient(url, async (blocker) => {
      await blocker.query("BEGIN");
      await blocker.query("SELECT count(*) FROM orders"); // ACCESS SHARE until commit
      const logs: string[] = [];
      const started = Date.now();
      const err = (await migrateUp({ connection: url, paths, lockTimeoutMs: 100, lockRetries: 2, retryDelayMs: 20, log: (l) => logs.push(l.msg) }).catch((e: unknown) => e)) as MigrationFailedError;
      expect(err).toBeInstanceOf(MigrationFailedError);
      expect(err.sqlState).toBe("55P03");
      expect(err.attempts).toBe(3);
      expect(err.message).toMatch(/could not get its lock within lock_timeout 100 ms after 3 attempts; oldest open transactions: pid \d+/);
      expect(logs.filter((m) => m.startsWith("lock timeout"))).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(3_000);
      await blocker.query("ROLLBACK");
    });
    expect(await databaseState(url)).toEqual(before);
  });

  it("no-transaction: an index build blocked by an old snapshot is cleaned up and retried, never left INVALID", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(
      paths,
      "20250606090000_index_currency",
      "-- migrate:no-transaction\n-- Up Migration\nDROP INDEX CONCURRENTLY IF EXISTS orders_cur_idx;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_cur_idx ON orders (currency);\n-- Down Migration\nDROP INDEX CONCURRENTLY IF EXISTS orders_cur_idx;\n",
    );
    await withClient(url, async (blocker) => {
      // A REPEATABLE READ snapshot: CONCURRENTLY (build and drop alike) waits for it to end.
      await blocker.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      await blocker.query("SELECT count(*) FROM orders");
      // Event-driven: the snapshot ends once an attempt has timed out (not after a fixed delay).
      let committed: Promise<unknown> | undefined;
      const logs: string[] = [];
      const log = (l: { msg: string }) => {
        logs.push(l.msg);
        if (l.msg.startsWith("lock timeout")) committed ??= blocker.query("COMMIT");
      };
      const report = await migrateUp({ connection: url, paths, lockTimeoutMs: 100, lockRetries: 6, retryDelayMs: 50, log });
      await committed;
      expect(report.steps.find((st) => st.name === "20250606090000_index_currency")?.attempts).toBeGreaterThan(1);
      expect(logs.some((m) => m.startsWith("lock timeout"))).toBe(true);
    });
    const state = await databaseState(url);
    expect(state.catalog.join("\n")).toMatch(/orders_cur_idx/);
    expect(state.catalog.join("\n")).not.toMatch(/INVALID/);
  });

  it("succeeds on a retry once the blocking transaction ends", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(paths, "20250606090000_add_note", "-- Up Migration\nALTER TABLE orders ADD COLUMN note text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN note;\n");
    await withClient(url, async (blocker) => {
      await blocker.query("BEGIN");
      await blocker.query("SELECT count(*) FROM orders");
      // Event-driven, not timed: the blocker ends when the first attempt has timed out, so a
      // slow (loaded) machine changes how long this takes, never what it proves.
      let committed: Promise<unknown> | undefined;
      const log = (l: { msg: string }) => {
        if (l.msg.startsWith("lock timeout")) committed ??= blocker.query("COMMIT");
      };
      const report = await migrateUp({ connection: url, paths, lockTimeoutMs: 100, lockRetries: 5, retryDelayMs: 50, log });
      await committed;
      expect(report.steps[0]?.attempts).toBeGreaterThan(1);
      expect(report.steps[0]?.name).toBe("20250606090000_add_note");
    });
  });
});
