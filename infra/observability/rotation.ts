/**
 * Who is on call when, and who gets paged next: the rotation the handoff package prints, from the
 * same plan PagerDuty is given.
 */
import type { StackConfig } from "../../config/schema";
import { oncallPlan } from "./oncall-plan";
import { finalShifts, layerTurns, type Shift } from "./schedule";
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
  const tz = plan.timeZone;
  // Periods run from handoff to handoff of the primary rotation (a person on call two weeks in a row still hands off).
  const primarySchedule = plan.schedules.find((s) => s.key === "primary");
  const boundaries = new Set<number>([from, to]);
  for (const layer of primarySchedule?.layers ?? []) for (const t of layerTurns(primarySchedule!, layer, from, to)) boundaries.add(t.start).add(t.end);
  const points = [...boundaries].sort((a, b) => a - b);
  const onCallAt = (shifts: Shift[] | undefined, t: number) => shifts?.find((x) => x.start <= t && x.end > t)?.user ?? "(nobody)";
  const weeksOut: RotationWeek[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i]!;
    weeksOut.push({ start: isoWithOffset(start, tz), end: isoWithOffset(points[i + 1]!, tz), primary: onCallAt(byKey.primary, start), secondary: onCallAt(byKey.secondary, start) });
  }
  let elapsed = 0;
  const escalation = plan.escalation.levels.map((level, i) => {
    const entry = { level: i + 1, afterMinutes: elapsed, target: level.targets.map((t) => (t.type === "schedule" ? `${t.schedule} on-call` : t.email)).join(", ") };
    elapsed += level.delayMinutes;
    return entry;
  });
  return { timeZone: tz, handoff: `${cfg.oncall.handoffDay} ${cfg.oncall.handoffTime}`, weeks: weeksOut, escalation, repeats: plan.escalation.repeats };
}
