/** SEC-OPS rules on where data sits: log groups and secrets encrypted with our keys, RDS private. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asString } from "../../lib/props";
import { forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const logGroupEncrypted: ResourceValidationPolicy = {
  name: "SEC-LOG-01-log-group-encrypted",
  description: "CloudWatch log groups are encrypted with a KMS key.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.logGroup, (props, _args, report) => {
    if (!asString(props.kmsKeyId)) report("Log group is not KMS-encrypted: set kmsKeyId to the stack's KMS key ARN.");
  }),
};

export const secretCustomerKey: ResourceValidationPolicy = {
  name: "SEC-SM-01-customer-managed-key",
  description: "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.secret, (props, _args, report) => {
    const key = asString(props.kmsKeyId);
    if (!key || key.endsWith("alias/aws/secretsmanager")) report("Secret uses the AWS-managed key: set kmsKeyId to a customer-managed KMS key.");
  }),
};

export const rdsNotPublic: ResourceValidationPolicy = {
  name: "SEC-RDS-01-not-public",
  description: "Databases are not reachable from the internet.",
  severity: "critical",
  enforcementLevel: "mandatory",
  validateResource: forTypes([...T.rdsInstance, ...T.rdsClusterInstance], (props, _args, report) => {
    if (props.publiclyAccessible === true) report("Database is publicly accessible: set publiclyAccessible to false.");
  }),
};

export const datastorePolicies = [logGroupEncrypted, secretCustomerKey, rdsNotPublic];
