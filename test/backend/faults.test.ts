/**
 * The runner under SQL and state it does not expect, on a real PostgreSQL: transaction control in
 * a file, an INVALID index, settings a file leaks, a migration that locks two tables while a
 * writer waits, the runner killed mid-statement, a host that never answers, a database without
 * checksums. Timing assertions are bounds with margin, measured on the server where possible.
 */
import { spawn } from "node:child_process";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { Client } from "pg";
import { describe, expect, it } from "vitest";
import { MigrationRefusedError } from "../../backend/src/migrate/manifest";
import { migrationStatus } from "../../backend/src/migrate/plan";
import { adoptDatabase, MigrationFailedError, migrateUp } from "../../backend/src/migrate/runner";
import { addMigration, databaseState, freshDatabase, migratedDatabase, withClient, usePostgresAndBundles } from "./helpers";

const db = usePostgresAndBundles();
const bundle = db.bundle;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the value, or with "timed out" after `ms` (a hang must fail the test, not stall it). */
function within<T>(p: Promise<T>, ms: number): Promise<T | "timed out"> {
  return Promise.race([p, sleep(ms).then(() => "timed out" as const)]);
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(25);
  }
  return false;
}

/**
 * A writer that inserts orders until stopped; each wait is measured by the server (immune to a slow
 * client). No parameters: the simple query protocol, so statement_timestamp() is taken before the
 * statement waits for its table lock (with parameters it would be taken after Parse).
 */
function startWriter(url: string): { stop: () => Promise<number[]> } {
  const client = new Client({ connectionString: url });
  const waits: number[] = [];
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const res = await client.query<{ ms: string }>(
        "INSERT INTO orders (customer_id, amount_cents, currency) VALUES ('writer', 1, 'EUR') RETURNING extract(epoch from clock_timestamp() - statement_timestamp()) * 1000 AS ms",
      );
      waits.push(Number(res.rows[0]?.ms));
      await sleep(10);
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return waits;
    },
  };
}

describe("refused before anything runs", () => {
  it("a transactional file with BEGIN … COMMIT: nothing runs, not even the pending files before it", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(paths, "20250606090000_fine", "-- Up Migration\nCREATE TABLE fine (id bigint);\n-- Down Migration\n-- squawk-ignore ban-drop-table\nDROP TABLE fine;\n");
    addMigration(paths, "20250607090000_half_committed", "-- Up Migration\nCREATE TABLE half (id bigint);\nCOMMIT;\nBEGIN;\nALTER TABLE orders ADD COLUMN half_note text;\n-- Down Migration\n");
    const before = await databaseState(url);
    const err = await migrateUp({ connection: url, paths }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationRefusedError);
    expect((err as MigrationRefusedError).problems.join("\n")).toMatch(/20250607090000_half_committed statement 2 \(`COMMIT`\): transaction-nesting/);
    expect(await databaseState(url)).toEqual(before);
  });
});

describe("no-transaction files", () => {
  it("an INVALID index is never recorded as applied, and the message says how to recover", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    await withClient(url, (c) => c.query("INSERT INTO orders (customer_id, amount_cents, currency) VALUES ('dup', 1, 'EUR'), ('dup', 2, 'EUR')"));
    // No DROP … IF EXISTS first, and no down section: the first failure leaves the INVALID index behind.
    addMigration(paths, "20250606090000_unique_customer", "-- migrate:no-transaction\n-- Up Migration\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_unique ON orders (customer_id);\n-- Down Migration\n-- migrate:irreversible\n");
    await expect(migrateUp({ connection: url, paths, lockRetries: 0 })).rejects.toThrow(/could not create unique index/);
    // Second run: IF NOT EXISTS skips the INVALID leftover; the runner must notice.
    const second = (await migrateUp({ connection: url, paths, lockRetries: 0 }).catch((e: unknown) => e)) as MigrationFailedError;
    expect(second).toBeInstanceOf(MigrationFailedError);
    expect(second.message).toMatch(/index orders_customer_unique on orders is INVALID .* never recorded as applied/);
    expect(second.message).toMatch(/DROP INDEX CONCURRENTLY IF EXISTS orders_customer_unique/);
    expect((await databaseState(url)).applied).not.toContain("20250606090000_unique_customer");
    const status = await migrationStatus({ connection: url, paths });
    expect(status.upToDate).toBe(false);
    expect(status.entries.find((e) => e.name === "20250606090000_unique_customer")?.state).not.toBe("applied");
  });
});

describe("session settings", () => {
  it("what one file SETs does not leak into the next: search_path and lock_timeout are the runner's again", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(paths, "20250606090000_leaky_settings", "-- Up Migration\nSET lock_timeout = 0;\nSET statement_timeout = 0;\nSET search_path = pg_catalog;\nSELECT 1;\n-- Down Migration\n");
    addMigration(paths, "20250606090100_unqualified_table", "-- Up Migration\nCREATE TABLE leak_probe (id bigint);\n-- Down Migration\n-- squawk-ignore ban-drop-table\nDROP TABLE leak_probe;\n");
    addMigration(paths, "20250606090200_needs_orders", "-- Up Migration\nALTER TABLE orders ADD COLUMN after_leak text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN after_leak;\n");
    await withClient(url, async (blocker) => {
      await blocker.query("BEGIN");
      await blocker.query("SELECT count(*) FROM orders");
      const started = Date.now();
      const run = migrateUp({ connection: url, paths, lockTimeoutMs: 300, lockRetries: 0 }).catch((e: unknown) => e);
      const result = await within(run, 8_000);
      await blocker.query("ROLLBACK");
      // With the leaked lock_timeout = 0 the third file would wait for the blocker forever.
      expect(result).toBeInstanceOf(MigrationFailedError);
      expect((result as MigrationFailedError).sqlState).toBe("55P03");
      expect((result as MigrationFailedError).migration).toBe("20250606090200_needs_orders");
      expect(Date.now() - started).toBeLessThan(6_000);
    });
    const state = await databaseState(url);
    expect(state.applied).toContain("20250606090100_unqualified_table");
    expect(state.catalog).toContain("table leak_probe r persistence=p"); // created in public, not pg_catalog
  });
});

describe("a writer waits at most lock_timeout (+10%) behind a migration", () => {
  it("even when the migration locks two tables one after the other and the second is blocked", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(paths, "20250606090000_touch_two_tables", "-- Up Migration\nALTER TABLE orders ADD COLUMN touched text;\nALTER TABLE order_statuses ADD COLUMN touched text;\n-- Down Migration\nALTER TABLE order_statuses DROP COLUMN touched;\nALTER TABLE orders DROP COLUMN touched;\n");
    const lockTimeoutMs = 1_000;
    const onOrders = new Client({ connectionString: url });
    const onStatuses = new Client({ connectionString: url });
    const observer = new Client({ connectionString: url });
    await Promise.all([onOrders.connect(), onStatuses.connect(), observer.connect()]);
    try {
      // A reads orders and finishes a moment after the migration queued behind it; B reads
      // order_statuses and does not finish. The migration waits for orders, then for order_statuses.
      await onOrders.query("BEGIN");
      await onOrders.query("SELECT count(*) FROM orders");
      await onStatuses.query("BEGIN");
      await onStatuses.query("SELECT count(*) FROM order_statuses");
      const writer = startWriter(url);
      const run = migrateUp({ connection: url, paths, lockTimeoutMs, lockRetries: 0 }).catch((e: unknown) => e);
      const queued = await waitFor(
        async () => (await observer.query("SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'orders'::regclass AND mode = 'AccessExclusiveLock'")).rows.length > 0,
        10_000,
      );
      expect(queued).toBe(true);
      // Ends on the server's clock, 40% into the migration's budget.
      void onOrders.query(`SELECT pg_sleep(${(lockTimeoutMs * 0.4) / 1000}); COMMIT`);
      const result = await run;
      const waits = await writer.stop();
      expect(result).toBeInstanceOf(MigrationFailedError);
      expect((result as MigrationFailedError).sqlState).toBe("55P03");
      const worst = Math.max(...waits);
      expect(worst).toBeGreaterThan(lockTimeoutMs * 0.4); // the writer really queued behind the migration
      expect(worst).toBeLessThanOrEqual(lockTimeoutMs * 1.1);
    } finally {
      await onStatuses.query("ROLLBACK").catch(() => undefined);
      await Promise.all([onOrders.end(), onStatuses.end(), observer.end()]);
    }
    expect((await databaseState(url)).catalog.join("\n")).not.toMatch(/touched/);
  });
});

describe("the runner's death and a silent host", () => {
  it("kill -9 of the runner mid-statement: the server drops its locks within 2 s and the writer proceeds", async () => {
    const url = await migratedDatabase(db.pg);
    const paths = bundle();
    addMigration(paths, "20250606090000_slow_under_lock", "-- Up Migration\nALTER TABLE orders ADD COLUMN doomed text;\nSELECT pg_sleep(60);\n-- Down Migration\nALTER TABLE orders DROP COLUMN doomed;\n");
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "migrate-child.ts")], {
      env: { ...process.env, DATABASE_URL: url, BUNDLE_ROOT: paths.root },
      stdio: "ignore",
    });
    const observer = new Client({ connectionString: url });
    await observer.connect();
    let writer: Client | undefined;
    try {
      const sleeping = await waitFor(async () => (await observer.query("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()")).rows.length > 0, 30_000);
      expect(sleeping).toBe(true);
      writer = new Client({ connectionString: url });
      await writer.connect();
      const insert = writer.query("INSERT INTO orders (customer_id, amount_cents, currency) VALUES ('after-kill', 1, 'EUR')");
      await sleep(100);
      const killedAt = Date.now();
      child.kill("SIGKILL");
      const done = await within(insert, 10_000);
      expect(done).not.toBe("timed out");
      expect(Date.now() - killedAt).toBeLessThan(2_000);
      const locks = await observer.query("SELECT 1 FROM pg_locks WHERE relation = 'orders'::regclass AND mode = 'AccessExclusiveLock'");
      expect(locks.rows).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      await observer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()").catch(() => undefined);
      await writer?.end().catch(() => undefined);
      await observer.end();
    }
  });

  it("a host that accepts TCP and never answers fails within the connect timeout", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const run = migrateUp({ connection: `postgres://nobody:secret@127.0.0.1:${port}/orders`, connectTimeoutMs: 1_000, lockRetries: 0 }).catch((e: unknown) => e);
      const result = await within(run, 8_000);
      expect(result).not.toBe("timed out");
      expect(String(result)).toMatch(/could not connect to 127\.0\.0\.1:\d+\/orders within 1000 ms/);
      expect(String(result)).not.toMatch(/secret/);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("checksums and time zones", () => {
  it("a history without checksums is refused until adopted; adopt records them and stores run_on with its time zone", async () => {
    const url = await freshDatabase(db.pg);
    const paths = bundle();
    // What node-pg-migrate alone leaves: naive timestamps, no checksums.
    await withClient(url, async (c) => {
      await c.query("SET TimeZone = 'America/New_York'");
      await c.query("CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)");
      await c.query("CREATE TABLE order_statuses (code text PRIMARY KEY, description text NOT NULL, terminal boolean NOT NULL DEFAULT false, position bigint NOT NULL)");
      await c.query(
        "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id text NOT NULL, amount_cents bigint NOT NULL, currency text NOT NULL, status text NOT NULL DEFAULT 'pending' REFERENCES order_statuses (code), created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())",
      );
      await c.query("INSERT INTO pgmigrations (name, run_on) VALUES ('20250601090000_create_orders', NOW())");
    });
    const refused = await migrateUp({ connection: url, paths }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MigrationRefusedError);
    expect((refused as MigrationRefusedError).problems.join("\n")).toMatch(/migrations\/20250601090000_create_orders has no checksum row[\s\S]*migrate adopt/);
    expect((await databaseState(url)).applied).toEqual(["20250601090000_create_orders"]);

    const adopted = await adoptDatabase({ connection: url, paths, timeZone: "America/New_York" });
    expect(adopted.adopted).toEqual(["migrations/20250601090000_create_orders"]);
    await withClient(url, async (c) => {
      const type = await c.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'pgmigrations' AND column_name = 'run_on'");
      expect(type.rows[0]?.data_type).toBe("timestamp with time zone");
      const rec = await c.query("SELECT sha256, rollout, bundle FROM pgmigrations_checksums WHERE name = '20250601090000_create_orders'");
      expect(rec.rows[0]).toMatchObject({ rollout: "expand", bundle: "adopted" });
    });
    // Adopted, the history is checked like any other: the rest applies, in order, whatever the session's TimeZone.
    const up = await migrateUp({ connection: url, paths });
    expect(up.steps.map((s) => s.name)[0]).toBe("20250601090100_order_statuses");
    expect((await migrationStatus({ connection: url, paths })).upToDate).toBe(true);
  });
});
