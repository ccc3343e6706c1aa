/**
 * Where the bundle lives. The same relative layout holds in the repository (src/migrate/*.ts)
 * and in the image (dist/migrate/*.js): two levels up is the backend package root.
 */
import { join, resolve } from "node:path";

export const BACKEND_ROOT = resolve(__dirname, "..", "..");

export interface BundlePaths {
  migrationsDir: string;
  seedsDir: string;
  manifestPath: string;
}

export function defaultBundlePaths(root = BACKEND_ROOT): BundlePaths {
  const migrationsDir = join(root, "migrations");
  return { migrationsDir, seedsDir: join(root, "seeds"), manifestPath: join(migrationsDir, "manifest.json") };
}

/** node-pg-migrate bookkeeping tables (excluded from schema comparisons). */
export const MIGRATIONS_TABLE = "pgmigrations";
export const SEEDS_TABLE = "pgmigrations_seeds";
export const CHECKSUMS_TABLE = "pgmigrations_checksums";
export const BOOKKEEPING_TABLES = [MIGRATIONS_TABLE, SEEDS_TABLE, CHECKSUMS_TABLE] as const;

/** Files node-pg-migrate must ignore in the bundle directories: dotfiles and anything not `.sql`. */
export const IGNORE_PATTERN = "(?:\\..*|(?!.*\\.sql$).*)";

/** Migration and seed file names: `<14-digit UTC timestamp>_<snake_case_name>.sql`. */
export const FILE_NAME_RE = /^(\d{14})_([a-z0-9_]+)\.sql$/;
