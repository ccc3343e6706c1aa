/**
 * Runs the migration task once on ECS and waits for its verdict. Used by the stack's
 * `command:local:Command` during `pulumi up` (via run-task.ts): exit 0 only when the migration
 * container itself exited 0, so a failed migration fails the update before the service rolls out.
 *
 * The ECS client is injected so the decision logic is tested without AWS.
 */
import type { DescribeTasksCommandOutput, RunTaskCommandInput, RunTaskCommandOutput, Task } from "@aws-sdk/client-ecs";
import { z } from "zod";
import { EXIT_LOCK_HELD } from "../../backend/src/migrate/runner";


export const runSettingsSchema = z.object({
  AWS_REGION: z.string().min(1),
  MIGRATION_CLUSTER: z.string().startsWith("arn:aws:ecs:"),
  MIGRATION_TASK_DEFINITION: z.string().startsWith("arn:aws:ecs:"),
  MIGRATION_CONTAINER: z.string().min(1),
  MIGRATION_SUBNETS: z.string().regex(/^subnet-[0-9a-f]+(,subnet-[0-9a-f]+)*$/),
  MIGRATION_SECURITY_GROUPS: z.string().regex(/^sg-[0-9a-f]+(,sg-[0-9a-f]+)*$/),
  MIGRATION_TIMEOUT_SECONDS: z.coerce.number().int().min(60),
  MIGRATION_LOG_GROUP: z.string().min(1),
});
export type RunSettings = z.infer<typeof runSettingsSchema>;

export function parseRunSettings(env: NodeJS.ProcessEnv): RunSettings {
  const parsed = runSettingsSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new MigrationRunError(`migration run misconfigured (these come from the MigrationRun component):\n  ${lines.join("\n  ")}`, 2);
  }
  return parsed.data;
}

export class MigrationRunError extends Error {
  override readonly name = "MigrationRunError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function runTaskInput(s: RunSettings): RunTaskCommandInput {
  return {
    cluster: s.MIGRATION_CLUSTER,
    taskDefinition: s.MIGRATION_TASK_DEFINITION,
    launchType: "FARGATE",
    count: 1,
    startedBy: "pulumi-migration-run",
    networkConfiguration: {
      awsvpcConfiguration: { subnets: s.MIGRATION_SUBNETS.split(","), securityGroups: s.MIGRATION_SECURITY_GROUPS.split(","), assignPublicIp: "DISABLED" },
    },
  };
}

export type Verdict = { ok: true; message: string } | { ok: false; exitCode: number; message: string };

/** Judges a STOPPED task: only the migration container's exit code 0 is success. */
export function judgeStoppedTask(task: Task, container: string, logGroup: string): Verdict {
  const c = task.containers?.find((x) => x.name === container);
  const taskId = task.taskArn?.split("/").pop() ?? "unknown";
  const logs = `logs: ${logGroup}, stream migrate/${container}/${taskId}`;
  if (!c) return { ok: false, exitCode: 1, message: `migration task ${taskId} stopped without container "${container}" (${task.stoppedReason ?? "no reason given"}); ${logs}` };
  if (c.exitCode === 0) return { ok: true, message: `migrations applied (task ${taskId}); ${logs}` };
  if (c.exitCode === EXIT_LOCK_HELD) {
    return { ok: false, exitCode: 1, message: `another migration is running against this database (task ${taskId} exited ${EXIT_LOCK_HELD}); wait for it, then run pulumi up again; ${logs}` };
  }
  if (c.exitCode === undefined || c.exitCode === null) {
    return { ok: false, exitCode: 1, message: `migration task ${taskId} never ran its container: ${c.reason ?? task.stoppedReason ?? "unknown reason"} (image pull, secrets or network); ${logs}` };
  }
  return { ok: false, exitCode: 1, message: `migrations failed (task ${taskId}, exit code ${c.exitCode}); the database is left as before the failed migration and the service was not updated; ${logs}` };
}

export interface EcsLike {
  runTask(input: RunTaskCommandInput): Promise<RunTaskCommandOutput>;
  describeTasks(input: { cluster: string; tasks: string[] }): Promise<DescribeTasksCommandOutput>;
}

export interface WaitOptions {
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  log?: (line: string) => void;
}

/** Starts the task and polls until it stops or the timeout passes. */
export async function runMigrationTask(ecs: EcsLike, s: RunSettings, opts: WaitOptions = {}): Promise<Verdict> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const started = await ecs.runTask(runTaskInput(s));
  const failure = started.failures?.[0];
  const taskArn = started.tasks?.[0]?.taskArn;
  if (failure || !taskArn) {
    return { ok: false, exitCode: 1, message: `ECS refused to start the migration task: ${failure?.reason ?? "no task returned"}${failure?.detail ? ` (${failure.detail})` : ""}` };
  }
  log(`started migration task ${taskArn}`);
  const deadline = now() + s.MIGRATION_TIMEOUT_SECONDS * 1000;
  let lastStatus = "";
  for (;;) {
    const described = await ecs.describeTasks({ cluster: s.MIGRATION_CLUSTER, tasks: [taskArn] });
    const task = described.tasks?.[0];
    if (task?.lastStatus && task.lastStatus !== lastStatus) {
      lastStatus = task.lastStatus;
      log(`task ${lastStatus}`);
    }
    if (task?.lastStatus === "STOPPED") return judgeStoppedTask(task, s.MIGRATION_CONTAINER, s.MIGRATION_LOG_GROUP);
    if (now() >= deadline) {
      return { ok: false, exitCode: 1, message: `migration task ${taskArn} still ${lastStatus || "pending"} after ${s.MIGRATION_TIMEOUT_SECONDS} s; it keeps running (inspect it) and the service was not updated` };
    }
    await sleep(opts.pollMs ?? 6000);
  }
}
