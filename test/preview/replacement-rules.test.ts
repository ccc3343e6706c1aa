/**
 * Issue 18 (ops): the replacement table covers the class, not examples. Every resource type the
 * program creates in either stack has an entry (a new type fails here until classified), and
 * every property the table names is an input of that type in the installed Pulumi SDK (a typo or
 * a renamed input fails here instead of silently never matching).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { REPLACEMENT_RULES, ruleFor } from "../../infra/preview/replacement-rules";
import { recordedGraph } from "../support/graph";

/** The input names of `<Class>Args` in the SDK's typings for a type token (`aws:ecs/service:Service`). */
function sdkInputs(type: string): string[] {
  const [pkg, modPath, cls] = type.split(":");
  const [mod, file] = modPath!.includes("/") ? modPath!.split("/") : [modPath!, cls![0]!.toLowerCase() + cls!.slice(1)];
  const dts = join(REPO_ROOT, "node_modules", "@pulumi", pkg!, mod === "index" ? "" : mod!, `${file}.d.ts`);
  const src = readFileSync(dts, "utf8");
  const body = new RegExp(`export interface ${cls}Args \\{([\\s\\S]*?)\\n\\}`).exec(src)?.[1];
  if (!body) throw new Error(`no ${cls}Args in ${dts}`);
  return [...body.matchAll(/^ {4}(?:readonly )?(\w+)\??:/gm)].map((m) => m[1]!);
}

describe("replacement table", () => {
  it.each(["prod", "staging"])("classifies every resource type in the %s graph", async (stack) => {
    const { deployment } = await recordedGraph(stack);
    const unclassified = [...new Set(deployment.deployment.resources.filter((r) => r.custom && !ruleFor(r.type, true)).map((r) => r.type))];
    expect(unclassified).toEqual([]);
    // Components have no provider: never replaced by an input change.
    for (const r of deployment.deployment.resources.filter((x) => !x.custom)) expect(ruleFor(r.type, false)?.replace ?? []).toEqual([]);
  }, 120_000);

  it("names only inputs the SDK has, and says where each entry comes from", () => {
    for (const [type, rule] of Object.entries(REPLACEMENT_RULES)) {
      const inputs = new Set(sdkInputs(type));
      const paths = [...(rule.replace ?? []), ...(rule.mayReplace ?? []), ...(rule.inPlace ?? []), ...Object.keys(rule.decide ?? {}), ...Object.keys(rule.notes ?? {})];
      for (const path of paths) expect(inputs.has(path.split(".")[0]!), `${type}: ${path}`).toBe(true);
      expect(rule.source.length, type).toBeGreaterThan(20);
    }
  });
});
