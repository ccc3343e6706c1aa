/**
 * The day-by-day on-call view as text lines (`oncall coverage`): one line per day with who is
 * primary and secondary, a GAP marker where nobody is, a rule at each week's start.
 */
import { describeSlots, type CalendarDay } from "./oncall-calendar";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function dayLines(days: CalendarDay[]): string[] {
  if (days.length === 0) return ["  no schedules"];
  const keys = Object.keys(days[0]!.oncall);
  const lines = [`  ${"day".padEnd(14)} ${keys.map((k) => k.padEnd(36)).join(" ")} gaps`];
  for (const d of days) {
    if (d.weekday === 1 && lines.length > 1) lines.push(`  ${"-".repeat(14)}`);
    const gaps = keys.flatMap((k) => d.gaps[k]!.map((g) => `GAP ${k} ${g.from}-${g.to}`));
    lines.push(`  ${`${WEEKDAYS[d.weekday - 1]} ${d.date}`.padEnd(14)} ${keys.map((k) => describeSlots(d.oncall[k]!).padEnd(36)).join(" ")} ${gaps.join("; ") || "-"}`.trimEnd());
  }
  return lines;
}
