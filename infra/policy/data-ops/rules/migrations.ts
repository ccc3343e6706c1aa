/**
 * DATA-OPS stack rule: a service never rolls out before its database migration ran. The program
 * runs migrations as a `command:local:Command` named `*-migration-run` and lists it (or something
 * that depends on it) in every ECS service's `dependsOn`, so the engine orders them.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, isRecord, known, parseJsonish } from "../../lib/props";
import { configOf } from "../../lib/rule";
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

const DIGEST = /@?(sha256:[0-9a-f]{64})$/;

/** `sha256:<hex>` of each container image of a task definition, when known. */
function imageDigests(taskDefinition: PolicyResource): string[] {
  const defs = known(() => parseJsonish(taskDefinition.props.containerDefinitions));
  return asArray(defs).filter(isRecord).flatMap((c) => asString(c.image)?.match(DIGEST)?.[1] ?? []);
}

/** `sha256:<hex>` of the first container image of the service's task definition, when known. */
function serviceImageDigest(service: PolicyResource, resources: PolicyResource[]): string | undefined {
  const arn = asString(service.props.taskDefinition);
  if (!arn) return undefined;
  const taskDefinition = resources.find((r) => isOneOf(r.type, T.taskDefinition) && (asString(r.props.arn) === arn || asString(r.props.id) === arn));
  return taskDefinition ? imageDigests(taskDefinition)[0] : undefined;
}

export const serviceAfterMigration: StackValidationPolicy = {
  name: "DATA-MIG-01-service-after-migration",
  description: "Every ECS service update depends on a database migration run triggered by the image it rolls out.",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ docType: "command:local:Command" }),
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
        report(
          `Service '${service.name}' rolls out ${digest}, but the migration run before it ran for ${triggers.filter((t) => t?.startsWith("sha256:")).join(", ") || "another image"}: deploy the one approved digest (images.digests.<service> of the stack config) to the service and its migration run alike; editing the run's triggers would only hide an image that was never migrated for, or promoted.`,
          service.urn,
        );
      }
    }
  },
};

interface PromotionConfig {
  required: boolean;
}

/**
 * Digests the stack promotes: the pulled source (`…@sha256:`), the pushed image's trigger, the
 * tag's source — or a registry-to-registry copy run as a command whose PROMOTION_SOURCE names the
 * source by digest (infra/promotion/copy-image.ts).
 */
function promotedDigests(resources: PolicyResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources.filter((x) => x.type === "command:local:Command")) {
    const source = known(() => asRecord(r.props.environment).PROMOTION_SOURCE);
    const d = typeof source === "string" ? source.match(DIGEST)?.[1] : undefined;
    if (d) out.add(d);
  }
  for (const r of resources.filter((x) => isOneOf(x.type, T.dockerPromotion))) {
    const values = known(() => [r.props.name, r.props.sourceImage, asRecord(r.props.triggers).digest, r.props.repoDigest, r.props.sha256Digest]) ?? [];
    for (const v of values) {
      const d = typeof v === "string" ? v.match(DIGEST)?.[1] : undefined;
      if (d) out.add(d);
    }
  }
  return out;
}

export const deployPromotedImages: StackValidationPolicy = {
  name: "DATA-REL-01-promoted-images",
  description: "On stacks whose policy config requires promotion (production tier), every task definition runs a digest the stack promotes from the validated stage (build once, promote the digest).",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ docType: "docker:index/registryImage:RegistryImage" }),
  configSchema: {
    properties: { required: { type: "boolean", default: true, description: "Require every task definition image to be a digest promoted by this stack." } },
  },
  validateStack: (args, report) => {
    const { required } = configOf<PromotionConfig>(args, { required: true });
    if (!required) return;
    const promoted = promotedDigests(args.resources);
    for (const td of args.resources.filter((r) => isOneOf(r.type, T.taskDefinition))) {
      for (const digest of imageDigests(td).filter((d) => !promoted.has(d))) {
        report(
          promoted.size === 0
            ? `Task definition '${td.name}' runs ${digest}, but this stack promotes no image: set images.source to 'promote' with the digest staging validated (images.digests.<service>), so what runs is what was approved.`
            : `Task definition '${td.name}' runs ${digest}, which is not a digest this stack promotes (${[...promoted].join(", ")}): run the promoted image, and change images.digests.<service> in the stack config only to a digest staging validated.`,
          td.urn,
        );
      }
    }
  },
};

export const migrationPolicies = [serviceAfterMigration, deployPromotedImages];
