/** The policy report: what the runner found, in the shapes the CLI and the release command use. */
import { controlIds } from "../lib/controls";
import type { PackInfo, Severity } from "./server";

export interface PolicyViolation {
  policyPack: string;
  policyPackVersion: string;
  policy: string;
  urn: string;
  type: string;
  enforcementLevel: "mandatory" | "advisory";
  severity: Severity;
  /** The compliance controls the policy enforces (`FSBP:ECR.2`, `CIS:5.2`, or `ORG`). */
  controls: string[];
  description: string;
  /** What to change (the rule's message, without the policy description the analyzer prefixes). */
  message: string;
  /** `project://path#line,column` or a file URI, when the graph recorded where the resource was declared. */
  sourcePosition?: string;
}

export interface PolicyReport {
  stack?: string;
  packs: PackInfo[];
  resourceCount: number;
  violations: PolicyViolation[];
  summary: { mandatory: number; advisory: number };
}

export type JsonViolation = Pick<PolicyViolation, "policyPack" | "policy" | "urn" | "type" | "enforcementLevel" | "severity" | "controls" | "message">;

/** The JSON contract of `policy --format json` (docs: DESIGN.md, command-line contract; severity and controls added). */
export function toJson(report: PolicyReport): { violations: JsonViolation[]; summary: { mandatory: number; advisory: number } } {
  return {
    violations: report.violations.map(({ policyPack, policy, urn, type, enforcementLevel, severity, controls, message }) => ({ policyPack, policy, urn, type, enforcementLevel, severity, controls, message })),
    summary: { ...report.summary },
  };
}

/** A policy's control ids, from the metadata its pack reported. */
export function controlsOf(packs: PackInfo[], packName: string, policy: string): string[] {
  const meta = packs.find((p) => p.name === packName)?.policies.find((p) => p.name === policy);
  return meta ? controlIds(meta.tags) : [];
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Markdown for a PR comment: verdict, then one table per enforcement level. */
export function toMarkdown(report: PolicyReport): string {
  const { mandatory, advisory } = report.summary;
  const packs = report.packs.map((p) => `${p.displayName} ${p.version}`).join(", ");
  const lines = [
    `### Policy report${report.stack ? ` — ${report.stack}` : ""}`,
    "",
    `${mandatory > 0 ? "❌" : "✅"} **${mandatory} mandatory**, ${advisory} advisory violation(s) over ${report.resourceCount} resources (${packs}).`,
  ];
  for (const level of ["mandatory", "advisory"] as const) {
    const rows = report.violations.filter((v) => v.enforcementLevel === level);
    if (rows.length === 0) continue;
    lines.push("", `#### ${level === "mandatory" ? "Mandatory (blocks the release)" : "Advisory"}`, "", "| policy | severity | controls | resource | what to change |", "|---|---|---|---|---|");
    for (const v of rows) lines.push(`| \`${v.policy}\` | ${v.severity} | ${cell(v.controls.join(", "))} | \`${cell(v.urn.split("::").slice(2).join("::"))}\` | ${cell(v.message)} |`);
  }
  return `${lines.join("\n")}\n`;
}
