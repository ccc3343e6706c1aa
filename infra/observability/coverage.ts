/**
 * The offline on-call checks (`oncall coverage`): every paging handle resolves to a declared
 * service object; every escalation policy has at least two levels; where 24x7 is required, every
 * schedule covers the whole window with no gap and no single-person layer; nobody is primary and
 * secondary at the same time. Computed from the same plan the PagerDuty component declares.
 */
import type { StackConfig } from "../../config/schema";
import { monitorDefinitions } from "./monitors";
import { pagingHandlesIn } from "./naming";
import { calendarDays, type CalendarDay } from "./oncall-calendar";
import { oncallPlan, type EscalationPlan, type OncallPlan } from "./oncall-plan";
import { finalShifts, type ScheduleDef, type Shift } from "./schedule";
import { burnRateDefinitions } from "./slos";

export interface Gap {
  schedule: string;
  start: string;
  end: string;
}

export interface Overlap {
  user: string;
  schedules: [string, string];
  start: string;
  end: string;
}

export interface CoverageInput {
  schedules: ScheduleDef[];
  escalations: EscalationPlan[];
  /** Every monitor message that may carry `@pagerduty-<name>`, keyed by monitor name. */
  messages: { monitor: string; message: string }[];
  serviceObjects: string[];
  requires24x7: boolean;
}

export interface CoverageReport {
  from: string;
  to: string;
  weeks: number;
  requires24x7: boolean;
  /** Share of the window every schedule has someone on call (the worst schedule), in percent. */
  coveragePercent: number;
  perSchedule: { schedule: string; coveragePercent: number }[];
  gaps: Gap[];
  singlePersonLayers: { schedule: string; layer: string; user: string }[];
  /** People on call in two schedules at once (primary and secondary). */
  overlaps: Overlap[];
  unresolvedHandles: { monitor: string; handle: string }[];
  shortEscalations: { policy: string; levels: number }[];
  /** One line per blocking finding; empty means the checks pass. */
  findings: string[];
  /** Who is on call on each day of the window, per schedule, and the parts of days nobody is. */
  days: CalendarDay[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function gapsOf(shifts: Shift[], from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  let cursor = from;
  for (const s of [...shifts].sort((a, b) => a.start - b.start)) {
    if (s.start > cursor) out.push([cursor, s.start]);
    cursor = Math.max(cursor, s.end);
  }
  if (cursor < to) out.push([cursor, to]);
  return out;
}

function overlapsOf(a: Shift[], b: Shift[]): Overlap[] {
  const out: Overlap[] = [];
  for (const x of a) {
    for (const y of b) {
      if (x.user !== y.user) continue;
      const s = Math.max(x.start, y.start);
      const e = Math.min(x.end, y.end);
      if (s < e) out.push({ user: x.user, schedules: [x.schedule, y.schedule], start: iso(s), end: iso(e) });
    }
  }
  return out;
}

export function checkCoverage(input: CoverageInput, from: number, weeks: number): CoverageReport {
  const to = from + weeks * 7 * 86_400_000;
  const findings: string[] = [];
  const finals = new Map(input.schedules.map((s) => [s.key, finalShifts(s, from, to)]));

  const perSchedule = input.schedules.map((s) => {
    const covered = finals.get(s.key)!.reduce((sum, x) => sum + (x.end - x.start), 0);
    return { schedule: s.key, coveragePercent: Number(((covered / (to - from)) * 100).toFixed(2)) };
  });
  const gaps: Gap[] = [];
  const singlePersonLayers: CoverageReport["singlePersonLayers"] = [];
  if (input.requires24x7) {
    for (const s of input.schedules) {
      for (const [gs, ge] of gapsOf(finals.get(s.key)!, from, to)) {
        gaps.push({ schedule: s.key, start: iso(gs), end: iso(ge) });
        findings.push(`schedule "${s.key}" has nobody on call from ${iso(gs)} to ${iso(ge)}`);
      }
      for (const layer of s.layers) {
        if (new Set(layer.users).size < 2) {
          singlePersonLayers.push({ schedule: s.key, layer: layer.name, user: layer.users[0] ?? "" });
          findings.push(`schedule "${s.key}" layer "${layer.name}" rotates a single person (${layer.users[0] ?? "nobody"}); add a second so one person is never on call every week`);
        }
      }
    }
  }

  const overlaps: Overlap[] = [];
  const keys = input.schedules.map((s) => s.key);
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) overlaps.push(...overlapsOf(finals.get(keys[i]!)!, finals.get(keys[j]!)!));
  }
  for (const o of overlaps) findings.push(`${o.user} is on call in "${o.schedules[0]}" and "${o.schedules[1]}" at the same time (${o.start} to ${o.end}); escalation would page the same person twice`);

  const declared = new Set(input.serviceObjects);
  const unresolvedHandles: CoverageReport["unresolvedHandles"] = [];
  for (const { monitor, message } of input.messages) {
    for (const handle of pagingHandlesIn(message)) {
      if (!declared.has(handle)) {
        unresolvedHandles.push({ monitor, handle: `@pagerduty-${handle}` });
        findings.push(`monitor "${monitor}" pages @pagerduty-${handle}, but no Datadog service object "${handle}" is declared (declared: ${[...declared].join(", ") || "none"})`);
      }
    }
  }

  const shortEscalations = input.escalations.filter((e) => e.levels.length < 2).map((e) => ({ policy: e.name, levels: e.levels.length }));
  for (const e of shortEscalations) findings.push(`escalation policy "${e.policy}" has ${e.levels} level(s); it needs at least 2 so an unacknowledged page reaches someone else`);

  return {
    from: iso(from),
    to: iso(to),
    weeks,
    requires24x7: input.requires24x7,
    coveragePercent: perSchedule.length > 0 ? Math.min(...perSchedule.map((p) => p.coveragePercent)) : 0,
    perSchedule,
    gaps,
    singlePersonLayers,
    overlaps,
    unresolvedHandles,
    shortEscalations,
    findings,
    days: input.schedules.length > 0 ? calendarDays(input.schedules, finals, input.schedules[0]!.timeZone, from, to) : [],
  };
}

/** The checker's input for a stack, from its config: the plan and every monitor message. */
export function coverageInput(cfg: StackConfig, plan: OncallPlan = oncallPlan(cfg)): CoverageInput {
  const url = "https://app.datadoghq.com/dashboard/offline";
  const messages = [
    ...monitorDefinitions(cfg).map((d) => ({ monitor: d.name, message: d.message(url) })),
    ...cfg.services.flatMap((svc) => burnRateDefinitions(cfg, svc).map((d) => ({ monitor: d.name, message: d.message(url) }))),
  ];
  return { schedules: plan.schedules, escalations: [plan.escalation], messages, serviceObjects: plan.serviceObjects, requires24x7: plan.requires24x7 };
}

export function stackCoverage(cfg: StackConfig, from: number, weeks: number): CoverageReport {
  return checkCoverage(coverageInput(cfg), from, weeks);
}
