/**
 * The service dashboard: golden signals, capacity, database, deployments, SLOs. Every monitored
 * signal is drawn with its warning and critical values as markers, taken from the same monitor
 * definitions (never typed here).
 */
import type * as datadog from "@pulumi/datadog";
import type { ServiceConfig, StackConfig } from "../../config/schema";
import type { MonitorKind } from "../../config/monitor-catalog";
import { serviceViewDefinitions, type MonitorDefinition } from "./monitors";
import type { MonitorTargets } from "./signals";

type Widget = datadog.types.input.DashboardWidgetGroupDefinitionWidget;
type GroupWidget = datadog.types.input.DashboardWidget;

export const DASHBOARD_GROUPS: { title: string; kinds: MonitorKind[] }[] = [
  { title: "Golden signals", kinds: ["errorRate", "latencyP95", "latencyP99", "alb5xx", "albHealthyHosts"] },
  { title: "Capacity", kinds: ["ecsRunningTasks", "cpu", "memory"] },
  { title: "Database", kinds: ["dbCpu", "dbFreeStorage", "dbConnections", "dbReplicaLag", "dbDeadlocks"] },
  { title: "Migrations", kinds: ["migrationFailed"] },
];

/** The widget title a monitor kind is drawn under (runbooks point on-call at it). */
export function widgetTitle(def: Pick<MonitorDefinition, "spec">): string {
  return `${def.spec.title} (${def.spec.unit})`;
}

/** Horizontal markers at the warning and critical values. */
export function thresholdMarkers(def: MonitorDefinition): { value: string; displayType: string; label: string }[] {
  return [
    { value: `y = ${def.thresholds.warning}`, displayType: "warning dashed", label: `warning ${def.thresholds.warning} ${def.spec.unit}` },
    { value: `y = ${def.thresholds.critical}`, displayType: "error dashed", label: `critical ${def.thresholds.critical} ${def.spec.unit}` },
  ];
}

function monitorWidget(def: MonitorDefinition, t: MonitorTargets, deployEvents: string): Widget {
  const request: datadog.types.input.DashboardWidgetTimeseriesDefinitionRequest =
    def.signal.source === "metric"
      ? { q: def.signal.series(t), displayType: "line" }
      : { logQuery: { index: t.logsIndex, searchQuery: def.signal.search(t), computeQuery: { aggregation: "count" } }, displayType: "bars" };
  return { timeseriesDefinition: { title: widgetTitle(def), liveSpan: "4h", requests: [request], markers: thresholdMarkers(def), events: [{ q: deployEvents }] } };
}

export interface DashboardInputs {
  targets: MonitorTargets;
  sloIds: { availability: string; latency: string };
}

/** The deployment events (ECS deployments and our releases) overlaid on every graph. */
export function deploymentEventsQuery(cfg: StackConfig, svc: ServiceConfig): string {
  return `tags:service:${svc.name} tags:env:${cfg.environment} (sources:amazon_ecs OR tags:event-type:deployment)`;
}

export function dashboardWidgets(cfg: StackConfig, svc: ServiceConfig, inputs: DashboardInputs): GroupWidget[] {
  const defs = serviceViewDefinitions(cfg, svc);
  const events = deploymentEventsQuery(cfg, svc);
  const groups: GroupWidget[] = [];
  for (const group of DASHBOARD_GROUPS) {
    const widgets = defs.filter((d) => group.kinds.includes(d.kind)).map((d) => monitorWidget(d, inputs.targets, events));
    if (widgets.length > 0) groups.push({ groupDefinition: { title: group.title, layoutType: "ordered", widgets } });
  }
  groups.push({
    groupDefinition: {
      title: "Deployments",
      layoutType: "ordered",
      widgets: [
        { eventTimelineDefinition: { title: "Deployments and rollbacks", query: events, liveSpan: "1w" } },
        { timeseriesDefinition: { title: "Requests per minute", liveSpan: "1d", requests: [{ q: `sum:aws.applicationelb.request_count{loadbalancer:${inputs.targets.loadBalancer}}.as_count()`, displayType: "bars" }], events: [{ q: events }] } },
      ],
    },
  });
  const s = svc.monitoring.slos;
  groups.push({
    groupDefinition: {
      title: "SLOs",
      layoutType: "ordered",
      widgets: [
        { serviceLevelObjectiveDefinition: { title: `Availability (target ${s.availability.target}%)`, sloId: inputs.sloIds.availability, viewType: "detail", viewMode: "overall", timeWindows: [s.availability.timeframe, "7d"], showErrorBudget: true } },
        { serviceLevelObjectiveDefinition: { title: `Latency p95 <= ${s.latency.thresholdMs} ms (target ${s.latency.target}%)`, sloId: inputs.sloIds.latency, viewType: "detail", viewMode: "overall", timeWindows: [s.latency.timeframe, "7d"], showErrorBudget: true } },
      ],
    },
  });
  return groups;
}
