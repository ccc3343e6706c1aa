/**
 * The in-process host (infra/policy/runner/host.ts) against the per-process path: both packs
 * served by @pulumi/policy's own server code in this process must judge exactly as the packs do
 * in their own processes (their entries run through tsx, as `pulumi preview --policy-pack` runs
 * them) — the same packs, policies, violations, levels, messages and source positions — on the
 * prod graph, on staging's, and on the prod graph with every misconfiguration of the evaluation
 * set applied at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../infra/preview/deployment";
import { hostPack } from "../../infra/policy/runner/host";
import { PACKS, PolicyRunner, PolicyServerError, type PolicyReport } from "../../infra/policy/runner";
import { recordedGraph } from "../support/graph";
import { MISCONFIGURATIONS, ProdGraph } from "./prod-mutations";

let inProcess: PolicyRunner;
let processes: PolicyRunner;
const graphs: Record<string, { deployment: Deployment; stack: string }> = {};

/** TCP servers this process listens on (the in-process packs' gRPC servers among them). */
const tcpServers = () => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;

let listening = { before: 0, during: 0 };

beforeAll(async () => {
  const before = tcpServers();
  [inProcess, processes] = await Promise.all([PolicyRunner.start(), PolicyRunner.start({ isolation: "process" })]);
  listening = { before, during: tcpServers() };
  const prod = (await recordedGraph("prod")).deployment;
  const staging = (await recordedGraph("staging")).deployment;
  const broken = structuredClone(prod);
  const g = new ProdGraph(broken);
  for (const change of MISCONFIGURATIONS) {
    try {
      change.apply(g);
    } catch {
      // A change whose resource an earlier change removed: the others still apply.
    }
  }
  Object.assign(graphs, { prod: { deployment: prod, stack: "prod" }, staging: { deployment: staging, stack: "staging" }, "prod, every misconfiguration": { deployment: broken, stack: "prod" } });
});

afterAll(async () => {
  await Promise.all([inProcess?.close(), processes?.close()]);
});

describe("both packs in this process judge as the per-process packs do", () => {
  it("serves both packs from this process (two gRPC servers here, no child process)", () => {
    expect(inProcess.servers.map((s) => s.info.name)).toEqual(PACKS.map((p) => p.pack.name));
    expect(listening.during - listening.before).toBe(2);
  });

  it("reads the same analyzer info (packs, versions, policies, levels, schemas)", () => {
    expect(inProcess.servers.map((s) => s.info)).toEqual(processes.servers.map((s) => s.info));
  });

  it.each(["prod", "staging", "prod, every misconfiguration"])("%s: identical reports", async (name) => {
    const { deployment, stack } = graphs[name]!;
    const [a, b]: PolicyReport[] = await Promise.all([inProcess.evaluate(deployment, { stack }), processes.evaluate(deployment, { stack })]);
    expect(a).toEqual(b);
    if (name === "prod, every misconfiguration") {
      expect(a.summary.mandatory).toBeGreaterThan(MISCONFIGURATIONS.length / 2);
      expect(new Set(a.violations.map((v) => v.policyPack)).size).toBe(2);
    }
  });

  it("stops its servers on close", async () => {
    const runner = await PolicyRunner.start();
    const during = tcpServers();
    await runner.close();
    expect(tcpServers()).toBe(during - 2);
  });
});

describe("an invalid pack is an error, not an exit", () => {
  it("rejects with @pulumi/policy's reason instead of ending the process", async () => {
    const dir = PACKS[0]!.dir;
    await expect(hostPack(dir, { name: "not a valid name!", args: { policies: [] } })).rejects.toBeInstanceOf(PolicyServerError);
    await expect(hostPack(dir, { name: "ok-name", args: { policies: [{ name: "all", description: "reserved", validateResource: () => undefined }] } })).rejects.toThrow(/is invalid/);
  });
});
