/**
 * The alert-to-runbook table of the handoff package: every monitor, its thresholds per
 * environment, severity, whom it pages and its runbook section. Generated from the stacks'
 * configs through the same definitions the monitors are declared from.
 */
import { MONITOR_CATALOG, type MonitorKind } from "../../config/monitor-catalog";
import type { Environment, StackConfig } from "../../config/schema";
import { describeThreshold, formatNumber, monitorDefinitions } from "./monitors";
import { ALERT_RUNBOOK } from "./naming";
import { burnRateDefinitions, SLO_RUNBOOK_ANCHOR } from "./slos";

export interface AlertThresholds {
  warning?: string;
  critical: string;
  warningRecovery?: string;
  criticalRecovery?: string;
  windowMinutes?: number;
  severity: "page" | "ticket";
  priority: number;
  /** `@pagerduty-<service>` for pages; null for tickets. */
  pages: string | null;
}

export interface AlertRow {
  /** `<kind>` or `sloBurnRate:<slo>:<long window>`. */
  id: string;
  service: string;
  monitor: string;
  kind: MonitorKind | "sloBurnRate";
  environments: Partial<Record<Environment, AlertThresholds>>;
  /** `runbooks/alerts.md#<anchor>`. */
  runbook: string;
}

export function alertTable(configs: readonly StackConfig[]): AlertRow[] {
  const rows = new Map<string, AlertRow>();
  const row = (id: string, init: Omit<AlertRow, "environments">) => {
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { ...init, environments: {} }));
    return r;
  };
  for (const cfg of configs) {
    for (const def of monitorDefinitions(cfg)) {
      const r = row(`${def.service}:${def.kind}`, { id: def.kind, service: def.service, monitor: def.spec.title, kind: def.kind, runbook: `${ALERT_RUNBOOK}#${def.runbookAnchor}` });
      r.environments[cfg.environment] = {
        warning: describeThreshold(def.kind, def.config.warning),
        critical: describeThreshold(def.kind, def.config.critical),
        ...(def.config.warningRecovery !== undefined ? { warningRecovery: `${formatNumber(def.config.warningRecovery)} ${def.spec.unit}` } : {}),
        ...(def.config.criticalRecovery !== undefined ? { criticalRecovery: `${formatNumber(def.config.criticalRecovery)} ${def.spec.unit}` } : {}),
        windowMinutes: def.config.windowMinutes,
        severity: def.config.severity,
        priority: def.priority,
        pages: def.pagingHandle ?? null,
      };
    }
    for (const svc of cfg.services) {
      for (const def of burnRateDefinitions(cfg, svc)) {
        const id = `sloBurnRate:${def.slo.kind}:${def.window.longWindow}`;
        const r = row(`${svc.name}:${id}`, { id, service: svc.name, monitor: `${def.slo.kind} SLO burn rate ${formatNumber(def.window.rate)}x (${def.window.longWindow}/${def.window.shortWindow})`, kind: "sloBurnRate", runbook: `${ALERT_RUNBOOK}#${SLO_RUNBOOK_ANCHOR}` });
        r.environments[cfg.environment] = {
          critical: `> ${formatNumber(def.window.rate)}x (${formatNumber(def.errorRatePercent)}% bad of target ${formatNumber(def.slo.target)}%)`,
          severity: def.window.severity,
          priority: def.window.priority,
          pages: def.pagingHandle ?? null,
        };
      }
    }
  }
  return [...rows.values()];
}

function cell(t: AlertThresholds | undefined): string {
  if (!t) return "not monitored";
  const parts = [t.warning ? `warn ${t.warning}` : undefined, `crit ${t.critical}`].filter(Boolean).join(" / ");
  const window = t.windowMinutes ? `, ${t.windowMinutes} min` : "";
  const who = t.pages ? `page ${t.pages}` : "ticket";
  return `${parts}${window}; ${who} (P${t.priority})`.replace(/\|/g, "\\|");
}

/** Markdown table; `linkPrefix` makes runbook links relative to where the table is written. */
export function renderAlertTableMarkdown(rows: readonly AlertRow[], environments: readonly Environment[], linkPrefix = "../"): string {
  const header = `| Monitor | Service | ${environments.join(" | ")} | Runbook |`;
  const rule = `|${" --- |".repeat(environments.length + 3)}`;
  const lines = rows.map((r) => {
    const anchor = r.runbook.split("#")[1] ?? "";
    const target = linkPrefix === "" && r.runbook.startsWith("runbooks/") ? r.runbook.slice("runbooks/".length) : `${linkPrefix}${r.runbook}`;
    return `| ${r.monitor} | ${r.service} | ${environments.map((e) => cell(r.environments[e])).join(" | ")} | [${anchor}](${target}) |`;
  });
  return [header, rule, ...lines].join("\n");
}

/** Every runbook anchor an alert of these stacks links to. */
export function requiredAlertAnchors(configs: readonly StackConfig[]): { anchor: string; title: string; kinds: string[] }[] {
  const out = new Map<string, { anchor: string; title: string; kinds: string[] }>();
  for (const r of alertTable(configs)) {
    const anchor = r.runbook.split("#")[1]!;
    const title = r.kind === "sloBurnRate" ? "SLO burn rate" : MONITOR_CATALOG[r.kind].title;
    const entry = out.get(anchor) ?? { anchor, title, kinds: [] };
    if (!entry.kinds.includes(r.kind)) entry.kinds.push(r.kind);
    out.set(anchor, entry);
  }
  return [...out.values()];
}
