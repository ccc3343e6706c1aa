/**
 * DATA-OPS S3 rules, all stack-level: versioning, lifecycle and logging may be inline on the
 * bucket or split resources joined to it; the release archive bucket (tag
 * `purpose: release-archive`) must carry versioning and object lock as split resources.
 */
import type { PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, known } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { isArchiveBucket, isTarget, joinBuckets, lbLogTargets, type JoinedBucket } from "../../lib/s3join";
import { T, isOneOf } from "../../lib/types";

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
  ...controls({ fsbp: ["S3.14"] }),
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
  ...controls({ fsbp: ["S3.15"] }),
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
  ...controls({ fsbp: ["S3.14", "S3.15"] }),
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
  ...controls({ fsbp: ["S3.13", "S3.10"] }),
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
  ...controls({ fsbp: ["S3.9"] }),
  validateStack: (args, report) => {
    const joined = joinBuckets(args.resources);
    // A bucket named as some bucket's log target is a log bucket; logging it into itself loops.
    const targets = logTargets(joined, args.resources);
    eachBucket(joined, report, ({ bucket, parts }) => {
      if (isTarget(bucket, targets)) return undefined;
      const inline = asString(asRecord(bucket.props.logging).targetBucket) ?? asArray(bucket.props.loggings).map((l) => asString(asRecord(l).targetBucket)).find(Boolean);
      const ok = inline !== undefined || parts.logging.some((p) => asString(p.props.targetBucket) !== undefined);
      return ok ? undefined : `Bucket '${bucket.name}' does not log access: add a BucketLogging with targetBucket set to the access-log bucket.`;
    });
  },
};

const BUCKET_OBJECTS = ["aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject"];

/** Tags the release archive stamps on every object (infra/components/release-archive.ts). */
export const RELEASE_OBJECT_TAG_KEYS = ["environment", "purpose", "owner", "data-classification", "service", "release-version", "git-sha", "sha256", "image-digest"];

interface ArchiveExpiryConfig {
  releasePrefixes: string[];
}

interface LifecycleFilter {
  prefix: string;
  tags: Record<string, string>;
}

/** A lifecycle rule's object filter, from `filter` (prefix, tag, and) or the legacy `prefix`/`tags`. */
function filterOf(rule: Record<string, unknown>): LifecycleFilter {
  const filter = asRecord(rule.filter);
  const and = asRecord(filter.and);
  const tag = asRecord(filter.tag);
  const tags: Record<string, string> = { ...(asRecord(and.tags) as Record<string, string>), ...(asRecord(rule.tags) as Record<string, string>) };
  if (typeof tag.key === "string") tags[tag.key] = String(tag.value ?? "");
  return { prefix: asString(filter.prefix) ?? asString(and.prefix) ?? asString(rule.prefix) ?? "", tags };
}

/** Whether a filter can select an object under one of the release prefixes, with the tags release objects carry. */
function selectsReleases(f: LifecycleFilter, releasePrefixes: string[], objectTags: Array<Record<string, string>>): boolean {
  const prefixOverlaps = releasePrefixes.some((p) => p.startsWith(f.prefix) || f.prefix.startsWith(p));
  if (!prefixOverlaps) return false;
  const wanted = Object.entries(f.tags);
  if (wanted.length === 0) return true;
  // Declared objects: does any carry the filter's tags? Otherwise: can release objects carry these keys at all?
  if (objectTags.length > 0) return objectTags.some((t) => wanted.every(([k, v]) => t[k] === v));
  return wanted.every(([k, v]) => RELEASE_OBJECT_TAG_KEYS.includes(k) && (k !== "purpose" || v === "release-archive"));
}

/** An expiration of current versions: by age or date (removing expired delete markers is housekeeping). */
function expiresCurrent(rule: Record<string, unknown>): string | undefined {
  const e = asArray(rule.expiration).map(asRecord).find((x) => x.days !== undefined || x.date !== undefined);
  if (!e) return undefined;
  return e.days !== undefined ? `after ${String(e.days)} days` : `on ${String(e.date)}`;
}

export const s3ArchiveNeverExpires: StackValidationPolicy = {
  name: "DATA-S3-06-archive-never-expires",
  description: "No enabled lifecycle rule of the release archive expires objects under the release prefix (what was signed stays retrievable).",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.15"], docType: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration" }),
  configSchema: {
    properties: { releasePrefixes: { type: "array", items: { type: "string" }, default: ["releases/"], description: "Key prefixes the release archive stores releases under." } },
  },
  validateStack: (args, report) => {
    const { releasePrefixes } = configOf<ArchiveExpiryConfig>(args, { releasePrefixes: ["releases/"] });
    const objects = args.resources.filter((r) => isOneOf(r.type, BUCKET_OBJECTS));
    for (const { bucket, parts } of joinBuckets(args.resources).filter((b) => isArchiveBucket(b.bucket))) {
      const names = [known(() => asString(bucket.props.bucket)), known(() => asString(bucket.props.id))].filter(Boolean);
      const objectTags = objects.filter((o) => names.includes(known(() => asString(o.props.bucket)))).map((o) => (known(() => asRecord(o.props.tags)) ?? {}) as Record<string, string>);
      const inline = asArray(bucket.props.lifecycleRules).map(asRecord).filter((r) => r.enabled === true).map((r) => ({ rule: r, on: bucket }));
      const split = parts.lifecycle.flatMap((p) => asArray(p.props.rules).map(asRecord).filter((r) => r.status === "Enabled").map((r) => ({ rule: r, on: p })));
      for (const { rule, on } of [...inline, ...split]) {
        const when = expiresCurrent(rule);
        if (!when || !selectsReleases(filterOf(rule), releasePrefixes, objectTags)) continue;
        const f = filterOf(rule);
        report(`Lifecycle rule '${asString(rule.id) ?? "(unnamed)"}' of archive bucket '${bucket.name}' expires ${f.prefix ? `objects under '${f.prefix}'` : "every object"} ${when}, including the releases under ${releasePrefixes.join(", ")}: remove its expiration, or narrow its filter to a prefix outside ${releasePrefixes.join(", ")}.`, on.urn);
      }
    }
  },
};

export const s3NoForceDestroy: ResourceValidationPolicy = {
  name: "DATA-S3-07-no-force-destroy",
  description: "No bucket can be deleted together with its objects (forceDestroy), least of all the release archive; no object's deletion bypasses its lock.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:s3/bucket:Bucket" }),
  validateResource: forTypes([...T.bucket, ...BUCKET_OBJECTS], (props, args, report) => {
    if (props.forceDestroy !== true) return;
    if (isOneOf(args.type, BUCKET_OBJECTS)) report(`Object '${args.name}' would be deleted bypassing its object lock (governance retention): set forceDestroy to false.`);
    else report(`Bucket '${args.name}' would be deleted with every object in it: set forceDestroy to false.`);
  }),
};

/** Buckets other buckets or load balancers write their access logs into. */
function logTargets(joined: JoinedBucket[], resources: PolicyResource[]): Set<string> {
  const targets = new Set<string>(
    joined.flatMap(({ bucket, parts }) =>
      [
        ...parts.logging.flatMap((p) => (p.propertyDependencies?.targetBucket ?? []).map((d) => d.urn)),
        ...parts.logging.map((p) => asString(p.props.targetBucket)),
        asString(asRecord(bucket.props.logging).targetBucket),
        ...asArray(bucket.props.loggings).map((l) => asString(asRecord(l).targetBucket)),
      ].filter((t): t is string => t !== undefined),
    ),
  );
  for (const t of lbLogTargets(resources)) targets.add(t);
  return targets;
}

interface LogRetentionConfig {
  minimumDays: number;
}

export const s3LogRetention: StackValidationPolicy = {
  name: "DATA-S3-08-access-log-retention",
  description: "Buckets that receive access logs (S3 server access logs, load balancer logs) keep them at least the configured number of days.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["CloudWatch.16"], docType: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration" }),
  configSchema: {
    properties: { minimumDays: { type: "integer", minimum: 1, default: 90, description: "Minimum days before a lifecycle rule may expire access logs." } },
  },
  validateStack: (args, report) => {
    const { minimumDays } = configOf<LogRetentionConfig>(args, { minimumDays: 90 });
    const joined = joinBuckets(args.resources);
    const targets = logTargets(joined, args.resources);
    for (const { bucket, parts } of joined.filter((b) => isTarget(b.bucket, targets))) {
      const inline = asArray(bucket.props.lifecycleRules).map(asRecord).filter((r) => r.enabled === true).map((r) => ({ rule: r, on: bucket }));
      const split = parts.lifecycle.flatMap((p) => asArray(p.props.rules).map(asRecord).filter((r) => r.status === "Enabled").map((r) => ({ rule: r, on: p })));
      for (const { rule, on } of [...inline, ...split]) {
        const days = asArray(rule.expiration).map(asRecord).map((e) => Number(e.days)).find((d) => Number.isFinite(d));
        if (days !== undefined && days < minimumDays) {
          report(`Lifecycle rule '${asString(rule.id) ?? "(unnamed)"}' of log bucket '${bucket.name}' deletes access logs after ${days} days: set expiration.days to at least ${minimumDays} (the stack's alb.accessLogRetentionDays).`, on.urn);
        }
      }
    }
  },
};

export const s3Policies = [s3Versioning, s3ArchiveObjectLock, s3ArchiveResourcesJoined, s3Lifecycle, s3AccessLogging, s3ArchiveNeverExpires, s3NoForceDestroy, s3LogRetention];
