/** The migration run's start-and-wait logic, against a scripted ECS (issue 3). */
import type { DescribeTasksCommandOutput, RunTaskCommandInput, RunTaskCommandOutput, Task } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { judgeStoppedTask, MigrationRunError, parseRunSettings, runMigrationTask, type EcsLike } from "../../infra/migration/ecs-migration-run";

const env = {
  AWS_REGION: "eu-central-1",
  MIGRATION_CLUSTER: "arn:aws:ecs:eu-central-1:123456789012:cluster/backend-release-staging",
  MIGRATION_TASK_DEFINITION: "arn:aws:ecs:eu-central-1:123456789012:task-definition/backend-release-staging-orders-api-migrate:4",
  MIGRATION_CONTAINER: "migrate",
  MIGRATION_SUBNETS: "subnet-0f99e88d77c66b501,subnet-0f99e88d77c66b502",
  MIGRATION_SECURITY_GROUPS: "sg-0123456789abcdef0",
  MIGRATION_TIMEOUT_SECONDS: "120",
  MIGRATION_LOG_GROUP: "/backend-release/staging/orders-api-migrations",
};
const settings = parseRunSettings(env);
const ARN = "arn:aws:ecs:eu-central-1:123456789012:task/backend-release-staging/0a1b2c3d";

function fakeEcs(statuses: Task[], start: Partial<RunTaskCommandOutput> = { tasks: [{ taskArn: ARN }] }) {
  const calls: RunTaskCommandInput[] = [];
  let i = 0;
  const ecs: EcsLike = {
    runTask: async (input) => {
      calls.push(input);
      return start as RunTaskCommandOutput;
    },
    describeTasks: async () => ({ tasks: [statuses[Math.min(i++, statuses.length - 1)]!] }) as DescribeTasksCommandOutput,
  };
  return { ecs, calls };
}

const clock = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};

describe("runMigrationTask", () => {
  it("starts one Fargate task in the private subnets without a public IP and succeeds on exit code 0", async () => {
    const { ecs, calls } = fakeEcs([{ lastStatus: "PROVISIONING" }, { lastStatus: "RUNNING" }, { taskArn: ARN, lastStatus: "STOPPED", containers: [{ name: "migrate", exitCode: 0 }] }]);
    const verdict = await runMigrationTask(ecs, settings, clock());
    expect(verdict).toEqual({ ok: true, message: "migrations applied (task 0a1b2c3d); logs: /backend-release/staging/orders-api-migrations, stream migrate/migrate/0a1b2c3d" });
    expect(calls).toEqual([
      expect.objectContaining({
        launchType: "FARGATE",
        count: 1,
        taskDefinition: env.MIGRATION_TASK_DEFINITION,
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0f99e88d77c66b501", "subnet-0f99e88d77c66b502"], securityGroups: ["sg-0123456789abcdef0"], assignPublicIp: "DISABLED" } },
      }),
    ]);
  });

  it("fails the update when the migration container exits non-zero", async () => {
    const { ecs } = fakeEcs([{ taskArn: ARN, lastStatus: "STOPPED", containers: [{ name: "migrate", exitCode: 1 }] }]);
    const verdict = await runMigrationTask(ecs, settings, clock());
    expect(verdict).toMatchObject({ ok: false, exitCode: 1 });
    expect(verdict.message).toMatch(/^migrations failed \(task 0a1b2c3d, exit code 1\); the database is left as before the failed migration and the service was not updated/);
  });

  it("says so when another migration holds the lock", async () => {
    const { ecs } = fakeEcs([{ taskArn: ARN, lastStatus: "STOPPED", containers: [{ name: "migrate", exitCode: 3 }] }]);
    expect((await runMigrationTask(ecs, settings, clock())).message).toMatch(/^another migration is running against this database/);
  });

  it("reports a task that never ran its container (image pull, secrets)", async () => {
    const task: Task = { taskArn: ARN, lastStatus: "STOPPED", stoppedReason: "CannotPullContainerError: pull access denied", containers: [{ name: "migrate" }] };
    expect(judgeStoppedTask(task, "migrate", "lg").message).toMatch(/never ran its container: CannotPullContainerError: pull access denied/);
  });

  it("reports ECS refusing to start the task", async () => {
    const { ecs } = fakeEcs([], { tasks: [], failures: [{ reason: "RESOURCE:ENI", detail: "no free addresses" }] });
    expect(await runMigrationTask(ecs, settings, clock())).toEqual({ ok: false, exitCode: 1, message: "ECS refused to start the migration task: RESOURCE:ENI (no free addresses)" });
  });

  it("gives up after the timeout without claiming success", async () => {
    const { ecs } = fakeEcs([{ lastStatus: "RUNNING" }]);
    const verdict = await runMigrationTask(ecs, settings, { ...clock(), pollMs: 30_000 });
    expect(verdict).toMatchObject({ ok: false });
    expect(verdict.message).toMatch(/still RUNNING after 120 s/);
  });

  it("refuses incomplete settings with exit code 2 and names the variable", () => {
    expect(() => parseRunSettings({ ...env, MIGRATION_SUBNETS: "" })).toThrow(MigrationRunError);
    expect(() => parseRunSettings({ ...env, MIGRATION_SUBNETS: "" })).toThrow(/MIGRATION_SUBNETS/);
  });
});
