/**
 * The catalog of monitor kinds a service can declare in its `monitoring.monitors` config block.
 *
 * This is the one definition the Datadog monitors, the dashboard, the runbook entries and the
 * alert table are generated from. Thresholds are NOT here: they are per environment and live in
 * `Pulumi.<stack>.yaml`. The catalog only says what a kind measures and which side is bad, so the
 * schema can check that a warning sits on the right side of its critical threshold.
 */
export type MonitorDirection = "above" | "below";
export type MonitorScope = "service" | "database" | "migration";

export interface MonitorKindSpec {
  /** Human title, used in monitor names, runbook headings and the alert table. */
  readonly title: string;
  /** "above": alert when the value rises past the threshold; "below": when it falls under it. */
  readonly direction: MonitorDirection;
  readonly unit: string;
  readonly scope: MonitorScope;
  /** Runbook section anchor: `runbooks/alerts.md#<anchor>`. */
  readonly runbookAnchor: string;
  /** True where silence itself is a failure (no data => alert). */
  readonly notifyNoData: boolean;
  /**
   * Only emitted by a read replica or a Multi-AZ DB cluster, neither of which the stack declares
   * (a Multi-AZ instance's standby is synchronous and has no ReplicaLag): the schema refuses it.
   */
  readonly requiresReadReplica?: boolean;
}

export const MONITOR_CATALOG = {
  errorRate: {
    title: "HTTP 5xx error rate",
    direction: "above",
    unit: "%",
    scope: "service",
    runbookAnchor: "error-rate",
    notifyNoData: false,
  },
  latencyP95: {
    title: "p95 latency",
    direction: "above",
    unit: "ms",
    scope: "service",
    runbookAnchor: "latency-p95",
    notifyNoData: false,
  },
  latencyP99: {
    title: "p99 latency",
    direction: "above",
    unit: "ms",
    scope: "service",
    runbookAnchor: "latency-p99",
    notifyNoData: false,
  },
  albHealthyHosts: {
    title: "ALB healthy hosts",
    direction: "below",
    unit: "hosts",
    scope: "service",
    runbookAnchor: "alb-healthy-hosts",
    notifyNoData: true,
  },
  alb5xx: {
    title: "ALB 5xx responses",
    direction: "above",
    unit: "count/5m",
    scope: "service",
    runbookAnchor: "alb-5xx",
    notifyNoData: false,
  },
  ecsRunningTasks: {
    title: "ECS running vs desired tasks",
    direction: "below",
    unit: "% of desired",
    scope: "service",
    runbookAnchor: "ecs-running-tasks",
    notifyNoData: true,
  },
  cpu: {
    title: "Service CPU utilization",
    direction: "above",
    unit: "%",
    scope: "service",
    runbookAnchor: "service-cpu",
    notifyNoData: false,
  },
  memory: {
    title: "Service memory utilization",
    direction: "above",
    unit: "%",
    scope: "service",
    runbookAnchor: "service-memory",
    notifyNoData: false,
  },
  dbCpu: {
    title: "Database CPU utilization",
    direction: "above",
    unit: "%",
    scope: "database",
    runbookAnchor: "db-cpu",
    notifyNoData: true,
  },
  dbFreeStorage: {
    title: "Database free storage",
    direction: "below",
    unit: "GiB",
    scope: "database",
    runbookAnchor: "db-free-storage",
    notifyNoData: true,
  },
  dbConnections: {
    title: "Database connections",
    direction: "above",
    unit: "connections",
    scope: "database",
    runbookAnchor: "db-connections",
    notifyNoData: false,
  },
  dbReplicaLag: {
    title: "Database replica lag",
    direction: "above",
    unit: "s",
    scope: "database",
    runbookAnchor: "db-replica-lag",
    notifyNoData: false,
    requiresReadReplica: true,
  },
  dbDeadlocks: {
    title: "Database deadlocks",
    direction: "above",
    unit: "deadlocks/5m",
    scope: "database",
    runbookAnchor: "db-deadlocks",
    notifyNoData: false,
  },
  migrationFailed: {
    title: "Migration task failed",
    direction: "above",
    unit: "failed runs",
    scope: "migration",
    runbookAnchor: "migration-failed",
    notifyNoData: false,
  },
} as const satisfies Record<string, MonitorKindSpec>;

export type MonitorKind = keyof typeof MONITOR_CATALOG;
export const MONITOR_KINDS = Object.keys(MONITOR_CATALOG) as [MonitorKind, ...MonitorKind[]];
