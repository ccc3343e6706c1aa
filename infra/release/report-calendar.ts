/**
 * Who is on call each day of the next weeks, per schedule, with the gaps: computed from the same
 * plan PagerDuty is given (oncallPlan → finalShifts), day by day in the schedule's time zone.
 */
import type { StackConfig } from "../../config/schema";
import { oncallPlan } from "../observability/oncall-plan";
import { finalShifts } from "../observability/schedule";
import { addDays, fromLocal, isoWeekday, toLocal, type LocalDateTime } from "../observability/time-zone";
import { escapeHtml } from "./report-markdown";

export interface CalendarDay {
  /** Local date, YYYY-MM-DD. */
  date: string;
  weekday: number;
  /** Per schedule key: who is on call that day (in order), and whether part of the day is uncovered. */
  schedules: Record<string, { people: string[]; gapHours: number }>;
}

export interface OncallCalendar {
  timeZone: string;
  schedules: { key: string; name: string }[];
  days: CalendarDay[];
}

const pad = (n: number) => String(n).padStart(2, "0");
const dateOf = (l: LocalDateTime) => `${l.year}-${pad(l.month)}-${pad(l.day)}`;

/** `weeks` whole weeks, Monday to Sunday, starting with the week holding `from`. */
export function oncallCalendar(cfg: StackConfig, from: number, weeks: number): OncallCalendar {
  const plan = oncallPlan(cfg);
  const tz = plan.timeZone;
  const today = toLocal(from, tz);
  const monday = addDays({ ...today, hour: 0, minute: 0 }, 1 - isoWeekday(today));
  const days: CalendarDay[] = [];
  for (let d = 0; d < weeks * 7; d++) {
    const local = addDays(monday, d);
    const start = fromLocal(local, tz);
    const end = fromLocal(addDays(local, 1), tz);
    const schedules: CalendarDay["schedules"] = {};
    for (const s of plan.schedules) {
      const shifts = finalShifts(s, start, end);
      const covered = shifts.reduce((sum, x) => sum + (x.end - x.start), 0);
      const people = [...new Set(shifts.map((x) => x.user))];
      schedules[s.key] = { people, gapHours: Math.round(((end - start - covered) / 3_600_000) * 10) / 10 };
    }
    days.push({ date: dateOf(local), weekday: isoWeekday(local), schedules });
  }
  return { timeZone: tz, schedules: plan.schedules.map((s) => ({ key: s.key, name: s.name })), days };
}

const WEEKDAY = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/** `alex@example.com` → `alex`: the calendar cell is small; the full address is in the tooltip. */
const short = (who: string) => who.split("@")[0]!;

export function renderCalendarHtml(cal: OncallCalendar, today: string): string {
  const weeks: CalendarDay[][] = [];
  cal.days.forEach((d, i) => (weeks[Math.floor(i / 7)] ??= []).push(d));
  const cell = (d: CalendarDay) => {
    const rows = cal.schedules.map((s) => {
      const e = d.schedules[s.key]!;
      const gap = e.gapHours > 0 ? ` <span class="gap" title="${e.gapHours} h of this day nobody is on call">gap ${e.gapHours} h</span>` : "";
      const who = e.people.length ? e.people.map((p) => `<span title="${escapeHtml(p)}">${escapeHtml(short(p))}</span>`).join(" → ") : `<span class="gap">nobody</span>`;
      return `<div class="oncall ${escapeHtml(s.key)}"><span class="role">${escapeHtml(s.key)}</span> ${who}${gap}</div>`;
    });
    return `<td class="day${d.date === today ? " today" : ""}${d.weekday >= 6 ? " weekend" : ""}" data-date="${d.date}"><div class="date">${d.date.slice(5)}</div>${rows.join("")}</td>`;
  };
  return [
    `<table class="calendar"><thead><tr>${WEEKDAY.map((w) => `<th>${w}</th>`).join("")}</tr></thead><tbody>`,
    ...weeks.map((w) => `<tr>${w.map(cell).join("")}</tr>`),
    "</tbody></table>",
    `<p class="note">Times in ${escapeHtml(cal.timeZone)}. "a → b": the handoff is that day. A gap is time within the day with nobody on call in that schedule.</p>`,
  ].join("\n");
}
