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
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import { REPO_ROOT } from "../../config/stack-file";
import type { StackContext } from "../context";
import { containerDefinitions, MIGRATION_COMMAND } from "./container-definition";
import type { ContainerSecret } from "./runtime-secrets";
import { ecsTaskRoles } from "./task-roles";

export const MIGRATIONS_DIR = join(REPO_ROOT, "backend", "migrations");

/** sha256 over the migration files (name and bytes, in order): the migration bundle's identity. */
export function migrationBundleHash(dir = MIGRATIONS_DIR): string {
  const h = createHash("sha256");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql") || f.endsWith(".json")).sort()) {
    h.update(file).update("\0").update(readFileSync(join(dir, file))).update("\0");
  }
  return `sha256:${h.digest("hex")}`;
}

export interface MigrationRunArgs {
  ctx: StackContext;
  svc: ServiceConfig;
  clusterArn: pulumi.Input<string>;
  imageRef: pulumi.Input<string>;
  imageDigest: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  logsKeyArn: pulumi.Input<string>;
  dataKeyArn: pulumi.Input<string>;
  artifactsKeyArn: pulumi.Input<string>;
  tasksSecurityGroupId: pulumi.Input<string>;
  database: { host: pulumi.Input<string>; port: pulumi.Input<number>; name: string; masterSecretArn: pulumi.Input<string> };
  secrets: ContainerSecret[];
  /** The database must exist before anything migrates it. */
  databaseResource: pulumi.Resource;
}

export class MigrationRun extends pulumi.ComponentResource {
  readonly taskDefinitionArn: pulumi.Output<string>;
  readonly run: command.local.Command;
  readonly bundleHash: string;

  constructor(name: string, args: MigrationRunArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:migrations:MigrationRun", name, {}, opts);
    const { ctx, svc } = args;
    const child = { parent: this };
    const tags = ctx.tags({ service: svc.name, purpose: "migrations" });
    this.bundleHash = migrationBundleHash();

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/backend-release/${ctx.stack}/${svc.name}-migrations`, retentionInDays: ctx.cfg.logs.retentionDays, kmsKeyId: args.logsKeyArn, tags: ctx.tags({ service: svc.name, "data-classification": ctx.cfg.tags.dataClassification, owner: ctx.cfg.tags.owner }) },
      child,
    );
    const roles = ecsTaskRoles(name, {
      ctx,
      svc: `${svc.name}-migrations`,
      repositoryArn: args.repositoryArn,
      logGroupArn: logGroup.arn,
      secretArns: [args.database.masterSecretArn, ...args.secrets.map((s) => s.valueFrom)],
      kmsKeyArns: [args.dataKeyArn, args.artifactsKeyArn],
      parent: this,
    });
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: `backend-release-${ctx.stack}-${svc.name}-migrate`,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: roles.execution.arn,
        taskRoleArn: roles.task.arn,
        volumes: [{ name: "tmp" }],
        containerDefinitions: containerDefinitions({
          svc,
          containerName: "migrate",
          imageRef: args.imageRef,
          imageDigest: args.imageDigest,
          version: ctx.version,
          gitSha: ctx.gitSha,
          region: ctx.region,
          logGroupName: logGroup.name,
          logStreamPrefix: "migrate",
          database: args.database,
          secrets: args.secrets,
          environment: {
            MIGRATION_LOCK_TIMEOUT_MS: String(ctx.cfg.database.migrationLockTimeoutMs),
            MIGRATION_STATEMENT_TIMEOUT_MS: String(ctx.cfg.database.migrationStatementTimeoutMs),
          },
          command: MIGRATION_COMMAND,
          withPort: false,
        }),
        tags,
      },
      child,
    );
    this.taskDefinitionArn = taskDefinition.arn;

    // Generous: the statement timeout bounds each migration; add start-up and image pull time.
    const timeoutSeconds = Math.ceil(ctx.cfg.database.migrationStatementTimeoutMs / 1000) + 600;
    this.run = new command.local.Command(
      `${svc.name}-migration-run`,
      {
        create: "node --import tsx infra/migration/run-task.ts",
        dir: REPO_ROOT,
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
      { parent: this, dependsOn: [taskDefinition, args.databaseResource], deleteBeforeReplace: true },
    );
    this.registerOutputs({ taskDefinitionArn: this.taskDefinitionArn, bundleHash: this.bundleHash });
  }
}
