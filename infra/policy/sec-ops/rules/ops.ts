/**
 * The on-call contract as policy (alongside `oncall coverage`), over the Datadog and PagerDuty
 * resources the program declares: every monitor tells someone (a channel or pager handle), one
 * that pages reaches a pager (a `@pagerduty-<service>` handle whose service object the stack
 * declares), every monitor links its runbook, every SLO is
 * watched by burn-rate monitors, escalation goes past the first responder, and production-tier
 * services page at high urgency. CloudWatch alarms obey the same "someone is told" rule.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, known } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T, isOneOf } from "../../lib/types";

const tagsOf = (r: PolicyResource): string[] => (known(() => asArray(r.props.tags)) ?? []).map(String);
const messageOf = (r: PolicyResource): string | undefined => known(() => asString(r.props.message));

interface PagingConfig {
  pagingTags: string[];
  pagerHandles: string[];
  notifyHandles: string[];
}

const NOTIFY_HANDLES = ["@slack-", "@pagerduty-", "@opsgenie-", "@oncall-", "@teams-", "@webhook-"];

/** `@pagerduty-orders-api-prod` → `orders-api-prod`, for every handle with one of the pager prefixes. */
function handles(message: string, prefixes: string[]): Array<{ handle: string; prefix: string; target: string }> {
  return [...message.matchAll(/@([A-Za-z0-9][\w.-]*)/g)].flatMap((m) => {
    const handle = `@${m[1]!.replace(/[.]+$/, "")}`;
    const prefix = prefixes.find((p) => handle.toLowerCase().startsWith(p.toLowerCase()));
    return prefix ? [{ handle, prefix, target: handle.slice(prefix.length) }] : [];
  });
}

export const pagingMonitorsNotify: StackValidationPolicy = {
  name: "OPS-MON-01-paging-monitors-notify",
  description: "Every monitor notifies a channel or pager handle; one that pages (tagged severity:page) a pager handle that resolves to a service object the stack declares; CloudWatch alarms have enabled alarm actions.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["CloudWatch.15", "CloudWatch.17"], docType: "datadog:index/monitor:Monitor" }),
  configSchema: {
    properties: {
      pagingTags: { type: "array", items: { type: "string" }, default: ["severity:page"], description: "Monitor tags that mark a paging monitor." },
      pagerHandles: { type: "array", items: { type: "string" }, default: ["@pagerduty-", "@opsgenie-", "@oncall-"], description: "Handle prefixes that reach a pager." },
      notifyHandles: { type: "array", items: { type: "string" }, default: NOTIFY_HANDLES, description: "Handle prefixes that reach people (every monitor needs one)." },
    },
  },
  validateStack: (args, report) => {
    const { pagingTags, pagerHandles, notifyHandles } = configOf<PagingConfig>(args, { pagingTags: ["severity:page"], pagerHandles: ["@pagerduty-", "@opsgenie-", "@oncall-"], notifyHandles: NOTIFY_HANDLES });
    const pdServices = args.resources.filter((r) => isOneOf(r.type, T.datadogPagerdutyService)).map((r) => known(() => asString(r.props.serviceName))).filter((n): n is string => n !== undefined);
    for (const m of args.resources.filter((r) => isOneOf(r.type, T.datadogMonitor))) {
      const message = messageOf(m);
      if (message === undefined) continue; // unknown during preview
      if (!tagsOf(m).some((t) => pagingTags.includes(t))) {
        if (handles(message, notifyHandles).length === 0) report(`Monitor '${m.name}' notifies nobody: add the owning team's channel handle (e.g. @slack-<workspace>-<channel>) to its message.`, m.urn);
        continue;
      }
      const found = handles(message, pagerHandles);
      if (found.length === 0) {
        report(`Monitor '${m.name}' pages (tag ${pagingTags.join("/")}) but notifies nobody: add the on-call handle (e.g. @pagerduty-<service>) to its message.`, m.urn);
        continue;
      }
      const pd = found.filter((h) => h.prefix.toLowerCase() === "@pagerduty-");
      const unknown = pd.filter((h) => pdServices.length > 0 && !pdServices.includes(h.target));
      if (unknown.length > 0 && unknown.length === found.length) {
        report(`Monitor '${m.name}' pages ${unknown.map((h) => h.handle).join(", ")}, but the stack declares no Datadog PagerDuty service object of that name (${pdServices.join(", ")}): use @pagerduty-<serviceName> of one of them.`, m.urn);
      }
    }
    for (const a of args.resources.filter((r) => isOneOf(r.type, T.metricAlarm))) {
      const actions = known(() => asArray(a.props.alarmActions)) ?? [];
      if (a.props.actionsEnabled === false || actions.length === 0) report(`CloudWatch alarm '${a.name}' notifies nobody: set alarmActions to the on-call SNS topic (and leave actionsEnabled true).`, a.urn);
    }
  },
};

interface RunbookConfig {
  runbookPattern: string;
}

export const monitorsLinkRunbook: ResourceValidationPolicy = {
  name: "OPS-MON-02-runbook-link",
  description: "Every monitor message links the runbook that says what to do.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ docType: "datadog:index/monitor:Monitor" }),
  configSchema: {
    properties: { runbookPattern: { type: "string", default: "https://\\S*runbook", description: "Regular expression (case-insensitive) a runbook link matches." } },
  },
  validateResource: forTypes(T.datadogMonitor, (props, args, report) => {
    const { runbookPattern } = configOf<RunbookConfig>(args, { runbookPattern: "https://\\S*runbook" });
    if (!new RegExp(runbookPattern, "i").test(asString(props.message) ?? "")) report(`Monitor '${args.name}' has no runbook link: add 'Runbook: <runbookBaseUrl>/alerts.md#<alert>' to its message.`);
  }),
};

interface BurnRateConfig {
  longWindows: string[];
}

/** `burn_rate("<slo id>")...long_window("1h")` → the SLO id and the long window. */
function burnRate(query: string): { slo: string; window: string | undefined } | undefined {
  const m = /burn_rate\(\s*"([^"]+)"\s*\)/.exec(query);
  return m ? { slo: m[1]!, window: /long_window\(\s*"([^"]+)"\s*\)/.exec(query)?.[1] } : undefined;
}

export const sloBurnRateMonitors: StackValidationPolicy = {
  name: "OPS-SLO-01-burn-rate-monitors",
  description: "Every SLO is watched by SLO burn-rate monitors for each long window the policy config lists, and at least one of them pages.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "datadog:index/serviceLevelObjective:ServiceLevelObjective" }),
  configSchema: {
    properties: { longWindows: { type: "array", items: { type: "string" }, default: ["1h", "6h"], description: "Long windows each SLO needs a burn-rate monitor for (multiwindow, multi-burn-rate alerting)." } },
  },
  validateStack: (args, report) => {
    const { longWindows } = configOf<BurnRateConfig>(args, { longWindows: ["1h", "6h"] });
    const monitors = args.resources.filter((r) => isOneOf(r.type, T.datadogMonitor) && known(() => asString(r.props.type)) === "slo alert");
    for (const slo of args.resources.filter((r) => isOneOf(r.type, T.datadogSlo))) {
      const id = known(() => asString(slo.props.id));
      const watching = monitors.filter((m) => {
        const q = burnRate(known(() => asString(m.props.query)) ?? "");
        return q && (q.slo === id || (m.propertyDependencies?.query ?? []).includes(slo));
      });
      const windows = watching.map((m) => burnRate(String(m.props.query))?.window);
      const missing = longWindows.filter((w) => !windows.includes(w));
      const add = `add a datadog.Monitor of type 'slo alert' with query burn_rate("<SLO id>").over("<timeframe>").long_window(...).short_window(...) > <rate>`;
      if (watching.length === 0) report(`SLO '${slo.name}' has no burn-rate monitor, so nobody learns that its error budget burns: ${add} for the ${longWindows.join(" and ")} windows.`, slo.urn);
      else if (missing.length > 0) report(`SLO '${slo.name}' has no burn-rate monitor over the ${missing.join(", ")} window(s): ${add} for each.`, slo.urn);
      else if (!watching.some((m) => tagsOf(m).includes("severity:page"))) report(`SLO '${slo.name}' burn-rate monitors page nobody: tag the fast-burn one severity:page and give it the @pagerduty-<service> handle.`, slo.urn);
    }
  },
};

interface EscalationConfig {
  minimumLevels: number;
}

export const escalationLevels: ResourceValidationPolicy = {
  name: "OPS-PD-01-escalation-levels",
  description: "PagerDuty escalation policies go past the first responder: at least the configured number of levels, each with a target.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "pagerduty:index/escalationPolicy:EscalationPolicy" }),
  configSchema: {
    properties: { minimumLevels: { type: "integer", minimum: 1, default: 2, description: "Minimum escalation levels (primary, secondary, team lead)." } },
  },
  validateResource: forTypes(T.pagerdutyEscalationPolicy, (props, args, report) => {
    const { minimumLevels } = configOf<EscalationConfig>(args, { minimumLevels: 2 });
    const levels = asArray(props.rules).map(asRecord);
    const empty = levels.filter((l) => asArray(l.targets).length === 0).length;
    if (levels.length < minimumLevels) report(`Escalation policy '${args.name}' has ${levels.length} level(s): add rules until it has at least ${minimumLevels} (primary, secondary, team lead), so a page the first responder misses reaches someone.`);
    else if (empty > 0) report(`Escalation policy '${args.name}' has ${empty} level(s) without targets: give every rule a schedule_reference or user_reference target.`);
  }),
};

interface UrgencyConfig {
  required: boolean;
}

export const highUrgencyServices: ResourceValidationPolicy = {
  name: "OPS-PD-02-high-urgency",
  description: "PagerDuty services of stacks whose policy config requires it (production tier) page at high urgency around the clock.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "pagerduty:index/service:Service" }),
  configSchema: {
    properties: { required: { type: "boolean", default: true, description: "Require constant high urgency on every PagerDuty service." } },
  },
  validateResource: forTypes(T.pagerdutyService, (props, args, report) => {
    const { required } = configOf<UrgencyConfig>(args, { required: true });
    if (!required) args.notApplicable("High urgency is not required on this stack");
    const rule = asRecord(props.incidentUrgencyRule);
    // PagerDuty's default (no rule) is constant high urgency.
    if (props.incidentUrgencyRule !== undefined && !(rule.type === "constant" && rule.urgency === "high")) {
      report(`PagerDuty service '${args.name}' does not always page at high urgency: set incidentUrgencyRule to { type: 'constant', urgency: 'high' }.`);
    }
  }),
};

export const opsPolicies = [pagingMonitorsNotify, monitorsLinkRunbook, sloBurnRateMonitors, escalationLevels, highUrgencyServices];
