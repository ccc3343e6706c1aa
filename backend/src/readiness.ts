/** Readiness: the database answers and carries the schema version this build was written for. */
import type { Pool } from "pg";
import { readManifest } from "./migrate/manifest";
import { defaultBundlePaths, MIGRATIONS_TABLE } from "./migrate/paths";

/** The newest migration in this build's manifest: the schema this code expects. */
export function expectedMigration(manifestPath = defaultBundlePaths().manifestPath): string | null {
  return readManifest(manifestPath).migrations.at(-1)?.name ?? null;
}

export interface ReadinessCheck {
  ready: boolean;
  database: "reachable" | "unreachable";
  expectedMigration: string | null;
  reason?: string;
}

export async function isSchemaReady(pool: Pool, expected: string | null): Promise<ReadinessCheck> {
  try {
    if (expected === null) {
      await pool.query("SELECT 1");
      return { ready: true, database: "reachable", expectedMigration: null };
    }
    // A newer schema is fine too (expand/contract keeps it compatible); an older one is not.
    const res = await pool.query<{ applied: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${MIGRATIONS_TABLE} WHERE name = $1) AS applied`,
      [expected],
    );
    const applied = res.rows[0]?.applied === true;
    return applied
      ? { ready: true, database: "reachable", expectedMigration: expected }
      : { ready: false, database: "reachable", expectedMigration: expected, reason: `migration ${expected} is not applied yet` };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "42P01") return { ready: false, database: "reachable", expectedMigration: expected, reason: "no migrations have run" };
    return { ready: false, database: "unreachable", expectedMigration: expected, reason: err instanceof Error ? err.message : String(err) };
  }
}
