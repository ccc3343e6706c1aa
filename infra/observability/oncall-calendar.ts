/**
 * Who is on call on each calendar day (in the schedules' time zone), per schedule, and when nobody
 * is: the day view `oncall coverage` prints and the package's calendar picture draws. From the
 * same final shifts the coverage checks use.
 */
import type { ScheduleDef, Shift } from "./schedule";
import { addDays, fromLocal, isoWeekday, isoWithOffset, toLocal } from "./time-zone";

export interface DaySlot {
  user: string;
  /** Local wall-clock time of day, "HH:MM" (end "24:00" when it runs past midnight). */
  from: string;
  to: string;
}

export interface CalendarDay {
  /** Local date, YYYY-MM-DD. */
  date: string;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** Per schedule key, who is on call that day in time order (the part of the day inside the window). */
  oncall: Record<string, DaySlot[]>;
  /** Per schedule key, the parts of the day nobody is on call. */
  gaps: Record<string, { from: string; to: string }[]>;
  /** The day as an instant range, ISO with offset (clipped to the checked window). */
  start: string;
  end: string;
}

const pad = (n: number) => String(n).padStart(2, "0");

function clock(ms: number, dayStart: number, dayEnd: number, tz: string): string {
  if (ms >= dayEnd) return "24:00";
  if (ms <= dayStart) return "00:00";
  const l = toLocal(ms, tz);
  return `${pad(l.hour)}:${pad(l.minute)}`;
}

/** The calendar days of [from, to) in `timeZone`, with each schedule's shifts cut to them. */
export function calendarDays(schedules: ScheduleDef[], shifts: ReadonlyMap<string, Shift[]>, timeZone: string, from: number, to: number): CalendarDay[] {
  const days: CalendarDay[] = [];
  const first = toLocal(from, timeZone);
  let local = { year: first.year, month: first.month, day: first.day, hour: 0, minute: 0 };
  for (let start = fromLocal(local, timeZone); start < to; ) {
    const nextLocal = addDays(local, 1);
    const end = fromLocal(nextLocal, timeZone);
    const s = Math.max(start, from);
    const e = Math.min(end, to);
    const oncall: CalendarDay["oncall"] = {};
    const gaps: CalendarDay["gaps"] = {};
    for (const schedule of schedules) {
      const parts = (shifts.get(schedule.key) ?? [])
        .filter((x) => x.start < e && x.end > s)
        .sort((a, b) => a.start - b.start)
        .map((x) => ({ user: x.user, start: Math.max(x.start, s), end: Math.min(x.end, e) }));
      oncall[schedule.key] = parts.map((p) => ({ user: p.user, from: clock(p.start, start, end, timeZone), to: clock(p.end, start, end, timeZone) }));
      const holes: { from: string; to: string }[] = [];
      let cursor = s;
      for (const p of parts) {
        if (p.start > cursor) holes.push({ from: clock(cursor, start, end, timeZone), to: clock(p.start, start, end, timeZone) });
        cursor = Math.max(cursor, p.end);
      }
      if (cursor < e) holes.push({ from: clock(cursor, start, end, timeZone), to: clock(e, start, end, timeZone) });
      gaps[schedule.key] = holes;
    }
    const weekday = isoWeekday(local);
    days.push({ date: `${local.year}-${pad(local.month)}-${pad(local.day)}`, weekday, oncall, gaps, start: isoWithOffset(s, timeZone), end: isoWithOffset(e, timeZone) });
    local = nextLocal;
    start = end;
  }
  return days;
}

/** "alice@x (until 10:00), bob@x (from 10:00)", or "nobody". */
export function describeSlots(slots: DaySlot[]): string {
  if (slots.length === 0) return "nobody";
  if (slots.length === 1 && slots[0]!.from === "00:00" && slots[0]!.to === "24:00") return slots[0]!.user;
  return slots.map((x) => `${x.user} ${x.from}-${x.to}`).join(", ");
}
