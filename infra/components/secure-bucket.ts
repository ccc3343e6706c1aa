/**
 * An S3 bucket with every guard the policies require, as the split resources AWS provider v7
 * uses: public access blocked, ACLs disabled (BucketOwnerEnforced), default encryption (SSE-KMS
 * with a bucket key; SSE-S3 only where AWS allows nothing else, i.e. ALB access logs),
 * versioning, lifecycle, a TLS-only bucket policy, server access logging, optional object lock.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export interface SecureBucketArgs {
  ctx: StackContext;
  bucketName: string;
  purpose: string;
  /** SSE-KMS with this key; omit only for ALB access logs (AWS delivers those with SSE-S3 only). */
  kmsKeyArn?: pulumi.Input<string>;
  lifecycleRules: pulumi.Input<aws.types.input.s3.BucketLifecycleConfigurationRule>[];
  /** Server access logs go here; omit only for the access-log bucket itself. */
  accessLogBucket?: pulumi.Input<string>;
  objectLock?: { mode: "GOVERNANCE" | "COMPLIANCE"; days: number };
  /** Extra bucket-policy statements (e.g. log delivery); built once the bucket ARN is known. */
  extraStatements?: (bucketArn: pulumi.Output<string>) => pulumi.Input<Record<string, unknown>>[];
  opts?: pulumi.CustomResourceOptions;
}

export class SecureBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  /** Settings that must exist before objects are written into the bucket. */
  readonly ready: pulumi.Resource[] = [];

  constructor(name: string, args: SecureBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:storage:SecureBucket", name, {}, opts);
    const { ctx } = args;
    const child = { parent: this };
    this.bucket = new aws.s3.Bucket(
      name,
      {
        bucket: args.bucketName,
        objectLockEnabled: args.objectLock ? true : undefined,
        forceDestroy: false,
        tags: ctx.tags({ purpose: args.purpose, "data-classification": ctx.cfg.tags.dataClassification, owner: ctx.cfg.tags.owner }),
      },
      { ...child, ...args.opts },
    );
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    const bucket = this.bucket.id;

    const pab = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, child);
    const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
    const sse = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket,
        rules: [
          args.kmsKeyArn
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, child);
    new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, { bucket, rules: args.lifecycleRules }, { ...child, dependsOn: [versioning] });
    if (args.accessLogBucket) {
      new aws.s3.BucketLogging(`${name}-logging`, { bucket, targetBucket: args.accessLogBucket, targetPrefix: `s3/${args.bucketName}/` }, child);
    }
    this.ready.push(pab, ownership, sse, versioning);
    if (args.objectLock) {
      const lock = new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        { bucket, objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: args.objectLock.mode, days: args.objectLock.days } } },
        { ...child, dependsOn: [versioning] },
      );
      this.ready.push(lock);
    }
    const arn = this.bucket.arn;
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: { AWS: "*" },
              Action: "s3:*",
              Resource: [arn, pulumi.interpolate`${arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            ...(args.extraStatements?.(arn) ?? []),
          ],
        }),
      },
      // A policy written before the public access block could be judged public by S3.
      { ...child, dependsOn: [pab] },
    );
    this.ready.push(policy);
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
