/**
 * The committed sha256 manifest of the bundle (migrations and seeds). It pins what each file
 * contained when it was reviewed; the runner refuses to run when the files and the manifest
 * disagree, so an edit to a shipped migration cannot slip into a release unnoticed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { type BundlePaths, FILE_NAME_RE } from "./paths";
import { readSqlMigration, type SqlMigrationFile } from "./sql-file";

export type BundleKind = "migrations" | "seeds";

const entrySchema = z.object({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
const manifestSchema = z.object({
  algorithm: z.literal("sha256"),
  migrations: z.array(entrySchema),
  seeds: z.array(entrySchema),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof entrySchema>;

/** The bundle could not be trusted: the files, the manifest or the database disagree. Exit 1. */
export class MigrationRefusedError extends Error {
  override readonly name = "MigrationRefusedError";
  constructor(
    readonly summary: string,
    readonly problems: string[],
  ) {
    super(`${summary}:\n  - ${problems.join("\n  - ")}`);
  }
}

/** The `.sql` files of a bundle directory, in run order (timestamp prefix, then name). */
export function listSqlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql") && !f.startsWith("."))
    .sort()
    .map((f) => join(dir, f));
}

export function loadBundle(dir: string): SqlMigrationFile[] {
  return listSqlFiles(dir).map(readSqlMigration);
}

export function buildManifest(paths: BundlePaths): Manifest {
  const entries = (dir: string): ManifestEntry[] => loadBundle(dir).map((m) => ({ name: m.name, sha256: m.sha256 }));
  return { algorithm: "sha256", migrations: entries(paths.migrationsDir), seeds: entries(paths.seedsDir) };
}

/** (Re)writes the manifest from the files on disk; returns it. */
export function writeManifest(paths: BundlePaths): Manifest {
  const problems = [...listSqlFiles(paths.migrationsDir), ...listSqlFiles(paths.seedsDir)]
    .map((p) => basename(p))
    .filter((f) => !FILE_NAME_RE.test(f))
    .map((f) => `${f}: file names must look like <YYYYMMDDHHMMSS>_<snake_case>.sql`);
  if (problems.length > 0) throw new MigrationRefusedError("bad migration file names", problems);
  const manifest = buildManifest(paths);
  writeFileSync(paths.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export function readManifest(path: string): Manifest {
  if (!existsSync(path)) {
    throw new MigrationRefusedError(`migration manifest ${path} is missing`, ["run `npm run cli -- migrate manifest` and commit it"]);
  }
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    throw new MigrationRefusedError(`migration manifest ${path} is malformed`, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  return parsed.data;
}

/**
 * Compares the files on disk with the manifest. Returns the loaded files when they agree; throws
 * MigrationRefusedError listing every edited, missing, unlisted or misnamed file otherwise.
 */
export function checkBundle(paths: BundlePaths, kind: BundleKind, manifest = readManifest(paths.manifestPath)): SqlMigrationFile[] {
  const dir = kind === "migrations" ? paths.migrationsDir : paths.seedsDir;
  const files = loadBundle(dir);
  const expected = manifest[kind];
  const problems: string[] = [];
  const onDisk = new Map(files.map((f) => [f.name, f]));
  const listed = new Set(expected.map((e) => e.name));
  for (const f of files) {
    if (!FILE_NAME_RE.test(`${f.name}.sql`)) problems.push(`${f.name}.sql: file names must look like <YYYYMMDDHHMMSS>_<snake_case>.sql`);
  }
  for (const entry of expected) {
    const file = onDisk.get(entry.name);
    if (!file) problems.push(`${entry.name}.sql is listed in the manifest but missing from ${kind}/`);
    else if (file.sha256 !== entry.sha256) {
      problems.push(`${entry.name}.sql was edited after it was recorded (sha256 ${file.sha256.slice(0, 12)}… ≠ manifest ${entry.sha256.slice(0, 12)}…): never edit a shipped migration, add a new one`);
    }
  }
  for (const f of files) if (!listed.has(f.name)) problems.push(`${f.name}.sql is not in the manifest: run \`npm run cli -- migrate manifest\` and commit it`);
  const names = expected.map((e) => e.name);
  const sorted = [...names].sort();
  if (names.join("\n") !== sorted.join("\n")) problems.push(`the manifest lists ${kind} out of timestamp order`);
  if (problems.length > 0) throw new MigrationRefusedError(`the ${kind} bundle does not match ${basename(paths.manifestPath)}`, problems);
  return files;
}
