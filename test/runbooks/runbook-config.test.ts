/**
 * What the runbooks promise of the stack itself: break-glass ECS Exec exists, is off unless a
 * service switches it on (production tier included), and then grants exactly the exec channels;
 * paging follows user impact (a failed migration never pages).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../config/load";
import { loadStackConfig } from "../../config/stack-file";
import { runPolicies } from "../../infra/policy/runner";
import { recordStack } from "../../infra/preview/record";
import { EXEC_COMMAND_ACTIONS } from "../../infra/components/task-roles";
import { Graph, graphOf } from "../support/graph";
import { rawNamespace } from "../support/stack-yaml";

type Statement = { Sid?: string; Action: string[]; Resource: unknown };
const statementsOf = (g: Graph, name: string): Statement[] => (JSON.parse(String(g.one("aws:iam/rolePolicy:RolePolicy", name).inputs?.policy)) as { Statement: Statement[] }).Statement;
const execStatements = (g: Graph) =>
  g
    .ofType("aws:iam/rolePolicy:RolePolicy")
    .flatMap((p) => (JSON.parse(String(p.inputs?.policy)) as { Statement: Statement[] }).Statement.map((s) => ({ policy: p.urn, s })))
    .filter(({ s }) => s.Action.some((a) => a.startsWith("ssmmessages:")));

describe("break-glass ECS Exec", () => {
  it.each(["staging", "prod"])("is off in the committed %s stack: no enableExecuteCommand, no ssmmessages anywhere", async (stack) => {
    const g = await graphOf(stack);
    for (const svc of g.ofType("aws:ecs/service:Service")) expect(svc.inputs?.enableExecuteCommand).toBe(false);
    expect(execStatements(g)).toEqual([]);
    expect(loadStackConfig(stack).services.every((s) => s.breakGlassExec !== true)).toBe(true);
  });

  it("breakGlassExec: true on a production-tier service enables exec on that service and its task role only, inside a window SEC-ECS-10 accepts", async () => {
    const raw = rawNamespace("prod") as { services: Record<string, unknown>[] };
    const until = new Date(Date.now() + 4 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const services = raw.services.map((s, i) => (i === 0 ? { ...s, breakGlassExec: true, breakGlassUntil: until } : s));
    const g = new Graph((await recordStack({ stack: "prod", overrides: { services } })).deployment);
    const name = String(services[0]!.name);
    const service = g.one("aws:ecs/service:Service");
    expect(service.inputs?.enableExecuteCommand).toBe(true);
    expect((service.inputs?.tags as Record<string, string>)["break-glass-until"]).toBe(until);
    // The production tier's own policy config judges it: inside the window, no finding.
    const report = await runPolicies({ deployment: g.deployment, stack: "prod" });
    expect(report.violations.filter((v) => v.policy === "SEC-ECS-10-no-execute-command")).toEqual([]);
    expect(statementsOf(g, `${name}-task-policy`)).toContainEqual({ Sid: "BreakGlassExec", Effect: "Allow", Action: EXEC_COMMAND_ACTIONS, Resource: "*" });
    // Nothing else gains it: the migration task (master secret holder) and the execution roles stay as they were.
    expect(execStatements(g).map((e) => e.policy)).toEqual([g.one("aws:iam/rolePolicy:RolePolicy", `${name}-task-policy`).urn]);
    expect(EXEC_COMMAND_ACTIONS).toEqual(["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]);
  });
});

describe("break-glass on a production tier needs a window", () => {
  const problems = (svc: Record<string, unknown>) => {
    const raw = structuredClone(rawNamespace("prod")) as { services: Record<string, unknown>[] };
    raw.services[0] = { ...raw.services[0], ...svc };
    try {
      parseStackConfig(raw, "prod");
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it("refuses Exec without breakGlassUntil, a window without Exec, and a window that is not a UTC instant", () => {
    expect(problems({ breakGlassExec: true })).toEqual([expect.stringMatching(/^backend-release:services\[0\]\.breakGlassUntil: a production-tier stack allows ECS Exec only inside a break-glass window: set breakGlassUntil/)]);
    expect(problems({ breakGlassUntil: "2026-01-31T18:00:00Z" })).toEqual([
      "backend-release:services[0].breakGlassUntil: a break-glass window without breakGlassExec: true; remove breakGlassUntil (pulumi config rm --path 'services[0].breakGlassUntil')",
    ]);
    expect(problems({ breakGlassExec: true, breakGlassUntil: "tomorrow 6pm" })).toEqual(['backend-release:services[0].breakGlassUntil: expected a UTC instant like 2026-01-31T18:00:00Z, found "tomorrow 6pm"']);
    expect(problems({ breakGlassExec: true, breakGlassUntil: "2026-01-31T18:00:00Z" })).toEqual([]);
  });
});

describe("paging follows user impact", () => {
  function problemsWith(stack: string, severity: string): string[] {
    const raw = structuredClone(rawNamespace(stack)) as { services: { monitoring: { monitors: Record<string, Record<string, unknown>> } }[] };
    raw.services[0]!.monitoring.monitors.migrationFailed = { ...raw.services[0]!.monitoring.monitors.migrationFailed, severity };
    try {
      parseStackConfig(raw, stack);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  }

  it.each(["staging", "prod"])("a failed migration cannot page in %s (the old version keeps serving); a ticket is fine", (stack) => {
    expect(problemsWith(stack, "page")).toEqual([expect.stringMatching(/services\[0\]\.monitoring\.monitors\.migrationFailed\.severity: migrationFailed cannot page: .*previous version keeps serving.*set severity: ticket/)]);
    expect(problemsWith(stack, "ticket")).toEqual([]);
    expect(loadStackConfig(stack).services.every((s) => s.monitoring.monitors.migrationFailed?.severity !== "page")).toBe(true);
  });
});
