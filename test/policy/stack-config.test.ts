/**
 * The per-stack policy configs (infra/policy/config/<stack>.json): valid against every policy's
 * schema, and the production tier sets explicitly every list a rule judges by — an empty
 * registry allow-list there would make SEC-ECS-09 report itself.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Policy } from "@pulumi/policy";
import { dataOpsPolicies } from "../../infra/policy/data-ops/rules";
import { CONFIG_DIR } from "../../infra/policy/runner/config";
import { loadPolicyConfig, reconcile, type PackInfo } from "../../infra/policy/runner";
import { secOpsPolicies } from "../../infra/policy/sec-ops/rules";

const packOf = (name: string, policies: Policy[]): PackInfo => ({
  name,
  version: "test",
  displayName: name,
  description: name,
  policies: policies.map((p) => ({
    name: p.name,
    description: p.description,
    enforcementLevel: p.enforcementLevel ?? "advisory",
    severity: p.severity ?? "unspecified",
    type: "resource",
    remediationSteps: "",
    tags: p.tags ?? [],
    url: p.url ?? "",
    ...(p.configSchema ? { configSchema: { properties: p.configSchema.properties as Record<string, Record<string, unknown>>, required: p.configSchema.required ?? [] } } : {}),
  })),
});
const packs = [packOf("sec-ops", secOpsPolicies), packOf("data-ops", dataOpsPolicies)];
const stacks = readdirSync(CONFIG_DIR).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, ""));

/** Lists the production tier must state (what may face the internet, which registries and accounts, which windows). */
const PRODUCTION_LISTS: Array<[policy: string, key: string, nonEmpty: boolean]> = [
  ["SEC-ECS-09-image-digest", "allowedRegistries", true],
  ["SEC-RES-02-no-untrusted-accounts", "accountIds", true],
  ["SEC-RES-02-no-untrusted-accounts", "trustedAccounts", false],
  ["SEC-NET-01-world-only-443", "allowedPorts", true],
  ["SEC-NET-03-egress-to-internet", "allowedPorts", true],
  ["OPS-MON-01-paging-monitors-notify", "pagerHandles", true],
  ["OPS-MON-01-paging-monitors-notify", "notifyHandles", true],
  ["OPS-SLO-01-burn-rate-monitors", "longWindows", true],
  ["DATA-S3-06-archive-never-expires", "releasePrefixes", true],
  ["DATA-ECR-01-keep-released-images", "releaseTagPrefixes", true],
];

describe("stack policy configs", () => {
  it.each(stacks)("%s.json is valid against every policy's schema", (stack) => {
    const config = loadPolicyConfig(stack);
    for (const pack of packs) expect(() => reconcile(pack, config)).not.toThrow();
    const names = new Set(packs.flatMap((p) => p.policies.map((x) => x.name)));
    expect(Object.keys(config).filter((k) => k !== "all" && !names.has(k))).toEqual([]);
  });

  it.each(stacks)("%s.json states every list a rule judges by", (stack) => {
    const config = loadPolicyConfig(stack);
    const missing = PRODUCTION_LISTS.filter(([policy, key, nonEmpty]) => {
      const value = config[policy]?.properties?.[key];
      return !Array.isArray(value) || (nonEmpty && value.length === 0);
    });
    expect(missing).toEqual([]);
  });
});
