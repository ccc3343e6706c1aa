/**
 * The in-process host (infra/policy/runner/host.ts) against the per-process path: both packs
 * served by @pulumi/policy's own server code in this process must judge exactly as the packs do
 * in their own processes (their entries run through tsx, as `pulumi preview --policy-pack` runs
 * them) — the same packs, policies, violations, levels, messages and source positions — on the
 * prod graph, on staging's, and on the prod graph with every misconfiguration of the evaluation
 * set applied at once.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../infra/preview/deployment";
import { hostPack } from "../../infra/policy/runner/host";
import { PolicyRunner, PolicyServerError, type PolicyReport } from "../../infra/policy/runner";
import { PACKS } from "../../infra/policy/runner/packs";
import { recordedGraph } from "../support/graph";
import { MISCONFIGURATIONS, ProdGraph } from "./prod-mutations";

let inProcess: PolicyRunner;
let processes: PolicyRunner;
const graphs: Record<string, { deployment: Deployment; stack: string }> = {};

/** This process's child Node processes (Linux /proc; tsx's esbuild service is not one). */
function children(): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      // The fields after the command's closing parenthesis: state, ppid, …
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid && readlinkSync(`/proc/${pid}/exe`) === realpathSync(process.execPath)) n++;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}

/** TCP servers this process listens on. */
const listening = () => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;

let started = { processes: 0, servers: 0 };
let startedByProcessPath = 0;

beforeAll(async () => {
  const [processesBefore, serversBefore] = [children(), listening()];
  inProcess = await PolicyRunner.start();
  started = { processes: children() - processesBefore, servers: listening() - serversBefore };
  const before = children();
  processes = await PolicyRunner.start({ isolation: "process" });
  startedByProcessPath = children() - before;
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
  it("serves both packs from this process: no child process, no socket (the per-process path starts two processes)", () => {
    expect(inProcess.servers.map((s) => s.info.name)).toEqual(PACKS.map((p) => p.pack.name));
    expect(started).toEqual({ processes: 0, servers: 0 });
    expect(startedByProcessPath).toBe(2);
  });

  it("reads the same analyzer info (packs, versions, policies, levels, schemas)", () => {
    expect(inProcess.servers.map((s) => s.info)).toEqual(processes.servers.map((s) => s.info));
  });

  it.each(["prod", "staging", "prod, every misconfiguration"])("%s: identical reports", async (name) => {
    const { deployment, stack } = graphs[name]!;
    const [a, b]: [PolicyReport, PolicyReport] = await Promise.all([inProcess.evaluate(deployment, { stack }), processes.evaluate(deployment, { stack })]);
    expect(a).toEqual(b);
    if (name === "prod, every misconfiguration") {
      expect(a.summary.mandatory).toBeGreaterThan(MISCONFIGURATIONS.length / 2);
      expect(new Set(a.violations.map((v) => v.policyPack)).size).toBe(2);
    }
  });
});

describe("an invalid pack is an error, not an exit", () => {
  it("throws, after @pulumi/policy's reason, instead of ending the process", () => {
    const dir = PACKS[0]!.dir;
    expect(() => hostPack(dir, { name: "not a valid name!", args: { policies: [] } })).toThrow(PolicyServerError);
    expect(() => hostPack(dir, { name: "ok-name", args: { policies: [{ name: "all", description: "reserved", validateResource: () => undefined }] } })).toThrow(/is invalid/);
  });
});
