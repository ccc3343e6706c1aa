/**
 * The stack's access-log bucket: ALB access logs and S3 server access logs of the other buckets.
 * ALB log delivery only supports SSE-S3, so this is the one bucket without SSE-KMS; it does not
 * log its own access (that would loop).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";
import { SecureBucket } from "./secure-bucket";

export class AccessLogs extends pulumi.ComponentResource {
  readonly bucket: SecureBucket;

  constructor(name: string, args: { ctx: StackContext }, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:storage:AccessLogs", name, {}, opts);
    const { ctx } = args;
    const elbAccount = aws.elb.getServiceAccountOutput({}, { parent: this });
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    this.bucket = new SecureBucket(
      `${name}-bucket`,
      {
        ctx,
        bucketName: ctx.names.accessLogBucket(ctx.region),
        purpose: "access-logs",
        lifecycleRules: [
          { id: "expire-logs", status: "Enabled", filter: {}, expiration: { days: ctx.cfg.alb.accessLogRetentionDays }, noncurrentVersionExpiration: { noncurrentDays: 7 } },
        ],
        extraStatements: (arn) => [
          { Sid: "AlbLogDelivery", Effect: "Allow", Principal: { AWS: elbAccount.arn }, Action: "s3:PutObject", Resource: pulumi.interpolate`${arn}/alb/*` },
          {
            Sid: "S3ServerAccessLogs",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${arn}/s3/*`,
            Condition: { StringEquals: { "aws:SourceAccount": account } },
          },
        ],
      },
      { parent: this },
    );
    this.registerOutputs({ bucket: this.bucket.name });
  }
}
