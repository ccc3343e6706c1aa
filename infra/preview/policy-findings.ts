/**
 * The policy findings of the PR comment, read from the report `policy --format json` writes
 * (infra/policy/runner/report.ts `toJson`): mandatory first, then by severity.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { urnName, urnType } from "./deployment";

const violationSchema = z.object({
  policyPack: z.string(),
  policy: z.string(),
  urn: z.string(),
  type: z.string(),
  enforcementLevel: z.enum(["mandatory", "advisory"]),
  severity: z.enum(["critical", "high", "medium", "low", "unspecified"]).optional(),
  controls: z.array(z.string()).optional(),
  message: z.string(),
});

const reportSchema = z.object({
  violations: z.array(violationSchema),
  summary: z.object({ mandatory: z.number().int().min(0), advisory: z.number().int().min(0) }),
});

export type PolicyFindings = z.infer<typeof reportSchema>;

export class PolicyReportError extends Error {
  override readonly name = "PolicyReportError";
}

export function parsePolicyReport(json: unknown, source: string): PolicyFindings {
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join(".") : "(root)";
    throw new PolicyReportError(`${source} is not a policy report as \`policy --format json\` writes it: at ${where}: ${first?.message ?? "invalid"}`);
  }
  return parsed.data;
}

export function readPolicyReport(file: string): PolicyFindings {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PolicyReportError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PolicyReportError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parsePolicyReport(json, file);
}

const SEVERITY_ORDER = ["critical", "high", "medium", "low", "unspecified"];

/** A Markdown table cell: pipes escaped, one line, backticks out of code spans. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ").replace(/`/g, "'");
}

export function renderPolicyFindings(report: PolicyFindings): string {
  const { mandatory, advisory } = report.summary;
  const head = mandatory > 0 ? `❌ **${mandatory} mandatory** violation(s) block the merge; ${advisory} advisory.` : `✅ No mandatory violation; ${advisory} advisory.`;
  if (report.violations.length === 0) return `${head}\n`;
  const rows = [...report.violations].sort(
    (a, b) =>
      Number(a.enforcementLevel !== "mandatory") - Number(b.enforcementLevel !== "mandatory") ||
      SEVERITY_ORDER.indexOf(a.severity ?? "unspecified") - SEVERITY_ORDER.indexOf(b.severity ?? "unspecified") ||
      a.policy.localeCompare(b.policy) ||
      a.urn.localeCompare(b.urn),
  );
  const lines = [head, "", "| level | severity | policy | resource | what to change |", "|---|---|---|---|---|"];
  for (const v of rows) {
    const level = v.enforcementLevel === "mandatory" ? "**mandatory**" : "advisory";
    lines.push(`| ${level} | ${v.severity ?? "unspecified"} | \`${cell(v.policy)}\` | \`${cell(urnName(v.urn))}\` ${cell(urnType(v.urn))} | ${cell(v.message)} |`);
  }
  return `${lines.join("\n")}\n`;
}
