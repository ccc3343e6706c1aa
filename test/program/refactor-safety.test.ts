/**
 * No refactor replaces state: the prod graph recorded before the service/stack units refactor
 * (commit e1a4510, kept gzipped) diffed against today's prod graph shows no replacement risk and
 * no deletion. Later refactors that move a stateful resource must carry `aliases`, or this fails.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../infra/preview/deployment";
import { diffDeployments } from "../../infra/preview/diff";
import { recordedGraph } from "../support/graph";

const before = JSON.parse(gunzipSync(readFileSync(join(__dirname, "..", "fixtures", "prod-graph-before-units.json.gz"))).toString("utf8")) as Deployment;

describe("prod graph against the graph before the units refactor", () => {
  it("replaces nothing stateful and deletes nothing", async () => {
    const { deployment } = await recordedGraph("prod");
    const diff = diffDeployments(before, deployment);
    expect(diff.changes.filter((c) => c.kind === "replace-risk" || c.kind === "delete")).toEqual([]);
    // The database, archive, keys, repositories and secrets are the same resources, unchanged.
    const stateful = ["aws:rds/instance:Instance", "aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:ecr/repository:Repository", "aws:secretsmanager/secret:Secret"];
    expect(diff.changes.filter((c) => stateful.includes(c.type))).toEqual([]);
  }, 120_000);
});
