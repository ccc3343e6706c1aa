import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadStackConfig, REPO_ROOT } from "../../config/stack-file";
import { checkCoverage, stackCoverage, type CoverageInput } from "../../infra/observability/coverage";
import { renderCalendarSvg } from "../../infra/observability/oncall-calendar-svg";
import { dayLines } from "../../infra/observability/oncall-calendar-text";
import { finalShifts, layerTurns, type ScheduleDef } from "../../infra/observability/schedule";
import { fromLocal, isoWithOffset } from "../../infra/observability/time-zone";
import { CALENDAR_SVG, oncallRotation, rotationDocuments } from "../../infra/observability/rotation";

const H = 3_600_000;
const D = 24 * H;
const t = (iso: string) => Date.parse(iso);

const weekly = (key: string, users: string[], tz = "Europe/Berlin", extra: Partial<ScheduleDef["layers"][number]> = {}): ScheduleDef => ({
  key,
  name: key,
  timeZone: tz,
  layers: [{ name: `${key} rotation`, users, rotationVirtualStart: "2024-01-01T10:00", turnLengthDays: 7, ...extra }],
});

const input = (schedules: ScheduleDef[], over: Partial<CoverageInput> = {}): CoverageInput => ({
  schedules,
  escalations: [{ name: "team", levels: [{ delayMinutes: 15, targets: [{ type: "schedule", schedule: "primary" }] }, { delayMinutes: 15, targets: [{ type: "schedule", schedule: "secondary" }] }], repeats: 1 }],
  messages: [],
  serviceObjects: [],
  requires24x7: true,
  ...over,
});

describe("committed stacks", () => {
  it("prod covers 24x7 for 12 weeks with no finding, across the March DST change", () => {
    const report = stackCoverage(loadStackConfig("prod"), t("2025-03-10T00:00:00Z"), 12);
    expect(report.findings).toEqual([]);
    expect(report.coveragePercent).toBe(100);
    expect(report.gaps).toEqual([]);
  });

  it("staging has single-person rotations but does not require 24x7, so they are not findings", () => {
    const report = stackCoverage(loadStackConfig("staging"), t("2025-03-10T00:00:00Z"), 4);
    expect(report.requires24x7).toBe(false);
    expect(report.findings).toEqual([]);
  });

  it("the rotation hands off at 10:00 Berlin time before and after the DST change, in config order", () => {
    const r = oncallRotation(loadStackConfig("prod"), 3, t("2025-03-24T09:00:00Z"));
    expect(r.weeks.slice(0, 3).map((w) => [w.start, w.primary, w.secondary])).toEqual([
      ["2025-03-24T10:00:00+01:00", "kim.primary@example.com", "sam.secondary@example.com"],
      ["2025-03-31T10:00:00+02:00", "lee.primary@example.com", "ria.secondary@example.com"],
      ["2025-04-07T10:00:00+02:00", "alex.primary@example.com", "sam.secondary@example.com"],
    ]);
    expect(r.escalation.map((e) => e.afterMinutes)).toEqual([0, 15, 30]);
  });
});

describe("daylight saving", () => {
  it("a weekly turn spanning spring-forward lasts 167 hours and keeps the local handoff time", () => {
    const s = weekly("primary", ["a@x", "b@x"]);
    const turns = layerTurns(s, s.layers[0]!, t("2025-03-24T09:00:00Z"), t("2025-04-08T00:00:00Z"));
    const spanning = turns.find((x) => x.start === t("2025-03-24T09:00:00Z"))!;
    expect((spanning.end - spanning.start) / H).toBe(167);
    expect(isoWithOffset(spanning.end, "Europe/Berlin")).toBe("2025-03-31T10:00:00+02:00");
  });

  it("a daily 09:00-17:00 restriction follows local time across the change; gaps are named with schedule, start and end", () => {
    const s = weekly("primary", ["a@x", "b@x"], "Europe/Berlin", { restrictions: [{ type: "daily", startTimeOfDay: "09:00", durationSeconds: 8 * 3600 }] });
    const report = checkCoverage(input([s]), t("2025-03-29T00:00:00Z"), 1);
    // Saturday: 09:00 CET = 08:00Z; Monday after the change: 09:00 CEST = 07:00Z.
    expect(report.gaps[0]).toEqual({ schedule: "primary", start: "2025-03-29T00:00:00.000Z", end: "2025-03-29T08:00:00.000Z" });
    expect(report.gaps).toContainEqual({ schedule: "primary", start: "2025-03-29T16:00:00.000Z", end: "2025-03-30T07:00:00.000Z" });
    expect(report.gaps).toContainEqual({ schedule: "primary", start: "2025-03-30T15:00:00.000Z", end: "2025-03-31T07:00:00.000Z" });
    expect(report.coveragePercent).toBeCloseTo((8 * 7 * H) / (7 * D) * 100, 1);
    expect(report.findings[0]).toMatch(/schedule "primary" has nobody on call from 2025-03-29T00:00:00.000Z to 2025-03-29T08:00:00.000Z/);
  });

  it("a handoff at a local time the clocks skip happens when the clocks jump", () => {
    const at = fromLocal({ year: 2025, month: 3, day: 30, hour: 2, minute: 30 }, "Europe/Berlin");
    expect(new Date(at).toISOString()).toBe("2025-03-30T01:30:00.000Z");
    const s: ScheduleDef = { ...weekly("primary", ["a@x", "b@x"]), layers: [{ name: "l", users: ["a@x", "b@x"], rotationVirtualStart: "2025-03-23T02:30", turnLengthDays: 7 }] };
    expect(checkCoverage(input([s]), t("2025-03-24T00:00:00Z"), 2).gaps).toEqual([]);
  });

  it("autumn fall-back makes a 169-hour turn", () => {
    const s = weekly("primary", ["a@x", "b@x"], "America/New_York");
    const turns = layerTurns(s, s.layers[0]!, t("2025-10-27T00:00:00Z"), t("2025-11-12T00:00:00Z"));
    const spanning = turns.find((x) => isoWithOffset(x.start, "America/New_York") === "2025-10-27T10:00:00-04:00")!;
    expect((spanning.end - spanning.start) / H).toBe(169);
  });
});

describe("gaps, overlaps, restrictions, time zones", () => {
  it("a layer that starts late leaves a gap before it", () => {
    const s = weekly("primary", ["a@x", "b@x"], "Europe/Berlin", { start: "2025-06-04T12:00" });
    const report = checkCoverage(input([s]), t("2025-06-02T00:00:00Z"), 1);
    expect(report.gaps).toEqual([{ schedule: "primary", start: "2025-06-02T00:00:00.000Z", end: "2025-06-04T10:00:00.000Z" }]);
  });

  it("a weekend override layer on top wins where it applies and the base layer covers the rest", () => {
    const s: ScheduleDef = {
      key: "primary",
      name: "primary",
      timeZone: "Europe/Berlin",
      layers: [
        { name: "weekdays", users: ["a@x", "b@x"], rotationVirtualStart: "2024-01-01T10:00", turnLengthDays: 7 },
        { name: "weekend", users: ["w1@x", "w2@x"], rotationVirtualStart: "2024-01-06T00:00", turnLengthDays: 7, restrictions: [{ type: "weekly", startDayOfWeek: 6, startTimeOfDay: "00:00", durationSeconds: 2 * 86_400 }] },
      ],
    };
    const shifts = finalShifts(s, t("2025-06-02T00:00:00Z"), t("2025-06-09T00:00:00Z"));
    const saturdayNoon = shifts.find((x) => x.start <= t("2025-06-07T12:00:00Z") && x.end > t("2025-06-07T12:00:00Z"))!;
    expect(saturdayNoon.layer).toBe("weekend");
    expect(checkCoverage(input([s]), t("2025-06-02T00:00:00Z"), 1).gaps).toEqual([]);
  });

  it("finds a person who is primary and secondary at the same time", () => {
    const primary = weekly("primary", ["a@x", "b@x"]);
    const secondary = weekly("secondary", ["b@x", "a@x", "c@x"]);
    const report = checkCoverage(input([primary, secondary]), t("2025-06-02T00:00:00Z"), 6);
    expect(report.overlaps.length).toBeGreaterThan(0);
    expect(report.findings.some((f) => /is on call in "primary" and "secondary" at the same time/.test(f))).toBe(true);
  });

  it("flags a single-person layer only where 24x7 is required", () => {
    const s = weekly("secondary", ["solo@x"]);
    expect(checkCoverage(input([s]), t("2025-06-02T00:00:00Z"), 2).singlePersonLayers).toEqual([{ schedule: "secondary", layer: "secondary rotation", user: "solo@x" }]);
    expect(checkCoverage(input([s], { requires24x7: false }), t("2025-06-02T00:00:00Z"), 2).findings).toEqual([]);
  });

  it("computes handoffs in the schedule's own time zone (half-hour offsets included)", () => {
    const kolkata = weekly("primary", ["a@x", "b@x"], "Asia/Kolkata");
    const turns = layerTurns(kolkata, kolkata.layers[0]!, t("2025-06-02T00:00:00Z"), t("2025-06-10T00:00:00Z"));
    expect(turns.map((x) => new Date(x.start).toISOString())).toContain("2025-06-02T04:30:00.000Z");
    const ny = weekly("primary", ["a@x", "b@x"], "America/New_York");
    expect(layerTurns(ny, ny.layers[0]!, t("2025-06-02T00:00:00Z"), t("2025-06-10T00:00:00Z")).map((x) => new Date(x.start).toISOString())).toContain("2025-06-02T14:00:00.000Z");
  });

  it("reports an unresolved paging handle and a one-level escalation", () => {
    const report = checkCoverage(
      input([weekly("primary", ["a@x", "b@x"])], {
        messages: [{ monitor: "m1", message: "{{#is_alert}}\n@pagerduty-orders-api-prod\n{{/is_alert}}" }],
        serviceObjects: ["orders-api-staging"],
        escalations: [{ name: "thin", levels: [{ delayMinutes: 5, targets: [] }], repeats: 0 }],
      }),
      t("2025-06-02T00:00:00Z"),
      1,
    );
    expect(report.unresolvedHandles).toEqual([{ monitor: "m1", handle: "@pagerduty-orders-api-prod" }]);
    expect(report.shortEscalations).toEqual([{ policy: "thin", levels: 1 }]);
    expect(report.findings).toHaveLength(2);
  });
});

describe("who is on call each day (issue 18)", () => {
  it("lists primary and secondary per local day, with the handoff inside the day", () => {
    const report = checkCoverage(input([weekly("primary", ["a@x", "b@x"]), weekly("secondary", ["c@x", "d@x"])]), t("2025-03-09T23:00:00Z"), 2);
    expect(report.days).toHaveLength(14);
    expect(report.days[0]).toMatchObject({ date: "2025-03-10", weekday: 1, start: "2025-03-10T00:00:00+01:00", gaps: { primary: [], secondary: [] } });
    const handoffDay = report.days[7]!;
    expect(handoffDay.date).toBe("2025-03-17");
    const [before, after] = handoffDay.oncall.primary!;
    expect(before!.to).toBe("10:00");
    expect(after).toMatchObject({ from: "10:00", to: "24:00" });
    expect(before!.user).not.toBe(after!.user);
    expect(report.days[1]!.oncall.secondary).toEqual([{ user: report.days[2]!.oncall.secondary![0]!.user, from: "00:00", to: "24:00" }]);
  });

  it("names the hours of a day nobody is on call, in local time across the DST change", () => {
    const s = weekly("primary", ["a@x", "b@x"], "Europe/Berlin", { restrictions: [{ type: "daily", startTimeOfDay: "09:00", durationSeconds: 8 * 3600 }] });
    const report = checkCoverage(input([s]), t("2025-03-29T00:00:00Z"), 1);
    expect(report.days.map((d) => d.date)).toEqual(["2025-03-29", "2025-03-30", "2025-03-31", "2025-04-01", "2025-04-02", "2025-04-03", "2025-04-04", "2025-04-05"]);
    expect(report.days[0]!.gaps.primary).toEqual([{ from: "01:00", to: "09:00" }, { from: "17:00", to: "24:00" }]);
    expect(report.days[1]!.gaps.primary).toEqual([{ from: "00:00", to: "09:00" }, { from: "17:00", to: "24:00" }]);
    expect(report.days[1]!.oncall.primary).toEqual([expect.objectContaining({ from: "09:00", to: "17:00" })]);
    expect(dayLines(report.days)[2]).toMatch(/^ {2}Sun 2025-03-30 +[ab]@x 09:00-17:00 +GAP primary 00:00-09:00; GAP primary 17:00-24:00$/);
    const svg = renderCalendarSvg("restricted", report.days);
    expect(svg).toContain('<g data-date="2025-03-30" data-gap="true">');
    expect(svg).toContain("gap: primary 00:00-09:00, primary 17:00-24:00");
  });

  it("`oncall coverage` prints each day with primary and secondary, and the gaps; JSON keeps its keys and adds days", () => {
    const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "infra/cli/main.ts", "oncall", "coverage", ...args], { cwd: REPO_ROOT, encoding: "utf8", timeout: 120_000 });
    const text = run(["--stack", "prod", "--weeks", "1", "--from", "2025-03-10T00:00:00Z"]);
    expect(text.status).toBe(0);
    const rotation = oncallRotation(loadStackConfig("prod"), 1, t("2025-03-10T00:00:00Z"));
    expect(text.stdout).toMatch(new RegExp(`Mon 2025-03-10 +${rotation.weeks[0]!.primary.replace(/[.]/g, "\\.")}`));
    expect(text.stdout).toMatch(/Sun 2025-03-16 /);
    expect(text.stdout).toContain(rotation.weeks[0]!.secondary);
    expect(text.stdout).not.toContain("GAP");
    const json = JSON.parse(run(["--stack", "prod", "--weeks", "1", "--from", "2025-03-10T00:00:00Z", "--format", "json"]).stdout) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(["stack", "coveragePercent", "perSchedule", "gaps", "findings", "rotation", "days"]));
    expect((json.days as unknown[]).length).toBe(8);
  }, 240_000);

  it("the package's rotation document says what urgency low does, and links a calendar picture with every day", () => {
    const docs = new Map(rotationDocuments(loadStackConfig("staging"), "staging", t("2025-03-10T00:00:00Z")));
    const md = docs.get("oncall-rotation.md")!;
    expect(md).toMatch(/`urgency: low` means \*\*high\*\* urgency within support hours \(days 1,2,3,4,5, 09:00–17:00 Europe\/Berlin.*\*\*low\*\* urgency outside them/);
    expect(md).toContain(`![On-call calendar](${CALENDAR_SVG})`);
    const svg = docs.get(CALENDAR_SVG)!;
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(svg.match(/<g data-date="/g)).toHaveLength(29);
    expect(svg).not.toContain("data-gap");
    expect(svg).not.toMatch(/<script|href=/);
    const prod = new Map(rotationDocuments(loadStackConfig("prod"), "prod", t("2025-03-10T00:00:00Z"))).get("oncall-rotation.md")!;
    expect(prod).toContain("Urgency: high urgency 24x7");
  });
});
