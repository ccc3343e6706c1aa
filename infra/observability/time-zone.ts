/**
 * Wall-clock arithmetic in an IANA time zone with nothing but `Intl`: PagerDuty hands off at a
 * local time of day, so a weekly turn is 167 or 169 hours long in a week with a DST change.
 */

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local wall-clock time of an instant in `timeZone`. */
export function toLocal(instantMs: number, timeZone: string): LocalDateTime & { second: number } {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(instantMs)).map((p) => [p.type, p.value]));
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), hour: Number(parts.hour), minute: Number(parts.minute), second: Number(parts.second) };
}

/** Offset of `timeZone` from UTC at an instant, in milliseconds (Berlin in summer: +7_200_000). */
export function offsetMs(instantMs: number, timeZone: string): number {
  const l = toLocal(instantMs, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The instant a local wall-clock time happens. A time skipped by a spring-forward change maps to
 * the same time shifted forward by the gap (what calendars do); an ambiguous autumn time maps to its first
 * occurrence.
 */
export function fromLocal(local: LocalDateTime, timeZone: string): number {
  const naive = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const candidates = [naive - offsetMs(naive - 86_400_000, timeZone), naive - offsetMs(naive + 86_400_000, timeZone)];
  const exact = candidates.filter((t) => {
    const l = toLocal(t, timeZone);
    return l.year === local.year && l.month === local.month && l.day === local.day && l.hour === local.hour && l.minute === local.minute;
  });
  if (exact.length > 0) return Math.min(...exact);
  // Skipped local time: reading it with the earlier offset lands past the gap, as calendars do.
  return Math.max(...candidates);
}

/** Calendar arithmetic on local dates (no time zone involved). */
export function addDays(local: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  return { ...local, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** ISO weekday of a local date: 1 = Monday ... 7 = Sunday (PagerDuty's numbering). */
export function isoWeekday(local: Pick<LocalDateTime, "year" | "month" | "day">): number {
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
  return d === 0 ? 7 : d;
}

/** Days between two local dates. */
export function daysBetween(a: LocalDateTime, b: LocalDateTime): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

export function parseHhmm(value: string): { hour: number; minute: number } {
  const m = /^(\d{2}):(\d{2})(?::\d{2})?$/.exec(value);
  if (!m) throw new Error(`expected HH:MM, found "${value}"`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** `2024-01-01T10:00:00+01:00`: the instant written in the zone's own offset, as PagerDuty shows it. */
export function isoWithOffset(instantMs: number, timeZone: string): string {
  const l = toLocal(instantMs, timeZone);
  const off = offsetMs(instantMs, timeZone) / 60_000;
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${l.year}-${p(l.month)}-${p(l.day)}T${p(l.hour)}:${p(l.minute)}:${p(l.second)}${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}
