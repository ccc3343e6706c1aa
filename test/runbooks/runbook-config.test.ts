/**
 * What the runbooks promise of the stack itself: break-glass ECS Exec exists, is off unless a
 * service switches it on (production tier included), and then grants exactly the exec channels;
 * paging follows user impact (a failed migration never pages).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { breakGlassProblems, UNTIL_IN_HOURS } from "../../config/break-glass";
import type { ServiceConfig } from "../../config/schema";
import { loadStackConfig } from "../../config/stack-file";
import { runPolicies } from "../../infra/policy/runner";
import { recordStack } from "../../infra/preview/record";
import { EXEC_COMMAND_ACTIONS } from "../../infra/components/task-roles";
import { Graph, graphOf } from "../support/graph";
import { configProblems, rawNamespace } from "../support/stack-yaml";

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
  const problems = (svc: Record<string, unknown>) => configProblems("prod", (raw) => (raw.services[0] = { ...raw.services[0]!, ...svc }));

  it("refuses Exec without breakGlassUntil, a window without Exec, and a window that is not a UTC instant", () => {
    expect(problems({ breakGlassExec: true })).toEqual([expect.stringMatching(/^backend-release:services\[0\]\.breakGlassUntil: a production-tier stack allows ECS Exec only inside a break-glass window: set breakGlassUntil/)]);
    expect(problems({ breakGlassUntil: "2026-01-31T18:00:00Z" })).toEqual([
      "backend-release:services[0].breakGlassUntil: a break-glass window without breakGlassExec: true; remove breakGlassUntil (pulumi config rm --path 'services[0].breakGlassUntil')",
    ]);
    expect(problems({ breakGlassExec: true, breakGlassUntil: "tomorrow 6pm" })).toEqual(['backend-release:services[0].breakGlassUntil: expected a UTC instant like 2026-01-31T18:00:00Z, found "tomorrow 6pm"']);
    expect(problems({ breakGlassExec: true, breakGlassUntil: "2026-01-31T18:00:00Z" })).toEqual([]);
  });
});

describe("the program judges a production-tier break-glass window itself (the policy packs are optional on the command line)", () => {
  const at = Date.parse("2026-06-01T12:00:00Z");
  const prodWith = (svc: Partial<ServiceConfig>) => {
    const cfg = loadStackConfig("prod");
    return { ...cfg, services: cfg.services.map((s, i) => (i === 0 ? { ...s, ...svc } : s)) };
  };

  it("refuses an ended, a too long and an impossible window; accepts one a few hours ahead; ignores non-production tiers", () => {
    const name = loadStackConfig("prod").services[0]!.name;
    expect(breakGlassProblems(prodWith({ breakGlassExec: true, breakGlassUntil: "2026-06-01T16:00:00Z" }), at)).toEqual([]);
    expect(breakGlassProblems(prodWith({ breakGlassExec: true, breakGlassUntil: "2026-06-01T11:59:59Z" }), at)).toEqual([
      `services[0] (${name}) enables ECS Exec, but the service's break-glass window ended at 2026-06-01T11:59:59Z: switch it off (breakGlassExec: false, breakGlassUntil removed) and pulumi up`,
    ]);
    expect(breakGlassProblems(prodWith({ breakGlassExec: true, breakGlassUntil: "2026-06-03T12:00:00Z" }), at)).toEqual([
      `services[0] (${name}) enables ECS Exec, but the service's break-glass window runs until 2026-06-03T12:00:00Z, more than 12 hours from now: set breakGlassUntil at most 12 hours ahead`,
    ]);
    expect(breakGlassProblems(prodWith({ breakGlassExec: true, breakGlassUntil: "2026-06-31T12:00:00Z" }), at)[0]).toContain('"2026-06-31T12:00:00Z" is not a UTC instant');
    expect(breakGlassProblems(prodWith({ breakGlassExec: false }), at)).toEqual([]);
    const staging = loadStackConfig("staging");
    expect(breakGlassProblems({ ...staging, services: staging.services.map((s) => ({ ...s, breakGlassExec: true })) }, at)).toEqual([]);
  });

  it("the generated switch computes the window with node, not date(1) (GNU and BSD date disagree)", () => {
    const line = execFileSync("bash", ["-c", `${UNTIL_IN_HOURS(4)} | xargs -I{} echo {}`], { encoding: "utf8" }).trim();
    const ms = Date.parse(line);
    expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(ms - (Date.now() + 4 * 3_600_000))).toBeLessThan(120_000);
    expect(readFileSync(join(__dirname, "..", "..", "runbooks", "incident-response.md"), "utf8")).not.toMatch(/\bdate -u -d\b/);
  });
});

describe("paging follows user impact", () => {
  const problemsWith = (stack: string, severity: string): string[] =>
    configProblems(stack, (raw) => (raw.services[0]!.monitoring.monitors.migrationFailed = { ...raw.services[0]!.monitoring.monitors.migrationFailed, severity }));


  it.each(["staging", "prod"])("a failed migration cannot page in %s (the old version keeps serving); a ticket is fine", (stack) => {
    expect(problemsWith(stack, "page")).toEqual([expect.stringMatching(/services\[0\]\.monitoring\.monitors\.migrationFailed\.severity: migrationFailed cannot page: .*previous version keeps serving.*set severity: ticket/)]);
    expect(problemsWith(stack, "ticket")).toEqual([]);
    expect(loadStackConfig(stack).services.every((s) => s.monitoring.monitors.migrationFailed?.severity !== "page")).toBe(true);
  });
});
