/**
 * DATA-OPS stack rule: a service never rolls out before its database migration ran. The program
 * runs migrations as a `command:local:Command` named `*-migration-run` and lists it (or something
 * that depends on it) in every ECS service's `dependsOn`, so the engine orders them.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { T, isOneOf } from "../../lib/types";

function isMigrationRun(r: PolicyResource): boolean {
  return isOneOf(r.type, T.command) && r.name.endsWith("-migration-run");
}

/** Whether a migration run is reachable through the dependency graph (transitively). */
function dependsOnMigration(start: PolicyResource): boolean {
  const seen = new Set<string>([start.urn]);
  const queue = [...start.dependencies];
  for (let r = queue.shift(); r; r = queue.shift()) {
    if (seen.has(r.urn)) continue;
    seen.add(r.urn);
    if (isMigrationRun(r)) return true;
    queue.push(...r.dependencies);
  }
  return false;
}

export const serviceAfterMigration: StackValidationPolicy = {
  name: "DATA-MIG-01-service-after-migration",
  description: "Every ECS service update depends on a database migration run.",
  severity: "critical",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const service of args.resources.filter((r) => isOneOf(r.type, T.ecsService))) {
      if (!dependsOnMigration(service)) {
        report(`Service '${service.name}' can roll out before its migration: add the '<service>-migration-run' command to the service's dependsOn.`, service.urn);
      }
    }
  },
};

export const migrationPolicies = [serviceAfterMigration];
