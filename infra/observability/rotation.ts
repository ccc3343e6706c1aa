/**
 * Who is on call when, and who gets paged next: the rotation the handoff package prints (and its
 * calendar picture), from the same plan PagerDuty is given.
 */
import type { StackConfig } from "../../config/schema";
import { calendarDays } from "./oncall-calendar";
import { renderCalendarSvg } from "./oncall-calendar-svg";
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

/** How many weeks the release package's rotation document and calendar show. */
export const PACKAGE_ROTATION_WEEKS = 4;

/** The calendar picture's file name, next to the rotation document in the package's docs/. */
export const CALENDAR_SVG = "oncall-calendar.svg";

/**
 * What `urgency` does in PagerDuty (components/oncall.ts incidentUrgencyRule): "high" is high 24x7;
 * "low" is high within support hours and low outside them, and an incident still open when
 * support hours start is raised to high (the service's scheduled urgency change).
 */
export function describeUrgency(o: Pick<StackConfig["oncall"], "urgency" | "supportHours" | "timeZone">): string {
  if (o.urgency === "high" || !o.supportHours) return "high urgency 24x7 (every page notifies and escalates at any hour)";
  const h = o.supportHours;
  return `\`urgency: low\` means **high** urgency within support hours (days ${h.days.join(",")}, ${h.start}–${h.end} ${o.timeZone}: pages notify and escalate) and **low** urgency outside them (notified, not escalated); an incident still open when support hours start becomes high urgency`;
}

/** The package's docs/oncall-rotation.md and docs/oncall-calendar.svg, from `from` (the release commit's time). */
export function rotationDocuments(cfg: StackConfig, stack: string, from: number, weeks: number = PACKAGE_ROTATION_WEEKS): [string, string][] {
  const r = oncallRotation(cfg, weeks, from);
  const plan = oncallPlan(cfg);
  const to = from + weeks * 7 * 86_400_000;
  const days = calendarDays(plan.schedules, new Map(plan.schedules.map((s) => [s.key, finalShifts(s, from, to)])), plan.timeZone, from, to);
  const md = [
    `# On-call rotation — ${stack}`,
    "",
    `Team: ${cfg.oncall.teamName} (lead ${cfg.oncall.teamLeadEmail}). Time zone ${r.timeZone}; handoff ${r.handoff}.`,
    "",
    `Urgency: ${describeUrgency(cfg.oncall)}.`,
    "",
    `## The next ${weeks} weeks (from the release commit)`,
    "",
    `![On-call calendar](${CALENDAR_SVG})`,
    "",
    "| from | to | primary | secondary |",
    "|---|---|---|---|",
    ...r.weeks.map((w) => `| ${w.start} | ${w.end} | ${w.primary} | ${w.secondary} |`),
    "",
    "## Escalation",
    "",
    "| level | after | who |",
    "|---|---|---|",
    ...r.escalation.map((e) => `| ${e.level} | ${e.afterMinutes} min | ${e.target} |`),
    "",
    `The policy repeats ${r.repeats} time(s) when nobody acknowledges. Check coverage, day by day, any time with \`npm run cli -- oncall coverage --stack ${stack}\`.`,
    "",
  ].join("\n");
  return [
    ["oncall-rotation.md", md],
    [CALENDAR_SVG, renderCalendarSvg(`On-call ${stack} (${r.timeZone}), ${days[0]?.date ?? ""} to ${days.at(-1)?.date ?? ""}`, days)],
  ];
}
