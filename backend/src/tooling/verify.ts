/**
 * `migrate verify`: proves the bundle round-trips on a real, empty PostgreSQL (embedded, unless a
 * database URL is given): up → seeds → down to zero → up again. The schema after going down must
 * equal the schema before the first up, and the schema after the second up must equal the first.
 * Per-migration timings are reported for the release package.
 */
import { Client } from "pg";
import { startEmbeddedPostgres } from "../testing/embedded-postgres";
import { type BundlePaths, defaultBundlePaths } from "../migrate/paths";
import { migrateDown, migrateUp, type RunReport } from "../migrate/runner";
import { diffCatalogs, dumpCatalog } from "./catalog";

export interface VerifyTiming {
  kind: "migrations" | "seeds";
  name: string;
  upMs: number;
  downMs: number | null;
  reapplyMs: number | null;
}

export interface VerifyReport {
  ok: boolean;
  postgresVersion: string;
  database: "embedded" | "external";
  timings: VerifyTiming[];
  /** Schema after down-to-zero vs before the first up: must be empty. */
  downDiff: string[];
  /** Schema after the second up vs after the first: must be empty. */
  reapplyDiff: string[];
  /** Objects in the migrated schema (catalog lines), as a size indicator. */
  catalogObjects: number;
  totalMs: number;
  problems: string[];
}

async function snapshot(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await dumpCatalog(client);
  } finally {
    await client.end();
  }
}

/** `databaseUrl`: an EMPTY database to use instead of starting an embedded server. */
export async function verifyMigrations(options: { databaseUrl?: string; paths?: BundlePaths; onProgress?: (msg: string) => void } = {}): Promise<VerifyReport> {
  const started = performance.now();
  const paths = options.paths ?? defaultBundlePaths();
  const progress = options.onProgress ?? (() => undefined);
  const server = options.databaseUrl ? undefined : await startEmbeddedPostgres();
  try {
    const url = options.databaseUrl ?? (await server!.createDatabase("verify"));
    const settings = { connection: url, paths, lockRetries: 0 };
    const versionClient = new Client({ connectionString: url });
    await versionClient.connect();
    const postgresVersion = (await versionClient.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "unknown";
    await versionClient.end();

    const problems: string[] = [];
    const phase = async (label: string, fn: () => Promise<RunReport>): Promise<RunReport | null> => {
      progress(label);
      try {
        return await fn();
      } catch (err) {
        problems.push(`${label} failed: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      }
    };
    const empty = await snapshot(url);
    const up = await phase("up (migrations and seeds)", () => migrateUp(settings));
    const migrated = await snapshot(url);
    const down = up ? await phase("down to zero", () => migrateDown({ ...settings, to: "0" })) : null;
    const reverted = await snapshot(url);
    const again = down ? await phase("up again", () => migrateUp(settings)) : null;
    const remigrated = await snapshot(url);

    const ms = (report: RunReport | null, kind: string, name: string) => report?.steps.find((s) => s.kind === kind && s.name === name)?.ms ?? null;
    const timings: VerifyTiming[] = (up?.steps ?? []).map((s) => ({ kind: s.kind, name: s.name, upMs: s.ms, downMs: ms(down, s.kind, s.name), reapplyMs: ms(again, s.kind, s.name) }));
    const downDiff = down ? diffCatalogs(empty, reverted) : [];
    const reapplyDiff = again ? diffCatalogs(migrated, remigrated) : [];
    if (downDiff.length > 0) problems.push(`schema after down to zero differs from the empty schema (${downDiff.length} lines)`);
    if (reapplyDiff.length > 0) problems.push(`schema after re-applying differs from the first apply (${reapplyDiff.length} lines)`);
    if (down) problems.push(...timings.filter((t) => t.downMs === null).map((t) => `${t.name} was not reverted by down to zero`));
    return {
      ok: problems.length === 0,
      postgresVersion,
      database: server ? "embedded" : "external",
      timings,
      downDiff,
      reapplyDiff,
      catalogObjects: migrated.length,
      totalMs: Math.round(performance.now() - started),
      problems,
    };
  } finally {
    await server?.stop();
  }
}
