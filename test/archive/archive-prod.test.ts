/**
 * Prod's recorded graph with a signed (GO) fixture package: the COMPLIANCE-locked archive bucket
 * and every signed file, the manifest and the verified approvals as objects whose content is the
 * verified bytes, with S3's SHA-256 = the manifest's, a legal hold, and version ids as outputs.
 * Anything that is not GO for this stack, version and commit is refused (issue 16).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findReleasePackage, planArchive, RELEASE_PACKAGE_ENV, resolveArchive, sha256Base64 } from "../../infra/components/release-archive";
import { urnName, type DeploymentResource } from "../../infra/preview/deployment";
import { readManifest, releasePackageDir, sha256Of } from "../../infra/signoff/manifest";
import { signData } from "../../infra/signoff/ssh-keygen";
import { DIGEST, FIXTURE_SHA, makePackage, tempDir } from "../signoff/fixtures";
import { Graph, recordedGraph } from "../support/graph";
import { forgetRelease, signedPackage, useRelease, type SignedPackage } from "./signed-package";

const VERSION = "1.4.0-archive.1";
let root: string;
let pkg: SignedPackage;
let graph: Graph;
let recorded: Awaited<ReturnType<typeof recordedGraph>>;

beforeAll(async () => {
  root = tempDir("archive-prod-");
  pkg = await signedPackage(root, join(root, VERSION), { version: VERSION, stack: "prod" });
  // A forged approval beside the real ones: filed under a real principal, made with a key nobody listed.
  writeFileSync(join(pkg.dir, "approvals", "security-dana@example.com.sig"), await signData(pkg.keys.mallory.path, readManifest(pkg.dir).bytes));
  useRelease(VERSION, pkg);
  recorded = await recordedGraph("prod");
  graph = new Graph(recorded.deployment);
});

afterAll(() => {
  forgetRelease();
  rmSync(root, { recursive: true, force: true });
});

const part = (type: string, name: string): DeploymentResource => graph.one(`aws:s3/${type}`, `release-archive-bucket-${name}`);
const ctxOf = () => ({ stack: "prod", version: VERSION, cfg: recorded.cfg, gitSha: FIXTURE_SHA });
const signers = () => ({ signers: { kind: "file" as const, path: pkg.allowed } });

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

  it("uploads the signed files, the manifest and only the verified approvals, as the verified bytes", () => {
    const objects = graph.ofType("aws:s3/bucketObjectv2:BucketObjectv2");
    const prefix = `releases/orders-api/${VERSION}/`;
    expect(objects.map((o) => o.inputs?.key).sort()).toEqual(
      ["README.md", "approvals/architecture-ann@example.com.sig", "approvals/operations-olu@example.com.sig", "approvals/security-sam@example.com.sig", "checksums.sha256", "manifest.json", "reports/policy.json"].map((p) => `${prefix}${p}`),
    );
    const manifest = readManifest(pkg.dir);
    const lock = part("bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object-lock");
    for (const o of objects) {
      const path = String(o.inputs?.key).slice(prefix.length);
      const onDisk = readFileSync(join(pkg.dir, ...path.split("/")));
      const uploaded = Buffer.from(String(o.inputs?.contentBase64), "base64");
      const sha256 = sha256Of(onDisk);
      expect(uploaded.equals(onDisk), path).toBe(true);
      expect(o.inputs?.source, "no file is read at upload time").toBeUndefined();
      // The manifest's sha256 for a signed file; S3 verifies the SHA-256 of what it receives and reports it back.
      if (!path.startsWith("approvals/") && path !== "manifest.json") expect(manifest.manifest.files.find((f) => f.path === path)?.sha256).toBe(sha256);
      expect(o.outputs?.checksumSha256).toBe(sha256Base64(sha256));
      expect(o.inputs).toMatchObject({
        bucket: "backend-release-prod-release-archive-eu-central-1",
        serverSideEncryption: "aws:kms",
        bucketKeyEnabled: true,
        checksumAlgorithm: "SHA256",
        objectLockLegalHoldStatus: "ON",
        metadata: { version: VERSION, "git-sha": FIXTURE_SHA, stack: "prod", service: "orders-api", "image-digest": DIGEST, sha256, "manifest-sha256": manifest.sha256 },
        tags: { purpose: "release-archive", "release-version": VERSION, "git-sha": FIXTURE_SHA, "image-digest": DIGEST, sha256, "data-classification": "confidential", owner: "orders-backend" },
      });
      expect(Object.keys(o.inputs?.tags as object).length).toBeLessThanOrEqual(10);
      expect(o.retainOnDelete).toBe(true);
      // No object is written before the bucket's default retention exists.
      expect(graph.transitiveDependencies(o).has(lock.urn)).toBe(true);
    }
    expect(objects.find((o) => urnName(o.urn) === "release-archive-orders-api-manifest.json")?.inputs?.contentType).toBe("application/json");
    const outputs = recorded.outputs.releaseArchive as { prefixes: Record<string, string>; objects: number; versionIds: Record<string, string> };
    expect(outputs).toMatchObject({ prefixes: { "orders-api": prefix }, objects: 7 });
    expect(Object.keys(outputs.versionIds).sort()).toEqual(objects.map((o) => String(o.inputs?.key)).sort());
    for (const o of objects) expect(outputs.versionIds[String(o.inputs?.key)]).toBe(o.outputs?.versionId);
  });

  it("keeps the staging and prod packages of one version side by side, each archived by its own stack", () => {
    // A unique, git-ignored version keeps this hermetic.
    const version = `0.0.0-coexist.${process.pid}`;
    delete process.env[RELEASE_PACKAGE_ENV];
    try {
      const staging = makePackage(releasePackageDir(version, "staging"), { version, stack: "staging" }).dir;
      const prod = makePackage(releasePackageDir(version, "prod"), { version, stack: "prod" }).dir;
      expect(findReleasePackage({ version, stack: "prod" })).toEqual({ dir: prod, note: `archiving the release package ${prod}` });
      expect(findReleasePackage({ version, stack: "staging" })).toEqual({ dir: staging, note: `archiving the release package ${staging}` });
      expect(readManifest(staging).manifest.stack).toBe("staging");
    } finally {
      rmSync(join(releasePackageDir(version, "prod"), ".."), { recursive: true, force: true });
      process.env[RELEASE_PACKAGE_ENV] = pkg.dir;
    }
  });

  it("refuses a package that is not GO for this stack, version and commit", async () => {
    const ctx = ctxOf();
    expect(planArchive(ctx, pkg.dir, "release-archive", signers()).objects).toHaveLength(7);
    expect(() => planArchive({ ...ctx, gitSha: "f".repeat(40) }, pkg.dir, "release-archive", signers())).toThrow(`was built from commit ${FIXTURE_SHA}, but the commit being deployed is ${"f".repeat(40)}`);
    expect(() => planArchive({ ...ctx, version: "9.9.9" }, pkg.dir, "release-archive", signers())).toThrow('manifest.json is for version "1.4.0-archive.1", not "9.9.9"');
    expect(() => planArchive({ ...ctx, stack: "staging" }, pkg.dir, "release-archive", signers())).toThrow('manifest.json is for stack "prod", not "staging"');

    const unsigned = (await signedPackage(root, join(root, "unsigned"), { version: VERSION, stack: "prod", sign: false })).dir;
    expect(() => planArchive(ctx, unsigned, "release-archive", signers())).toThrow(/is NO-GO .*refusing to archive it.*\n {2}role architecture: 0 of 1 valid sign-off\(s\)/s);

    const failedCheck = await signedPackage(root, join(root, "failed-check"), { version: VERSION, stack: "prod", checks: [{ id: "smoke", status: "fail", blocking: true }] });
    expect(() => planArchive(ctx, failedCheck.dir, "release-archive", { signers: { kind: "file", path: failedCheck.allowed } })).toThrow("check smoke: fail when the package was built");

    const other = await signedPackage(root, join(root, "other"), { version: VERSION, stack: "prod", imageDigests: { "orders-api": `sha256:${"a".repeat(64)}` } });
    expect(() => planArchive(ctx, other.dir, "release-archive", { signers: { kind: "file", path: other.allowed } })).toThrow(`approves orders-api@sha256:${"a".repeat(64)}, but the stack deploys ${DIGEST}`);
    writeFileSync(join(other.dir, "README.md"), "changed after signing\n");
    expect(() => planArchive(ctx, other.dir, "release-archive", { signers: { kind: "file", path: other.allowed } })).toThrow(/package: README\.md: sha256/);

    // An update refuses it; a preview declares the bucket only and warns.
    process.env[RELEASE_PACKAGE_ENV] = unsigned;
    try {
      expect(() => resolveArchive(ctx, "release-archive", false)).toThrow(/is NO-GO/);
      expect(resolveArchive(ctx, "release-archive", true)).toEqual({ level: "warn", note: expect.stringMatching(/^not archiving: release package .* is NO-GO.*`pulumi up` will fail until the package is fixed$/s) });
    } finally {
      process.env[RELEASE_PACKAGE_ENV] = pkg.dir;
    }
    const staging = makePackage(join(root, "staging"), { version: VERSION, stack: "staging" }).dir;
    try {
      process.env[RELEASE_PACKAGE_ENV] = join(root, "nothing-here");
      expect(() => findReleasePackage({ version: VERSION, stack: "prod" })).toThrow(`${RELEASE_PACKAGE_ENV}=${join(root, "nothing-here")} has no manifest.json`);
      process.env[RELEASE_PACKAGE_ENV] = staging;
      expect(() => findReleasePackage({ version: VERSION, stack: "prod" })).toThrow("is a release package for stack staging, not prod");
    } finally {
      process.env[RELEASE_PACKAGE_ENV] = pkg.dir;
    }
  });

  it("uploads what it verified even if a file is swapped afterwards", () => {
    const copy = join(root, "swap");
    mkdirSync(copy);
    const plan = planArchive(ctxOf(), pkg.dir, "release-archive", signers());
    const readme = plan.objects.find((o) => o.path === "README.md")!;
    const original = readFileSync(join(pkg.dir, "README.md"));
    try {
      writeFileSync(join(pkg.dir, "README.md"), "swapped after the check\n");
      expect(Buffer.from(readme.contentBase64, "base64").equals(original)).toBe(true);
      expect(createHash("sha256").update(Buffer.from(readme.contentBase64, "base64")).digest("hex")).toBe(readme.sha256);
    } finally {
      writeFileSync(join(pkg.dir, "README.md"), original);
    }
  });
});
