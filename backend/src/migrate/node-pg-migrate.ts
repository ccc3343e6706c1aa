/**
 * node-pg-migrate 9 ships ESM only, with types reachable through `exports` alone. The repository
 * compiles to CommonJS with node10 resolution, so types come from the bundle's declaration file
 * and the module is loaded at run time (Node >= 20.19 loads ESM from CommonJS natively).
 */
import type * as NodePgMigrate from "node-pg-migrate/dist/bundle/index";

export type { MigrationBuilder, RunnerOption } from "node-pg-migrate/dist/bundle/index";

const MODULE: string = "node-pg-migrate";
let loaded: Promise<typeof NodePgMigrate> | undefined;

export function loadNodePgMigrate(): Promise<typeof NodePgMigrate> {
  loaded ??= import(MODULE) as Promise<typeof NodePgMigrate>;
  return loaded;
}
