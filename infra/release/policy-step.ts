/**
 * Step 3 — preview and policy: the stack's offline graph (Pulumi deployment v3) and the SEC-OPS
 * and DATA-OPS results on it, as Markdown, JSON (the CLI contract) and SARIF.
 *
 * What it runs is loaded when it runs: the Pulumi SDKs take about a second to load, and the
 * release starts the backend build and its PostgreSQL first (they run alongside this step).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail, step, type ReleaseContext, type ReleaseStep, type StepResult } from "./types";

/**
 * The program reads the release identity from the environment (as `pulumi up` in the pipeline
 * does): pin it to this release's version and commit, so the graph does not depend on whatever
 * HEAD is while the step runs, and declare no archive objects (the package is being built).
 */
async function withReleaseIdentity<T>(ctx: ReleaseContext, fn: () => Promise<T>): Promise<T> {
  const { NO_PACKAGE, RELEASE_PACKAGE_ENV } = await import("../components/release-archive");
  const keys = ["RELEASE_VERSION", "RELEASE_GIT_SHA", RELEASE_PACKAGE_ENV] as const;
  const saved = keys.map((k) => process.env[k]);
  process.env.RELEASE_VERSION = ctx.version;
  process.env.RELEASE_GIT_SHA = ctx.commit.sha;
  process.env[RELEASE_PACKAGE_ENV] = NO_PACKAGE;
  try {
    return await fn();
  } finally {
    keys.forEach((k, i) => {
      if (saved[i] === undefined) delete process.env[k];
      else process.env[k] = saved[i];
    });
  }
}

async function run(ctx: ReleaseContext): Promise<StepResult> {
  const result = step(policy.id, policy.title, policy.blocking);
  try {
    const [{ recordStack }, { countByType }, { runPolicies, toJson, toMarkdown, toSarif }] = await Promise.all([import("../preview/record"), import("../preview/tree"), import("../policy/runner")]);
    ctx.progress(`recording the ${ctx.stack} stack under the mock runtime`);
    const recorded = await withReleaseIdentity(ctx, () => recordStack({ stack: ctx.stack, ...(ctx.configFile ? { configFile: ctx.configFile } : {}) }));
    const previewDir = join(ctx.dir, "preview");
    mkdirSync(previewDir, { recursive: true });
    writeFileSync(join(previewDir, "graph.json"), `${JSON.stringify(recorded.deployment, null, 2)}\n`);
    writeFileSync(join(previewDir, "resource-counts.json"), `${JSON.stringify(Object.fromEntries(countByType(recorded.deployment)), null, 2)}\n`);

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

export const policy: ReleaseStep = {
  id: "policy",
  title: "Preview and policy packs (SEC-OPS, DATA-OPS)",
  blocking: true,
  produces: () => [
    { standard: "SEC-OPS", item: "SEC-OPS policy pack results (Markdown, JSON, SARIF)", location: "policy/results.sarif", also: ["policy/results.md"] },
    { standard: "SEC-OPS", item: "Resource graph the policies judged", location: "preview/graph.json", also: ["preview/resource-counts.json"] },
    { standard: "DATA-OPS", item: "DATA-OPS policy pack results", location: "policy/results.json" },
  ],
  run,
};

/** The step as a function, for callers of the old shape. */
export const policyStep = policy.run;
