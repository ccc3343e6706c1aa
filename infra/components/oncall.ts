/**
 * PagerDuty on-call from the one plan in infra/observability/oncall-plan.ts: users looked up by
 * email, a team, primary and secondary weekly schedules, an escalation policy (primary ->
 * secondary -> team lead, with repeats), one service per app service in this environment
 * (prod: high urgency 24x7; low-urgency stacks: high only within support hours), alert grouping,
 * and the Datadog integration whose key the Datadog service object carries.
 */
import * as pagerduty from "@pulumi/pagerduty";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";
import { oncallPlan, type OncallPlan, type PagerDutyServicePlan } from "../observability/oncall-plan";
import { parseLocal, type ScheduleDef } from "../observability/schedule";
import { fromLocal, isoWithOffset } from "../observability/time-zone";

export interface OnCallArgs {
  ctx: StackContext;
}

export class OnCall extends pulumi.ComponentResource {
  readonly plan: OncallPlan;
  readonly team: pagerduty.Team;
  readonly schedules: Record<string, pagerduty.Schedule>;
  readonly escalationPolicy: pagerduty.EscalationPolicy;
  /** PagerDuty service per app service name. */
  readonly services: Record<string, pagerduty.Service>;
  /** Routing key of each service's Datadog integration (secret), per app service name. */
  readonly integrationKeys: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: OnCallArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:oncall:OnCall", name, {}, opts);
    const child = { parent: this };
    const plan = (this.plan = oncallPlan(args.ctx.cfg));

    // Users exist in PagerDuty already (SSO provisioning); we only look them up.
    const userIds = new Map<string, pulumi.Output<string>>();
    for (const email of plan.users) userIds.set(email, pagerduty.getUserOutput({ email }, child).id);
    const userId = (email: string) => userIds.get(email)!;

    this.team = new pagerduty.Team(`${name}-team`, { name: `${plan.teamName} (${plan.environment})`, description: `On-call team for backend-release ${plan.environment}` }, child);
    for (const email of plan.users) {
      new pagerduty.TeamMembership(`${name}-member-${email.split("@")[0]}`, { teamId: this.team.id, userId: userId(email), role: email === plan.teamLeadEmail ? "manager" : "responder" }, child);
    }

    this.schedules = {};
    for (const schedule of plan.schedules) this.schedules[schedule.key] = this.schedule(name, schedule, userId);

    this.escalationPolicy = new pagerduty.EscalationPolicy(
      `${name}-escalation`,
      {
        name: plan.escalation.name,
        description: `${plan.escalation.levels.length} levels: primary, secondary, team lead; repeated ${plan.escalation.repeats} time(s)`,
        numLoops: plan.escalation.repeats,
        teams: this.team.id,
        rules: plan.escalation.levels.map((level) => ({
          escalationDelayInMinutes: level.delayMinutes,
          targets: level.targets.map((t) => (t.type === "schedule" ? { type: "schedule_reference", id: this.schedules[t.schedule]!.id } : { type: "user_reference", id: userId(t.email) })),
        })),
      },
      child,
    );

    const datadogVendor = pagerduty.getVendorOutput({ name: "Datadog" }, child);
    this.services = {};
    this.integrationKeys = {};
    for (const svc of plan.services) {
      const service = new pagerduty.Service(`${name}-${svc.service}`, serviceArgs(svc, this.escalationPolicy.id), child);
      const integration = new pagerduty.ServiceIntegration(`${name}-${svc.service}-datadog`, { name: "Datadog", service: service.id, vendor: datadogVendor.id }, child);
      this.services[svc.service] = service;
      this.integrationKeys[svc.service] = pulumi.secret(integration.integrationKey.apply((k) => k ?? ""));
    }

    this.registerOutputs({ services: Object.fromEntries(Object.entries(this.services).map(([k, s]) => [k, s.id])), escalationPolicy: this.escalationPolicy.id });
  }

  private schedule(name: string, def: ScheduleDef, userId: (email: string) => pulumi.Output<string>): pagerduty.Schedule {
    const at = (local: string) => isoWithOffset(fromLocal(parseLocal(local), def.timeZone), def.timeZone);
    return new pagerduty.Schedule(
      `${name}-${def.key}`,
      {
        name: def.name,
        timeZone: def.timeZone,
        teams: [this.team.id],
        layers: def.layers.map((layer) => ({
          name: layer.name,
          start: at(layer.start ?? layer.rotationVirtualStart),
          ...(layer.end ? { end: at(layer.end) } : {}),
          rotationVirtualStart: at(layer.rotationVirtualStart),
          rotationTurnLengthSeconds: layer.turnLengthDays * 86_400,
          users: layer.users.map(userId),
          restrictions: (layer.restrictions ?? []).map((r) => ({
            type: r.type === "daily" ? "daily_restriction" : "weekly_restriction",
            startTimeOfDay: `${r.startTimeOfDay}:00`,
            durationSeconds: r.durationSeconds,
            ...(r.type === "weekly" ? { startDayOfWeek: r.startDayOfWeek ?? 1 } : {}),
          })),
        })),
      },
      { parent: this },
    );
  }
}

/** Urgency: constant high 24x7 for high-urgency stacks; within support hours only for low ones. */
function serviceArgs(svc: PagerDutyServicePlan, escalationPolicy: pulumi.Input<string>): pagerduty.ServiceArgs {
  const common: pagerduty.ServiceArgs = {
    name: svc.name,
    description: svc.description,
    escalationPolicy,
    alertCreation: "create_alerts_and_incidents",
    // Datadog re-notifications of one monitor land in one incident instead of paging again.
    alertGroupingParameters: { type: "content_based", config: { aggregate: "all", fields: ["summary"] } },
    autoResolveTimeout: "14400",
    acknowledgementTimeout: "1800",
  };
  if (svc.urgency === "high" || !svc.supportHours) return { ...common, incidentUrgencyRule: { type: "constant", urgency: "high" } };
  const hours = svc.supportHours;
  return {
    ...common,
    incidentUrgencyRule: {
      type: "use_support_hours",
      duringSupportHours: { type: "constant", urgency: "high" },
      outsideSupportHours: { type: "constant", urgency: "low" },
    },
    supportHours: { type: "fixed_time_per_day", timeZone: hours.timeZone, daysOfWeeks: hours.days, startTime: `${hours.start}:00`, endTime: `${hours.end}:00` },
    // PagerDuty requires this with support hours: open low-urgency incidents become high when hours start.
    scheduledActions: [{ type: "urgency_change", toUrgency: "high", ats: [{ type: "named_time", name: "support_hours_start" }] }],
  };
}
