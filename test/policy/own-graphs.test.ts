/**
 * The program's own graphs (staging and prod, recorded by the offline preview) through the real
 * analyzer with each stack's policy config: no mandatory violation may ship.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyRunner } from "../../infra/policy/runner";
import { recordedGraph } from "../support/graph";

let runner: PolicyRunner;
beforeAll(async () => {
  runner = await PolicyRunner.start();
});
afterAll(async () => {
  await runner?.close();
});

// The release archive bucket is declared by the storage work still in progress; until a bucket
// tagged `purpose: release-archive` is in the graph, DATA-S3-03 rightly reports it missing and
// is the only mandatory finding allowed. Once the bucket lands, this tightens to none at all.
const ARCHIVE_MISSING = "No release archive bucket in a stack that deploys services: declare the archive bucket with tag purpose 'release-archive'.";

describe.each(["staging", "prod"])("the %s graph", (stack) => {
  it("has no mandatory policy violation", async () => {
    const { deployment } = await recordedGraph(stack);
    const hasArchive = deployment.deployment.resources.some((r) => (r.inputs?.tags as Record<string, unknown> | undefined)?.purpose === "release-archive");
    const report = await runner.evaluate(deployment, { stack });
    const mandatory = report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`);
    expect(mandatory).toEqual(hasArchive ? [] : [`DATA-S3-03-archive-versioning-and-lock-resources: ${ARCHIVE_MISSING}`]);
  });
});
