/**
 * The `.sql` loader strategy handed to node-pg-migrate's runner. It replaces the built-in SQL
 * loader to (1) send statements one by one, (2) honour `-- migrate:no-transaction` through
 * node-pg-migrate's own `pgm.noTransaction()`, and (3) tag each statement with a comment naming
 * the file and the statement's position (`/* migrate:migrations/<name> up 2/3 *\/`). The tag is
 * what the runner's statement hooks (executor.ts) key on, and what an operator sees in
 * pg_stat_activity while a migration runs.
 */
import { basename } from "node:path";
import { readSqlMigration, type SqlMigrationFile } from "./sql-file";
import type { BundleKind } from "./manifest";
import type { MigrationBuilder } from "./node-pg-migrate";

export const STATEMENT_TAG_RE = /^\/\* migrate:(migrations|seeds)\/(\S+) (up|down) (\d+)\/(\d+) \*\//;

export function tagStatement(kind: BundleKind, name: string, direction: "up" | "down", index: number, total: number, sql: string): string {
  return `/* migrate:${kind}/${name} ${direction} ${index + 1}/${total} */\n${sql}`;
}

type Action = ((pgm: MigrationBuilder) => void) | false;

export function actionsFor(kind: BundleKind, file: SqlMigrationFile): { up: Action; down: Action } {
  const run = (direction: "up" | "down", statements: string[]) => (pgm: MigrationBuilder) => {
    if (!file.transactional) pgm.noTransaction();
    statements.forEach((statement, i) => pgm.sql(tagStatement(kind, file.name, direction, i, statements.length, statement)));
  };
  return { up: run("up", file.up), down: file.reversible ? run("down", file.down) : false };
}

/** A MigrationLoaderStrategy for `.sql` files: the checked files (by name) when known, else read from disk. */
export function sqlLoaderStrategy(kind: BundleKind, checked: ReadonlyMap<string, SqlMigrationFile> = new Map()) {
  return {
    extensions: [".sql"],
    loader: async (filePaths: string[]) =>
      filePaths.map((filePath) => {
        const file = checked.get(basename(filePath, ".sql")) ?? readSqlMigration(filePath);
        return { id: filePath, filePaths: [filePath], actions: actionsFor(kind, file) };
      }),
  };
}
