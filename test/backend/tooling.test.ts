import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildProgram, exitCodeFor } from "../../infra/cli/main";
import { lintMigrations } from "../../backend/src/tooling/lint";
import { verifyMigrations } from "../../backend/src/tooling/verify";
import { copyBundle } from "./helpers";

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

  it("`migrate lint` exits 0 on the shipped bundle; bad usage exits 2", async () => {
    const program = buildProgram();
    await expect(program.parseAsync(["migrate", "lint", "--format", "json"], { from: "user" })).resolves.toBeDefined();
    const err = await buildProgram()
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
    for (const t of report.timings) {
      expect(t.upMs).toBeGreaterThanOrEqual(0);
      expect(t.downMs).not.toBeNull();
      expect(t.reapplyMs).not.toBeNull();
    }
  });

  it("catches a down section that does not undo its up section", async () => {
    const paths = copyBundle();
    bundles.push(paths);
    const { writeManifest } = await import("../../backend/src/migrate/manifest");
    writeFileSync(join(paths.migrationsDir, "20250606090000_leaky.sql"), "-- Up Migration\nCREATE TABLE audit_log (id bigint);\n-- Down Migration\n");
    writeManifest(paths);
    const report = await verifyMigrations({ paths });
    expect(report.ok).toBe(false);
    expect(report.downDiff).toEqual(expect.arrayContaining(["+ table audit_log r persistence=p"]));
  });
});
