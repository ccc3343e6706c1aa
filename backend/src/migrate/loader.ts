/**
 * The `.sql` loader strategy handed to node-pg-migrate's runner. It replaces the built-in SQL
 * loader to (1) send statements one by one, (2) honour `-- migrate:no-transaction`
 * through node-pg-migrate's own `pgm.noTransaction()`, and (3) record each file's sha256 in the
 * same transaction as the migration itself, so the database remembers what it ran.
 */
import { CHECKSUMS_TABLE } from "./paths";
import type { BundleKind } from "./manifest";
import { readSqlMigration, type SqlMigrationFile } from "./sql-file";
import type { MigrationBuilder } from "./node-pg-migrate";

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function checksumTableDdl(): string {
  return `CREATE TABLE IF NOT EXISTS ${CHECKSUMS_TABLE} (kind text NOT NULL, name text NOT NULL, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (kind, name))`;
}

function recordChecksum(kind: BundleKind, file: SqlMigrationFile): string {
  return `INSERT INTO ${CHECKSUMS_TABLE} (kind, name, sha256) VALUES (${literal(kind)}, ${literal(file.name)}, ${literal(file.sha256)}) ON CONFLICT (kind, name) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now()`;
}

function forgetChecksum(kind: BundleKind, file: SqlMigrationFile): string {
  return `DELETE FROM ${CHECKSUMS_TABLE} WHERE kind = ${literal(kind)} AND name = ${literal(file.name)}`;
}

type Action = ((pgm: MigrationBuilder) => void) | false;

export function actionsFor(kind: BundleKind, file: SqlMigrationFile): { up: Action; down: Action } {
  const run = (statements: string[], bookkeeping: string) => (pgm: MigrationBuilder) => {
    if (!file.transactional) pgm.noTransaction();
    for (const statement of statements) pgm.sql(statement);
    pgm.sql(bookkeeping);
  };
  return {
    up: run(file.up, recordChecksum(kind, file)),
    down: file.reversible ? run(file.down, forgetChecksum(kind, file)) : false,
  };
}

/** A MigrationLoaderStrategy for `.sql` files of the given bundle kind. */
export function sqlLoaderStrategy(kind: BundleKind) {
  return {
    extensions: [".sql"],
    loader: async (filePaths: string[]) =>
      filePaths.map((filePath) => {
        const file = readSqlMigration(filePath);
        return { id: filePath, filePaths: [filePath], actions: actionsFor(kind, file) };
      }),
  };
}
