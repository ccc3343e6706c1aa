/** SEC-OPS rules on where data sits: log groups and secrets encrypted with our keys, RDS private. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asString } from "../../lib/props";
import { forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const logGroupEncrypted: ResourceValidationPolicy = {
  name: "SEC-LOG-01-log-group-encrypted",
  description: "CloudWatch log groups are encrypted with a customer-managed KMS key.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:cloudwatch/logGroup:LogGroup" }),
  validateResource: forTypes(T.logGroup, (props, args, report) => {
    if (!asString(props.kmsKeyId)) report(`Log group '${args.name}' is not KMS-encrypted: set kmsKeyId to the stack's logs KMS key ARN.`);
  }),
};

export const secretCustomerKey: ResourceValidationPolicy = {
  name: "SEC-SM-01-customer-managed-key",
  description: "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:secretsmanager/secret:Secret" }),
  validateResource: forTypes(T.secret, (props, args, report) => {
    const key = asString(props.kmsKeyId);
    if (!key || key.endsWith("alias/aws/secretsmanager")) report(`Secret '${args.name}' uses the AWS-managed key: set kmsKeyId to a customer-managed KMS key.`);
  }),
};

export const rdsNotPublic: ResourceValidationPolicy = {
  name: "SEC-RDS-01-not-public",
  description: "Databases are not reachable from the internet.",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.2"], cis: ["2.3.3"] }),
  validateResource: forTypes([...T.rdsInstance, ...T.rdsClusterInstance], (props, args, report) => {
    if (props.publiclyAccessible === true) report(`Database '${args.name}' is publicly accessible: set publiclyAccessible to false.`);
  }),
};

export const datastorePolicies = [logGroupEncrypted, secretCustomerKey, rdsNotPublic];
