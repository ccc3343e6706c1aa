/**
 * The database's migrations, run once per `pulumi up` as a one-off ECS task before any service
 * that uses the database rolls out. Migrations belong to the database: one run per database,
 * whatever the number of services; every service using it depends on this run.
 *
 * A task definition on the image of the service that carries the runner and the bundle (same
 * digest), and a `command:local:Command` that starts it with ECS RunTask and waits for exit code 0
 * (infra/migration/run-task.ts). The run is replaced — i.e. runs again — whenever that image's
 * digest or the migration bundle changes. A failed migration fails `pulumi up` before any new
 * image serves, and the running services are untouched.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../../config/stack-file";
import { MIGRATION_COMMAND } from "./container-definition";
import { fargateTask, type WorkloadArgs } from "./fargate-task";

/** What the migration task applies: the migrations (with their manifest) and the seeds of a workspace. */
export function bundleDirs(workspace: string, root = REPO_ROOT): string[] {
  return [join(root, workspace, "migrations"), join(root, workspace, "seeds")];
}

/** sha256 over the bundle's files (directory, name and bytes, in order): the migration bundle's identity. */
export function migrationBundleHash(dirs: string[]): string {
  const h = createHash("sha256");
  for (const dir of dirs) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql") || f.endsWith(".json")).sort()) {
      h.update(basename(dir)).update("/").update(file).update("\0").update(readFileSync(join(dir, file))).update("\0");
    }
  }
  return `sha256:${h.digest("hex")}`;
}

export interface MigrationRunArgs extends WorkloadArgs {
  /** The migration workload's name: its logs' `service:` (what its failure monitor searches), log group and roles. */
  workloadName: string;
  taskFamily: string;
  /** The npm workspace (in the runner's image: its package root) holding `migrations/` and `seeds/`. */
  bundleWorkspace: string;
  lockId: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  privateSubnetIds: string[];
  /**
   * Digests of the other services that wait for this run: a new image of any of them runs the
   * (idempotent) migrations again first, so no service rolls out ahead of a run for its release.
   */
  waitingDigests: pulumi.Input<string>[];
  tasksSecurityGroupId: pulumi.Input<string>;
  /** The database must exist before anything migrates it. */
  databaseResource: pulumi.Resource;
  /** The security groups and their rules: without them the task reaches neither RDS nor AWS APIs. */
  network: pulumi.Resource;
}

export class MigrationRun extends pulumi.ComponentResource {
  readonly taskDefinitionArn: pulumi.Output<string>;
  readonly run: command.local.Command;
  /** The migration workload's log group (its failure monitor searches these logs). */
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly bundleHash: string;

  constructor(name: string, args: MigrationRunArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:migrations:MigrationRun", name, {}, opts);
    const { ctx, svc } = args;
    const tags = ctx.tags({ service: svc.name, purpose: "migrations" });
    this.bundleHash = migrationBundleHash(bundleDirs(args.bundleWorkspace));

    const { logGroup, taskDefinition } = fargateTask(name, {
      workload: args,
      logName: args.workloadName,
      family: args.taskFamily,
      // The runner is a single short-lived process: the smallest Fargate size.
      cpu: 256,
      memoryMiB: 512,
      rolesFor: args.workloadName,
      container: {
        name: "migrate",
        // The "migration task failed" monitor searches logs of this service name.
        serviceName: args.workloadName,
        logStreamPrefix: "migrate",
        environment: {
          MIGRATION_LOCK_ID: String(args.lockId),
          MIGRATION_LOCK_TIMEOUT_MS: String(args.lockTimeoutMs),
          MIGRATION_STATEMENT_TIMEOUT_MS: String(args.statementTimeoutMs),
        },
        command: MIGRATION_COMMAND,
        withPort: false,
      },
      tags,
      parent: this,
    });
    this.taskDefinitionArn = taskDefinition.arn;
    this.logGroup = logGroup;

    // Generous: the statement timeout bounds each migration; add start-up and image pull time.
    const timeoutSeconds = Math.ceil(args.statementTimeoutMs / 1000) + 600;
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
          MIGRATION_SUBNETS: args.privateSubnetIds.join(","),
          MIGRATION_SECURITY_GROUPS: args.tasksSecurityGroupId,
          MIGRATION_TIMEOUT_SECONDS: String(timeoutSeconds),
          MIGRATION_LOG_GROUP: logGroup.name,
        },
        // Replaced (so run again) when the image or the migrations change; never on a no-op `up`.
        triggers: [args.imageDigest, this.bundleHash, ...args.waitingDigests],
        logging: "stdoutAndStderr",
      },
      { parent: this, dependsOn: [taskDefinition, args.databaseResource, args.network], deleteBeforeReplace: true },
    );
    this.registerOutputs({ taskDefinitionArn: this.taskDefinitionArn, bundleHash: this.bundleHash });
  }
}
