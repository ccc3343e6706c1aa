/**
 * What each rule enforces, in the vocabulary a security reviewer uses: AWS Foundational Security
 * Best Practices controls (Security Hub ids such as `ECR.2`), CIS AWS Foundations Benchmark
 * v3.0.0 recommendations (`5.2`), or the organisation's own rule when neither has one. Carried
 * as policy `tags` and `url`, which @pulumi/policy passes through its AnalyzerInfo, so the
 * runner's JSON and SARIF reports name them without a second source of truth.
 */
import type { Policy } from "@pulumi/policy";

const FSBP_DOCS = "https://docs.aws.amazon.com/securityhub/latest/userguide";
const CIS_DOCS = "https://docs.aws.amazon.com/securityhub/latest/userguide/cis-aws-foundations-benchmark.html";

/** Tag prefixes: `FSBP:ECR.2`, `CIS:5.2`; `ORG` marks an organisation rule with no public control. */
export const FSBP = "FSBP:";
export const CIS = "CIS:";
export const ORG = "ORG";

/** Security Hub's page and anchor for an FSBP control (`ECR.2` → ecr-controls.html#ecr-2). */
export function fsbpUrl(control: string): string {
  const [service = "", number = ""] = control.split(".");
  const s = service.toLowerCase();
  return `${FSBP_DOCS}/${s}-controls.html#${s}-${number}`;
}

/** The Pulumi registry page of a resource type token (`aws:ecs/service:Service`). */
export function registryUrl(typeToken: string): string {
  const [pkg = "", mod = ""] = typeToken.split(":");
  const [module = "", resource = ""] = mod.split("/");
  const path = module === "index" ? resource : `${module}/${resource}`;
  return `https://www.pulumi.com/registry/packages/${pkg}/api-docs/${path.toLowerCase()}/`;
}

export interface ControlRefs {
  fsbp?: string[];
  cis?: string[];
  /** Resource type documenting the setting, for rules without a public control. */
  docType?: string;
}

/** `tags` and `url` of a policy: its controls, help from the first FSBP control, else CIS, else the resource's docs. */
export function controls(refs: ControlRefs): Required<Pick<Policy, "tags" | "url">> {
  const tags = [...(refs.fsbp ?? []).map((c) => `${FSBP}${c}`), ...(refs.cis ?? []).map((c) => `${CIS}${c}`)];
  const first = refs.fsbp?.[0];
  const url = first ? fsbpUrl(first) : refs.cis?.length ? CIS_DOCS : refs.docType ? registryUrl(refs.docType) : CIS_DOCS;
  return { tags: tags.length > 0 ? tags : [ORG], url };
}

/** The control ids among a policy's tags (what reports list under `controls`). */
export function controlIds(tags: readonly string[]): string[] {
  return tags.filter((t) => t.startsWith(FSBP) || t.startsWith(CIS) || t === ORG);
}
