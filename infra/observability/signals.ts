/**
 * What each monitor kind measures, as Datadog queries over the AWS integration's CloudWatch
 * metrics (and, where CloudWatch has no metric, over the logs the stack ships to Datadog).
 * Thresholds are not here: they come from `Pulumi.<stack>.yaml`.
 */
import type { MonitorKind } from "../../config/monitor-catalog";

/** The deployed resources a service's queries are scoped to (Datadog tag values). */
export interface MonitorTargets {
  /** ALB `arnSuffix` (Datadog tag `loadbalancer`). */
  loadBalancer: string;
  /** Target group `arnSuffix` (Datadog tag `targetgroup`). */
  targetGroup: string;
  cluster: string;
  ecsService: string;
  dbInstance: string;
  /** Datadog `service` of the migration task's logs. */
  migrationService: string;
  environment: string;
  logsIndex: string;
}

export type Signal =
  | { source: "metric"; aggregation: "avg" | "min" | "max" | "sum"; metric: string; series: (t: MonitorTargets) => string }
  | { source: "logs"; metric: string; search: (t: MonitorTargets) => string };

const lb = (t: MonitorTargets) => `loadbalancer:${t.loadBalancer}`;
const ecs = (t: MonitorTargets) => `clustername:${t.cluster},servicename:${t.ecsService}`;
const db = (t: MonitorTargets) => `dbinstanceidentifier:${t.dbInstance}`;

export const SIGNALS: Record<MonitorKind, Signal> = {
  errorRate: {
    source: "metric",
    aggregation: "sum",
    metric: "aws.applicationelb.httpcode_target_5xx / aws.applicationelb.request_count",
    series: (t) => `sum:aws.applicationelb.httpcode_target_5xx{${lb(t)}}.as_count() / sum:aws.applicationelb.request_count{${lb(t)}}.as_count() * 100`,
  },
  latencyP95: { source: "metric", aggregation: "avg", metric: "aws.applicationelb.target_response_time.p95", series: (t) => `avg:aws.applicationelb.target_response_time.p95{${lb(t)}} * 1000` },
  latencyP99: { source: "metric", aggregation: "avg", metric: "aws.applicationelb.target_response_time.p99", series: (t) => `avg:aws.applicationelb.target_response_time.p99{${lb(t)}} * 1000` },
  // Sustained: the alert needs the whole window below the threshold, not one bad sample.
  albHealthyHosts: { source: "metric", aggregation: "max", metric: "aws.applicationelb.healthy_host_count", series: (t) => `sum:aws.applicationelb.healthy_host_count{${lb(t)},targetgroup:${t.targetGroup}}` },
  alb5xx: { source: "metric", aggregation: "sum", metric: "aws.applicationelb.httpcode_elb_5xx", series: (t) => `sum:aws.applicationelb.httpcode_elb_5xx{${lb(t)}}.as_count()` },
  ecsRunningTasks: {
    source: "metric",
    aggregation: "max",
    metric: "aws.ecs.service.running / aws.ecs.service.desired",
    series: (t) => `avg:aws.ecs.service.running{${ecs(t)}} / avg:aws.ecs.service.desired{${ecs(t)}} * 100`,
  },
  cpu: { source: "metric", aggregation: "avg", metric: "aws.ecs.service.cpuutilization", series: (t) => `avg:aws.ecs.service.cpuutilization{${ecs(t)}}` },
  memory: { source: "metric", aggregation: "avg", metric: "aws.ecs.service.memory_utilization", series: (t) => `avg:aws.ecs.service.memory_utilization{${ecs(t)}}` },
  dbCpu: { source: "metric", aggregation: "avg", metric: "aws.rds.cpuutilization", series: (t) => `avg:aws.rds.cpuutilization{${db(t)}}` },
  dbFreeStorage: { source: "metric", aggregation: "avg", metric: "aws.rds.free_storage_space", series: (t) => `avg:aws.rds.free_storage_space{${db(t)}} / 1073741824` },
  dbConnections: { source: "metric", aggregation: "avg", metric: "aws.rds.database_connections", series: (t) => `avg:aws.rds.database_connections{${db(t)}}` },
  dbReplicaLag: { source: "metric", aggregation: "avg", metric: "aws.rds.replica_lag", series: (t) => `avg:aws.rds.replica_lag{${db(t)}}` },
  // CloudWatch has no deadlock metric for RDS PostgreSQL; the exported postgresql log has them.
  dbDeadlocks: { source: "logs", metric: "postgresql log: deadlock detected", search: (t) => `source:postgresql host:${t.dbInstance} "deadlock detected"` },
  // A failed run exits non-zero after logging at level error (backend/src/migrate/cli.ts).
  migrationFailed: { source: "logs", metric: "migration task error logs", search: (t) => `service:${t.migrationService} env:${t.environment} @level:error` },
};

/** A log search as a Datadog log-monitor query over the stack's log index. */
export function logsQuery(search: string, index: string, windowMinutes: number): string {
  return `logs(${JSON.stringify(search)}).index(${JSON.stringify(index)}).rollup("count").last("${windowMinutes}m")`;
}
