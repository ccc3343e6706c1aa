/**
 * The on-call definition derived from config: schedules, escalation, PagerDuty services and the
 * Datadog service objects that paging handles resolve to. The PagerDuty component declares
 * exactly this; the coverage checker and the runbooks read exactly this.
 */
import type { StackConfig } from "../../config/schema";
import { isProductionTier } from "../../config/units";
import { pagerdutyServiceName } from "./naming";
import { formatLocal, type ScheduleDef } from "./schedule";
import { addDays, isoWeekday, parseHhmm } from "./time-zone";

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

/**
 * Rotations are anchored on a fixed date, not "now", so the same config always declares the same
 * schedule (no diff on every `pulumi up`) and anyone can say who is on call in any week.
 */
export const ROTATION_EPOCH = { year: 2024, month: 1, day: 1 } as const;

export type EscalationTarget = { type: "schedule"; schedule: string } | { type: "user"; email: string };

export interface EscalationLevel {
  delayMinutes: number;
  targets: EscalationTarget[];
}

export interface EscalationPlan {
  name: string;
  levels: EscalationLevel[];
  /** How many times PagerDuty loops through the levels when nobody acknowledges. */
  repeats: number;
}

export interface PagerDutyServicePlan {
  /** The app service it belongs to. */
  service: string;
  /** PagerDuty service name = Datadog service object name = `@pagerduty-<name>`. */
  name: string;
  description: string;
  urgency: "high" | "low";
  supportHours?: { timeZone: string; days: number[]; start: string; end: string };
}

export interface OncallPlan {
  environment: StackConfig["environment"];
  teamName: string;
  teamLeadEmail: string;
  timeZone: string;
  schedules: ScheduleDef[];
  escalation: EscalationPlan;
  services: PagerDutyServicePlan[];
  /** Service objects declared in Datadog (what `@pagerduty-<name>` can resolve to). */
  serviceObjects: string[];
  /** Every person the plan names, looked up in PagerDuty by email. */
  users: string[];
  /** Prod must be covered around the clock by rotations of at least two people. */
  requires24x7: boolean;
}

/** First handoff at or after the epoch, as a local wall-clock time. */
export function rotationStart(cfg: StackConfig): string {
  const epoch = { ...ROTATION_EPOCH, hour: 0, minute: 0 };
  const wanted = WEEKDAYS.indexOf(cfg.oncall.handoffDay) + 1;
  const shift = (wanted - isoWeekday(epoch) + 7) % 7;
  return formatLocal({ ...addDays(epoch, shift), ...parseHhmm(cfg.oncall.handoffTime) });
}

export function oncallPlan(cfg: StackConfig): OncallPlan {
  const o = cfg.oncall;
  const env = cfg.environment;
  const start = rotationStart(cfg);
  const schedule = (key: "primary" | "secondary", users: string[]): ScheduleDef => ({
    key,
    name: `${o.teamName} ${env} ${key}`,
    timeZone: o.timeZone,
    layers: [{ name: `${key} weekly rotation`, users, rotationVirtualStart: start, turnLengthDays: 7 }],
  });
  const services = cfg.services.map((svc): PagerDutyServicePlan => ({
    service: svc.name,
    name: pagerdutyServiceName(cfg, svc),
    description: `${svc.description} (${env}); alerts from Datadog monitors of ${svc.name}`,
    urgency: o.urgency,
    ...(o.supportHours ? { supportHours: { timeZone: o.timeZone, ...o.supportHours } } : {}),
  }));
  return {
    environment: env,
    teamName: o.teamName,
    teamLeadEmail: o.teamLeadEmail,
    timeZone: o.timeZone,
    schedules: [schedule("primary", o.primary), schedule("secondary", o.secondary)],
    escalation: {
      name: `${o.teamName} ${env}`,
      levels: [
        { delayMinutes: o.escalationDelayMinutes, targets: [{ type: "schedule", schedule: "primary" }] },
        { delayMinutes: o.escalationDelayMinutes, targets: [{ type: "schedule", schedule: "secondary" }] },
        { delayMinutes: o.escalationDelayMinutes, targets: [{ type: "user", email: o.teamLeadEmail }] },
      ],
      repeats: o.escalationRepeats,
    },
    services,
    serviceObjects: services.map((s) => s.name),
    users: [...new Set([...o.primary, ...o.secondary, o.teamLeadEmail])],
    requires24x7: isProductionTier(cfg),
  };
}
