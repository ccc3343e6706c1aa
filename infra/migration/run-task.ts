/**
 * Entry the stack's migration-run command executes during `pulumi up`
 * (`node --import tsx infra/migration/run-task.ts`, settings in MIGRATION_* env vars).
 * Exit 0: migrations applied. Non-zero: `pulumi up` fails before the service is updated.
 */
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from "@aws-sdk/client-ecs";
import { MigrationRunError, parseRunSettings, runMigrationTask } from "./ecs-migration-run";

async function main(): Promise<number> {
  const settings = parseRunSettings(process.env);
  const client = new ECSClient({ region: settings.AWS_REGION });
  const verdict = await runMigrationTask(
    {
      runTask: (input) => client.send(new RunTaskCommand(input)),
      describeTasks: (input) => client.send(new DescribeTasksCommand(input)),
    },
    settings,
    { log: (line) => console.log(line) },
  );
  (verdict.ok ? console.log : console.error)(verdict.message);
  return verdict.ok ? 0 : verdict.exitCode;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = err instanceof MigrationRunError ? err.exitCode : 1;
  },
);
