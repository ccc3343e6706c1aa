/**
 * Step 3 — preview and policy: the stack's offline graph (Pulumi deployment v3) and the SEC-OPS
 * and DATA-OPS results on it, as Markdown, JSON (the CLI contract) and SARIF.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { recordStack } from "../preview/record";
import { countByType } from "../preview/tree";
import { runPolicies, toJson, toMarkdown, toSarif } from "../policy/runner";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

export async function policyStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("policy", "Preview and policy packs (SEC-OPS, DATA-OPS)");
  try {
    ctx.progress(`recording the ${ctx.stack} stack under the mock runtime`);
    const recorded = await recordStack({ stack: ctx.stack });
    const previewDir = join(ctx.dir, "preview");
    mkdirSync(previewDir, { recursive: true });
    writeFileSync(join(previewDir, "graph.json"), `${JSON.stringify(recorded.deployment, null, 2)}\n`);
    writeFileSync(join(previewDir, "resource-counts.json"), `${JSON.stringify(Object.fromEntries(countByType(recorded.deployment)), null, 2)}\n`);
    ctx.state.graphFile = join(previewDir, "graph.json");

    ctx.progress("evaluating the policy packs through @pulumi/policy's analyzer");
    const started = performance.now();
    const report = await runPolicies({ deployment: recorded.deployment, stack: ctx.stack });
    const ms = Math.round(performance.now() - started);
    const policyDir = join(ctx.dir, "policy");
    mkdirSync(policyDir, { recursive: true });
    writeFileSync(join(policyDir, "results.md"), toMarkdown(report));
    writeFileSync(join(policyDir, "results.json"), `${JSON.stringify(toJson(report), null, 2)}\n`);
    writeFileSync(join(policyDir, "results.sarif"), `${JSON.stringify(toSarif(report), null, 2)}\n`);
    result.files.push("preview/graph.json", "preview/resource-counts.json", "policy/results.md", "policy/results.json", "policy/results.sarif");
    const resources = recorded.deployment.deployment.resources.length;
    result.figures = { resources, mandatory: report.summary.mandatory, advisory: report.summary.advisory, policyMs: ms };
    result.summary = `${resources} resources; ${report.summary.mandatory} mandatory, ${report.summary.advisory} advisory violation(s) in ${ms} ms`;
    for (const v of report.violations.filter((x) => x.enforcementLevel === "mandatory")) {
      fail(result, `${v.policy} on ${v.urn.split("::").slice(3).join("::")}: ${v.message}`);
    }
  } catch (err) {
    fail(result, `preview/policy: ${(err as Error).message.split("\n")[0]}`);
    result.summary = "preview or policy evaluation failed";
  }
  return result;
}
