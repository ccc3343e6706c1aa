/**
 * Names shared by the Datadog and PagerDuty sides. A paging handle only works when the monitor's
 * `@pagerduty-<name>` equals the Datadog service object's name, so both come from here.
 */
import { stackNames } from "../../config/names";
import type { ServiceConfig, StackConfig } from "../../config/schema";

/** The PagerDuty service (and Datadog service object) of one app service in one environment. */
export function pagerdutyServiceName(cfg: StackConfig, svc: Pick<ServiceConfig, "name">): string {
  return `${svc.name}-${cfg.environment}`;
}

/** The mention that routes a Datadog notification to that PagerDuty service. */
export function pagingHandle(serviceObjectName: string): string {
  return `@pagerduty-${serviceObjectName}`;
}

/** The mention that posts to a Slack channel through the Datadog Slack integration's account. */
export function slackHandle(cfg: Pick<StackConfig, "observability">, channel: string): string {
  return `@slack-${cfg.observability.slackAccount}-${channel.replace(/^#/, "")}`;
}

/** Every `@slack-<account>-<channel>` mention inside a monitor message. */
export function slackHandlesIn(message: string): string[] {
  return [...message.matchAll(/@slack-[A-Za-z0-9_.-]+/g)].map((m) => m[0]);
}

/** Every `@pagerduty-<name>` mention inside a monitor message. */
export function pagingHandlesIn(message: string): string[] {
  return [...message.matchAll(/@pagerduty-([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!);
}

export function dashboardTitle(cfg: StackConfig, svc: Pick<ServiceConfig, "name">): string {
  return `${svc.name} (${cfg.environment}) — service overview`;
}

/** The dashboard's address: Datadog redirects `/dashboard/<id>` to the titled URL. */
export function dashboardUrl(cfg: StackConfig, dashboardId: string): string {
  return `https://app.${cfg.observability.datadogSite}/dashboard/${dashboardId}`;
}

/** The runbook file every alert entry lives in, relative to the repository root. */
export const ALERT_RUNBOOK = "runbooks/alerts.md";

export function runbookLink(cfg: StackConfig, anchor: string): string {
  return `${cfg.observability.runbookBaseUrl.replace(/\/+$/, "")}/alerts.md#${anchor}`;
}

/** The AWS names a reader needs for one service, from the naming module the components use. */
export function awsNames(stack: string, cfg: StackConfig, svc: Pick<ServiceConfig, "name">) {
  const n = stackNames(stack, cfg);
  return {
    cluster: n.cluster,
    ecsService: n.ecsService(svc.name),
    dbInstance: n.dbIdentifier,
    logGroup: n.logGroup(svc.name),
    migrationLogGroup: n.logGroup(n.migrationWorkload),
  };
}
