/**
 * The recorded graphs of both committed stacks contain the monitors, SLOs, dashboards and
 * PagerDuty resources, with the thresholds of Pulumi.<stack>.yaml (read here straight from the
 * YAML, not through the code under test).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MONITOR_CATALOG, type MonitorKind } from "../../config/monitor-catalog";
import { REPO_ROOT } from "../../config/stack-file";
import type { DeploymentResource } from "../../infra/preview/deployment";
import { recordedGraph } from "../support/graph";

type Recorded = Awaited<ReturnType<typeof recordedGraph>>;
const graphs: Record<string, Recorded> = {};

beforeAll(async () => {
  for (const stack of ["staging", "prod"]) graphs[stack] = await recordedGraph(stack);
});

const MONITOR = "datadog:index/monitor:Monitor";
const ofType = (stack: string, type: string): DeploymentResource[] => graphs[stack]!.deployment.deployment.resources.filter((r) => r.type === type);
const inputs = (r: DeploymentResource) => r.inputs as Record<string, unknown>;

function yamlMonitors(stack: string): Record<string, Record<string, number | string>> {
  const doc = parse(readFileSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, { monitoring: { monitors: Record<string, Record<string, number | string>> } }[]> };
  return doc.config["backend-release:services"]![0]!.monitoring.monitors;
}

describe.each(["staging", "prod"])("%s graph", (stack) => {
  it("has one threshold monitor per configured kind plus six burn-rate monitors, two SLOs and a dashboard", () => {
    const configured = Object.keys(yamlMonitors(stack));
    const monitors = ofType(stack, MONITOR);
    expect(monitors.filter((m) => inputs(m).type !== "slo alert")).toHaveLength(configured.length);
    expect(monitors.filter((m) => inputs(m).type === "slo alert")).toHaveLength(6);
    expect(ofType(stack, "datadog:index/serviceLevelObjective:ServiceLevelObjective").map((s) => inputs(s).type).sort()).toEqual(["metric", "time_slice"]);
    expect(ofType(stack, "datadog:index/dashboard:Dashboard")).toHaveLength(1);
  });

  it("declares each threshold exactly as Pulumi.<stack>.yaml says", () => {
    const yaml = yamlMonitors(stack);
    for (const m of ofType(stack, MONITOR).filter((x) => inputs(x).type !== "slo alert")) {
      const kind = (inputs(m).tags as string[]).find((t) => t.startsWith("monitor-kind:"))!.slice("monitor-kind:".length) as MonitorKind;
      const t = yaml[kind]!;
      expect(inputs(m).monitorThresholds).toEqual({ critical: String(t.critical), warning: String(t.warning), criticalRecovery: String(t.criticalRecovery), warningRecovery: String(t.warningRecovery) });
      expect(String(inputs(m).query)).toMatch(new RegExp(` ${MONITOR_CATALOG[kind].direction === "above" ? ">=" : "<="} ${String(t.critical).replace(".", "\\.")}$`));
      expect(inputs(m).priority).toBe(String(t.priority));
      expect(inputs(m).notifyNoData).toBe(MONITOR_CATALOG[kind].notifyNoData);
      const message = String(inputs(m).message);
      expect(message).toContain(`/alerts.md#${MONITOR_CATALOG[kind].runbookAnchor}`);
      expect(message).toMatch(/Dashboard: https:\/\/app\.datadoghq\.eu\/dashboard\/\S+/);
      const alertBlock = /\{\{#is_alert\}\}([\s\S]*?)\{\{\/is_alert\}\}/.exec(message)![1]!;
      if (t.severity === "page") expect(alertBlock).toContain(`@pagerduty-orders-api-${stack}`);
      else expect(message).not.toContain("@pagerduty-");
      expect(inputs(m).tags).toEqual(expect.arrayContaining([`env:${stack}`, "service:orders-api", "team:orders"]));
    }
  });

  it("draws every threshold on the dashboard as a marker", () => {
    const yaml = yamlMonitors(stack);
    const json = JSON.stringify(inputs(ofType(stack, "datadog:index/dashboard:Dashboard")[0]!).widgets);
    for (const [kind, t] of Object.entries(yaml)) {
      const title = `${MONITOR_CATALOG[kind as MonitorKind].title} (${MONITOR_CATALOG[kind as MonitorKind].unit})`;
      const widget = JSON.stringify(JSON.parse(json).flatMap((g: { groupDefinition: { widgets: unknown[] } }) => g.groupDefinition.widgets).find((w: { timeseriesDefinition?: { title: string } }) => w.timeseriesDefinition?.title === title));
      expect(widget).toContain(`"value":"y = ${t.critical}"`);
      expect(widget).toContain(`"value":"y = ${t.warning}"`);
    }
  });

  it("resolves every paging handle to a declared Datadog service object that paging monitors depend on", () => {
    const objects = ofType(stack, "datadog:pagerduty/serviceObject:ServiceObject");
    const names = new Set(objects.map((o) => inputs(o).serviceName));
    for (const m of ofType(stack, MONITOR)) {
      for (const h of String(inputs(m).message).matchAll(/@pagerduty-(\S+)/g)) {
        expect(names).toContain(h[1]);
        expect(m.dependencies).toEqual(expect.arrayContaining(objects.filter((o) => inputs(o).serviceName === h[1]).map((o) => o.urn)));
      }
    }
  });

  it("declares PagerDuty team, two weekly schedules, a 3-level escalation and the environment's service", () => {
    const schedules = ofType(stack, "pagerduty:index/schedule:Schedule");
    expect(schedules).toHaveLength(2);
    for (const s of schedules) {
      const layer = (inputs(s).layers as Record<string, unknown>[])[0]!;
      expect(layer.rotationTurnLengthSeconds).toBe(604800);
      expect(layer.rotationVirtualStart).toBe("2024-01-01T10:00:00+01:00");
      expect(inputs(s).timeZone).toBe("Europe/Berlin");
    }
    const policy = inputs(ofType(stack, "pagerduty:index/escalationPolicy:EscalationPolicy")[0]!);
    expect((policy.rules as unknown[]).length).toBe(3);
    const service = inputs(ofType(stack, "pagerduty:index/service:Service")[0]!);
    expect(service.name).toBe(`orders-api-${stack}`);
    expect((service.incidentUrgencyRule as { type: string }).type).toBe(stack === "prod" ? "constant" : "use_support_hours");
    expect(ofType(stack, "pagerduty:index/serviceIntegration:ServiceIntegration")).toHaveLength(1);
  });
});

it("declares no replica-lag monitor: neither stack's database (one instance, Multi-AZ or not) emits ReplicaLag", () => {
  const has = (stack: string) => ofType(stack, MONITOR).some((m) => (inputs(m).tags as string[]).includes("monitor-kind:dbReplicaLag"));
  expect(has("prod")).toBe(false);
  expect(has("staging")).toBe(false);
});

it("computes burn-rate monitors from the SLO target", () => {
  const burn = ofType("prod", MONITOR).filter((m) => inputs(m).type === "slo alert");
  const q = burn.map((m) => String(inputs(m).query));
  expect(q.filter((x) => x.includes('long_window("1h").short_window("5m") > 14.4'))).toHaveLength(2);
  expect(q.filter((x) => x.includes('long_window("6h").short_window("30m") > 6'))).toHaveLength(2);
  // The workbook's 3d/6h at 1x, declared within Datadog's 48h limit at the same budget consumption.
  expect(q.filter((x) => x.includes('long_window("48h").short_window("4h") > 1.5'))).toHaveLength(2);
  expect(q.filter((x) => x.includes('"3d"'))).toEqual([]);
  const fast = burn.find((m) => String(inputs(m).name).includes("availability SLO burn rate 14.4x"))!;
  expect(String(inputs(fast).message)).toContain("budget 0.1%; 14.4x means 1.44% bad requests");
  const ticket = burn.filter((m) => String(inputs(m).query).includes('long_window("48h")'));
  expect(ticket).toHaveLength(2);
  for (const m of ticket) expect(String(inputs(m).message)).not.toContain("@pagerduty-");
});
