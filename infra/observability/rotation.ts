/**
 * Who is on call when, and who gets paged next: the rotation the handoff package prints, from the
 * same plan PagerDuty is given.
 */
import type { StackConfig } from "../../config/schema";
import { oncallPlan } from "./oncall-plan";
import { finalShifts } from "./schedule";
import { isoWithOffset } from "./time-zone";

export interface RotationWeek {
  /** Handoff instants in the schedule's time zone (ISO 8601 with offset). */
  start: string;
  end: string;
  primary: string;
  secondary: string;
}

export interface OncallRotation {
  timeZone: string;
  handoff: string;
  weeks: RotationWeek[];
  escalation: { level: number; afterMinutes: number; target: string }[];
  repeats: number;
}

/** The next `weeks` handoff periods from `from` (default: now), with the escalation chain. */
export function oncallRotation(cfg: StackConfig, weeks: number, from: number = Date.now()): OncallRotation {
  const plan = oncallPlan(cfg);
  const to = from + weeks * 7 * 86_400_000;
  const byKey = Object.fromEntries(plan.schedules.map((s) => [s.key, finalShifts(s, from, to)]));
  const primary = byKey.primary ?? [];
  const secondary = byKey.secondary ?? [];
  const tz = plan.timeZone;
  const weeksOut: RotationWeek[] = primary.map((p) => {
    const s = secondary.find((x) => x.start <= p.start && x.end > p.start);
    return { start: isoWithOffset(p.start, tz), end: isoWithOffset(p.end, tz), primary: p.user, secondary: s?.user ?? "(nobody)" };
  });
  let elapsed = 0;
  const escalation = plan.escalation.levels.map((level, i) => {
    const entry = { level: i + 1, afterMinutes: elapsed, target: level.targets.map((t) => (t.type === "schedule" ? `${t.schedule} on-call` : t.email)).join(", ") };
    elapsed += level.delayMinutes;
    return entry;
  });
  return { timeZone: tz, handoff: `${cfg.oncall.handoffDay} ${cfg.oncall.handoffTime}`, weeks: weeksOut, escalation, repeats: plan.escalation.repeats };
}
