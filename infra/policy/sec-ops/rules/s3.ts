/**
 * SEC-OPS S3 rules. Bucket settings live in split resources (BucketPublicAccessBlock,
 * BucketServerSideEncryptionConfiguration, ...) or, for older code, inline on the bucket; the
 * stack-level rules join both to each bucket (see lib/s3join.ts).
 */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { deniesInsecureTransport, statementsOf, type Statement } from "../../lib/policy-document";
import { asArray, asRecord, asString, globMatch, known, type Props } from "../../lib/props";
import { isTarget, joinBuckets, lbLogTargets, type JoinedBucket } from "../../lib/s3join";

const BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

function eachBucket(resources: PolicyResource[], report: ReportViolation, check: (b: JoinedBucket) => string | undefined): void {
  for (const joined of joinBuckets(resources)) {
    const message = check(joined);
    if (message) report(message, joined.bucket.urn);
  }
}

export const s3PublicAccessBlock: StackValidationPolicy = {
  name: "SEC-S3-01-public-access-block",
  description: "Every S3 bucket has a public access block with all four settings on.",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.8"], cis: ["2.1.4"] }),
  remediationSteps: "Declare aws.s3.BucketPublicAccessBlock for the bucket with the four block/ignore/restrict flags set to true.",
  validateStack: (args, report) =>
    eachBucket(args.resources, report, ({ bucket, parts }) => {
      const blocks = parts.publicAccessBlock;
      if (blocks.length === 0) return `Bucket '${bucket.name}' has no BucketPublicAccessBlock: add one with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets set to true.`;
      const off = BLOCK_FLAGS.filter((f) => !blocks.some((b) => b.props[f] === true));
      return off.length > 0 ? `Bucket '${bucket.name}' public access block leaves ${off.join(", ")} off: set ${off.length > 1 ? "them" : "it"} to true.` : undefined;
    }),
};

export const s3AclsDisabled: StackValidationPolicy = {
  name: "SEC-S3-02-acls-disabled",
  description: "S3 ACLs are disabled: object ownership is BucketOwnerEnforced and no ACL is granted.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.12"] }),
  remediationSteps: "Declare aws.s3.BucketOwnershipControls with rule.objectOwnership = 'BucketOwnerEnforced'; remove acl/grants and BucketAcl resources.",
  validateStack: (args, report) =>
    eachBucket(args.resources, report, ({ bucket, parts }) => {
      const acl = asString(bucket.props.acl);
      if ((acl && acl !== "private") || asArray(bucket.props.grants).length > 0 || parts.bucketAcl.length > 0) {
        return `Bucket '${bucket.name}' grants access through ACLs: remove acl, grants and BucketAcl resources; use bucket policies instead.`;
      }
      const enforced = parts.ownershipControls.some((o) => asRecord(o.props.rule).objectOwnership === "BucketOwnerEnforced");
      return enforced ? undefined : `Bucket '${bucket.name}' does not disable ACLs: add BucketOwnershipControls with rule.objectOwnership 'BucketOwnerEnforced'.`;
    }),
};

/** Default-encryption rules of a bucket, from the split resource(s) or the inline block(s). */
function sseRules(bucket: PolicyResource, parts: PolicyResource[]): Props[] {
  const inline = [asRecord(bucket.props.serverSideEncryptionConfiguration), ...asArray(bucket.props.serverSideEncryptionConfigurations).map(asRecord)];
  const fromInline = inline.flatMap((c) => asArray(c.rule ?? c.rules).map(asRecord));
  const fromParts = parts.flatMap((p) => asArray(p.props.rules ?? p.props.rule).map(asRecord));
  return [...fromParts, ...fromInline];
}

export const s3SseKms: StackValidationPolicy = {
  name: "SEC-S3-03-sse-kms-bucket-key",
  description: "Every S3 bucket encrypts by default with SSE-KMS and an S3 Bucket Key (load balancer log buckets: SSE-S3, the only encryption ELB can write).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.17", "S3.4"] }),
  remediationSteps: "Declare aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm 'aws:kms', the stack's KMS key, and bucketKeyEnabled true.",
  validateStack: (args, report) => {
    const lbLogs = lbLogTargets(args.resources);
    eachBucket(args.resources, report, ({ bucket, parts }) => {
      const rules = sseRules(bucket, parts.sse);
      if (isTarget(bucket, lbLogs)) {
        const sseS3 = rules.some((r) => asRecord(r.applyServerSideEncryptionByDefault).sseAlgorithm === "AES256");
        return sseS3 ? undefined : `Bucket '${bucket.name}' receives load balancer logs but is not encrypted with SSE-S3: add a BucketServerSideEncryptionConfiguration rule with sseAlgorithm 'AES256' (ELB cannot write to SSE-KMS buckets).`;
      }
      const ok = rules.some((r) => {
        const byDefault = asRecord(r.applyServerSideEncryptionByDefault);
        return String(byDefault.sseAlgorithm).startsWith("aws:kms") && asString(byDefault.kmsMasterKeyId) !== undefined && r.bucketKeyEnabled === true;
      });
      return ok ? undefined : `Bucket '${bucket.name}' is not encrypted with SSE-KMS and a bucket key: add a BucketServerSideEncryptionConfiguration rule with sseAlgorithm 'aws:kms', kmsMasterKeyId and bucketKeyEnabled true.`;
    });
  },
};

/** The ARNs a bucket's TLS-only deny must cover: the bucket and every object in it. */
function bucketArns(bucket: PolicyResource): [string, string] | undefined {
  const name = known(() => asString(bucket.props.bucket) ?? asString(bucket.props.id));
  const arn = known(() => asString(bucket.props.arn)) ?? (name ? `arn:aws:s3:::${name}` : undefined);
  return arn ? [arn, `${arn}/*`] : undefined;
}

/** What a TLS-only deny statement leaves out, or undefined when it denies every plain-HTTP request. */
function tlsGap(s: Statement, arns: [string, string] | undefined): string | undefined {
  const everyone = s.principals.some((p) => p.kind === "*" || (p.kind === "AWS" && p.value === "*"));
  if (!everyone) return "applies only to some principals: set Principal to '*'";
  if (s.notActions || !s.actions.some((a) => a === "*" || a.toLowerCase() === "s3:*")) return `denies only ${s.actions.join(", ") || "no action"}: set Action to 's3:*'`;
  if (!arns || s.notResources) return undefined;
  const covered = (arn: string): boolean => s.resources.some((r) => globMatch(r, arn));
  const [bucketArn, objects] = arns;
  const sample = `${bucketArn}/any/object`;
  if (!covered(sample)) return `leaves out the objects: add '${objects}' to its Resource`;
  if (!covered(bucketArn)) return `leaves out the bucket itself: add '${bucketArn}' to its Resource`;
  return undefined;
}

export const s3TlsOnly: StackValidationPolicy = {
  name: "SEC-S3-04-tls-only-policy",
  description: "Every S3 bucket policy denies, for every principal, any s3 action on the bucket and its objects that is not sent over TLS.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.5"], cis: ["2.1.1"] }),
  remediationSteps: "Add to the bucket policy a Deny statement for Principal '*', Action 's3:*' on the bucket ARN and <bucket ARN>/* with Condition Bool aws:SecureTransport = false.",
  validateStack: (args, report) =>
    eachBucket(args.resources, report, ({ bucket, parts }) => {
      const denies = [bucket.props.policy, ...parts.bucketPolicy.map((p) => p.props.policy)].flatMap(statementsOf).filter(deniesInsecureTransport);
      if (denies.length === 0) return `Bucket '${bucket.name}' accepts plain-HTTP requests: add a BucketPolicy statement that denies s3:* on the bucket and its objects when aws:SecureTransport is false.`;
      const arns = bucketArns(bucket);
      const gaps = denies.map((d) => tlsGap(d, arns));
      if (gaps.some((g) => g === undefined)) return undefined;
      return `Bucket '${bucket.name}' TLS-only deny (statement ${denies[0]!.id}) ${gaps[0]}.`;
    }),
};

export const s3Policies = [s3PublicAccessBlock, s3AclsDisabled, s3SseKms, s3TlsOnly];
