/**
 * DATA-OPS rules on deletion and retention outside S3: KMS keys and secrets keep a recovery
 * window, released images survive ECR lifecycle rules and repository deletion, and stateful
 * resources of production-tier stacks carry Pulumi's `protect` option.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, globMatch, isRecord, parseJsonish, tagsOf } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T, isOneOf } from "../../lib/types";

interface WindowConfig {
  minimumDays: number;
}

export const kmsDeletionWindow: ResourceValidationPolicy = {
  name: "DATA-KMS-01-deletion-window",
  description: "KMS keys stay enabled and, once scheduled for deletion, recoverable for at least the configured number of days.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["KMS.3"] }),
  configSchema: {
    properties: { minimumDays: { type: "integer", minimum: 7, maximum: 30, default: 30, description: "Minimum deletionWindowInDays (AWS allows 7-30; unset means 30)." } },
  },
  validateResource: forTypes(T.kmsKeys, (props, args, report) => {
    const { minimumDays } = configOf<WindowConfig>(args, { minimumDays: 30 });
    const days = Number(props.deletionWindowInDays ?? 30);
    if (days < minimumDays) report(`KMS key '${args.name}' can be destroyed ${days} days after someone schedules its deletion: set deletionWindowInDays to ${minimumDays}.`);
    const key = isOneOf(args.type, ["aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey"]) ? "enabled" : "isEnabled";
    if (props[key] === false) report(`KMS key '${args.name}' is disabled, so nothing it encrypts can be read: set ${key} to true.`);
  }),
};

export const secretRecoveryWindow: ResourceValidationPolicy = {
  name: "DATA-SM-01-recovery-window",
  description: "Deleted secrets stay recoverable for at least the configured number of days (never force-deleted).",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:secretsmanager/secret:Secret" }),
  configSchema: {
    properties: { minimumDays: { type: "integer", minimum: 0, maximum: 30, default: 30, description: "Minimum recoveryWindowInDays (AWS allows 0 or 7-30; unset means 30). 0 only for disposable non-production stacks that tear down and re-create their secrets." } },
  },
  validateResource: forTypes(T.secret, (props, args, report) => {
    const { minimumDays } = configOf<WindowConfig>(args, { minimumDays: 30 });
    const days = Number(props.recoveryWindowInDays ?? 30);
    if (days < minimumDays) report(`Secret '${args.name}' ${days === 0 ? "is deleted at once, without recovery" : `can be recovered for only ${days} days after deletion`}: set recoveryWindowInDays to ${minimumDays}.`);
  }),
};

interface ReleaseImageConfig {
  releaseTagPrefixes: string[];
  minimumReleaseImages: number;
}

/** Whether an ECR lifecycle selection can match an image tagged like a release (`v1.4.0-g<sha>`). */
function selectsReleases(selection: Record<string, unknown>, releasePrefixes: string[]): boolean {
  const status = String(selection.tagStatus ?? "").toLowerCase();
  if (status === "any") return true;
  if (status !== "tagged") return false;
  const prefixes = asArray(selection.tagPrefixList).map(String);
  const patterns = asArray(selection.tagPatternList).map(String);
  const sample = (p: string): string => `${p}1.0.0-g0123456789ab`;
  return releasePrefixes.some((r) => prefixes.some((p) => sample(r).startsWith(p) || p.startsWith(r)) || patterns.some((p) => globMatch(p, sample(r)) || p.startsWith(r)));
}

export const ecrKeepsReleasedImages: ResourceValidationPolicy = {
  name: "DATA-ECR-01-keep-released-images",
  description: "ECR lifecycle rules never expire released (release-tagged) images by age, and keep at least the configured number of them.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:ecr/lifecyclePolicy:LifecyclePolicy" }),
  configSchema: {
    properties: {
      releaseTagPrefixes: { type: "array", items: { type: "string" }, default: ["v"], description: "Tag prefixes of released images (the release tag is v<version>-g<sha>)." },
      minimumReleaseImages: { type: "integer", minimum: 1, default: 100, description: "Released images a count-based rule must keep." },
    },
  },
  validateResource: forTypes([...T.ecrLifecyclePolicy, ...T.ecrCreationTemplate], (props, args, report) => {
    const { releaseTagPrefixes, minimumReleaseImages } = configOf<ReleaseImageConfig>(args, { releaseTagPrefixes: ["v"], minimumReleaseImages: 100 });
    const doc = parseJsonish(isOneOf(args.type, T.ecrCreationTemplate) ? props.lifecyclePolicy : props.policy);
    const rules = isRecord(doc) ? asArray(doc.rules).map(asRecord) : [];
    for (const rule of rules) {
      const selection = asRecord(rule.selection);
      if (String(asRecord(rule.action).type ?? "expire") !== "expire" || !selectsReleases(selection, releaseTagPrefixes)) continue;
      const id = `rule ${String(rule.rulePriority ?? "?")}${rule.description ? ` ('${String(rule.description)}')` : ""}`;
      const count = Number(selection.countNumber);
      if (selection.countType === "sinceImagePushed") {
        report(`Lifecycle policy '${args.name}' ${id} expires released images ${count} ${String(selection.countUnit ?? "days")} after push: expire release tags (${releaseTagPrefixes.join(", ")}*) only by count (imageCountMoreThan ≥ ${minimumReleaseImages}), or restrict the rule to untagged images.`);
      } else if (count < minimumReleaseImages) {
        report(`Lifecycle policy '${args.name}' ${id} keeps only ${count} released images: set countNumber to at least ${minimumReleaseImages}, so a rollback target is never expired.`);
      }
    }
  }),
};

export const ecrNoForceDelete: ResourceValidationPolicy = {
  name: "DATA-ECR-02-no-force-delete",
  description: "No ECR repository can be deleted together with the images in it, and no pushed release image is deleted from the registry with its Pulumi resource.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:ecr/repository:Repository" }),
  validateResource: forTypes([...T.ecrRepository, "docker:index/registryImage:RegistryImage"], (props, args, report) => {
    if (isOneOf(args.type, T.ecrRepository)) {
      if (props.forceDelete === true) report(`Repository '${args.name}' would be deleted with every released image in it: set forceDelete to false.`);
    } else if (props.keepRemotely !== true) {
      report(`Pushed image '${args.name}' would be deleted from the registry when the resource is replaced or removed (the release's rollback target): set keepRemotely to true.`);
    }
  }),
};

interface ProtectConfig {
  required: boolean;
}

/** Resources whose loss loses data or the means to read it. */
const STATEFUL = [...T.rdsInstance, ...T.rdsCluster, ...T.kmsKeys, ...T.ecrRepository, ...T.bucket];

export const statefulProtected: ResourceValidationPolicy = {
  name: "DATA-DEL-01-stateful-protected",
  description: "On stacks whose policy config requires it (production tier), databases, KMS keys, ECR repositories and the release archive carry Pulumi's protect option, so no update or destroy deletes them.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:rds/instance:Instance" }),
  configSchema: {
    properties: { required: { type: "boolean", default: true, description: "Require protect on stateful resources." } },
  },
  validateResource: forTypes(STATEFUL, (props, args, report) => {
    const { required } = configOf<ProtectConfig>(args, { required: true });
    if (!required) args.notApplicable("protect is not required on this stack");
    // Of the buckets, the release archive holds what cannot be rebuilt; log buckets expire by design.
    if (isOneOf(args.type, T.bucket) && tagsOf(props).purpose !== "release-archive") return;
    if (args.opts.protect !== true) report(`'${args.name}' (${asString(args.type.split(":").pop()) ?? args.type}) is not protected: declare it with the resource option protect: true (the stack's protectStateful setting), so no 'pulumi up' or 'destroy' can delete it.`);
  }),
};

export const retentionPolicies = [kmsDeletionWindow, secretRecoveryWindow, ecrKeepsReleasedImages, ecrNoForceDelete, statefulProtected];
