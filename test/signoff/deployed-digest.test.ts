/** The post-deploy digest check against a scripted ECS: pure rules, then the command's whole path. */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DescribeServicesCommandInput, DescribeTaskDefinitionCommandInput, Deployment } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyDeploy } from "../../infra/cli/commands/verify-deploy";
import { compareDigests, digestOfImage, observeServices, type EcsReader } from "../../infra/signoff/deployed-digest";
import { signManifest } from "../../infra/signoff/sign";
import { allowedSigners, DIGEST, FIXTURE_SHA, makeKey, makePackage, tempDir } from "./fixtures";

const OTHER = `sha256:${"e".repeat(64)}`;
const REPO = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/backend-release/prod/orders-api";

/** A fake ECS: one service with the given deployments; task definitions map to images. */
function fakeEcs(deployments: Partial<Deployment>[], images: Record<string, string>, calls: string[] = []): EcsReader {
  return {
    describeServices: async (input: DescribeServicesCommandInput) => {
      calls.push(`describeServices ${input.cluster} ${input.services?.join(",")}`);
      return { $metadata: {}, services: [{ serviceName: "orders-api", status: "ACTIVE", deployments: deployments as Deployment[] }] };
    },
    describeTaskDefinition: async (input: DescribeTaskDefinitionCommandInput) => {
      calls.push(`describeTaskDefinition ${input.taskDefinition}`);
      const image = images[input.taskDefinition ?? ""];
      return { $metadata: {}, taskDefinition: { containerDefinitions: [{ name: "log-router", image: "fluent-bit:3" }, { name: "orders-api", image }] } };
    },
  };
}

const primary = (taskDefinition: string, extra: Partial<Deployment> = {}): Partial<Deployment> => ({ id: "ecs-svc/1", status: "PRIMARY", rolloutState: "COMPLETED", taskDefinition, runningCount: 3, desiredCount: 3, ...extra });

describe("compareDigests", () => {
  it("passes when every service runs its approved digest", async () => {
    const calls: string[] = [];
    const observed = await observeServices(fakeEcs([primary("td:7")], { "td:7": `${REPO}@${DIGEST}` }, calls), "backend-release-prod", ["orders-api"]);
    expect(calls).toEqual(["describeServices backend-release-prod orders-api", "describeTaskDefinition td:7"]);
    expect(compareDigests({ "orders-api": DIGEST }, observed)).toEqual({ ok: true, services: [{ service: "orders-api", approved: DIGEST, running: [DIGEST], ok: true, problems: [] }] });
  });

  it("fails on another digest, a tag, an unfinished rollout and an old deployment still running", async () => {
    const cases: [Partial<Deployment>[], Record<string, string>, string[]][] = [
      [[primary("td:8")], { "td:8": `${REPO}@${OTHER}` }, [`deployment ecs-svc/1 (PRIMARY, 3 task(s)) runs ${OTHER}, approved is ${DIGEST}`]],
      [[primary("td:9")], { "td:9": `${REPO}:v1.4.0` }, [`deployment ecs-svc/1 runs ${REPO}:v1.4.0, which is not pinned by digest`]],
      [
        [primary("td:7", { rolloutState: "IN_PROGRESS", runningCount: 1 }), { id: "ecs-svc/0", status: "ACTIVE", taskDefinition: "td:6", runningCount: 2, desiredCount: 0 }],
        { "td:7": `${REPO}@${DIGEST}`, "td:6": `${REPO}@${OTHER}` },
        ["rollout IN_PROGRESS (deployment ecs-svc/1); check again when it completes", "1 of 3 tasks running", `deployment ecs-svc/0 (ACTIVE, 2 task(s)) runs ${OTHER}, approved is ${DIGEST}`],
      ],
    ];
    for (const [deployments, images, problems] of cases) {
      const observed = await observeServices(fakeEcs(deployments, images), "c", ["orders-api"]);
      const report = compareDigests({ "orders-api": DIGEST }, observed);
      expect(report.ok).toBe(false);
      expect(report.services[0]?.problems).toEqual(problems);
    }
  });

  it("fails for a service ECS does not know, or one the manifest does not approve", () => {
    expect(compareDigests({}, [{ service: "orders-api", deployments: [] }]).services[0]?.problems).toEqual(["no approved digest for orders-api in the release manifest", "service not found in the cluster"]);
    expect(compareDigests({}, []).ok).toBe(false);
    expect(digestOfImage(`${REPO}@${DIGEST}`)).toBe(DIGEST);
    expect(digestOfImage(`${REPO}:latest`)).toBeUndefined();
  });
});

describe("verifyDeploy", () => {
  let root: string;
  let dir: string;
  let allowed: string;

  beforeAll(async () => {
    root = tempDir("verify-deploy-");
    const keys = ["ann", "sam", "olu"].map((n) => makeKey(root, n));
    allowed = allowedSigners(join(root, "allowed_signers"), [
      { principal: "ann@example.com", key: keys[0]!, roles: ["architecture"] },
      { principal: "sam@example.com", key: keys[1]!, roles: ["security"] },
      { principal: "olu@example.com", key: keys[2]!, roles: ["operations"] },
    ]);
    dir = makePackage(join(root, "pkg")).dir;
    for (const [i, role] of ["architecture", "security", "operations"].entries()) {
      await signManifest({ packageDir: dir, role, keyPath: keys[i]!.path, allowedSignersPath: allowed });
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("checks ECS only for an approved release, against the manifest's digest", async () => {
    const ok = await verifyDeploy({ stack: "prod", version: "1.4.0", packageDir: dir, commit: FIXTURE_SHA, allowedSignersPath: allowed, ecs: fakeEcs([primary("td:7")], { "td:7": `${REPO}@${DIGEST}` }) });
    expect(ok).toMatchObject({ ok: true, approved: true, cluster: "backend-release-prod", digests: { ok: true } });

    const drift = await verifyDeploy({ stack: "prod", version: "1.4.0", packageDir: dir, commit: FIXTURE_SHA, allowedSignersPath: allowed, ecs: fakeEcs([primary("td:8")], { "td:8": `${REPO}@${OTHER}` }) });
    expect(drift).toMatchObject({ ok: false, approved: true });

    const calls: string[] = [];
    const unsigned = await verifyDeploy({ stack: "prod", version: "1.4.0", packageDir: dir, commit: FIXTURE_SHA, allowedSignersPath: join(root, "allowed_signers.empty"), ecs: fakeEcs([], {}, calls) }).catch((e: Error) => e);
    expect(unsigned).toBeInstanceOf(Error); // a missing signers file is bad input, not a verdict
    writeFileSync(join(root, "allowed_signers.empty"), "");
    const noGo = await verifyDeploy({ stack: "prod", version: "1.4.0", packageDir: dir, commit: FIXTURE_SHA, allowedSignersPath: join(root, "allowed_signers.empty"), ecs: fakeEcs([], {}, calls) });
    expect(noGo).toMatchObject({ ok: false, approved: false });
    expect(noGo.digests).toBeUndefined();
    expect(calls).toEqual([]);
  });
});
