/**
 * Block rate on the evaluation set (test/policy/prod-mutations.ts): each realistic one-change
 * misconfiguration of the prod graph must be blocked by the rule it belongs to, and each
 * compliant variation must pass with no finding at all, through the real analyzer and the prod
 * policy config. To keep this fast, changes are evaluated together when they touch different
 * resources and expect findings on different resources (so one change cannot produce the
 * finding another is judged by); a change not blocked in its batch, and every member of a
 * compliant batch with a finding, is re-evaluated alone, so every failure is that of one change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../infra/preview/deployment";
import { PolicyRunner, type PolicyReport } from "../../infra/policy/runner";
import { recordedGraph } from "../support/graph";
import { COMPLIANT_VARIATIONS, MISCONFIGURATIONS, ProdGraph, type GraphChange, type Misconfiguration } from "./prod-mutations";

let runner: PolicyRunner;
let base: Deployment;
beforeAll(async () => {
  [runner, base] = await Promise.all([PolicyRunner.start(), recordedGraph("prod").then((r) => r.deployment)]);
});
afterAll(async () => {
  await runner?.close();
});

function applied(changes: GraphChange[]): Deployment {
  const copy = structuredClone(base);
  const g = new ProdGraph(copy);
  for (const c of changes) c.apply(g);
  return copy;
}

/** URNs a change adds, removes or edits. */
function touched(change: GraphChange): Set<string> {
  const before = new Map(base.deployment.resources.map((r) => [r.urn, JSON.stringify(r)]));
  const after = applied([change]).deployment.resources;
  const out = new Set<string>([...before.keys()].filter((u) => !after.some((r) => r.urn === u)));
  for (const r of after) if (before.get(r.urn) !== JSON.stringify(r)) out.add(r.urn);
  return out;
}

/** Greedy batches of changes whose touched resources (and expected finding resources) are pairwise disjoint. */
function batches<C extends GraphChange>(changes: C[], expectedOn: (c: C) => string | undefined = () => undefined): C[][] {
  const out: Array<{ items: C[]; urns: Set<string>; findings: Set<string> }> = [];
  for (const c of changes) {
    const urns = touched(c);
    const finding = expectedOn(c);
    const fit = out.find((b) => [...urns].every((u) => !b.urns.has(u)) && (finding === undefined || !b.findings.has(finding)));
    const batch = fit ?? { items: [], urns: new Set<string>(), findings: new Set<string>() };
    if (!fit) out.push(batch);
    batch.items.push(c);
    for (const u of urns) batch.urns.add(u);
    if (finding !== undefined) batch.findings.add(finding);
  }
  return out.map((b) => b.items);
}

const evaluate = (changes: GraphChange[]): Promise<PolicyReport> => runner.evaluate(applied(changes), { stack: "prod" });
const blockedBy = (report: PolicyReport, m: Misconfiguration): boolean =>
  report.violations.some((v) => v.enforcementLevel === "mandatory" && v.policy === m.expect[0] && v.urn.endsWith(`::${m.expect[1]}`));

describe("the evaluation set of prod-graph changes", () => {
  it("has more than 50 misconfigurations and names a source for each change", () => {
    expect(MISCONFIGURATIONS.length).toBeGreaterThan(50);
    expect(COMPLIANT_VARIATIONS.length).toBeGreaterThan(20);
    for (const c of [...MISCONFIGURATIONS, ...COMPLIANT_VARIATIONS]) {
      expect(c.source.length, c.name).toBeGreaterThan(2);
      expect(touched(c).size, `${c.name} changes nothing`).toBeGreaterThan(0);
    }
  });

  it("blocks every misconfiguration with the rule it belongs to", async () => {
    const verdicts = new Map<Misconfiguration, boolean>();
    for (const batch of batches(MISCONFIGURATIONS, (m) => m.expect[1])) {
      const report = await evaluate(batch);
      for (const m of batch) verdicts.set(m, blockedBy(report, m) || (batch.length > 1 && blockedBy(await evaluate([m]), m)));
    }
    const missed = MISCONFIGURATIONS.filter((m) => !verdicts.get(m)).map((m) => `${m.name} (${m.source}): expected ${m.expect.join(" on ")}`);
    const rate = (MISCONFIGURATIONS.length - missed.length) / MISCONFIGURATIONS.length;
    console.log(`policy block rate on ${MISCONFIGURATIONS.length} prod-graph misconfigurations: ${(rate * 100).toFixed(1)}%`);
    expect(missed).toEqual([]);
  }, 600_000);

  it("passes every compliant variation without a single finding", async () => {
    const falseAlarms: string[] = [];
    for (const batch of batches(COMPLIANT_VARIATIONS)) {
      const report = await evaluate(batch);
      if (report.violations.length === 0) continue;
      for (const c of batch) {
        const alone = batch.length === 1 ? report : await evaluate([c]);
        for (const v of alone.violations) falseAlarms.push(`${c.name}: ${v.policy} on ${v.urn.split("::").pop()}: ${v.message}`);
      }
    }
    expect(falseAlarms).toEqual([]);
  }, 600_000);
});
