/**
 * What the runbooks promise of the stack itself: break-glass ECS Exec exists, is off unless a
 * service switches it on (production tier included), and then grants exactly the exec channels;
 * paging follows user impact (a failed migration never pages).
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../config/load";
import { loadStackConfig } from "../../config/stack-file";
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

  it("breakGlassExec: true on a production-tier service enables exec on that service and its task role only", async () => {
    const raw = rawNamespace("prod") as { services: Record<string, unknown>[] };
    const services = raw.services.map((s, i) => (i === 0 ? { ...s, breakGlassExec: true } : s));
    const g = new Graph((await recordStack({ stack: "prod", overrides: { services } })).deployment);
    const name = String(services[0]!.name);
    expect(g.one("aws:ecs/service:Service").inputs?.enableExecuteCommand).toBe(true);
    expect(statementsOf(g, `${name}-task-policy`)).toContainEqual({ Sid: "BreakGlassExec", Effect: "Allow", Action: EXEC_COMMAND_ACTIONS, Resource: "*" });
    // Nothing else gains it: the migration task (master secret holder) and the execution roles stay as they were.
    expect(execStatements(g).map((e) => e.policy)).toEqual([g.one("aws:iam/rolePolicy:RolePolicy", `${name}-task-policy`).urn]);
    expect(EXEC_COMMAND_ACTIONS).toEqual(["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]);
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
