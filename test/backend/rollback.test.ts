/**
 * Rollback on a real PostgreSQL, through the path `pulumi up` takes: the migration task's CLI of
 * an older release (its bundle) against the database a newer release migrated; and `down` as an
 * operator runs it (production-tier confirmation, what it destroys, a half-finished down).
 */
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { discoverStacks, loadStackConfig } from "../../config/stack-file";
import { buildProgram, exitCodeFor } from "../../infra/cli/main";
import { migrationStatus } from "../../backend/src/migrate/plan";
import { MigrationFailedError, migrateDown, migrateUp } from "../../backend/src/migrate/runner";
import { addMigration, databaseState, freshDatabase, migratedDatabase, runTask, taskEnv, withClient, usePostgresAndBundles } from "./helpers";
import { writeManifest } from "../../backend/src/migrate/manifest";
import { writeFileSync } from "node:fs";

const db = usePostgresAndBundles();
const bundle = db.bundle;

const ADD_NOTE = "-- rollout: expand\n-- Up Migration\nALTER TABLE orders ADD COLUMN note text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN note;\n";
const NOTE_INDEX =
  "-- migrate:no-transaction\n-- Up Migration\nDROP INDEX CONCURRENTLY IF EXISTS orders_note_idx;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_note_idx ON orders (note);\n-- Down Migration\nDROP INDEX CONCURRENTLY IF EXISTS orders_note_idx;\n";
const REFUND_SEED = "-- Up Migration\nINSERT INTO order_statuses (code, description, terminal, position) VALUES ('refunded', 'Refunded', true, 60) ON CONFLICT (code) DO NOTHING;\n-- Down Migration\nDELETE FROM order_statuses WHERE code = 'refunded';\n";

function addSeed(paths: ReturnType<typeof bundle>, name: string, sql: string): void {
  writeFileSync(join(paths.seedsDir, `${name}.sql`), sql);
  writeManifest(paths);
}

async function recordRows(url: string): Promise<unknown[]> {
  return withClient(url, async (c) => (await c.query("SELECT kind, name, sha256, rollout, state FROM pgmigrations_checksums ORDER BY kind, name")).rows);
}

describe("rolling the service back: release N−1's migration task against release N's database", () => {
  it("exits 0 and changes nothing when release N added only expand migrations and seeds", async () => {
    const url = await freshDatabase(db.pg);
    const releaseN = bundle();
    addMigration(releaseN, "20250606090000_add_orders_note", ADD_NOTE);
    addMigration(releaseN, "20250606090100_index_orders_note", NOTE_INDEX);
    addSeed(releaseN, "20250606090200_refund_status", REFUND_SEED);
    const deploy = await runTask(["up"], taskEnv(url, releaseN));
    expect(deploy.errors).toEqual([]);
    expect(deploy.code).toBe(0);
    const before = { state: await databaseState(url), records: await recordRows(url) };

    // The previous release's image carries the previous bundle: this repository's, without N's files.
    const previous = bundle();
    const rollback = await runTask(["up"], taskEnv(url, previous));
    expect(rollback.errors).toEqual([]);
    expect(rollback.code).toBe(0);
    expect(rollback.lines.map((l) => String(l.msg)).join("\n")).toMatch(/ahead of this bundle by 3 file\(s\) that keep this release working/);
    expect({ state: await databaseState(url), records: await recordRows(url) }).toEqual(before);

    const status = await migrationStatus({ connection: url, paths: previous });
    expect(status.problems).toEqual([]);
    expect(status.upToDate).toBe(true);
    expect(status.entries.filter((e) => e.state === "ahead").map((e) => `${e.name} ${e.rollout}`)).toEqual([
      "20250606090000_add_orders_note expand",
      "20250606090100_index_orders_note expand",
      "20250606090200_refund_status expand",
    ]);
  });

  it("a contract migration runs only after the release that stopped using what it removes, and rollback honours it", async () => {
    const url = await freshDatabase(db.pg);
    // Release 1 adds a column; release 2 ships the code that stops using it (and a marker migration);
    // release 3 drops it, naming release 2's marker.
    const r1 = bundle();
    addMigration(r1, "20250606090000_add_orders_legacy_note", "-- Up Migration\nALTER TABLE orders ADD COLUMN legacy_note text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN IF EXISTS legacy_note;\n");
    const r2 = bundle();
    addMigration(r2, "20250606090000_add_orders_legacy_note", "-- Up Migration\nALTER TABLE orders ADD COLUMN legacy_note text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN IF EXISTS legacy_note;\n");
    addMigration(r2, "20250607090000_stop_using_legacy_note", "-- Up Migration\nCOMMENT ON COLUMN orders.legacy_note IS 'unused since release 2';\n-- Down Migration\nCOMMENT ON COLUMN orders.legacy_note IS NULL;\n");
    const r3 = bundle();
    for (const [n, sql] of [
      ["20250606090000_add_orders_legacy_note", "-- Up Migration\nALTER TABLE orders ADD COLUMN legacy_note text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN IF EXISTS legacy_note;\n"],
      ["20250607090000_stop_using_legacy_note", "-- Up Migration\nCOMMENT ON COLUMN orders.legacy_note IS 'unused since release 2';\n-- Down Migration\nCOMMENT ON COLUMN orders.legacy_note IS NULL;\n"],
      [
        "20250608090000_drop_orders_legacy_note",
        "-- rollout: contract\n-- removes: orders.legacy_note\n-- unused-since: 20250607090000_stop_using_legacy_note\n-- Up Migration\nALTER TABLE orders DROP COLUMN legacy_note;\n-- Down Migration\nALTER TABLE orders ADD COLUMN IF NOT EXISTS legacy_note text;\n",
      ],
    ] as const)
      addMigration(r3, n, sql);

    expect((await runTask(["up"], taskEnv(url, r1))).code).toBe(0);
    // Release 3 straight after release 1: the release serving (1) still uses legacy_note.
    const early = await runTask(["up"], taskEnv(url, r3));
    expect(early.code).toBe(1);
    expect(early.errors.join("\n")).toMatch(/20250608090000_drop_orders_legacy_note removes orders\.legacy_note, which the release serving now may still use: 20250607090000_stop_using_legacy_note .* is not applied yet/);
    expect((await databaseState(url)).applied.at(-1)).toBe("20250606090000_add_orders_legacy_note"); // refused before anything ran

    expect((await runTask(["up"], taskEnv(url, r2))).code).toBe(0);
    const r3up = await runTask(["up"], taskEnv(url, r3));
    expect(r3up.errors).toEqual([]);
    expect(r3up.code).toBe(0);
    const afterContract = await databaseState(url);
    expect(afterContract.catalog.join("\n")).not.toMatch(/legacy_note/);

    // Back to release 2: its code no longer uses legacy_note (it contains the unused-since marker).
    const toR2 = await runTask(["up"], taskEnv(url, r2));
    expect(toR2.errors).toEqual([]);
    expect(toR2.code).toBe(0);
    expect(await databaseState(url)).toEqual(afterContract);
    // Back to release 1: it still reads legacy_note, which is gone. Refused, saying so.
    const toR1 = await runTask(["up"], taskEnv(url, r1));
    expect(toR1.code).toBe(1);
    expect(toR1.errors.join("\n")).toMatch(/20250608090000_drop_orders_legacy_note is a contract migration newer than this bundle: it removed orders\.legacy_note, which this release may still use/);
    expect(await databaseState(url)).toEqual(afterContract);
  });
});

describe("down", () => {
  it("on a production-tier stack: refused until the stack is named, after listing what it destroys with row counts", async () => {
    const url = await freshDatabase(db.pg);
    const paths = bundle();
    expect((await runTask(["up"], taskEnv(url, paths))).code).toBe(0);
    await withClient(url, (c) =>
      c.query("INSERT INTO orders (customer_id, amount_cents, currency, idempotency_key) SELECT 'c' || g, g, 'EUR', CASE WHEN g % 4 = 0 THEN 'k' || g END FROM generate_series(1, 1000) g"),
    );
    const before = await databaseState(url);
    // The tier comes from the stack's config (the stack's name means nothing): here a stack called "live-eu".
    const prod = taskEnv(url, paths, { MIGRATE_PRODUCTION_TIER: "true", MIGRATE_STACK: "live-eu" });

    const refused = await runTask(["down", "--to", "0"], prod);
    expect(refused.code).toBe(1);
    const message = refused.errors.join("\n");
    expect(message).toMatch(/down refused on production-tier stack live-eu/);
    expect(message).toMatch(/table orders \(1,000 rows\)/);
    expect(message).toMatch(/column orders\.idempotency_key \(250 non-NULL values\)/);
    expect(message).toMatch(/table order_statuses \(5 rows\)/);
    expect(message).toMatch(/--confirm live-eu/);
    expect((await runTask(["down", "--to", "0", "--confirm", "live-us"], prod)).code).toBe(1);
    // A tier nobody stated counts as production-tier.
    expect((await runTask(["down"], taskEnv(url, paths))).code).toBe(1);
    const dry = await runTask(["down", "--to", "0", "--dry-run"], prod);
    expect(dry.code).toBe(0);
    expect(await databaseState(url)).toEqual(before);

    const confirmed = await runTask(["down", "--to", "0", "--confirm", "live-eu"], prod);
    expect(confirmed.errors).toEqual([]);
    expect(confirmed.code).toBe(0);
    expect((await databaseState(url)).applied).toEqual([]);
    // A stack whose profile is not production-tier needs no confirmation.
    expect((await runTask(["up"], taskEnv(url, paths))).code).toBe(0);
    expect((await runTask(["down"], taskEnv(url, paths, { MIGRATE_PRODUCTION_TIER: "false" }))).code).toBe(0);
  });

  it("the operator CLI takes the tier from the named stack's config profile", async () => {
    const url = await migratedDatabase(db.pg);
    const run = async (...args: string[]) =>
      (await buildProgram())
        .parseAsync(["migrate", "down", "--database-url", url, ...args], { from: "user" })
        .then(() => 0, (e: unknown) => exitCodeFor(e));
    const quiet = [vi.spyOn(process.stdout, "write").mockImplementation(() => true), vi.spyOn(process.stderr, "write").mockImplementation(() => true)];
    try {
      const production = discoverStacks().find((s) => loadStackConfig(s).profile === "production")!;
      const other = discoverStacks().find((s) => loadStackConfig(s).profile !== "production")!;
      const applied = async () => (await databaseState(url)).applied.length;
      const all = await applied();
      expect(await run("--stack", production)).toBe(1);
      expect(await applied()).toBe(all);
      expect(await run("--stack", other)).toBe(0);
      expect(await applied()).toBe(all - 1);
      expect(await run("--stack", production, "--confirm", production)).toBe(0);
      expect(await applied()).toBe(all - 2);
    } finally {
      for (const q of quiet) q.mockRestore();
    }
  });

  it("a no-transaction down that stops half way keeps the record and the message truthful", async () => {
    const url = await freshDatabase(db.pg);
    const paths = bundle();
    addMigration(
      paths,
      "20250606090000_index_two_tables",
      "-- migrate:no-transaction\n-- Up Migration\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_currency_idx ON orders (currency);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS order_statuses_position_idx ON order_statuses (position);\n-- Down Migration\nDROP INDEX CONCURRENTLY IF EXISTS orders_currency_idx;\nDROP INDEX CONCURRENTLY IF EXISTS order_statuses_position_idx;\n",
    );
    await migrateUp({ connection: url, paths });
    const guard = { productionTier: false };
    await withClient(url, async (blocker) => {
      // A long ANALYZE or autovacuum holds SHARE UPDATE EXCLUSIVE: the second DROP cannot get its lock.
      await blocker.query("BEGIN");
      await blocker.query("LOCK TABLE order_statuses IN SHARE UPDATE EXCLUSIVE MODE");
      const err = (await migrateDown({ connection: url, paths, guard, lockTimeoutMs: 200, lockRetries: 0 }).catch((e: unknown) => e)) as MigrationFailedError;
      expect(err).toBeInstanceOf(MigrationFailedError);
      expect(err.message).not.toMatch(/as it was before/);
      expect(err.message).toMatch(/statements 1–1 of its down section ran and stay done \(DROP INDEX CONCURRENTLY IF EXISTS orders_currency_idx\); the rest did not/);
      expect(err.message).toMatch(/marked down-incomplete/);
      await blocker.query("ROLLBACK");
    });
    const state = await databaseState(url);
    expect(state.applied.at(-1)).toBe("20250606090000_index_two_tables");
    expect(state.catalog.join("\n")).not.toMatch(/orders_currency_idx/);
    expect(state.catalog.join("\n")).toMatch(/order_statuses_position_idx/);
    const status = await migrationStatus({ connection: url, paths });
    expect(status.upToDate).toBe(false);
    expect(status.entries.find((e) => e.name === "20250606090000_index_two_tables")?.state).toBe("down-incomplete");
    expect(status.problems.join("\n")).toMatch(/down-incomplete: down stopped at statement 2 of 2/);

    // Finishing it: down again (idempotent) reverts it completely; up would re-apply it instead.
    await migrateDown({ connection: url, paths, guard });
    const done = await migrationStatus({ connection: url, paths });
    expect(done.problems).toEqual([]);
    expect(done.entries.find((e) => e.name === "20250606090000_index_two_tables")?.state).toBe("pending");
    expect((await databaseState(url)).catalog.join("\n")).not.toMatch(/order_statuses_position_idx/);
  });
});
