/**
 * The on-call schedule model, shared by the PagerDuty component (which turns it into schedule
 * layers) and the coverage checker (which expands it into shifts). One definition, so what the
 * checker proves is what PagerDuty is told.
 *
 * Semantics follow PagerDuty's: a layer rotates its users every `turnLengthDays` at the local
 * time of `rotationVirtualStart` in the schedule's time zone (handoffs stay at the same wall-clock
 * time across DST changes); restrictions limit when a layer is on call; where layers overlap the
 * higher layer (later in the list) wins, as in PagerDuty's "final schedule".
 */
import { addDays, daysBetween, fromLocal, isoWeekday, parseHhmm, toLocal, type LocalDateTime } from "./time-zone";

export interface Restriction {
  type: "daily" | "weekly";
  /** Local time of day the window opens, HH:MM. */
  startTimeOfDay: string;
  /** Elapsed seconds the window stays open. */
  durationSeconds: number;
  /** For weekly windows: 1 = Monday ... 7 = Sunday. */
  startDayOfWeek?: number;
}

export interface LayerDef {
  name: string;
  /** Rotation order: user identifiers (emails in config, PagerDuty ids once resolved). */
  users: string[];
  /** Local wall-clock time the first turn starts ("YYYY-MM-DDTHH:MM"). */
  rotationVirtualStart: string;
  turnLengthDays: number;
  restrictions?: Restriction[];
  /** Local time the layer starts to apply (defaults to rotationVirtualStart). */
  start?: string;
  /** Local time the layer stops applying. */
  end?: string;
}

export interface ScheduleDef {
  /** Stable key, e.g. "primary". */
  key: string;
  name: string;
  timeZone: string;
  layers: LayerDef[];
}

export interface Shift {
  schedule: string;
  layer: string;
  user: string;
  start: number;
  end: number;
}

export function parseLocal(value: string): LocalDateTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) throw new Error(`expected a local time YYYY-MM-DDTHH:MM, found "${value}"`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]) };
}

export function formatLocal(l: LocalDateTime): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${l.year}-${p(l.month)}-${p(l.day)}T${p(l.hour)}:${p(l.minute)}`;
}

/** The rotation turns of a layer that touch [from, to): who is on, from when to when. */
export function layerTurns(schedule: ScheduleDef, layer: LayerDef, from: number, to: number): Shift[] {
  if (layer.users.length === 0 || layer.turnLengthDays <= 0) return [];
  const tz = schedule.timeZone;
  const virtualStart = parseLocal(layer.rotationVirtualStart);
  const applyFrom = Math.max(from, fromLocal(parseLocal(layer.start ?? layer.rotationVirtualStart), tz));
  const applyTo = Math.min(to, layer.end ? fromLocal(parseLocal(layer.end), tz) : to);
  if (applyFrom >= applyTo) return [];
  // Start one turn before the window so the turn in progress at `from` is included.
  const startLocal = toLocal(applyFrom, tz);
  let k = Math.floor(daysBetween(virtualStart, { ...startLocal }) / layer.turnLengthDays) - 1;
  const out: Shift[] = [];
  for (;;) {
    const start = fromLocal(addDays(virtualStart, k * layer.turnLengthDays), tz);
    const end = fromLocal(addDays(virtualStart, (k + 1) * layer.turnLengthDays), tz);
    if (start >= applyTo) break;
    const s = Math.max(start, applyFrom);
    const e = Math.min(end, applyTo);
    if (s < e) {
      const n = layer.users.length;
      out.push({ schedule: schedule.key, layer: layer.name, user: layer.users[((k % n) + n) % n]!, start: s, end: e });
    }
    k++;
  }
  return out;
}

/** The windows a layer's restrictions open within [from, to); one window covering all without restrictions. */
export function restrictionWindows(timeZone: string, restrictions: Restriction[] | undefined, from: number, to: number): [number, number][] {
  if (!restrictions || restrictions.length === 0) return [[from, to]];
  const windows: [number, number][] = [];
  const first = toLocal(from, timeZone);
  // One extra week back catches a weekly window that opened before `from` and is still open.
  const totalDays = Math.ceil((to - from) / 86_400_000) + 9;
  for (let d = -8; d <= totalDays; d++) {
    const day = addDays({ ...first, hour: 0, minute: 0 }, d);
    for (const r of restrictions) {
      if (r.type === "weekly" && isoWeekday(day) !== (r.startDayOfWeek ?? 1)) continue;
      const { hour, minute } = parseHhmm(r.startTimeOfDay);
      const open = fromLocal({ ...day, hour, minute }, timeZone);
      const close = open + r.durationSeconds * 1000;
      const s = Math.max(open, from);
      const e = Math.min(close, to);
      if (s < e) windows.push([s, e]);
    }
  }
  return mergeIntervals(windows);
}

export function mergeIntervals(intervals: [number, number][]): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** A layer's on-call shifts: its turns cut to its restriction windows. */
export function layerShifts(schedule: ScheduleDef, layer: LayerDef, from: number, to: number): Shift[] {
  const windows = restrictionWindows(schedule.timeZone, layer.restrictions, from, to);
  const out: Shift[] = [];
  for (const turn of layerTurns(schedule, layer, from, to)) {
    for (const [ws, we] of windows) {
      const s = Math.max(turn.start, ws);
      const e = Math.min(turn.end, we);
      if (s < e) out.push({ ...turn, start: s, end: e });
    }
  }
  return out;
}

/** The final schedule: at every instant the highest layer with someone on call wins. */
export function finalShifts(schedule: ScheduleDef, from: number, to: number): Shift[] {
  const perLayer = schedule.layers.map((layer) => layerShifts(schedule, layer, from, to));
  const points = new Set<number>([from, to]);
  for (const shifts of perLayer) for (const s of shifts) points.add(s.start).add(s.end);
  const sorted = [...points].filter((p) => p >= from && p <= to).sort((a, b) => a - b);
  const out: Shift[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const s = sorted[i]!;
    const e = sorted[i + 1]!;
    let winner: Shift | undefined;
    for (let l = perLayer.length - 1; l >= 0 && !winner; l--) winner = perLayer[l]!.find((x) => x.start <= s && x.end >= e);
    if (!winner) continue;
    const last = out[out.length - 1];
    if (last && last.end === s && last.user === winner.user && last.layer === winner.layer) last.end = e;
    else out.push({ ...winner, start: s, end: e });
  }
  return out;
}
