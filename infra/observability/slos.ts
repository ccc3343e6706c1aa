/**
 * SLOs of a service and their multi-window burn-rate monitors (Google SRE workbook, table 5-8):
 * page at 14.4x over 1h/5m and 6x over 6h/30m, ticket at 1x over 3d/6h. Datadog accepts long
 * windows of at most 48 hours, so the ticket tier is declared as the same budget consumption
 * over 48h/4h (1.5x). The error rate each alert stands for is computed from the SLO target.
 */
import type { ServiceConfig, StackConfig } from "../../config/schema";
import { commonTags, formatNumber } from "./monitors";
import { pagerdutyServiceName, pagingHandle, runbookLink, slackHandle } from "./naming";
import type { MonitorTargets } from "./signals";

export const SLO_RUNBOOK_ANCHOR = "slo-burn-rate";

export type SloKind = "availability" | "latency";

export interface SloDefinition {
  key: string;
  kind: SloKind;
  service: string;
  name: string;
  description: string;
  target: number;
  timeframe: "7d" | "30d" | "90d";
  tags: string[];
}

export interface BurnRateWindow {
  severity: "page" | "ticket";
  longWindow: string;
  shortWindow: string;
  rate: number;
  priority: number;
}

const HOURS: Record<string, number> = { "5m": 5 / 60, "30m": 0.5, "1h": 1, "4h": 4, "6h": 6, "48h": 48, "3d": 72, "7d": 168, "30d": 720, "90d": 2160 };

/** The SRE workbook's tiers, as intended. */
export const SRE_BURN_RATE_WINDOWS: readonly BurnRateWindow[] = [
  { severity: "page", longWindow: "1h", shortWindow: "5m", rate: 14.4, priority: 1 },
  { severity: "page", longWindow: "6h", shortWindow: "30m", rate: 6, priority: 2 },
  { severity: "ticket", longWindow: "3d", shortWindow: "6h", rate: 1, priority: 3 },
];

/** Datadog's limit on a burn-rate alert's long window (docs: "1 hour <= long window <= 48 hours"). */
export const DATADOG_MAX_LONG_WINDOW_HOURS = 48;

/**
 * A tier Datadog accepts: a long window beyond the limit is shortened to it, and the rate raised
 * by the same factor (the short window shrinks with it), so the alert still fires on the same
 * share of the error budget consumed.
 */
export function fitToDatadog(w: BurnRateWindow): BurnRateWindow {
  const factor = HOURS[w.longWindow]! / DATADOG_MAX_LONG_WINDOW_HOURS;
  if (factor <= 1) return w;
  const short = HOURS[w.shortWindow]! / factor;
  return { ...w, longWindow: `${DATADOG_MAX_LONG_WINDOW_HOURS}h`, shortWindow: short >= 1 ? `${short}h` : `${Math.round(short * 60)}m`, rate: Number((w.rate * factor).toPrecision(12)) };
}

/** The tiers as declared in Datadog. */
export const BURN_RATE_WINDOWS: readonly BurnRateWindow[] = SRE_BURN_RATE_WINDOWS.map(fitToDatadog);

export interface BurnRateDefinition {
  key: string;
  slo: SloDefinition;
  window: BurnRateWindow;
  name: string;
  /** 100 - target, in percent. */
  errorBudgetPercent: number;
  /** The bad-event (or bad-slice) ratio that burns at this rate, in percent. */
  errorRatePercent: number;
  /** Share of the whole budget one long window at this rate consumes, in percent. */
  budgetConsumedPercent: number;
  pagingHandle?: string;
  /** The owning team's channel: notified on alert and recovery of every tier. */
  teamHandle: string;
  /** CloudWatch metrics reach Datadog minutes late: the SLO alert waits as the metric monitors do. */
  evaluationDelaySeconds: number;
  runbookUrl: string;
  tags: string[];
  query(sloId: string): string;
  message(dashboardUrl: string): string;
}


export function sloDefinitions(cfg: StackConfig, svc: ServiceConfig): SloDefinition[] {
  const s = svc.monitoring.slos;
  const env = cfg.environment;
  return [
    {
      key: `${svc.name}-availability`,
      kind: "availability",
      service: svc.name,
      name: `[${env}] ${svc.name}: availability`,
      description: `Share of requests at the load balancer answered without a 5xx from the target or from the load balancer itself (no healthy target = every request bad), target ${s.availability.target}% over ${s.availability.timeframe}.`,
      target: s.availability.target,
      timeframe: s.availability.timeframe,
      tags: [...commonTags(cfg, svc), "slo:availability"],
    },
    {
      key: `${svc.name}-latency`,
      kind: "latency",
      service: svc.name,
      name: `[${env}] ${svc.name}: latency`,
      description: `Share of 5-minute slices whose p95 target response time is <= ${s.latency.thresholdMs} ms, target ${s.latency.target}% over ${s.latency.timeframe}.`,
      target: s.latency.target,
      timeframe: s.latency.timeframe,
      tags: [...commonTags(cfg, svc), "slo:latency"],
    },
  ];
}

/**
 * Availability (metric SLO): bad = target 5xx + the load balancer's own 5xx. RequestCount only
 * counts requests for which the ALB chose a target, so with no healthy target the ALB's 503s are
 * absent from it: total = requests + ALB 5xx, good = requests - target 5xx (a full outage is 0%
 * good, not 100%). Each series is `default_zero`: ALB 5xx counts are sparse (no datapoint when
 * there is no error), and a missing term would blank the whole formula.
 */
export function availabilityQuery(t: MonitorTargets): { numerator: string; denominator: string } {
  const lb = `loadbalancer:${t.loadBalancer}`;
  const series = (metric: string) => `default_zero(sum:aws.applicationelb.${metric}{${lb}}.as_count())`;
  return {
    numerator: `${series("request_count")} - ${series("httpcode_target_5xx")}`,
    denominator: `${series("request_count")} + ${series("httpcode_elb_5xx")}`,
  };
}

/** Latency: a time-slice SLO on the p95 the latency monitors watch, in ms. */
export function latencySliceQuery(t: MonitorTargets): { query: string; formula: string } {
  return { query: `avg:aws.applicationelb.target_response_time.p95{loadbalancer:${t.loadBalancer}}`, formula: "query1 * 1000" };
}

export function burnRateDefinitions(cfg: StackConfig, svc: ServiceConfig): BurnRateDefinition[] {
  const handle = pagingHandle(pagerdutyServiceName(cfg, svc));
  const team = slackHandle(cfg, svc.monitoring.owners.slackChannel);
  return sloDefinitions(cfg, svc).flatMap((slo) =>
    BURN_RATE_WINDOWS.map((w): BurnRateDefinition => {
      const budget = Number((100 - slo.target).toPrecision(12));
      const errorRate = Number((w.rate * budget).toPrecision(12));
      const consumed = Number(((w.rate * HOURS[w.longWindow]!) / HOURS[slo.timeframe]! * 100).toPrecision(3));
      const name = `[${cfg.environment}] ${svc.name}: ${slo.kind} SLO burn rate ${formatNumber(w.rate)}x over ${w.longWindow}/${w.shortWindow}`;
      const runbookUrl = runbookLink(cfg, SLO_RUNBOOK_ANCHOR);
      const page = w.severity === "page";
      return {
        key: `${slo.key}-burn-${w.longWindow}`,
        slo,
        window: w,
        name,
        errorBudgetPercent: budget,
        errorRatePercent: errorRate,
        budgetConsumedPercent: consumed,
        ...(page ? { pagingHandle: handle } : {}),
        teamHandle: team,
        evaluationDelaySeconds: cfg.observability.evaluationDelaySeconds,
        runbookUrl,
        tags: [...slo.tags, `severity:${w.severity}`, "monitor-kind:sloBurnRate"],
        query: (sloId) => `burn_rate("${sloId}").over("${slo.timeframe}").long_window("${w.longWindow}").short_window("${w.shortWindow}") > ${formatNumber(w.rate)}`,
        message: (dashboardUrl) =>
          [
            "{{#is_alert}}",
            `CRITICAL: the ${slo.kind} SLO of ${svc.name} (${cfg.environment}) burns its error budget at {{value}}x (threshold ${formatNumber(w.rate)}x over ${w.longWindow} and ${w.shortWindow}).`,
            `Target ${formatNumber(slo.target)}% over ${slo.timeframe}: budget ${formatNumber(budget)}%; ${formatNumber(w.rate)}x means ${formatNumber(errorRate)}% bad ${slo.kind === "availability" ? "requests" : "5-minute slices"}, ${formatNumber(consumed)}% of the budget gone per ${w.longWindow}.`,
            ...(page ? [handle, team] : ["Severity ticket: no page; the owning team handles it in working hours.", team]),
            "{{/is_alert}}",
            "{{#is_recovery}}",
            `RECOVERED: the ${slo.kind} SLO burn rate of ${svc.name} (${cfg.environment}) is back under ${formatNumber(w.rate)}x.`,
            ...(page ? [handle, team] : [team]),
            "{{/is_recovery}}",
            "",
            `Runbook: ${runbookUrl}`,
            `Dashboard: ${dashboardUrl}`,
            `Owner: team ${svc.monitoring.owners.team}.`,
          ].join("\n"),
      };
    }),
  );
}
