import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { dataOpsPolicies } from "../../infra/policy/data-ops/rules";
import { logRetention } from "../../infra/policy/data-ops/rules/logs";
import { serviceAfterMigration } from "../../infra/policy/data-ops/rules/migrations";
import { deployPromotedImages } from "../../infra/policy/data-ops/rules/migrations";
import { rdsBackupRetention, rdsCopyTags, rdsDeletionProtection, rdsEncryptionCmk, rdsFinalSnapshot, rdsMultiAz, rdsPerformanceInsightsEncrypted } from "../../infra/policy/data-ops/rules/rds";
import { ecrKeepsReleasedImages, ecrNoForceDelete, kmsDeletionWindow, secretRecoveryWindow, statefulProtected } from "../../infra/policy/data-ops/rules/retention";
import { s3AccessLogging, s3ArchiveNeverExpires, s3ArchiveObjectLock, s3ArchiveResourcesJoined, s3Lifecycle, s3LogRetention, s3NoForceDestroy, s3Versioning } from "../../infra/policy/data-ops/rules/s3";
import { dataStoreTags } from "../../infra/policy/data-ops/rules/tags";
import { patch, without, type ResourceCase, type StackCase } from "./cases";
import { fixtures, furn, urnOf } from "./fixtures";
import { NOT_APPLICABLE, resourceViolations, stackViolations } from "./harness";

const archiveUrn = urnOf("aws:s3/bucket:Bucket", "archive");
const logsUrn = urnOf("aws:s3/bucketV2:BucketV2", "access-logs");
const serviceUrn = urnOf("aws:ecs/service:Service", "api-service");

const lifecycle = (rules: Array<Record<string, unknown>>): string => JSON.stringify({ rules });

const resourceCases: ResourceCase[] = [
  {
    policy: rdsEncryptionCmk,
    fixture: "database",
    mutate: (p) => ({ ...p, kmsKeyId: undefined }),
    expected: ["Database 'db' storage is not encrypted with a customer key: set storageEncrypted to true and kmsKeyId to the stack's KMS key ARN."],
  },
  { policy: rdsDeletionProtection, fixture: "database", mutate: (p) => ({ ...p, deletionProtection: false }), expected: ["Database 'db' can be deleted: set deletionProtection to true."] },
  { policy: rdsBackupRetention, fixture: "database", mutate: (p) => ({ ...p, backupRetentionPeriod: 3 }), expected: ["Database 'db' keeps backups for 3 days: set backupRetentionPeriod to at least 7."] },
  { policy: rdsBackupRetention, fixture: "database", mutate: (p) => p, config: { minimumDays: 35 }, expected: ["Database 'db' keeps backups for 30 days: set backupRetentionPeriod to at least 35."] },
  { policy: rdsMultiAz, fixture: "database", mutate: (p) => ({ ...p, multiAz: false }), config: { required: true }, expected: ["Database 'db' runs in a single availability zone: set multiAz to true."] },
  { policy: rdsCopyTags, fixture: "database", mutate: (p) => ({ ...p, copyTagsToSnapshot: false }), expected: ["Snapshots of database 'db' do not inherit its tags: set copyTagsToSnapshot to true."] },
  {
    policy: rdsPerformanceInsightsEncrypted,
    fixture: "database",
    mutate: (p) => ({ ...p, performanceInsightsKmsKeyId: undefined }),
    expected: ["Performance Insights of database 'db' uses the AWS-managed key: set performanceInsightsKmsKeyId to the stack's KMS key ARN."],
  },
  {
    policy: rdsFinalSnapshot,
    fixture: "database",
    mutate: (p) => ({ ...p, skipFinalSnapshot: true }),
    expected: ["Database 'db' would be deleted without a final snapshot: set skipFinalSnapshot to false and finalSnapshotIdentifier to '<identifier>-final'."],
  },
  { policy: logRetention, fixture: "logGroup", mutate: (p) => ({ ...p, retentionInDays: undefined }), expected: ["Log group 'api-logs' retention is unset: set retentionInDays to at least 30."] },
  {
    policy: dataStoreTags,
    fixture: "secret",
    mutate: (p) => ({ ...p, tags: { "data-classification": "secret-ish" } }),
    expected: ["Data store 'db-secret': data-classification 'secret-ish' is not one of public, internal, confidential, restricted and tag owner is missing: set tags 'data-classification' (public | internal | confidential | restricted) and 'owner' (the owning team)."],
  },
  { policy: kmsDeletionWindow, fixture: "kmsKey", mutate: (p) => ({ ...p, deletionWindowInDays: 7 }), expected: ["KMS key 'data-key' can be destroyed 7 days after someone schedules its deletion: set deletionWindowInDays to 30."] },
  { policy: kmsDeletionWindow, fixture: "kmsKey", mutate: (p) => ({ ...p, isEnabled: false }), expected: ["KMS key 'data-key' is disabled, so nothing it encrypts can be read: set isEnabled to true."] },
  { policy: secretRecoveryWindow, fixture: "secret", mutate: (p) => ({ ...p, recoveryWindowInDays: 0 }), expected: ["Secret 'db-secret' is deleted at once, without recovery: set recoveryWindowInDays to 30."] },
  { policy: secretRecoveryWindow, fixture: "secret", mutate: (p) => ({ ...p, recoveryWindowInDays: 7 }), expected: ["Secret 'db-secret' can be recovered for only 7 days after deletion: set recoveryWindowInDays to 30."] },
  {
    policy: ecrKeepsReleasedImages,
    fixture: "repositoryLifecycle",
    mutate: (p) => ({ ...p, policy: lifecycle([{ rulePriority: 1, description: "Expire old images", selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 30 }, action: { type: "expire" } }]) }),
    expected: [
      "Lifecycle policy 'api-repo-lifecycle' rule 1 ('Expire old images') expires released images 30 days after push: expire release tags (v*) only by count (imageCountMoreThan ≥ 100), or restrict the rule to untagged images.",
    ],
  },
  {
    policy: ecrKeepsReleasedImages,
    fixture: "repositoryLifecycle",
    mutate: (p) => ({ ...p, policy: lifecycle([{ rulePriority: 2, selection: { tagStatus: "tagged", tagPatternList: ["v*"], countType: "imageCountMoreThan", countNumber: 5 }, action: { type: "expire" } }]) }),
    expected: ["Lifecycle policy 'api-repo-lifecycle' rule 2 keeps only 5 released images: set countNumber to at least 100, so a rollback target is never expired."],
  },
  { policy: ecrNoForceDelete, fixture: "repository", mutate: (p) => ({ ...p, forceDelete: true }), expected: ["Repository 'api-repo' would be deleted with every released image in it: set forceDelete to false."] },
  {
    label: "a pushed image deleted with its resource",
    policy: ecrNoForceDelete,
    fixture: "promotion",
    mutate: (p) => ({ ...p, keepRemotely: false }),
    expected: ["Pushed image 'api-promotion' would be deleted from the registry when the resource is replaced or removed (the release's rollback target): set keepRemotely to true."],
  },
  { policy: s3NoForceDestroy, fixture: "archive", mutate: (p) => ({ ...p, forceDestroy: true }), expected: ["Bucket 'archive' would be deleted with every object in it: set forceDestroy to false."] },
];

const stackCases: StackCase[] = [
  { policy: s3Versioning, mutate: (fs) => patch(fs, "logsVersioning", { versioningConfiguration: { status: "Suspended" } }), expected: [{ urn: logsUrn, message: "Bucket 'access-logs' is not versioned: add a BucketVersioning with versioningConfiguration.status 'Enabled'." }] },
  { policy: s3ArchiveObjectLock, mutate: (fs) => patch(fs, "archiveLock", { rule: { defaultRetention: { mode: "GOVERNANCE", days: 400 } } }), expected: [{ urn: archiveUrn, message: "Archive bucket 'archive' object lock is weaker than required: set rule.defaultRetention to mode 'COMPLIANCE' with at least 30 days." }] },
  { label: "bucket created without lock", policy: s3ArchiveObjectLock, mutate: (fs) => patch(fs, "archive", { objectLockEnabled: false }), expected: [{ urn: archiveUrn, message: "Archive bucket 'archive' is created without object lock: set objectLockEnabled to true on the bucket." }] },
  { policy: s3ArchiveResourcesJoined, mutate: (fs) => without(fs, "archiveVersioning", "archiveLock"), expected: [{ urn: archiveUrn, message: "Archive bucket 'archive' lacks BucketVersioning (status 'Enabled') and BucketObjectLockConfiguration joined to it: declare them with bucket set to the archive bucket." }] },
  {
    label: "no archive bucket",
    policy: s3ArchiveResourcesJoined,
    mutate: (fs) => patch(fs, "archive", { tags: { "data-classification": "internal", owner: "team-backend" } }),
    expected: [{ urn: serviceUrn, message: "No release archive bucket in a stack that deploys services: declare the archive bucket with tag purpose 'release-archive'." }],
  },
  { policy: s3Lifecycle, mutate: (fs) => without(fs, "archiveLifecycle"), expected: [{ urn: archiveUrn, message: "Bucket 'archive' has no enabled lifecycle rule: add a BucketLifecycleConfiguration with at least one rule whose status is 'Enabled'." }] },
  {
    // Without the archive's logging and the load balancer's, access-logs is no longer anyone's log target either.
    policy: s3AccessLogging,
    mutate: (fs) => patch(without(fs, "archiveLogging", "logsPolicy"), "loadBalancer", { accessLogs: undefined }),
    expected: [
      { urn: archiveUrn, message: "Bucket 'archive' does not log access: add a BucketLogging with targetBucket set to the access-log bucket." },
      { urn: logsUrn, message: "Bucket 'access-logs' does not log access: add a BucketLogging with targetBucket set to the access-log bucket." },
    ],
  },
  {
    label: "load balancer log bucket is exempt",
    policy: s3AccessLogging,
    mutate: (fs) => without(fs, "archiveLogging"),
    expected: [{ urn: archiveUrn, message: "Bucket 'archive' does not log access: add a BucketLogging with targetBucket set to the access-log bucket." }],
  },
  {
    policy: s3ArchiveNeverExpires,
    mutate: (fs) => patch(fs, "archiveLifecycle", { rules: [{ id: "expire-old", status: "Enabled", filter: { prefix: "releases/" }, expiration: { days: 365 } }] }),
    expected: [
      {
        urn: urnOf("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "archive-lifecycle"),
        message: "Lifecycle rule 'expire-old' of archive bucket 'archive' expires objects under 'releases/' after 365 days, including the releases under releases/: remove its expiration, or narrow its filter to a prefix outside releases/.",
      },
    ],
  },
  {
    policy: s3LogRetention,
    mutate: (fs) => patch(fs, "logsLifecycle", { rules: [{ id: "expire-logs", status: "Enabled", filter: {}, expiration: { days: 7 } }] }),
    expected: [
      {
        urn: urnOf("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "access-logs-lifecycle"),
        message: "Lifecycle rule 'expire-logs' of log bucket 'access-logs' deletes access logs after 7 days: set expiration.days to at least 90 (the stack's alb.accessLogRetentionDays).",
      },
    ],
  },
  {
    label: "a rule for every object",
    policy: s3ArchiveNeverExpires,
    mutate: (fs) => patch(fs, "archiveLifecycle", { rules: [{ id: "cleanup", status: "Enabled", filter: {}, expiration: { date: "2030-01-01T00:00:00Z" } }] }),
    expected: [
      {
        urn: urnOf("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "archive-lifecycle"),
        message: "Lifecycle rule 'cleanup' of archive bucket 'archive' expires every object on 2030-01-01T00:00:00Z, including the releases under releases/: remove its expiration, or narrow its filter to a prefix outside releases/.",
      },
    ],
  },
  {
    policy: deployPromotedImages,
    mutate: (fs) => patch(fs, "promotion", { triggers: { digest: `sha256:${"c".repeat(64)}` } }),
    expected: [
      {
        urn: urnOf("aws:ecs/taskDefinition:TaskDefinition", "api-task"),
        message: `Task definition 'api-task' runs sha256:${"a".repeat(64)}, which is not a digest this stack promotes (sha256:${"c".repeat(64)}): run the promoted image, and change images.digests.<service> in the stack config only to a digest staging validated.`,
      },
    ],
  },
  {
    label: "a stack that promotes nothing",
    policy: deployPromotedImages,
    mutate: (fs) => without(fs, "promotion"),
    expected: [
      {
        urn: urnOf("aws:ecs/taskDefinition:TaskDefinition", "api-task"),
        message: `Task definition 'api-task' runs sha256:${"a".repeat(64)}, but this stack promotes no image: set images.source to 'promote' with the digest staging validated (images.digests.<service>), so what runs is what was approved.`,
      },
    ],
  },
  { policy: serviceAfterMigration, mutate: (fs) => ({ ...fs, service: { ...fs.service!, dependencies: [] } }), expected: [{ urn: serviceUrn, message: "Service 'api-service' can roll out before its migration: add the '<service>-migration-run' command to the service's dependsOn." }] },
  {
    label: "a run for another image",
    policy: serviceAfterMigration,
    mutate: (fs) => ({ ...fs, migration: { ...fs.migration!, props: { ...fs.migration!.props, triggers: [`sha256:${"c".repeat(64)}`, `sha256:${"b".repeat(64)}`] } } }),
    expected: [
      {
        urn: serviceUrn,
        message: `Service 'api-service' rolls out sha256:${"a".repeat(64)}, but the migration run before it ran for sha256:${"c".repeat(64)}, sha256:${"b".repeat(64)}: deploy the one approved digest (images.digests.<service> of the stack config) to the service and its migration run alike; editing the run's triggers would only hide an image that was never migrated for, or promoted.`,
      },
    ],
  },
  {
    label: "through an intermediate resource",
    policy: serviceAfterMigration,
    mutate: (fs) => ({ ...fs, taskDefinition: { ...fs.taskDefinition!, dependencies: [furn(fs.migration!)] }, service: { ...fs.service!, dependencies: [furn(fs.taskDefinition!)] } }),
    expected: [],
  },
];

describe("DATA-OPS rules, invoked directly", () => {
  const all = Object.values(fixtures());

  it("every rule has a rule id, description, severity, controls, a help URL and a mandatory default", () => {
    for (const p of dataOpsPolicies) {
      expect(p.name).toMatch(/^DATA-[A-Z0-9]+-\d{2}-[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(10);
      expect(p.severity).toBeDefined();
      expect(p.tags!.every((t) => /^(FSBP:[A-Za-z0-9]+\.\d+|CIS:\d+(\.\d+)+|ORG)$/.test(t)) && p.tags!.length > 0, `${p.name}: ${String(p.tags)}`).toBe(true);
      expect(p.url, p.name).toMatch(/^https:\/\//);
      expect(p.enforcementLevel).toBe("mandatory");
    }
    const tested = new Set([...resourceCases, ...stackCases].map((c) => c.policy.name).concat(statefulProtected.name));
    expect(dataOpsPolicies.map((p) => p.name).filter((n) => !tested.has(n))).toEqual([]);
  });

  it("the compliant stack passes every stack rule", async () => {
    for (const p of dataOpsPolicies.filter((x): x is StackValidationPolicy => "validateStack" in x)) expect(await stackViolations(p, all), p.name).toEqual([]);
  });

  it("every compliant fixture passes every resource rule (or is not applicable)", async () => {
    for (const p of dataOpsPolicies.filter((x): x is ResourceValidationPolicy => "validateResource" in x)) {
      for (const f of all) {
        const r = await resourceViolations(p, f, p === rdsMultiAz ? { required: true } : {});
        expect(r === NOT_APPLICABLE || r.length === 0, `${p.name} on ${f.name}: ${String(r)}`).toBe(true);
      }
    }
  });

  it("no archived object is deleted around its lock", async () => {
    const object = { type: "aws:s3/bucketObjectv2:BucketObjectv2", name: "release-archive-orders-api-manifest.json", props: { bucket: "archive-bucket-1a2b3c", key: "releases/api/1.0.0/manifest.json", forceDestroy: false } };
    expect(await resourceViolations(s3NoForceDestroy, object)).toEqual([]);
    expect(await resourceViolations(s3NoForceDestroy, { ...object, props: { ...object.props, forceDestroy: true } })).toEqual([
      "Object 'release-archive-orders-api-manifest.json' would be deleted bypassing its object lock (governance retention): set forceDestroy to false.",
    ]);
  });

  it("stateful resources carry protect where the stack requires it; the archive is the only bucket that must", async () => {
    const fs = fixtures();
    for (const key of ["database", "kmsKey", "repository", "archive"]) {
      const f = { ...fs[key]!, protect: false };
      expect(await resourceViolations(statefulProtected, f), key).toEqual([`'${f.name}' (${f.type.split(":").pop()}) is not protected: declare it with the resource option protect: true (the stack's protectStateful setting), so no 'pulumi up' or 'destroy' can delete it.`]);
      expect(await resourceViolations(statefulProtected, f, { required: false })).toBe(NOT_APPLICABLE);
    }
    expect(await resourceViolations(statefulProtected, fs.logs!)).toEqual([]);
  });

  it("Multi-AZ is not applicable where the stack does not require it", async () => {
    expect(await resourceViolations(rdsMultiAz, { ...fixtures().database!, props: { multiAz: false } })).toBe(NOT_APPLICABLE);
  });

  it.each(resourceCases.map((c) => [`${c.policy.name} on ${c.fixture}${c.config ? " (config)" : ""}`, c] as const))("%s: one mutation fails with the exact message", async (_label, c) => {
    const f = fixtures()[c.fixture]!;
    const mutated = await resourceViolations(c.policy, { ...f, props: c.mutate(structuredClone(f.props)) }, c.config);
    expect(mutated).toEqual(c.expected);
  });

  it.each(stackCases.map((c) => [`${c.policy.name}${c.label ? ` (${c.label})` : ""}`, c] as const))("%s: one mutation fails with the exact message", async (_label, c) => {
    expect(await stackViolations(c.policy, Object.values(c.mutate(fixtures())), c.config)).toEqual(c.expected);
  });
});
