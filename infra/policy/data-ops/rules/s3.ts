/**
 * DATA-OPS S3 rules, all stack-level: versioning, lifecycle and logging may be inline on the
 * bucket or split resources joined to it; the release archive bucket (tag
 * `purpose: release-archive`) must carry versioning and object lock as split resources.
 */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord, asString } from "../../lib/props";
import { configOf } from "../../lib/rule";
import { isArchiveBucket, isTarget, joinBuckets, lbLogTargets, type JoinedBucket } from "../../lib/s3join";

function eachBucket(joined: JoinedBucket[], report: ReportViolation, check: (b: JoinedBucket) => string | undefined): void {
  for (const b of joined) {
    const message = check(b);
    if (message) report(message, b.bucket.urn);
  }
}

function versioningEnabled(bucket: PolicyResource, parts: PolicyResource[]): boolean {
  const inline = [asRecord(bucket.props.versioning), ...asArray(bucket.props.versionings).map(asRecord)].some((v) => v.enabled === true);
  return inline || parts.some((p) => asRecord(p.props.versioningConfiguration).status === "Enabled");
}

export const s3Versioning: StackValidationPolicy = {
  name: "DATA-S3-01-versioning",
  description: "Every S3 bucket keeps object versions, so an overwrite or delete can be undone.",
  severity: "high",
  enforcementLevel: "mandatory",
  validateStack: (args, report) =>
    eachBucket(joinBuckets(args.resources), report, ({ bucket, parts }) =>
      versioningEnabled(bucket, parts.versioning) ? undefined : `Bucket '${bucket.name}' is not versioned: add a BucketVersioning with versioningConfiguration.status 'Enabled'.`,
    ),
};

interface LockConfig {
  mode: string;
  minRetentionDays: number;
}

function retentionDays(rule: Record<string, unknown>): number {
  const retention = asRecord(asRecord(rule).defaultRetention);
  return Number(retention.days ?? 0) + Number(retention.years ?? 0) * 365;
}

export const s3ArchiveObjectLock: StackValidationPolicy = {
  name: "DATA-S3-02-archive-object-lock",
  description: "The release archive bucket locks every object (WORM) for a minimum retention.",
  severity: "critical",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      mode: { type: "string", enum: ["COMPLIANCE", "GOVERNANCE"], default: "COMPLIANCE", description: "Weakest accepted default retention mode (COMPLIANCE always passes)." },
      minRetentionDays: { type: "integer", minimum: 1, default: 30, description: "Minimum default retention in days." },
    },
  },
  validateStack: (args, report) => {
    const { mode, minRetentionDays } = configOf<LockConfig>(args, { mode: "COMPLIANCE", minRetentionDays: 30 });
    const archives = joinBuckets(args.resources).filter((b) => isArchiveBucket(b.bucket));
    eachBucket(archives, report, ({ bucket, parts }) => {
      if (bucket.props.objectLockEnabled !== true) return `Archive bucket '${bucket.name}' is created without object lock: set objectLockEnabled to true on the bucket.`;
      const rules = parts.objectLock.map((p) => asRecord(p.props.rule));
      if (rules.length === 0) return undefined; // DATA-S3-03 reports the missing resource
      // COMPLIANCE is the stronger mode: it satisfies a GOVERNANCE requirement too.
      const modeOk = (m: string | undefined): boolean => m === mode || m === "COMPLIANCE";
      const ok = rules.some((r) => modeOk(asString(asRecord(r.defaultRetention).mode)) && retentionDays(r) >= minRetentionDays);
      return ok ? undefined : `Archive bucket '${bucket.name}' object lock is weaker than required: set rule.defaultRetention to mode '${mode}' with at least ${minRetentionDays} days.`;
    });
  },
};

export const s3ArchiveResourcesJoined: StackValidationPolicy = {
  name: "DATA-S3-03-archive-versioning-and-lock-resources",
  description: "The release archive bucket exists, and its versioning and object lock are declared as resources joined to it.",
  severity: "critical",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const joined = joinBuckets(args.resources);
    const archives = joined.filter((b) => isArchiveBucket(b.bucket));
    const services = args.resources.filter((r) => r.type === "aws:ecs/service:Service");
    const first = services[0];
    if (archives.length === 0 && first) {
      report("No release archive bucket in a stack that deploys services: declare the archive bucket with tag purpose 'release-archive'.", first.urn);
    }
    eachBucket(archives, report, ({ bucket, parts }) => {
      const missing = [
        parts.versioning.some((p) => asRecord(p.props.versioningConfiguration).status === "Enabled") ? undefined : "BucketVersioning (status 'Enabled')",
        parts.objectLock.some((p) => p.props.objectLockEnabled === "Enabled" || p.props.objectLockEnabled === undefined) ? undefined : "BucketObjectLockConfiguration",
      ].filter((m): m is string => m !== undefined);
      return missing.length > 0 ? `Archive bucket '${bucket.name}' lacks ${missing.join(" and ")} joined to it: declare ${missing.length > 1 ? "them" : "it"} with bucket set to the archive bucket.` : undefined;
    });
  },
};

function lifecycleEnabled(bucket: PolicyResource, parts: PolicyResource[]): boolean {
  const inline = asArray(bucket.props.lifecycleRules).some((r) => asRecord(r).enabled === true);
  return inline || parts.some((p) => asArray(p.props.rules).some((r) => asRecord(r).status === "Enabled"));
}

export const s3Lifecycle: StackValidationPolicy = {
  name: "DATA-S3-04-lifecycle-rules",
  description: "Every S3 bucket has an enabled lifecycle rule (expiry of old versions, incomplete uploads).",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateStack: (args, report) =>
    eachBucket(joinBuckets(args.resources), report, ({ bucket, parts }) =>
      lifecycleEnabled(bucket, parts.lifecycle) ? undefined : `Bucket '${bucket.name}' has no enabled lifecycle rule: add a BucketLifecycleConfiguration with at least one rule whose status is 'Enabled'.`,
    ),
};

export const s3AccessLogging: StackValidationPolicy = {
  name: "DATA-S3-05-access-logging",
  description: "Every S3 bucket logs access to a log bucket (log buckets, including load balancer log buckets, are exempt).",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const joined = joinBuckets(args.resources);
    // A bucket named as some bucket's log target is a log bucket; logging it into itself loops.
    const targets = new Set<string>(
      joined.flatMap(({ bucket, parts }) => [
        ...parts.logging.flatMap((p) => (p.propertyDependencies?.targetBucket ?? []).map((d) => d.urn)),
        ...parts.logging.map((p) => asString(p.props.targetBucket)),
        asString(asRecord(bucket.props.logging).targetBucket),
        ...asArray(bucket.props.loggings).map((l) => asString(asRecord(l).targetBucket)),
      ].filter((t): t is string => t !== undefined)),
    );
    for (const t of lbLogTargets(args.resources)) targets.add(t);
    eachBucket(joined, report, ({ bucket, parts }) => {
      if (isTarget(bucket, targets)) return undefined;
      const inline = asString(asRecord(bucket.props.logging).targetBucket) ?? asArray(bucket.props.loggings).map((l) => asString(asRecord(l).targetBucket)).find(Boolean);
      const ok = inline !== undefined || parts.logging.some((p) => asString(p.props.targetBucket) !== undefined);
      return ok ? undefined : `Bucket '${bucket.name}' does not log access: add a BucketLogging with targetBucket set to the access-log bucket.`;
    });
  },
};

export const s3Policies = [s3Versioning, s3ArchiveObjectLock, s3ArchiveResourcesJoined, s3Lifecycle, s3AccessLogging];
