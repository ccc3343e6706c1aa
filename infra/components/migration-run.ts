/**
 * The migrations of one service, run as a one-off ECS task before its rollout.
 *
 * A task definition on the service's image (same digest) whose command is the migration runner,
 * and a `command:local:Command` that starts it with ECS RunTask and waits for exit code 0
 * (infra/migration/run-task.ts). The run is replaced — i.e. runs again — whenever the image
 * digest or the migration bundle changes. The service depends on it, so a failed migration fails
 * `pulumi up` before the new image serves, and the running service is untouched.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../../config/stack-file";
import { MIGRATION_COMMAND } from "./container-definition";
import { fargateTask, type WorkloadArgs } from "./fargate-task";

/** What the migration task applies: the migrations (with their manifest) and the seeds. */
export const BUNDLE_DIRS = [join(REPO_ROOT, "backend", "migrations"), join(REPO_ROOT, "backend", "seeds")];

/** sha256 over the bundle's files (directory, name and bytes, in order): the migration bundle's identity. */
export function migrationBundleHash(dirs = BUNDLE_DIRS): string {
  const h = createHash("sha256");
  for (const dir of dirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql") || f.endsWith(".json")).sort()) {
      h.update(basename(dir)).update("/").update(file).update("\0").update(readFileSync(join(dir, file))).update("\0");
    }
  }
  return `sha256:${h.digest("hex")}`;
}

/** The name the migration task's logs carry (`service:`), which its failure monitor searches for. */
export function migrationServiceName(service: string): string {
  return `${service}-migrations`;
}

export interface MigrationRunArgs extends WorkloadArgs {
  tasksSecurityGroupId: pulumi.Input<string>;
  /** The database must exist before anything migrates it. */
  databaseResource: pulumi.Resource;
  /** The security groups and their rules: without them the task reaches neither RDS nor AWS APIs. */
  network: pulumi.Resource;
}

export class MigrationRun extends pulumi.ComponentResource {
  readonly taskDefinitionArn: pulumi.Output<string>;
  readonly run: command.local.Command;
  readonly bundleHash: string;

  constructor(name: string, args: MigrationRunArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:migrations:MigrationRun", name, {}, opts);
    const { ctx, svc } = args;
    const tags = ctx.tags({ service: svc.name, purpose: "migrations" });
    this.bundleHash = migrationBundleHash();

    const { logGroup, taskDefinition } = fargateTask(name, {
      workload: args,
      logName: migrationServiceName(svc.name),
      family: `backend-release-${ctx.stack}-${svc.name}-migrate`,
      // The runner is a single short-lived process: the smallest Fargate size.
      cpu: 256,
      memoryMiB: 512,
      rolesFor: migrationServiceName(svc.name),
      container: {
        name: "migrate",
        // The "migration task failed" monitor searches logs of service <svc>-migrations.
        serviceName: migrationServiceName(svc.name),
        logStreamPrefix: "migrate",
        environment: {
          MIGRATION_LOCK_TIMEOUT_MS: String(ctx.cfg.database.migrationLockTimeoutMs),
          MIGRATION_STATEMENT_TIMEOUT_MS: String(ctx.cfg.database.migrationStatementTimeoutMs),
        },
        command: MIGRATION_COMMAND,
        withPort: false,
      },
      tags,
      parent: this,
    });
    this.taskDefinitionArn = taskDefinition.arn;

    // Generous: the statement timeout bounds each migration; add start-up and image pull time.
    const timeoutSeconds = Math.ceil(ctx.cfg.database.migrationStatementTimeoutMs / 1000) + 600;
    this.run = new command.local.Command(
      `${svc.name}-migration-run`,
      {
        create: "node --import tsx infra/migration/run-task.ts",
        // No `dir`: Pulumi runs programs from the project root, and an absolute path here would
        // make the graph (and the signed release package) depend on where the repo is checked out.
        environment: {
          AWS_REGION: ctx.region,
          MIGRATION_CLUSTER: args.clusterArn,
          MIGRATION_TASK_DEFINITION: taskDefinition.arn,
          MIGRATION_CONTAINER: "migrate",
          MIGRATION_SUBNETS: ctx.cfg.network.privateSubnetIds.join(","),
          MIGRATION_SECURITY_GROUPS: args.tasksSecurityGroupId,
          MIGRATION_TIMEOUT_SECONDS: String(timeoutSeconds),
          MIGRATION_LOG_GROUP: logGroup.name,
        },
        // Replaced (so run again) when the image or the migrations change; never on a no-op `up`.
        triggers: [args.imageDigest, this.bundleHash],
        logging: "stdoutAndStderr",
      },
      { parent: this, dependsOn: [taskDefinition, args.databaseResource, args.network], deleteBeforeReplace: true },
    );
    this.registerOutputs({ taskDefinitionArn: this.taskDefinitionArn, bundleHash: this.bundleHash });
  }
}
