import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { dataOpsPolicies } from "../../infra/policy/data-ops/rules";
import { logRetention } from "../../infra/policy/data-ops/rules/logs";
import { serviceAfterMigration } from "../../infra/policy/data-ops/rules/migrations";
import { rdsBackupRetention, rdsCopyTags, rdsDeletionProtection, rdsEncryptionCmk, rdsMultiAz, rdsPerformanceInsightsEncrypted } from "../../infra/policy/data-ops/rules/rds";
import { s3AccessLogging, s3ArchiveObjectLock, s3ArchiveResourcesJoined, s3Lifecycle, s3Versioning } from "../../infra/policy/data-ops/rules/s3";
import { dataStoreTags } from "../../infra/policy/data-ops/rules/tags";
import { patch, without, type ResourceCase, type StackCase } from "./cases";
import { fixtures, furn, urnOf } from "./fixtures";
import { NOT_APPLICABLE, resourceViolations, stackViolations } from "./harness";

const archiveUrn = urnOf("aws:s3/bucket:Bucket", "archive");
const logsUrn = urnOf("aws:s3/bucketV2:BucketV2", "access-logs");
const serviceUrn = urnOf("aws:ecs/service:Service", "api-service");

const resourceCases: ResourceCase[] = [
  { policy: rdsEncryptionCmk, fixture: "database", mutate: (p) => ({ ...p, kmsKeyId: undefined }), expected: ["Database storage is not encrypted with a customer key: set storageEncrypted to true and kmsKeyId to the stack's KMS key ARN."] },
  { policy: rdsDeletionProtection, fixture: "database", mutate: (p) => ({ ...p, deletionProtection: false }), expected: ["Database can be deleted: set deletionProtection to true."] },
  { policy: rdsBackupRetention, fixture: "database", mutate: (p) => ({ ...p, backupRetentionPeriod: 3 }), expected: ["Database keeps backups for 3 days: set backupRetentionPeriod to at least 7."] },
  { policy: rdsBackupRetention, fixture: "database", mutate: (p) => p, config: { minimumDays: 35 }, expected: ["Database keeps backups for 30 days: set backupRetentionPeriod to at least 35."] },
  { policy: rdsMultiAz, fixture: "database", mutate: (p) => ({ ...p, multiAz: false }), config: { required: true }, expected: ["Database runs in a single availability zone: set multiAz to true."] },
  { policy: rdsCopyTags, fixture: "database", mutate: (p) => ({ ...p, copyTagsToSnapshot: false }), expected: ["Snapshots do not inherit tags: set copyTagsToSnapshot to true."] },
  { policy: rdsPerformanceInsightsEncrypted, fixture: "database", mutate: (p) => ({ ...p, performanceInsightsKmsKeyId: undefined }), expected: ["Performance Insights uses the AWS-managed key: set performanceInsightsKmsKeyId to the stack's KMS key ARN."] },
  { policy: logRetention, fixture: "logGroup", mutate: (p) => ({ ...p, retentionInDays: undefined }), expected: ["Log group retention is unset: set retentionInDays to at least 30."] },
  { policy: dataStoreTags, fixture: "secret", mutate: (p) => ({ ...p, tags: { "data-classification": "secret-ish" } }), expected: ["Data store data-classification 'secret-ish' is not one of public, internal, confidential, restricted and tag owner is missing: set tags 'data-classification' (public | internal | confidential | restricted) and 'owner' (the owning team)."] },
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
    // Without the archive's logging, access-logs is no longer anyone's log target either.
    policy: s3AccessLogging,
    mutate: (fs) => without(fs, "archiveLogging"),
    expected: [
      { urn: archiveUrn, message: "Bucket 'archive' does not log access: add a BucketLogging with targetBucket set to the access-log bucket." },
      { urn: logsUrn, message: "Bucket 'access-logs' does not log access: add a BucketLogging with targetBucket set to the access-log bucket." },
    ],
  },
  {
    label: "load balancer log bucket is exempt",
    policy: s3AccessLogging,
    mutate: (fs) => patch(without(fs, "archiveLogging"), "loadBalancer", { accessLogs: { bucket: "access-logs-9z8y7x", enabled: true } }),
    expected: [{ urn: archiveUrn, message: "Bucket 'archive' does not log access: add a BucketLogging with targetBucket set to the access-log bucket." }],
  },
  { policy: serviceAfterMigration, mutate: (fs) => ({ ...fs, service: { ...fs.service!, dependencies: [] } }), expected: [{ urn: serviceUrn, message: "Service 'api-service' can roll out before its migration: add the '<service>-migration-run' command to the service's dependsOn." }] },
  {
    label: "a run for another image",
    policy: serviceAfterMigration,
    mutate: (fs) => ({ ...fs, migration: { ...fs.migration!, props: { ...fs.migration!.props, triggers: [`sha256:${"c".repeat(64)}`, `sha256:${"b".repeat(64)}`] } } }),
    expected: [{ urn: serviceUrn, message: `Service 'api-service' rolls out sha256:${"a".repeat(64)}, but no migration run before it is triggered by that digest: put the service's image digest in the migration run's triggers.` }],
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

  it("every rule has a rule id, description, severity and a mandatory default", () => {
    for (const p of dataOpsPolicies) {
      expect(p.name).toMatch(/^DATA-[A-Z0-9]+-\d{2}-[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(10);
      expect(p.severity).toBeDefined();
      expect(p.enforcementLevel).toBe("mandatory");
    }
    const tested = new Set([...resourceCases, ...stackCases].map((c) => c.policy.name));
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
