/**
 * One stack's section of the pull-request comment, in the Markdown GitHub renders: the counts,
 * a table of every change (symbol, resource, type, verdict, old → new per property), what Pulumi
 * will refuse, a Mermaid diagram of what changes, and the policy findings (mandatory first).
 * The workflow puts one section per stack under its own heading and marker.
 */
import { urnName } from "./deployment";
import { changeDiagram } from "./change-diagram";
import { MAX_PROPERTIES_SHOWN, propertyWhy, SYMBOL, VERDICT_LABEL, warnings, type ChangeKind, type DeploymentDiff } from "./diff";
import { cell, renderPolicyFindings, type PolicyFindings } from "./policy-findings";
import { shortType } from "./replacement-rules";

/** Resources listed in the table; the rest are counted (the whole diff is in the job's artifact). */
export const MAX_TABLE_RESOURCES = 60;

const MARK: Record<ChangeKind, string> = { replace: "🔴", "may-replace": "🟠", delete: "⛔", update: "🟡", create: "🟢" };

export interface StackCommentInput {
  stack: string;
  /** Absent when the base branch has no graph to compare against. */
  diff?: DeploymentDiff;
  /** Why there is no diff (shown instead of the table). */
  noDiffReason?: string;
  policy?: PolicyFindings;
}

function counts(diff: DeploymentDiff): string {
  const s = diff.summary;
  const part = (kind: ChangeKind, text: string) => (s[kind] > 0 ? `${MARK[kind]} **${s[kind]} ${text}**` : `${s[kind]} ${text}`);
  return [part("replace", "to replace"), part("may-replace", "may replace"), part("delete", "to delete"), part("update", "to update"), part("create", "to create"), `${s.same} unchanged`].join(" · ");
}

/** A value in a table cell: as code, its pipes escaped. */
const code = (text: string) => `\`${cell(text)}\``;

function changeTable(diff: DeploymentDiff): string[] {
  const lines = ["| | resource | type | verdict | change (old → new) |", "|---|---|---|---|---|"];
  for (const c of diff.changes.slice(0, MAX_TABLE_RESOURCES)) {
    const props = c.properties ?? [];
    const first = [`${MARK[c.kind]} ${code(SYMBOL[c.kind])}`, code(urnName(c.urn)), code(shortType(c.type)), c.kind === "update" || c.kind === "create" ? VERDICT_LABEL[c.kind] : `**${VERDICT_LABEL[c.kind]}**`];
    const details = props.slice(0, MAX_PROPERTIES_SHOWN).map((p) => {
      const value = p.secret ? "`[secret]` changed" : `${code(p.old)} → ${code(p.new)}`;
      const why = propertyWhy(p);
      return `${code(p.path)}: ${value}${why ? ` (${cell(why)})` : ""}`;
    });
    if (props.length > MAX_PROPERTIES_SHOWN) details.push(`… ${props.length - MAX_PROPERTIES_SHOWN} more`);
    for (const w of warnings(c)) details.unshift(`⚠️ ${cell(w)}`);
    if (details.length === 0) details.push(c.kind === "create" ? "new resource" : c.kind === "delete" ? "removed from the program" : "");
    lines.push(`| ${first.join(" | ")} | ${details[0]} |`);
    for (const d of details.slice(1)) lines.push(`| | | | | ${d} |`);
  }
  const rest = diff.changes.length - MAX_TABLE_RESOURCES;
  if (rest > 0) lines.push("", `… and ${rest} more resource change(s): the full diff is in the workflow run's artifacts (\`diff-<stack>.txt\`).`);
  return lines;
}

export function renderStackComment(input: StackCommentInput): string {
  const out = [`### Stack \`${input.stack}\``, ""];
  const { diff } = input;
  if (!diff) {
    out.push(input.noDiffReason ?? "No base graph: the base branch could not produce an offline preview.", "");
  } else if (diff.changes.length === 0) {
    out.push(`No resource changes against the base branch (${diff.summary.same} unchanged).`, "");
  } else {
    out.push(counts(diff), "");
    const refused = diff.changes.filter((c) => c.protect && (c.kind === "delete" || c.kind === "replace" || c.kind === "may-replace"));
    if (refused.length > 0) out.push(`⚠️ **Pulumi will refuse** to ${refused.map((c) => `${c.kind === "delete" ? "delete" : "replace"} ${code(urnName(c.urn))}`).join(", ")} (protected). Move the data first, or change the program.`, "");
    out.push("<details open><summary>Resource changes against the base branch</summary>", "", ...changeTable(diff), "", "</details>", "");
    if (diff.secretsNotCompared > 0) out.push(`${diff.secretsNotCompared} secret value(s) were not compared: the offline preview records no secret.`, "");
    out.push("Verdicts: **replace** — the provider replaces the resource; **may replace** — the provider decides against live state, or a value is known only after apply; update — changed in place (the note says when that means downtime).", "");
    const diagram = changeDiagram(diff);
    if (diagram) out.push("#### What changes", "", "```mermaid", diagram, "```", "");
  }
  if (input.policy) out.push("#### Policy findings", "", renderPolicyFindings(input.policy).trimEnd(), "");
  return `${out.join("\n").trimEnd()}\n`;
}
