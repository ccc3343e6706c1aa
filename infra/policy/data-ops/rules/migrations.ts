/**
 * DATA-OPS stack rule: a service never rolls out before its database migration ran. The program
 * runs migrations as a `command:local:Command` named `*-migration-run` and lists it (or something
 * that depends on it) in every ECS service's `dependsOn`, so the engine orders them.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { asArray, asString, isRecord, parseJsonish } from "../../lib/props";
import { T, isOneOf } from "../../lib/types";

function isMigrationRun(r: PolicyResource): boolean {
  return isOneOf(r.type, T.command) && r.name.endsWith("-migration-run");
}

/** The migration runs reachable through the dependency graph (transitively). */
function migrationRunsBefore(start: PolicyResource): PolicyResource[] {
  const seen = new Set<string>([start.urn]);
  const found: PolicyResource[] = [];
  const queue = [...start.dependencies];
  for (let r = queue.shift(); r; r = queue.shift()) {
    if (seen.has(r.urn)) continue;
    seen.add(r.urn);
    if (isMigrationRun(r)) found.push(r);
    queue.push(...r.dependencies);
  }
  return found;
}

/** `sha256:<hex>` of the first container image of the service's task definition, when known. */
function serviceImageDigest(service: PolicyResource, resources: PolicyResource[]): string | undefined {
  const arn = asString(service.props.taskDefinition);
  if (!arn) return undefined;
  const taskDefinition = resources.find((r) => isOneOf(r.type, T.taskDefinition) && (asString(r.props.arn) === arn || asString(r.props.id) === arn));
  if (!taskDefinition) return undefined;
  const first = asArray(parseJsonish(taskDefinition.props.containerDefinitions)).find(isRecord);
  return asString(first?.image)?.match(/@(sha256:[0-9a-f]{64})$/)?.[1];
}

export const serviceAfterMigration: StackValidationPolicy = {
  name: "DATA-MIG-01-service-after-migration",
  description: "Every ECS service update depends on a database migration run triggered by the image it rolls out.",
  severity: "critical",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const service of args.resources.filter((r) => isOneOf(r.type, T.ecsService))) {
      const runs = migrationRunsBefore(service);
      if (runs.length === 0) {
        report(`Service '${service.name}' can roll out before its migration: add the '<service>-migration-run' command to the service's dependsOn.`, service.urn);
        continue;
      }
      // The run must be one that re-runs for the image being rolled out (its triggers hold the digest).
      const digest = serviceImageDigest(service, args.resources);
      const triggers = runs.flatMap((r) => asArray(r.props.triggers).map((t) => asString(t)));
      if (digest && triggers.length > 0 && !triggers.includes(digest)) {
        report(`Service '${service.name}' rolls out ${digest}, but no migration run before it is triggered by that digest: put the service's image digest in the migration run's triggers.`, service.urn);
      }
    }
  },
};

export const migrationPolicies = [serviceAfterMigration];
