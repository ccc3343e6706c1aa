/**
 * The generated parts of runbooks/: everything that comes from config (thresholds per
 * environment, scaling limits, schedules, names, log retention). Prose is hand-written around
 * these blocks; `docs generate` rewrites only the blocks.
 */
import { MONITOR_CATALOG, MONITOR_KINDS, type MonitorKind, type MonitorKindSpec } from "../../config/monitor-catalog";
import { stackNames } from "../../config/names";
import type { ServiceConfig, StackConfig } from "../../config/schema";
import { alertTable, renderAlertTableMarkdown } from "../observability/alert-table";
import { DASHBOARD_GROUPS, widgetTitle } from "../observability/dashboard";
import { describeThreshold, formatNumber, serviceMonitorDefinitions } from "../observability/monitors";
import { awsNames, dashboardTitle, pagerdutyServiceName, pagingHandle } from "../observability/naming";
import { oncallPlan } from "../observability/oncall-plan";
import type { MonitorTargets } from "../observability/signals";
import { commandBlocks, firstChecks } from "./runbook-commands";
import { burnRateDefinitions, SLO_RUNBOOK_ANCHOR, sloDefinitions } from "../observability/slos";

export type BlocksByFile = Map<string, Map<string, string>>;

/** Query scope as far as names are known before deploy; ALB ids come from the stack outputs. */
export function docTargets(cfg: StackConfig, stack: string, svc: ServiceConfig): MonitorTargets {
  const n = awsNames(stack, cfg, svc);
  return {
    loadBalancer: "<ALB arn suffix>",
    targetGroup: "<target group arn suffix>",
    cluster: n.cluster,
    ecsService: n.ecsService,
    dbInstance: n.dbInstance,
    migrationService: stackNames(stack, cfg).migrationWorkload,
    environment: cfg.environment,
    logsIndex: cfg.logs.datadogIndex,
  };
}

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(" | ")} |`, `|${" --- |".repeat(head.length)}`, ...rows.map((r) => `| ${r.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`)].join("\n");

export interface StackDocInput {
  stack: string;
  cfg: StackConfig;
}

function thresholdsBlock(stacks: StackDocInput[], kind: MonitorKind): string {
  const rows: (string | number)[][] = [];
  for (const { stack, cfg } of stacks) {
    for (const svc of cfg.services) {
      const def = serviceMonitorDefinitions(cfg, svc).find((d) => d.kind === kind);
      if (!def) {
        rows.push([stack, svc.name, "—", "—", "—", "—", "not monitored in this stack", "—"]);
        continue;
      }
      const t = def.config;
      const rec = `${t.warningRecovery !== undefined ? formatNumber(t.warningRecovery) : "—"} / ${t.criticalRecovery !== undefined ? formatNumber(t.criticalRecovery) : "—"}`;
      rows.push([stack, svc.name, describeThreshold(kind, t.warning), describeThreshold(kind, t.critical), rec, `${t.windowMinutes} min`, `${t.severity} (P${t.priority})`, def.pagingHandle ?? "no page"]);
    }
  }
  return table(["Stack", "Service", "Warning", "Critical", "Recovery (warn / crit)", "Window", "Severity", "Pages"], rows);
}

function verifyBlock(stacks: StackDocInput[], kind: MonitorKind): string {
  const spec: MonitorKindSpec = MONITOR_CATALOG[kind];
  const group = DASHBOARD_GROUPS.find((g) => g.kinds.includes(kind))?.title ?? "";
  const lines: string[] = [];
  for (const { stack, cfg } of stacks) {
    for (const svc of cfg.services) {
      const def = serviceMonitorDefinitions(cfg, svc).find((d) => d.kind === kind);
      if (!def) continue;
      const t = docTargets(cfg, stack, svc);
      lines.push(`- **${stack}**: dashboard "${dashboardTitle(cfg, svc)}" (stack output \`dashboards.${svc.name}\`), group "${group}", widget "${widgetTitle({ spec })}".`);
      lines.push(def.signal.source === "metric" ? `  Metric: \`${def.signal.series(t)}\`` : `  Logs (index \`${cfg.logs.datadogIndex}\`): \`${def.signal.search(t)}\``);
      lines.push(`  Service logs: \`service:${svc.name} env:${cfg.environment} status:error\` in index \`${cfg.logs.datadogIndex}\`; CloudWatch log group \`${awsNames(stack, cfg, svc).logGroup}\`.`);
    }
  }
  const monitored = stacks.map(({ stack, cfg }) => ({ stack, cfg: { ...cfg, services: cfg.services.filter((svc) => serviceMonitorDefinitions(cfg, svc).some((d) => d.kind === kind)) } })).filter((s) => s.cfg.services.length > 0);
  return [...lines, "", "First three checks:", "", firstChecks(monitored, spec.scope)].join("\n");
}

function sloBlock(stacks: StackDocInput[]): string {
  const rows: (string | number)[][] = [];
  for (const { stack, cfg } of stacks) {
    for (const svc of cfg.services) {
      for (const d of burnRateDefinitions(cfg, svc)) {
        rows.push([stack, svc.name, d.slo.kind, `${formatNumber(d.slo.target)}% / ${d.slo.timeframe}`, `${formatNumber(d.window.rate)}x over ${d.window.longWindow} and ${d.window.shortWindow}`, `${formatNumber(d.errorRatePercent)}%`, `${formatNumber(d.budgetConsumedPercent)}%`, d.pagingHandle ?? "no page (ticket)"]);
      }
    }
  }
  return table(["Stack", "Service", "SLO", "Target", "Burn rate", "Bad share at that rate", "Budget used per long window", "Pages"], rows);
}

function sloVerifyBlock(stacks: StackDocInput[]): string {
  return stacks
    .flatMap(({ stack, cfg }) =>
      cfg.services.map((svc) => {
        const slos = sloDefinitions(cfg, svc).map((s) => `"${s.name}"`).join(" and ");
        return `- **${stack}**: SLOs ${slos}; dashboard "${dashboardTitle(cfg, svc)}", group "SLOs"; the latency SLO counts 5-minute slices with p95 <= ${svc.monitoring.slos.latency.thresholdMs} ms.`;
      }),
    )
    .concat(["", "First three checks:", "", firstChecks(stacks, "service")])
    .join("\n");
}

function environmentsBlock(stacks: StackDocInput[]): string {
  const rows: string[][] = [];
  for (const { stack, cfg } of stacks) {
    for (const svc of cfg.services) {
      const n = awsNames(stack, cfg, svc);
      rows.push([stack, svc.name, n.cluster, n.ecsService, n.dbInstance, n.logGroup, n.migrationLogGroup, dashboardTitle(cfg, svc), pagerdutyServiceName(cfg, svc)]);
    }
  }
  return table(["Stack", "Service", "ECS cluster", "ECS service", "RDS instance", "Log group", "Migration log group", "Dashboard", "PagerDuty service"], rows);
}

function scalingBlock(stacks: StackDocInput[]): string {
  const rows: (string | number)[][] = [];
  for (const { stack, cfg } of stacks) {
    for (const svc of cfg.services) {
      rows.push([stack, svc.name, `${svc.cpu} / ${svc.memoryMiB} MiB`, svc.minCount, svc.desiredCount, svc.maxCount, `${svc.cpuTargetPercent}%`, `${svc.stopTimeoutSeconds} s`]);
    }
  }
  const db = stacks.map(({ stack, cfg }) => [stack, cfg.database.instanceClass, cfg.database.multiAz ? "yes" : "no", `${cfg.database.allocatedStorageGiB} GiB`, `${cfg.database.maxAllocatedStorageGiB} GiB`]);
  return [
    table(["Stack", "Service", "CPU units / memory", "Min tasks", "Desired (first deploy)", "Max tasks", "CPU target", "Stop timeout"], rows),
    "",
    table(["Stack", "DB instance class", "Multi-AZ", "Allocated storage", "Autoscaling storage limit"], db),
  ].join("\n");
}

function oncallBlock(stacks: StackDocInput[]): string {
  const out: string[] = [];
  for (const { stack, cfg } of stacks) {
    const plan = oncallPlan(cfg);
    const o = cfg.oncall;
    out.push(`**${stack}** — team "${plan.teamName}", time zone ${plan.timeZone}, weekly handoff ${o.handoffDay} ${o.handoffTime}.`);
    out.push("");
    out.push(
      table(
        ["Level", "Paged after", "Who"],
        plan.escalation.levels.map((l, i) => [i + 1, `${plan.escalation.levels.slice(0, i).reduce((s, x) => s + x.delayMinutes, 0)} min`, l.targets.map((t) => (t.type === "schedule" ? `${t.schedule} schedule (${(t.schedule === "primary" ? o.primary : o.secondary).join(", ")})` : t.email)).join(", ")]),
      ),
    );
    out.push("");
    const urgency = plan.services[0]?.supportHours
      ? `high within support hours (days ${plan.services[0].supportHours.days.join(",")} ${plan.services[0].supportHours.start}-${plan.services[0].supportHours.end} ${plan.timeZone}), low outside`
      : "high, 24x7";
    out.push(`Escalation repeats ${plan.escalation.repeats} time(s). Urgency: ${urgency}. PagerDuty services: ${plan.services.map((s) => `\`${s.name}\` (${pagingHandle(s.name)})`).join(", ")}.`);
    out.push("");
  }
  return out.join("\n").trimEnd();
}

function logsBlock(stacks: StackDocInput[]): string {
  return table(
    ["Stack", "CloudWatch log groups", "CloudWatch retention", "Datadog index", "Datadog retention"],
    stacks.map(({ stack, cfg }) => [stack, [...new Set(cfg.services.flatMap((s) => [awsNames(stack, cfg, s).logGroup, awsNames(stack, cfg, s).migrationLogGroup]))].join(", ") + ", RDS postgresql export", `${cfg.logs.retentionDays} days`, cfg.logs.datadogIndex, `${cfg.logs.datadogRetentionDays} days`]),
  );
}

/** Disposable stacks suffix the final snapshot per instance (config/names.ts). */
function finalSnapshotLabel(n: { dbFinalSnapshot: string; disposable: boolean }): string {
  return n.disposable ? `${n.dbFinalSnapshot}-<random per instance>` : n.dbFinalSnapshot;
}

function statefulBlock(stacks: StackDocInput[]): string {
  return table(
    ["Stack", "Stateful resources protected", "RDS deletion protection", "Backups kept", "Final snapshot", "Archive lock"],
    stacks.map(({ stack, cfg }) => [stack, cfg.protectStateful ? "yes (protect + retainOnDelete)" : "no", cfg.database.deletionProtection ? "on" : "off", `${cfg.database.backupRetentionDays} days`, finalSnapshotLabel(stackNames(stack, cfg)), `${cfg.archive.objectLockMode}, ${cfg.archive.retentionDays} days`]),
  );
}

function deployBlock(stacks: StackDocInput[]): string {
  return table(
    ["Stack", "Image source", "Migration lock_timeout", "Migration statement_timeout", "Task stop timeout"],
    stacks.map(({ stack, cfg }) => [stack, cfg.images.source === "promote" ? "promote staging's digest" : "build", `${cfg.database.migrationLockTimeoutMs} ms`, `${cfg.database.migrationStatementTimeoutMs} ms`, cfg.services.map((s) => `${s.name}: ${s.stopTimeoutSeconds} s`).join(", ")]),
  );
}

/** The monitor kinds configured in any of the stacks, in catalog order. */
export function configuredKindsOf(stacks: StackDocInput[]): MonitorKind[] {
  return MONITOR_KINDS.filter((k) => stacks.some(({ cfg }) => cfg.services.some((svc) => serviceMonitorDefinitions(cfg, svc).some((d) => d.kind === k))));
}

export function runbookBlocks(stacks: StackDocInput[]): BlocksByFile {
  const alerts = new Map<string, string>();
  alerts.set("alert-table", renderAlertTableMarkdown(alertTable(stacks.map((s) => s.cfg)), stacks.map((s) => s.cfg.environment), ""));
  for (const kind of configuredKindsOf(stacks)) {
    const anchor = MONITOR_CATALOG[kind].runbookAnchor;
    alerts.set(`thresholds:${anchor}`, thresholdsBlock(stacks, kind));
    alerts.set(`verify:${anchor}`, verifyBlock(stacks, kind));
  }
  alerts.set(`thresholds:${SLO_RUNBOOK_ANCHOR}`, sloBlock(stacks));
  alerts.set(`verify:${SLO_RUNBOOK_ANCHOR}`, sloVerifyBlock(stacks));
  const blocks: BlocksByFile = new Map([
    ["runbooks/alerts.md", alerts],
    ["runbooks/README.md", new Map([["log-aggregation", logsBlock(stacks)]])],
    ["runbooks/startup.md", new Map([["environments", environmentsBlock(stacks)]])],
    ["runbooks/shutdown.md", new Map([["stateful", statefulBlock(stacks)]])],
    ["runbooks/scaling.md", new Map([["scaling-limits", scalingBlock(stacks)]])],
    ["runbooks/incident-response.md", new Map([["oncall", oncallBlock(stacks)]])],
    ["runbooks/deploy-and-rollback.md", new Map([["deploy-settings", deployBlock(stacks)]])],
  ]);
  for (const [file, more] of commandBlocks(stacks)) for (const [id, text] of more) blocks.get(file)!.set(id, text);
  return blocks;
}

