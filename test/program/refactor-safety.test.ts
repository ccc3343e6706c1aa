/**
 * No refactor replaces state: the prod graph recorded before the service/stack units refactor
 * (commit e1a4510, kept gzipped) diffed against today's prod graph shows no replacement risk, and
 * deletes only what a later change removed on purpose. Later refactors that move a stateful
 * resource must carry `aliases`, or this fails.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { urnName, type Deployment } from "../../infra/preview/deployment";
import { diffDeployments } from "../../infra/preview/diff";
import { recordedGraph } from "../support/graph";

const before = JSON.parse(gunzipSync(readFileSync(join(__dirname, "..", "fixtures", "prod-graph-before-units.json.gz"))).toString("utf8")) as Deployment;

/** Deleted on purpose since that graph (issue 15), each with its reason. */
const INTENDED_DELETES: { match: (type: string, name: string) => boolean; why: string }[] = [
  { match: (type) => type.startsWith("docker:") || type === "pulumi:providers:docker", why: "promotion no longer pulls, tags and pushes through a Docker daemon (registry-to-registry copy)" },
  { match: (type, name) => type === "datadog:index/monitor:Monitor" && name.endsWith("-dbReplicaLag-monitor"), why: "a Multi-AZ instance emits no ReplicaLag" },
];

describe("prod graph against the graph before the units refactor", () => {
  it("replaces nothing stateful and deletes only what was removed on purpose", async () => {
    const { deployment } = await recordedGraph("prod");
    const diff = diffDeployments(before, deployment);
    const stateful = ["aws:rds/instance:Instance", "aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:ecr/repository:Repository", "aws:secretsmanager/secret:Secret"];
    // Task definitions are replaced (new revisions) by design; nothing that holds data may be.
    expect(diff.changes.filter((c) => (c.kind === "replace" || c.kind === "may-replace") && stateful.includes(c.type))).toEqual([]);
    const deletes = diff.changes.filter((c) => c.kind === "delete");
    expect(deletes.filter((c) => !INTENDED_DELETES.some((d) => d.match(c.type, urnName(c.urn))))).toEqual([]);
    // The database, archive, keys, repositories and secrets are the same resources; the only
    // change to one of them is the engine pinned to its major version (an in-place no-op on AWS:
    // the provider compares the running 16.x against the prefix "16").
    const changed = diff.changes.filter((c) => stateful.includes(c.type));
    expect(changed.map((c) => ({ kind: c.kind, type: c.type, keys: c.keys }))).toEqual([{ kind: "update", type: "aws:rds/instance:Instance", keys: ["engineVersion"] }]);
    const version = (d: Deployment) => String(d.deployment.resources.find((r) => r.type === "aws:rds/instance:Instance")!.inputs?.engineVersion);
    expect(version(before).startsWith(`${version(deployment)}.`)).toBe(true);
  }, 120_000);
});
