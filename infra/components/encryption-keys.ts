/**
 * Customer-managed KMS keys, one per purpose so that access can be granted narrowly:
 * `data` (database, Performance Insights, Secrets Manager), `logs` (CloudWatch Logs, which needs
 * its service principal in the key policy), `artifacts` (ECR, the release archive).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export interface EncryptionKeysArgs {
  ctx: StackContext;
}

export class EncryptionKeys extends pulumi.ComponentResource {
  readonly data: aws.kms.Key;
  readonly logs: aws.kms.Key;
  readonly artifacts: aws.kms.Key;

  constructor(name: string, args: EncryptionKeysArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:security:EncryptionKeys", name, {}, opts);
    const { ctx } = args;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const key = (purpose: string, description: string, policy?: pulumi.Input<string>) => {
      const k = new aws.kms.Key(
        `${name}-${purpose}`,
        {
          description: `${description} (${ctx.stack})`,
          enableKeyRotation: true,
          rotationPeriodInDays: 365,
          deletionWindowInDays: 30,
          policy,
          tags: ctx.tags({ purpose }),
        },
        { parent: this, ...ctx.stateful },
      );
      new aws.kms.Alias(`${name}-${purpose}`, { name: ctx.names.kmsAlias(purpose), targetKeyId: k.keyId }, { parent: this });
      return k;
    };
    this.data = key("data", "Database, Performance Insights and runtime secrets");
    // CloudWatch Logs encrypts with the key itself, so the key policy must admit the service.
    const logsPolicy = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "AccountAdmin", Effect: "Allow", Principal: { AWS: pulumi.interpolate`arn:aws:iam::${account}:root` }, Action: "kms:*", Resource: "*" },
        {
          Sid: "CloudWatchLogs",
          Effect: "Allow",
          Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:aws:logs:${ctx.region}:${account}:log-group:*` } },
        },
      ],
    });
    this.logs = key("logs", "CloudWatch log groups", logsPolicy);
    this.artifacts = key("artifacts", "ECR images and the release archive");
    this.registerOutputs({ data: this.data.arn, logs: this.logs.arn, artifacts: this.artifacts.arn });
  }
}
