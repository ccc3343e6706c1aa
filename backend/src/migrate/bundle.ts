/**
 * The bundle a runner carries: its migrations and seeds, checked against the committed manifest,
 * in ONE order — the timestamp in the file name, seeds and migrations interleaved — used alike by
 * `plan`, `up`, `down`, `status`, `verify` and the release's verify step. A seed that a later
 * migration relies on (e.g. a constraint it VALIDATEs) therefore runs before that migration
 * everywhere, on an empty database as in production.
 */
import { readFileSync } from "node:fs";
import { type BundleKind, checkBundle, readManifest } from "./manifest";
import type { BundlePaths } from "./paths";
import { sha256, type SqlMigrationFile } from "./sql-file";

export interface BundleStep {
  kind: BundleKind;
  file: SqlMigrationFile;
}

export interface CheckedBundle {
  paths: BundlePaths;
  /** sha256 of the manifest: identifies the bundle (and so the release) that applied a file. */
  id: string;
  migrations: SqlMigrationFile[];
  seeds: SqlMigrationFile[];
  steps: BundleStep[];
}

/** Migrations and seeds in one timestamp order (the name starts with it); a migration first on a tie. */
export function orderSteps(migrations: SqlMigrationFile[], seeds: SqlMigrationFile[]): BundleStep[] {
  const steps: BundleStep[] = [...migrations.map((file) => ({ kind: "migrations" as const, file })), ...seeds.map((file) => ({ kind: "seeds" as const, file }))];
  return steps.sort((a, b) => (a.file.name < b.file.name ? -1 : a.file.name > b.file.name ? 1 : a.kind === b.kind ? 0 : a.kind === "migrations" ? -1 : 1));
}

/** Reads and checks the bundle (throws MigrationRefusedError when files and manifest disagree). */
export function loadCheckedBundle(paths: BundlePaths): CheckedBundle {
  const manifest = readManifest(paths.manifestPath);
  const migrations = checkBundle(paths, "migrations", manifest);
  const seeds = checkBundle(paths, "seeds", manifest);
  return { paths, id: sha256(readFileSync(paths.manifestPath)), migrations, seeds, steps: orderSteps(migrations, seeds) };
}

export function stepKey(kind: BundleKind, name: string): string {
  return `${kind}/${name}`;
}
