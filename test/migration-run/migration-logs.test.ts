/**
 * The "migration task failed" monitor searches the migration task's logs; this proves the task
 * (the runner CLI, with the environment its task definition gives it) emits what it searches for.
 */
import { afterEach, expect, it, vi } from "vitest";
import { runMigrateCli } from "../../backend/src/migrate/cli";
import { Graph, graphOf } from "../support/graph";
import { SIGNALS } from "../../infra/observability/signals";

afterEach(() => vi.restoreAllMocks());

it("a failed migration run logs an error line the failure monitor's search matches", async () => {
  const g = await graphOf("staging");
  const container = Graph.containers(g.one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-migrations-task"))[0]!;
  const env = Object.fromEntries((container.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]));
  const lines: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (lines.push(String(s)), true));
  // Nothing listens on port 1: the run fails the way an unreachable database fails in ECS.
  const code = await runMigrateCli(["up"], { ...env, DATABASE_URL: "postgres://nobody:x@127.0.0.1:1/none", PGHOST: "", PGSSLMODE: "disable" });
  expect(code).not.toBe(0);
  const errors = lines.flatMap((l) => l.split("\n")).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === "error");
  expect(errors.length).toBeGreaterThan(0);

  const signal = SIGNALS.migrationFailed;
  if (signal.source !== "logs") throw new Error("migrationFailed is expected to be a log monitor");
  const search = signal.search({ migrationService: "orders-api-migrations", environment: "staging" } as Parameters<typeof signal.search>[0]);
  expect(search).toBe(`service:${String(errors[0]!.service)} env:${String(errors[0]!.env)} @level:error`);
  // The log group carries the env tag the log forwarder turns into `env:`.
  const logGroup = g.ofType("aws:cloudwatch/logGroup:LogGroup").find((l) => String(l.inputs?.name).endsWith("/orders-api-migrations"))!;
  expect((logGroup.inputs?.tags as Record<string, string>).env).toBe("staging");
});
