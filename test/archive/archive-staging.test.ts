/**
 * Staging's recorded graph before a release package exists: the GOVERNANCE-locked archive bucket
 * alone, unprotected (staging data is disposable), and no objects.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findReleasePackage, NO_PACKAGE, RELEASE_PACKAGE_ENV } from "../../infra/components/release-archive";
import { Graph, recordedGraph } from "../support/graph";

// A version no package exists for, so a package built in the working copy cannot leak in.
const VERSION = "0.0.0-no-package";
let graph: Graph;

beforeAll(async () => {
  process.env.RELEASE_VERSION = VERSION;
  delete process.env[RELEASE_PACKAGE_ENV];
  graph = new Graph((await recordedGraph("staging")).deployment);
});
afterAll(() => {
  delete process.env.RELEASE_VERSION;
});

describe("release archive (staging, no package yet)", () => {
  it("declares the GOVERNANCE-locked bucket with its tags, and says why there are no objects", () => {
    const bucket = graph.one("aws:s3/bucket:Bucket", "release-archive-bucket");
    expect(bucket.inputs).toMatchObject({ bucket: "backend-release-staging-release-archive-eu-central-1", objectLockEnabled: true });
    expect(bucket.inputs?.tags).toMatchObject({ purpose: "release-archive", "data-classification": "confidential", owner: "orders-backend", environment: "staging" });
    expect(bucket.protect ?? false).toBe(false);
    const lock = graph.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "release-archive-bucket-object-lock");
    expect(lock.inputs).toMatchObject({ rule: { defaultRetention: { mode: "GOVERNANCE", days: 30 } } });
    const lifecycle = graph.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "release-archive-bucket-lifecycle");
    expect(lifecycle.inputs?.rules).toMatchObject([{ transitions: [{ days: 30, storageClass: "GLACIER" }], noncurrentVersionExpiration: { noncurrentDays: 90 } }, {}]);
    expect(graph.ofType("aws:s3/bucketObjectv2:BucketObjectv2")).toEqual([]);
    process.env[RELEASE_PACKAGE_ENV] = NO_PACKAGE;
    expect(findReleasePackage({ version: "1.4.0", stack: "staging" })).toEqual({ note: "RELEASE_PACKAGE_DIR=none: declaring the archive bucket only" });
    delete process.env[RELEASE_PACKAGE_ENV];
    expect(findReleasePackage({ version: VERSION, stack: "staging" }).note).toMatch(/^no release package at .*backend\/outputs\/phase-5\/0\.0\.0-no-package\/staging for version 0\.0\.0-no-package: declaring the archive bucket only/);
  });
});
