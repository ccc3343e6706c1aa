/** `preview` as users run it: exit codes, the written graph, the diff (issue 2). */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../infra/cli/main";
import type { Deployment } from "../../infra/preview/deployment";
import { mutatedStackFile } from "../support/stack-yaml";

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

const tmp = mkdtempSync(join(tmpdir(), "preview-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("preview", () => {
  it("writes prod's graph as a version-3 deployment whose stateful resources carry protect", async () => {
    const file = join(tmp, "prod.json");
    expect(await main(["preview", "--stack", "prod", "--out", file])).toBe(0);
    const graph = JSON.parse(readFileSync(file, "utf8")) as Deployment;
    expect(graph.version).toBe(3);
    const rds = graph.deployment.resources.find((r) => r.type === "aws:rds/instance:Instance")!;
    expect(rds.protect).toBe(true);
    expect(rds.sourcePosition).toMatch(/database\.ts#\d+,\d+$/);
    expect(out.join("\n")).toMatch(/aws:rds\/instance:Instance\s+1/);
    expect(out.join("\n")).toContain("└─ ");
  });

  it("prints the diff against an earlier graph: create, update with the changed keys and old → new, delete", async () => {
    const base = join(tmp, "base.json");
    expect(await main(["preview", "--stack", "staging", "--out", base])).toBe(0);
    const graph = JSON.parse(readFileSync(base, "utf8")) as Deployment;
    const rs = graph.deployment.resources;
    const svc = rs.find((r) => r.type === "aws:ecs/service:Service")!;
    const grace = svc.inputs?.healthCheckGracePeriodSeconds;
    svc.inputs = { ...svc.inputs, healthCheckGracePeriodSeconds: 7 };
    const removedIdx = rs.findIndex((r) => r.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy");
    const removed = rs.splice(removedIdx, 1)[0]!;
    rs.push({ urn: "urn:pulumi:staging::backend-release::aws:s3/bucket:Bucket::old-bucket", custom: true, type: "aws:s3/bucket:Bucket", inputs: {} });
    writeFileSync(base, JSON.stringify(graph));
    out = [];
    expect(await main(["preview", "--stack", "staging", "--base", base, "--format", "json"])).toBe(0);
    const diff = JSON.parse(out.join("")) as { changes: { kind: string; urn: string; keys?: string[] }[] };
    expect(diff.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "create", urn: removed.urn, type: removed.type }),
        expect.objectContaining({ kind: "update", urn: svc.urn, type: svc.type, keys: ["healthCheckGracePeriodSeconds"], properties: [expect.objectContaining({ path: "healthCheckGracePeriodSeconds", old: "7", new: String(grace), verdict: "update" })] }),
        { kind: "delete", urn: "urn:pulumi:staging::backend-release::aws:s3/bucket:Bucket::old-bucket", type: "aws:s3/bucket:Bucket" },
      ]),
    );
    expect(grace).not.toBe(7);
  });

  const bad: [string, (c: Record<string, unknown>) => void, RegExp][] = [
    ["a wrong type", (c) => ((c["backend-release:database"] as Record<string, unknown>).allocatedStorageGiB = "big"), /backend-release:database\.allocatedStorageGiB: expected number, found "big"/],
    ["a missing key", (c) => delete c["backend-release:alb"], /backend-release:alb: expected object, found nothing/],
    ["an unknown key", (c) => (c["backend-release:colour"] = "blue"), /backend-release:\(root\): unknown key "colour"/],
    [
      "a threshold on the wrong side",
      (c) => {
        const services = c["backend-release:services"] as { monitoring: { monitors: Record<string, { warning: number }> } }[];
        services[0]!.monitoring.monitors.latencyP95!.warning = 5000;
      },
      /backend-release:services\[0\]\.monitoring\.monitors\.latencyP95\.warning: .*warning must be below critical \(800\), found 5000/,
    ],
  ];
  it.each(bad)("exits 2 on %s in Pulumi.staging.yaml, names the key path, writes no graph", async (_, mutate, message) => {
    const configFile = mutatedStackFile("staging", mutate);
    const file = join(tmp, `bad-${Math.random()}.json`);
    expect(await main(["preview", "--stack", "staging", "--config-file", configFile, "--out", file])).toBe(2);
    expect(err.join("")).toMatch(message);
    expect(existsSync(file)).toBe(false);
  });

  it("exits 2 with a reason on a malformed --base", async () => {
    const base = join(tmp, "garbage.json");
    writeFileSync(base, '{"version": 2}');
    expect(await main(["preview", "--stack", "staging", "--base", base])).toBe(2);
    expect(err.join("")).toMatch(/--base: .* is not a Pulumi deployment \(version 3/);
  });

  it("exits 2 on an unknown stack", async () => {
    expect(await main(["preview", "--stack", "qa"])).toBe(2);
    expect(err.join("")).toMatch(/^error: unknown stack "qa" \(--stack\): the stacks of this repository are .*\(a stack is a Pulumi\.<stack>\.yaml at the repository root\)/m);
  });
});
