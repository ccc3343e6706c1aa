/**
 * Staging's recorded graph with a signed package as the release command builds it before the
 * image exists: no approved digest in the manifest, so each object records the digest the stack
 * builds; no legal hold outside the production tier; the run's status/ is never archived.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../signoff/fixtures";
import { Graph, recordedGraph } from "../support/graph";
import { forgetRelease, signedPackage, useRelease } from "./signed-package";

const VERSION = "1.4.0-staging.1";
let root: string;
let recorded: Awaited<ReturnType<typeof recordedGraph>>;

beforeAll(async () => {
  root = tempDir("archive-staging-");
  const pkg = await signedPackage(root, join(root, VERSION), { version: VERSION, stack: "staging", imageDigests: {}, signoff: { tier: "standard", requiredRoles: { architecture: 1, security: 1, operations: 1 } } });
  // The run's status is not signed: it must not be locked into the archive with the package.
  mkdirSync(join(pkg.dir, "status"), { recursive: true });
  writeFileSync(join(pkg.dir, "status", "verdict.md"), "# Release status: GO\n");
  useRelease(VERSION, pkg);
  recorded = await recordedGraph("staging");
});
afterAll(() => {
  forgetRelease();
  rmSync(root, { recursive: true, force: true });
});

describe("release archive (staging, package before the build)", () => {
  it("uploads the package into the GOVERNANCE-locked bucket with the digest the stack builds", () => {
    const graph = new Graph(recorded.deployment);
    const built = (recorded.outputs.imageDigests as Record<string, string>)["orders-api"];
    expect(built).toMatch(/^sha256:[0-9a-f]{64}$/);
    const objects = graph.ofType("aws:s3/bucketObjectv2:BucketObjectv2");
    expect(objects).toHaveLength(7);
    expect(objects.map((o) => String(o.inputs?.key)).filter((k) => k.includes("/status/"))).toEqual([]);
    for (const o of objects) {
      expect(String(o.inputs?.key)).toMatch(new RegExp(`^releases/orders-api/${VERSION.replace(/\./g, "\\.")}/`));
      expect(o.inputs?.metadata).toMatchObject({ version: VERSION, stack: "staging", "image-digest": built });
      expect(o.inputs?.tags).toMatchObject({ "image-digest": built, environment: "staging" });
      expect(o.inputs?.objectLockLegalHoldStatus).toBeUndefined();
      expect(o.retainOnDelete).toBe(true);
    }
    const lock = graph.one("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "release-archive-bucket-object-lock");
    expect(lock.inputs).toMatchObject({ rule: { defaultRetention: { mode: "GOVERNANCE", days: 30 } } });
  });
});
