/**
 * Datadog monitor definitions of a stack, from its config alone: one per configured monitor kind
 * per service (one per stack for the database's and the migration run's kinds), plus the SLO
 * burn-rate monitors. The Datadog component declares these; the
 * dashboard, the runbooks and the alert table read the same objects, so a threshold is typed once
 * (in `Pulumi.<stack>.yaml`).
 */
import { MONITOR_CATALOG, MONITOR_KINDS, type MonitorKind, type MonitorKindSpec } from "../../config/monitor-catalog";
import type { MonitorThresholds, ServiceConfig, StackConfig } from "../../config/schema";
import { sharedMonitorOwner } from "../../config/units";
import { pagerdutyServiceName, pagingHandle, runbookLink, slackHandle } from "./naming";
import { logsQuery, SIGNALS, type MonitorTargets, type Signal } from "./signals";

export interface DatadogThresholds {
  critical: string;
  warning: string;
  criticalRecovery?: string;
  warningRecovery?: string;
}

export interface MonitorDefinition {
  /** Stable resource-name stem: `<service>-<kind>`. */
  key: string;
  kind: MonitorKind;
  spec: MonitorKindSpec;
  service: string;
  name: string;
  type: "query alert" | "log alert";
  signal: Signal;
  /** ">=" for `above` kinds, "<=" for `below` kinds: the threshold value itself alerts. */
  comparator: ">=" | "<=";
  config: MonitorThresholds;
  thresholds: DatadogThresholds;
  priority: number;
  tags: string[];
  notifyNoData: boolean;
  noDataTimeframeMinutes?: number;
  /** Seconds; metric monitors only (CloudWatch data arrives late, logs do not). */
  evaluationDelaySeconds?: number;
  renotifyMinutes: number;
  /** Only for severity page; in the critical, no-data and recovery blocks of the message. */
  pagingHandle?: string;
  /** The owning team's channel (`@slack-<account>-<channel>`): every block of every severity notifies it. */
  teamHandle: string;
  runbookAnchor: string;
  runbookUrl: string;
  query(t: MonitorTargets): string;
  message(dashboardUrl: string): string;
}

/** Numbers as a person writes them (no `1.0000000002`, no exponent). */
export function formatNumber(n: number): string {
  return String(Number(n.toPrecision(12)));
}

export function describeThreshold(kind: MonitorKind, value: number): string {
  const spec = MONITOR_CATALOG[kind];
  return `${spec.direction === "above" ? ">=" : "<="} ${formatNumber(value)} ${spec.unit}`;
}

/** Monitor kinds this service configures (the schema refuses kinds the stack's resources never emit). */
export function configuredKinds(_cfg: StackConfig, svc: ServiceConfig): MonitorKind[] {
  return MONITOR_KINDS.filter((kind) => svc.monitoring.monitors[kind] !== undefined);
}

/** The kinds whose monitor this service declares: its own, and the database's it owns (config/units.ts). */
export function ownedKinds(cfg: StackConfig, svc: ServiceConfig): MonitorKind[] {
  return configuredKinds(cfg, svc).filter((kind) => (sharedMonitorOwner(cfg, kind) ?? svc).name === svc.name);
}

export function commonTags(cfg: StackConfig, svc: ServiceConfig): string[] {
  return [`env:${cfg.environment}`, `service:${svc.name}`, `team:${svc.monitoring.owners.team}`, "managed-by:pulumi", "project:backend-release"];
}

function monitorDefinition(cfg: StackConfig, svc: ServiceConfig, kind: MonitorKind): MonitorDefinition {
  const spec: MonitorKindSpec = MONITOR_CATALOG[kind];
  const t = svc.monitoring.monitors[kind]!;
  const signal = SIGNALS[kind];
  const comparator = spec.direction === "above" ? ">=" : "<=";
  const env = cfg.environment;
  const page = t.severity === "page";
  const handle = page ? pagingHandle(pagerdutyServiceName(cfg, svc)) : undefined;
  const unit = spec.unit;
  const side = spec.direction === "above" ? "at or above" : "at or below";
  const thresholds: DatadogThresholds = {
    critical: formatNumber(t.critical),
    warning: formatNumber(t.warning),
    ...(t.criticalRecovery !== undefined ? { criticalRecovery: formatNumber(t.criticalRecovery) } : {}),
    ...(t.warningRecovery !== undefined ? { warningRecovery: formatNumber(t.warningRecovery) } : {}),
  };
  const name = `[${env}] ${svc.name}: ${spec.title}`;
  const runbookUrl = runbookLink(cfg, spec.runbookAnchor);
  const recovery = (v: string | undefined) => (v !== undefined ? ` (recovers past ${v} ${unit})` : "");
  const owners = svc.monitoring.owners;
  const team = slackHandle(cfg, owners.slackChannel);
  const pageAndTeam = handle ? [handle, team] : [team];
  return {
    key: `${svc.name}-${kind}`,
    kind,
    spec,
    service: svc.name,
    name,
    type: signal.source === "metric" ? "query alert" : "log alert",
    signal,
    comparator,
    config: t,
    thresholds,
    priority: t.priority,
    tags: [...commonTags(cfg, svc), `severity:${t.severity}`, `monitor-kind:${kind}`],
    notifyNoData: spec.notifyNoData,
    // Datadog wants at least twice the evaluation window before it calls silence "no data".
    ...(spec.notifyNoData ? { noDataTimeframeMinutes: Math.max(2 * t.windowMinutes, 10) } : {}),
    ...(signal.source === "metric" ? { evaluationDelaySeconds: cfg.observability.evaluationDelaySeconds } : {}),
    renotifyMinutes: cfg.observability.renotifyMinutes,
    ...(handle ? { pagingHandle: handle } : {}),
    teamHandle: team,
    runbookAnchor: spec.runbookAnchor,
    runbookUrl,
    query(targets) {
      const expr = signal.source === "metric" ? `${signal.aggregation}(last_${t.windowMinutes}m):${signal.series(targets)}` : logsQuery(signal.search(targets), targets.logsIndex, t.windowMinutes);
      return `${expr} ${comparator} ${thresholds.critical}`;
    },
    message(dashboardUrl) {
      return [
        "{{#is_alert}}",
        `CRITICAL: ${spec.title} of ${svc.name} (${env}) is {{value}} ${unit}, ${side} the critical threshold ${thresholds.critical} ${unit}${recovery(thresholds.criticalRecovery)} over the last ${t.windowMinutes} minutes.`,
        ...(handle ? [] : ["Severity ticket: no page; the owning team handles it in working hours."]),
        ...pageAndTeam,
        "{{/is_alert}}",
        "{{#is_warning}}",
        `WARNING: ${spec.title} of ${svc.name} (${env}) is {{value}} ${unit}, ${side} the warning threshold ${thresholds.warning} ${unit}${recovery(thresholds.warningRecovery)}.`,
        team,
        "{{/is_warning}}",
        ...(spec.notifyNoData ? ["{{#is_no_data}}", `NO DATA: ${spec.title} of ${svc.name} (${env}) has reported nothing for ${Math.max(2 * t.windowMinutes, 10)} minutes; silence here is itself a failure.`, ...pageAndTeam, "{{/is_no_data}}"] : []),
        "{{#is_recovery}}",
        // The page's recovery resolves the PagerDuty incident; the channel sees it end.
        `RECOVERED: ${spec.title} of ${svc.name} (${env}) is back to {{value}} ${unit}.`,
        ...pageAndTeam,
        "{{/is_recovery}}",
        "",
        `Thresholds (${env}): warning ${describeThreshold(kind, t.warning)}, critical ${describeThreshold(kind, t.critical)}; severity ${t.severity}, priority P${t.priority}.`,
        `Runbook: ${runbookUrl}`,
        `Dashboard: ${dashboardUrl}`,
        `Owner: team ${owners.team}, lead ${owners.teamLeadEmail}.`,
      ].join("\n");
    },
  };
}

/** The monitors this service declares (and pages for): one per kind it owns. */
export function serviceMonitorDefinitions(cfg: StackConfig, svc: ServiceConfig): MonitorDefinition[] {
  return ownedKinds(cfg, svc).map((kind) => monitorDefinition(cfg, svc, kind));
}

/**
 * What this service's dashboard graphs: every kind it configures, the database's drawn with the
 * owning monitor's definition (the same thresholds; the schema refuses differing ones).
 */
export function serviceViewDefinitions(cfg: StackConfig, svc: ServiceConfig): MonitorDefinition[] {
  return configuredKinds(cfg, svc).map((kind) => monitorDefinition(cfg, sharedMonitorOwner(cfg, kind) ?? svc, kind));
}

export function monitorDefinitions(cfg: StackConfig): MonitorDefinition[] {
  return cfg.services.flatMap((svc) => serviceMonitorDefinitions(cfg, svc));
}
