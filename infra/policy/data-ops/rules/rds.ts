/** DATA-OPS RDS rules: encrypted with our key, backed up, hard to delete, highly available in prod. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asString } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

const DATABASES = [...T.rdsInstance, ...T.rdsCluster];

export const rdsEncryptionCmk: ResourceValidationPolicy = {
  name: "DATA-RDS-01-encryption-cmk",
  description: "Databases are encrypted at rest with a customer-managed KMS key.",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.3", "RDS.4", "RDS.27"], cis: ["2.3.1"] }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    if (props.storageEncrypted !== true || !asString(props.kmsKeyId)) report(`Database '${args.name}' storage is not encrypted with a customer key: set storageEncrypted to true and kmsKeyId to the stack's KMS key ARN.`);
  }),
};

export const rdsDeletionProtection: ResourceValidationPolicy = {
  name: "DATA-RDS-02-deletion-protection",
  description: "Databases cannot be deleted by accident.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.7", "RDS.8"] }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    if (props.deletionProtection !== true) report(`Database '${args.name}' can be deleted: set deletionProtection to true.`);
  }),
};

interface BackupConfig {
  minimumDays: number;
}

export const rdsBackupRetention: ResourceValidationPolicy = {
  name: "DATA-RDS-03-backup-retention",
  description: "Databases keep automated backups for at least the configured number of days.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.11"] }),
  configSchema: {
    properties: { minimumDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "Minimum backupRetentionPeriod in days." } },
  },
  validateResource: forTypes(DATABASES, (props, args, report) => {
    const { minimumDays } = configOf<BackupConfig>(args, { minimumDays: 7 });
    const days = Number(props.backupRetentionPeriod ?? 0);
    if (days < minimumDays) report(`Database '${args.name}' keeps backups for ${days} days: set backupRetentionPeriod to at least ${minimumDays}.`);
  }),
};

interface MultiAzConfig {
  required: boolean;
}

export const rdsMultiAz: ResourceValidationPolicy = {
  name: "DATA-RDS-04-multi-az",
  description: "Database instances run Multi-AZ where the stack's config requires it (prod).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.5"] }),
  configSchema: {
    properties: { required: { type: "boolean", default: false, description: "Require multiAz on every DB instance." } },
  },
  validateResource: forTypes(T.rdsInstance, (props, args, report) => {
    const { required } = configOf<MultiAzConfig>(args, { required: false });
    if (!required) args.notApplicable("Multi-AZ is not required on this stack");
    if (props.multiAz !== true) report(`Database '${args.name}' runs in a single availability zone: set multiAz to true.`);
  }),
};

export const rdsCopyTags: ResourceValidationPolicy = {
  name: "DATA-RDS-05-copy-tags-to-snapshot",
  description: "Snapshots inherit the database's tags (owner, data classification).",
  severity: "low",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.16", "RDS.17"] }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    if (props.copyTagsToSnapshot !== true) report(`Snapshots of database '${args.name}' do not inherit its tags: set copyTagsToSnapshot to true.`);
  }),
};

export const rdsPerformanceInsightsEncrypted: ResourceValidationPolicy = {
  name: "DATA-RDS-06-performance-insights-encrypted",
  description: "Performance Insights data (which holds query text) is encrypted with a customer key.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:rds/instance:Instance" }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    if (props.performanceInsightsEnabled !== true) args.notApplicable("Performance Insights is off");
    if (!asString(props.performanceInsightsKmsKeyId)) report(`Performance Insights of database '${args.name}' uses the AWS-managed key: set performanceInsightsKmsKeyId to the stack's KMS key ARN.`);
  }),
};

export const rdsFinalSnapshot: ResourceValidationPolicy = {
  name: "DATA-RDS-07-final-snapshot",
  description: "Deleting a database leaves a final snapshot.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:rds/instance:Instance" }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    if (props.skipFinalSnapshot === true) report(`Database '${args.name}' would be deleted without a final snapshot: set skipFinalSnapshot to false and finalSnapshotIdentifier to '<identifier>-final'.`);
  }),
};

export const rdsPolicies = [rdsEncryptionCmk, rdsDeletionProtection, rdsBackupRetention, rdsMultiAz, rdsCopyTags, rdsPerformanceInsightsEncrypted, rdsFinalSnapshot];
