/**
 * Prod's recorded graph with a fixture release package: the COMPLIANCE-locked archive bucket and
 * every package file (manifest and approvals included) as an object with the release identity.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findReleasePackage, planArchive, RELEASE_PACKAGE_ENV, resolveArchive } from "../../infra/components/release-archive";
import { urnName, type DeploymentResource } from "../../infra/preview/deployment";
import { releasePackageDir, sha256Of } from "../../infra/signoff/manifest";
import { signManifest } from "../../infra/signoff/sign";
import { DIGEST, makeKey, makePackage, tempDir } from "../signoff/fixtures";
import { Graph, recordedGraph } from "../support/graph";

const VERSION = "1.4.0-archive.1";
let root: string;
let pkgDir: string;
let graph: Graph;
let recorded: Awaited<ReturnType<typeof recordedGraph>>;

beforeAll(async () => {
  root = tempDir("archive-prod-");
  pkgDir = makePackage(join(root, VERSION), { version: VERSION, stack: "prod" }).dir;
  const key = makeKey(root, "sam");
  await signManifest({ packageDir: pkgDir, role: "security", keyPath: key.path, principal: "sam@example.com" });
  process.env.RELEASE_VERSION = VERSION;
  process.env[RELEASE_PACKAGE_ENV] = pkgDir;
  recorded = await recordedGraph("prod");
  graph = new Graph(recorded.deployment);
});

afterAll(() => {
  delete process.env.RELEASE_VERSION;
  delete process.env[RELEASE_PACKAGE_ENV];
  rmSync(root, { recursive: true, force: true });
});

const part = (type: string, name: string): DeploymentResource => graph.one(`aws:s3/${type}`, `release-archive-bucket-${name}`);

describe("release archive (prod)", () => {
  it("is a protected, COMPLIANCE-locked, encrypted, private, TLS-only, logged bucket with lifecycle to Glacier", () => {
    const bucket = graph.one("aws:s3/bucket:Bucket", "release-archive-bucket");
    expect(bucket.inputs).toMatchObject({ bucket: "backend-release-prod-release-archive-eu-central-1", objectLockEnabled: true, forceDestroy: false });
    expect(bucket.inputs?.tags).toMatchObject({ purpose: "release-archive", "data-classification": "confidential", owner: "orders-backend", environment: "prod" });
    expect(bucket).toMatchObject({ protect: true, retainOnDelete: true });
    expect(part("bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock").inputs).toMatchObject({ objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: 2555 } } });
    expect(part("bucketVersioning:BucketVersioning", "versioning").inputs).toMatchObject({ versioningConfiguration: { status: "Enabled" } });
    expect(part("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse").inputs).toMatchObject({ rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] });
    expect(part("bucketPublicAccessBlock:BucketPublicAccessBlock", "public-access").inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(JSON.parse(String(part("bucketPolicy:BucketPolicy", "policy").inputs?.policy)).Statement[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    expect(part("bucketLogging:BucketLogging", "logging").inputs).toMatchObject({ targetBucket: "backend-release-prod-access-logs-eu-central-1" });
    const rules = part("bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle").inputs?.rules;
    expect(rules).toMatchObject([
      { id: "releases-to-glacier", status: "Enabled", transitions: [{ days: 90, storageClass: "GLACIER" }], noncurrentVersionExpiration: { noncurrentDays: 3650 } },
      { id: "abort-incomplete-uploads", status: "Enabled" },
    ]);
  });

  it("uploads every package file under releases/<service>/<version>/ with its metadata and tags", () => {
    const objects = graph.ofType("aws:s3/bucketObjectv2:BucketObjectv2");
    const prefix = `releases/orders-api/${VERSION}/`;
    expect(objects.map((o) => o.inputs?.key).sort()).toEqual(
      ["README.md", "approvals/security-sam@example.com.sig", "checksums.sha256", "manifest.json", "reports/policy.json"].map((p) => `${prefix}${p}`),
    );
    const manifestSha = sha256Of(readFileSync(join(pkgDir, "manifest.json")));
    const lock = part("bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock");
    for (const o of objects) {
      const path = String(o.inputs?.key).slice(prefix.length);
      const sha256 = sha256Of(readFileSync(join(pkgDir, ...path.split("/"))));
      expect(o.inputs).toMatchObject({
        bucket: "backend-release-prod-release-archive-eu-central-1",
        serverSideEncryption: "aws:kms",
        bucketKeyEnabled: true,
        checksumAlgorithm: "SHA256",
        metadata: { version: VERSION, "git-sha": "0123456789abcdef0123456789abcdef01234567", stack: "prod", service: "orders-api", "image-digest": DIGEST, sha256, "manifest-sha256": manifestSha },
        tags: { purpose: "release-archive", "release-version": VERSION, "git-sha": "0123456789abcdef0123456789abcdef01234567", "image-digest": DIGEST, sha256, "data-classification": "confidential", owner: "orders-backend" },
      });
      expect(Object.keys(o.inputs?.tags as object).length).toBeLessThanOrEqual(10);
      expect(o.retainOnDelete).toBe(true);
      // No object is written before the bucket's default retention exists.
      expect(graph.transitiveDependencies(o).has(lock.urn)).toBe(true);
    }
    expect(objects.find((o) => urnName(o.urn) === "release-archive-orders-api-manifest.json")?.inputs?.contentType).toBe("application/json");
    expect(recorded.outputs.releaseArchive).toMatchObject({ prefixes: { "orders-api": prefix }, objects: 5 });
  });

  it("leaves another stack's package at the shared default location alone", () => {
    // The default location is per version only; a unique, git-ignored version keeps this hermetic.
    const version = `0.0.0-other-stack.${process.pid}`;
    const dir = releasePackageDir(version);
    delete process.env[RELEASE_PACKAGE_ENV];
    try {
      makePackage(dir, { version, stack: "staging" });
      expect(findReleasePackage({ version, stack: "prod" })).toEqual({ note: `the release package at ${dir} is for stack staging: not archived by stack prod; declaring the archive bucket only` });
      expect(findReleasePackage({ version, stack: "staging" })).toEqual({ dir, note: `archiving the release package ${dir}` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      process.env[RELEASE_PACKAGE_ENV] = pkgDir;
    }
  });

  it("refuses a package that is not the one this stack deploys", () => {
    const ctx = { stack: "prod", version: VERSION, cfg: recorded.cfg };
    const other = makePackage(join(root, "other"), { version: VERSION, stack: "prod", imageDigests: { "orders-api": `sha256:${"a".repeat(64)}` } }).dir;
    expect(() => planArchive(ctx, other)).toThrow(`approves orders-api@sha256:${"a".repeat(64)}, but the stack deploys ${DIGEST}`);
    expect(() => planArchive({ ...ctx, version: "9.9.9" }, pkgDir)).toThrow(`is version ${VERSION}, but the stack deploys 9.9.9`);
    expect(() => planArchive({ ...ctx, stack: "staging" }, pkgDir)).toThrow("is for stack prod, not staging");
    writeFileSync(join(other, "README.md"), "changed after signing\n");
    expect(() => planArchive(ctx, other)).toThrow(/does not match its manifest; refusing to archive it:\n {2}README\.md: sha256/);
    // An update refuses it; a preview declares the bucket only and warns.
    process.env[RELEASE_PACKAGE_ENV] = other;
    try {
      expect(() => resolveArchive(ctx, "release-archive", false)).toThrow(/does not match its manifest/);
      expect(resolveArchive(ctx, "release-archive", true)).toEqual({ level: "warn", note: expect.stringMatching(/^not archiving: release package .* does not match its manifest.*`pulumi up` will fail until the package is fixed$/s) });
    } finally {
      process.env[RELEASE_PACKAGE_ENV] = pkgDir;
    }
    const staging = makePackage(join(root, "staging"), { version: VERSION, stack: "staging" }).dir;
    try {
      process.env[RELEASE_PACKAGE_ENV] = join(root, "nothing-here");
      expect(() => findReleasePackage({ version: VERSION, stack: "prod" })).toThrow(`${RELEASE_PACKAGE_ENV}=${join(root, "nothing-here")} has no manifest.json`);
      process.env[RELEASE_PACKAGE_ENV] = staging;
      expect(() => findReleasePackage({ version: VERSION, stack: "prod" })).toThrow("is a release package for stack staging, not prod");
    } finally {
      process.env[RELEASE_PACKAGE_ENV] = pkgDir;
    }
  });
});
