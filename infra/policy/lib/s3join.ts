/**
 * Stack-level join of S3 buckets with their split configuration resources (public access block,
 * encryption, versioning, ...). A split resource names its bucket by the bucket's id/name output
 * or by the literal bucket name, so the join tries, in order: the `bucket` property's dependency
 * on a bucket resource (exact, and known even during preview), then the value against each
 * bucket's id, name and ARN.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ELB_LOG_DELIVERY_ACCOUNTS, ELB_LOG_DELIVERY_SERVICES } from "./aws-accounts";
import { accountOf, statementsOf, type Statement } from "./policy-document";
import { asString, known } from "./props";
import { T, isOneOf } from "./types";

export type PartKind = "publicAccessBlock" | "sse" | "versioning" | "ownershipControls" | "bucketPolicy" | "lifecycle" | "logging" | "objectLock" | "bucketAcl";

const PART_KINDS: PartKind[] = ["publicAccessBlock", "sse", "versioning", "ownershipControls", "bucketPolicy", "lifecycle", "logging", "objectLock", "bucketAcl"];

export interface JoinedBucket {
  bucket: PolicyResource;
  parts: Record<PartKind, PolicyResource[]>;
}

function bucketKeys(bucket: PolicyResource): string[] {
  const keys: string[] = [];
  for (const key of ["id", "bucket", "arn"]) {
    const v = known(() => asString(bucket.props[key]));
    if (v) keys.push(v);
  }
  return keys;
}

function kindOf(type: string): PartKind | undefined {
  return PART_KINDS.find((k) => isOneOf(type, T[k]));
}

/** Every bucket of the stack with the split resources joined to it. */
export function joinBuckets(resources: PolicyResource[]): JoinedBucket[] {
  const buckets = resources.filter((r) => isOneOf(r.type, T.bucket));
  const joined = new Map<string, JoinedBucket>();
  const byKey = new Map<string, JoinedBucket>();
  for (const bucket of buckets) {
    const entry: JoinedBucket = { bucket, parts: Object.fromEntries(PART_KINDS.map((k) => [k, []])) as unknown as Record<PartKind, PolicyResource[]> };
    joined.set(bucket.urn, entry);
    for (const key of bucketKeys(bucket)) byKey.set(key, entry);
  }
  for (const r of resources) {
    const kind = kindOf(r.type);
    if (!kind) continue;
    const viaDependency = (r.propertyDependencies?.bucket ?? []).map((d) => joined.get(d.urn)).find((e) => e !== undefined);
    // An unknown bucket value with no dependency to follow cannot be joined: let the read throw,
    // so the analyzer reports "can't run during preview" instead of a false "missing".
    const target = viaDependency ?? byKey.get(asString(r.props.bucket) ?? "\0");
    target?.parts[kind].push(r);
  }
  return [...joined.values()];
}

/** The value of a bucket's tag from its explicit `tags`. */
export function bucketTag(bucket: PolicyResource, key: string): string | undefined {
  const tags = known(() => bucket.props.tags) as Record<string, unknown> | undefined;
  return typeof tags?.[key] === "string" ? (tags[key] as string) : undefined;
}

/** The release archive bucket is recognised by the tag `purpose: release-archive`. */
export function isArchiveBucket(bucket: PolicyResource): boolean {
  return bucketTag(bucket, "purpose") === "release-archive";
}

/**
 * Buckets that receive load balancer access logs: named by a load balancer's `accessLogs.bucket`
 * (by URN and by name), or whose bucket policy lets ELB log delivery write into them (its
 * regional account or service principal), so a load balancer that stops logging does not turn
 * its log bucket into "a bucket without SSE-KMS". AWS writes these logs itself: such a bucket
 * supports only SSE-S3, and is a log sink, not a bucket whose own access needs logging.
 */
export function lbLogTargets(resources: PolicyResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources.filter((x) => isOneOf(x.type, T.loadBalancer))) {
    for (const d of r.propertyDependencies?.accessLogs ?? []) out.add(d.urn);
    const logs = known(() => r.props.accessLogs) as Record<string, unknown> | undefined;
    const name = known(() => asString(logs?.bucket));
    if (name && logs?.enabled !== false) out.add(name);
  }
  const elbAccounts = Object.values(ELB_LOG_DELIVERY_ACCOUNTS);
  const delivers = (s: Statement): boolean =>
    s.effect === "Allow" && s.principals.some((p) => (p.kind === "AWS" && elbAccounts.includes(accountOf(p.value) ?? "")) || (p.kind === "Service" && ELB_LOG_DELIVERY_SERVICES.includes(p.value)));
  for (const r of resources.filter((x) => isOneOf(x.type, T.bucketPolicy))) {
    if (!statementsOf(known(() => r.props.policy)).some(delivers)) continue;
    for (const d of r.propertyDependencies?.bucket ?? []) out.add(d.urn);
    const name = known(() => asString(r.props.bucket));
    if (name) out.add(name);
  }
  return out;
}

/** Whether a joined bucket is one of the given targets (by URN, id or name). */
export function isTarget(bucket: PolicyResource, targets: Set<string>): boolean {
  return targets.has(bucket.urn) || bucketKeys(bucket).some((k) => targets.has(k));
}
