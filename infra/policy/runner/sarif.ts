/**
 * SARIF 2.1.0 for code scanning: one run per policy pack, rule metadata from the packs'
 * AnalyzerInfo (severity, the controls each rule enforces as tags, a help URI to the control),
 * results located in the program's source when the graph recorded a source position
 * (`project://infra/x.ts#12,5`), else by a logical location (the resource URN).
 */
import { controlIds } from "../lib/controls";
import type { PolicyReport, PolicyViolation } from "./report";
import type { Severity } from "./server";

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { critical: "error", high: "error", medium: "warning", low: "note", unspecified: "warning" };
const SCORE: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", unspecified: "5.0" };

/** `project://path#line,col` or `file:///abs#line,col` → a SARIF physical location. */
export function physicalLocation(position: string | undefined): Record<string, unknown> | undefined {
  const m = position ? /^(project:\/\/|file:\/\/)([^#]+)(?:#(\d+)(?:,(\d+))?)?$/.exec(position) : null;
  if (!m) return undefined;
  const [, scheme, path, line, column] = m;
  const artifactLocation = scheme === "project://" ? { uri: path!.replace(/^\/+/, ""), uriBaseId: "%SRCROOT%" } : { uri: `file://${path}` };
  const region: Record<string, number> = {};
  if (line && Number(line) > 0) region.startLine = Number(line);
  if (column && Number(column) > 0) region.startColumn = Number(column);
  return { artifactLocation, ...(Object.keys(region).length > 0 ? { region } : {}) };
}

function result(v: PolicyViolation, ruleIndex: number): Record<string, unknown> {
  const physical = physicalLocation(v.sourcePosition);
  const logical = { name: v.urn.split("::").slice(3).join("::"), fullyQualifiedName: v.urn, kind: "resource" };
  return {
    ruleId: v.policy,
    ruleIndex,
    level: v.enforcementLevel === "mandatory" ? LEVEL[v.severity] : "warning",
    message: { text: v.message },
    locations: [physical ? { physicalLocation: physical, logicalLocations: [logical] } : { logicalLocations: [logical] }],
    properties: { enforcementLevel: v.enforcementLevel, severity: v.severity, controls: v.controls, resourceType: v.type, urn: v.urn },
  };
}

export function toSarif(report: PolicyReport): Record<string, unknown> {
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: report.packs.map((pack) => {
      const rules = pack.policies.map((p) => ({
        id: p.name,
        name: p.name,
        shortDescription: { text: p.description },
        fullDescription: { text: p.description },
        ...(p.remediationSteps ? { help: { text: p.remediationSteps } } : {}),
        ...(p.url ? { helpUri: p.url } : {}),
        defaultConfiguration: { level: p.enforcementLevel === "mandatory" ? LEVEL[p.severity] : p.enforcementLevel === "disabled" ? "none" : "warning" },
        properties: { tags: ["security", ...controlIds(p.tags)], severity: p.severity, "security-severity": SCORE[p.severity], enforcementLevel: p.enforcementLevel, policyType: p.type },
      }));
      const index = new Map(rules.map((r, i) => [r.id, i]));
      return {
        tool: { driver: { name: pack.name, semanticVersion: pack.version, informationUri: "https://www.pulumi.com/docs/iac/packages-and-automation/crossguard/", rules } },
        results: report.violations.filter((v) => v.policyPack === pack.name).map((v) => result(v, index.get(v.policy) ?? -1)),
      };
    }),
  };
}
