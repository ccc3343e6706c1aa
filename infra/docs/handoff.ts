/**
 * docs/handoff/ templates (agenda, minutes, action items) with `{{name}}` placeholders that the
 * release command fills with what it knows. Unknown placeholders stay visible, never blank.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "../../config/schema";
import { REPO_ROOT } from "../../config/stack-file";
import { alertTable, renderAlertTableMarkdown } from "../observability/alert-table";
import { dashboardTitle } from "../observability/naming";
import { oncallRotation } from "../observability/rotation";

export const HANDOFF_TEMPLATES = ["agenda.md", "minutes.md", "action-items.md"] as const;
export type HandoffTemplate = (typeof HANDOFF_TEMPLATES)[number];

export function readHandoffTemplate(name: HandoffTemplate, root: string = REPO_ROOT): string {
  return readFileSync(join(root, "docs", "handoff", name), "utf8");
}

/** Replaces `{{key}}` for every known key; unknown ones are left as they are. */
export function fillHandoffTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/**
 * What the config alone says about a handoff. The release command adds version, date, gitSha,
 * participants. The alert table's runbook links are relative to the package's location, so the
 * caller passes the prefix that reaches the repository root from where the file is written.
 */
export function handoffFacts(cfg: StackConfig, stack: string, opts: { configs?: StackConfig[]; runbookLinkPrefix?: string; from?: number } = {}): Record<string, string> {
  const rotation = oncallRotation(cfg, 1, opts.from);
  const now = rotation.weeks[0];
  return {
    stack,
    environment: cfg.environment,
    services: cfg.services.map((s) => s.name).join(", "),
    dashboards: cfg.services.map((s) => `"${dashboardTitle(cfg, s)}"`).join(", "),
    oncall: `${cfg.oncall.teamName}: primary ${now?.primary ?? "?"}, secondary ${now?.secondary ?? "?"}, then ${cfg.oncall.teamLeadEmail} (handoff ${rotation.handoff} ${rotation.timeZone})`,
    alertTable: renderAlertTableMarkdown(alertTable(opts.configs ?? [cfg]), (opts.configs ?? [cfg]).map((c) => c.environment), opts.runbookLinkPrefix ?? "../../"),
  };
}
