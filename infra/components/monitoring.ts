/**
 * Datadog monitoring of one service, from the definitions in infra/observability: its SLOs, the
 * dashboard, the threshold monitors and the SLO burn-rate monitors. Paging monitors depend on the
 * PagerDuty service object, so `@pagerduty-<name>` exists before Datadog validates the message.
 */
import * as datadog from "@pulumi/datadog";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import type { StackContext } from "../context";
import { dashboardWidgets } from "../observability/dashboard";
import { serviceMonitorDefinitions } from "../observability/monitors";
import { dashboardTitle, dashboardUrl } from "../observability/naming";
import type { MonitorTargets } from "../observability/signals";
import { availabilityQuery, burnRateDefinitions, latencySliceQuery, sloDefinitions } from "../observability/slos";

export interface ServiceMonitoringArgs {
  ctx: StackContext;
  svc: ServiceConfig;
  targets: { [K in keyof MonitorTargets]: pulumi.Input<MonitorTargets[K]> };
  /** The Datadog service object `@pagerduty-<name>` of this service resolves to. */
  pagerdutyServiceObject: pulumi.Resource;
  /** What the other handles resolve to (the team's Slack channel): every monitor waits for them. */
  notificationTargets: pulumi.Resource[];
  /** The log index the log monitors and widgets query. */
  logsIndex: pulumi.Resource;
}

export class ServiceMonitoring extends pulumi.ComponentResource {
  readonly dashboard: datadog.Dashboard;
  readonly dashboardUrl: pulumi.Output<string>;
  readonly slos: Record<string, datadog.ServiceLevelObjective>;
  readonly monitors: datadog.Monitor[];

  constructor(name: string, args: ServiceMonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:monitoring:ServiceMonitoring", name, {}, opts);
    const { ctx, svc } = args;
    const cfg = ctx.cfg;
    const child = { parent: this };
    const targets: pulumi.Output<MonitorTargets> = pulumi.output(args.targets);

    this.slos = {};
    for (const slo of sloDefinitions(cfg, svc)) {
      const common = { name: slo.name, description: slo.description, tags: slo.tags, timeframe: slo.timeframe, targetThreshold: slo.target, thresholds: [{ timeframe: slo.timeframe, target: slo.target }] };
      this.slos[slo.kind] =
        slo.kind === "availability"
          ? new datadog.ServiceLevelObjective(`${slo.key}-slo`, { ...common, type: "metric", query: targets.apply(availabilityQuery) }, child)
          : new datadog.ServiceLevelObjective(
              `${slo.key}-slo`,
              {
                ...common,
                type: "time_slice",
                sliSpecification: targets.apply((t) => {
                  const q = latencySliceQuery(t);
                  return { timeSlice: { comparator: "<=", threshold: svc.monitoring.slos.latency.thresholdMs, queryIntervalSeconds: 300, query: { formula: { formulaExpression: q.formula }, queries: [{ metricQuery: { name: "query1", dataSource: "metrics", query: q.query } }] } } };
                }),
              },
              child,
            );
    }

    const sloIds = { availability: this.slos.availability!.id, latency: this.slos.latency!.id };
    this.dashboard = new datadog.Dashboard(
      `${name}-dashboard`,
      {
        title: dashboardTitle(cfg, svc),
        description: `Golden signals, capacity, database, deployments and SLOs of ${svc.name} in ${cfg.environment}. Managed by Pulumi (backend-release); thresholds come from Pulumi.${ctx.stack}.yaml.`,
        layoutType: "ordered",
        reflowType: "auto",
        tags: [`team:${svc.monitoring.owners.team}`],
        widgets: pulumi.all([targets, sloIds.availability, sloIds.latency]).apply(([t, availability, latency]) => dashboardWidgets(cfg, svc, { targets: t, sloIds: { availability, latency } })),
      },
      child,
    );
    this.dashboardUrl = this.dashboard.id.apply((id) => dashboardUrl(cfg, id));

    // Datadog validates a message's handles when the monitor is saved: their targets exist first.
    const notifyDeps = { parent: this, dependsOn: [...args.notificationTargets, args.logsIndex] };
    const pagingDeps = { parent: this, dependsOn: [args.pagerdutyServiceObject, ...args.notificationTargets, args.logsIndex] };
    this.monitors = serviceMonitorDefinitions(cfg, svc).map(
      (def) =>
        new datadog.Monitor(
          `${def.key}-monitor`,
          {
            name: def.name,
            type: def.type,
            query: targets.apply((t) => def.query(t)),
            message: this.dashboardUrl.apply((url) => def.message(url)),
            priority: String(def.priority),
            tags: def.tags,
            monitorThresholds: def.thresholds,
            notifyNoData: def.notifyNoData,
            ...(def.noDataTimeframeMinutes !== undefined ? { noDataTimeframe: def.noDataTimeframeMinutes } : {}),
            ...(def.evaluationDelaySeconds !== undefined ? { evaluationDelay: def.evaluationDelaySeconds } : {}),
            renotifyInterval: def.renotifyMinutes,
            renotifyStatuses: def.notifyNoData ? ["alert", "no data"] : ["alert"],
            includeTags: true,
            // Sparse ALB counts would otherwise never fill a "full window" and never alert.
            requireFullWindow: false,
          },
          def.pagingHandle ? pagingDeps : notifyDeps,
        ),
    );
    for (const def of burnRateDefinitions(cfg, svc)) {
      this.monitors.push(
        new datadog.Monitor(
          `${def.key}-monitor`,
          {
            name: def.name,
            type: "slo alert",
            query: this.slos[def.slo.kind]!.id.apply((id) => def.query(id)),
            message: this.dashboardUrl.apply((url) => def.message(url)),
            priority: String(def.window.priority),
            tags: def.tags,
            monitorThresholds: { critical: String(def.window.rate) },
            evaluationDelay: def.evaluationDelaySeconds,
            renotifyInterval: cfg.observability.renotifyMinutes,
            includeTags: true,
          },
          def.pagingHandle ? pagingDeps : notifyDeps,
        ),
      );
    }
    this.registerOutputs({ dashboardUrl: this.dashboardUrl, monitorCount: this.monitors.length });
  }
}
