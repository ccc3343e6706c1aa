/**
 * The rollback strategy of the release package, the migration plan and the runbook's rollback
 * section say what the code does: one procedure text, classes from the runner's own
 * classification, a `down` advised only for what the release itself added (never for what the
 * release before it needs), and only flags the CLIs accept. The behaviour the procedure
 * describes is exercised in rollback.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { loadStackConfig } from "../../config/stack-file";
import { parseArgs } from "../../backend/src/migrate/cli";
import { planMigrations } from "../../backend/src/migrate/plan";
import { buildProgram } from "../../infra/cli/main";
import { renderMigrationPlan } from "../../infra/release/migrations-step";
import { renderRollbackCells, renderRollbackStrategy, rollbackProcedure } from "../../infra/release/rollback-strategy";
import { addMigration, copyBundle } from "./helpers";

function runbookBlock(): string {
  const text = readFileSync(join(REPO_ROOT, "runbooks", "deploy-and-rollback.md"), "utf8");
  const m = /<!-- rollback-procedure:begin -->\n([\s\S]*?)\n<!-- rollback-procedure:end -->/.exec(text);
  return m?.[1] ?? "";
}

describe("the rollback documents match the code", () => {
  it("the runbook's rollback section is the procedure the release package ships", async () => {
    expect(runbookBlock()).toBe(rollbackProcedure().join("\n"));
    const cfg = loadStackConfig("staging");
    const strategy = await renderRollbackStrategy({ version: "9.9.9", stack: "staging", cfg, images: [] });
    expect(strategy).toContain(rollbackProcedure().join("\n"));
    const plan = renderMigrationPlan(await planMigrations(), undefined, { version: "9.9.9", stack: "staging", cfg });
    expect(plan).toContain(rollbackProcedure().join("\n"));
  });

  it("the procedure rolls the service back first and only then, optionally, the schema", () => {
    const text = rollbackProcedure().join("\n");
    expect(text.indexOf("pulumi up --stack")).toBeLessThan(text.indexOf("migrate down"));
    expect(text).toMatch(/never while\s+release N serves/);
    expect(text).toMatch(/it exits 0 with the schema\s+unchanged/);
  });

  it("every flag the procedure and the runbook use exists in the CLIs", async () => {
    const text = `${rollbackProcedure().join("\n")}\n${readFileSync(join(REPO_ROOT, "runbooks", "deploy-and-rollback.md"), "utf8")}`;
    const commands = [...text.matchAll(/`npm run cli -- migrate (\w+)([^`]*)`/g)];
    expect(commands.length).toBeGreaterThan(2);
    const migrate = (await buildProgram()).commands.find((c) => c.name() === "migrate")!;
    for (const [, action, rest] of commands) {
      expect(["plan", "up", "down", "status", "adopt", "lint", "verify", "manifest"]).toContain(action);
      // Each action is a subcommand with its own options.
      const infraFlags = new Set(migrate.commands.find((c) => c.name() === action)!.options.map((o) => o.long));
      for (const flag of (rest ?? "").match(/--[a-z-]+/g) ?? []) {
        expect(infraFlags.has(flag), `${flag} (infra CLI)`).toBe(true);
        // The task CLI in the image accepts the same down flags.
        if (action === "down") expect(() => parseArgs(["down", flag, ...(flag === "--dry-run" || flag === "--production-tier" ? [] : ["x"])])).not.toThrow();
      }
    }
  });

  it("the plan's rollback column never advises a down of what the previous release needs", async () => {
    const paths = copyBundle();
    try {
      addMigration(paths, "20250606090000_add_orders_note", "-- Up Migration\nALTER TABLE orders ADD COLUMN note text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN note;\n");
      addMigration(paths, "20250606090100_add_orders_channel", "-- Up Migration\nALTER TABLE orders ADD COLUMN channel text;\n-- Down Migration\nALTER TABLE orders DROP COLUMN channel;\n");
      const plan = await planMigrations({ paths });
      const previousNames = plan.items.filter((i) => i.name < "20250606090000").map((i) => i.name);
      const previousLatest = plan.items.filter((i) => i.kind === "migrations" && i.name < "20250606090000").at(-1)!.name;
      const cells = renderRollbackCells(plan, { tag: "v1.4.0", names: previousNames });
      for (const name of previousNames) {
        expect(cells.get(name)).toMatch(/^none: already in v1\.4\.0/);
        expect(cells.get(name)).not.toMatch(/migrate down/);
      }
      // What this release added: one down target for all of it, the previous release's newest migration.
      for (const name of ["20250606090000_add_orders_note", "20250606090100_add_orders_channel"]) {
        expect(cells.get(name)).toMatch(/service rollback needs nothing \(expand/);
        expect(cells.get(name)).toContain(`\`migrate down --to ${previousLatest}\``);
        expect(cells.get(name)).toMatch(/once the service runs v1\.4\.0/);
      }
      // The first release has no N−1: no down is advised at all.
      expect([...renderRollbackCells(plan, null).values()].some((c) => /migrate down/.test(c))).toBe(false);
    } finally {
      paths.cleanup();
    }
  });
});
