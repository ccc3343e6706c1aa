/**
 * docs/policy-coverage.md stays true: it names every rule, every control a rule claims (its
 * policy tags) is listed in a row that names that rule, and the evaluation set's size is the
 * one the document states.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dataOpsPolicies } from "../../infra/policy/data-ops/rules";
import { secOpsPolicies } from "../../infra/policy/sec-ops/rules";
import { COMPLIANT_VARIATIONS, MISCONFIGURATIONS } from "./prod-mutations";

const doc = readFileSync(join(__dirname, "..", "..", "docs", "policy-coverage.md"), "utf8");
const rules = [...secOpsPolicies, ...dataOpsPolicies];

/** Table rows by the controls their first cell lists (`FSBP RDS.13, RDS.35, CIS 2.3.2`). */
function rowsByControl(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const row of doc.split("\n").filter((l) => /^\| (FSBP|CIS) /.test(l))) {
    let framework = "";
    for (const token of row.split("|")[1]!.split(",").map((t) => t.trim())) {
      const m = /^(?:(FSBP|CIS) )?([A-Za-z0-9]+\.\d+(?:\.\d+)*|\d+(?:\.\d+)+)$/.exec(token);
      if (!m) continue; // ranges (RDS.19 – RDS.22) and families (4.x) name no single control
      framework = m[1] ?? framework;
      const id = `${framework}:${m[2]}`;
      out.set(id, [...(out.get(id) ?? []), row]);
    }
  }
  return out;
}

describe("docs/policy-coverage.md", () => {
  it("names every rule", () => {
    expect(rules.map((r) => r.name).filter((n) => !doc.includes(n))).toEqual([]);
  });

  it("lists every control a rule claims in a row that names the rule", () => {
    const rows = rowsByControl();
    const missing = rules.flatMap((r) => (r.tags ?? []).filter((t) => t !== "ORG").filter((t) => !(rows.get(t) ?? []).some((row) => row.includes(r.name))).map((t) => `${r.name} claims ${t}`));
    expect(missing).toEqual([]);
  });

  it("and docs/architecture.md state how many rules there are", () => {
    expect(readFileSync(join(__dirname, "..", "..", "docs", "architecture.md"), "utf8")).toContain(`(${rules.length} rules,`);
  });

  it("states the size of the evaluation set", () => {
    expect(doc).toContain(`${MISCONFIGURATIONS.length} one-change misconfigurations`);
    expect(doc).toContain(`${COMPLIANT_VARIATIONS.length} compliant variations`);
  });
});
