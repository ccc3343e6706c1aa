/**
 * What a service and its migration task share: the workload's inputs (image by digest, keys,
 * database wiring, secrets) and the plumbing every Fargate task of ours gets — a KMS-encrypted
 * log group, least-privilege roles, and a hardened task definition. Declared under the caller's
 * component with the caller's names, so each component still owns its resources.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import type { StackContext } from "../context";
import { containerDefinitions, type DatabaseWiring } from "./container-definition";
import type { ContainerSecret } from "./runtime-secrets";
import { ecsTaskRoles } from "./task-roles";

/** The inputs a service's workloads (service and migration task) are built from. */
export interface WorkloadArgs {
  ctx: StackContext;
  svc: ServiceConfig;
  clusterArn: pulumi.Input<string>;
  imageRef: pulumi.Input<string>;
  imageDigest: pulumi.Input<string>;
  repositoryArn: pulumi.Input<string>;
  logsKeyArn: pulumi.Input<string>;
  dataKeyArn: pulumi.Input<string>;
  artifactsKeyArn: pulumi.Input<string>;
  /** Absent for a service that uses no database. */
  database?: DatabaseWiring;
  secrets: ContainerSecret[];
}

export interface FargateTaskArgs {
  workload: WorkloadArgs;
  /** The workload whose log group this is (config/names.ts `logGroup`). */
  logName: string;
  family: string;
  cpu: number;
  memoryMiB: number;
  /** Who the roles are for, in their descriptions. */
  rolesFor: string;
  container: { name: string; logStreamPrefix: string; environment?: Record<string, string>; command?: string[]; withPort: boolean; serviceName?: string };
  tags: Record<string, string>;
  /** Break-glass ECS Exec into this task (config/break-glass.ts); the task role gets its channels. */
  execCommand?: boolean;
  parent: pulumi.Resource;
}

export function fargateTask(name: string, args: FargateTaskArgs): { logGroup: aws.cloudwatch.LogGroup; taskDefinition: aws.ecs.TaskDefinition } {
  const { ctx, svc } = args.workload;
  const w = args.workload;
  const child = { parent: args.parent };
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    {
      name: ctx.names.logGroup(args.logName),
      retentionInDays: ctx.cfg.logs.retentionDays,
      kmsKeyId: w.logsKeyArn,
      // `service` is the workload the logs belong to (the forwarder copies log-group tags onto them).
      tags: ctx.tags({ service: args.logName, "data-classification": ctx.cfg.tags.dataClassification, owner: ctx.cfg.tags.owner }),
    },
    child,
  );
  const login = w.database?.login;
  const roles = ecsTaskRoles(name, {
    ctx,
    svc: args.rolesFor,
    repositoryArn: w.repositoryArn,
    logGroupArn: logGroup.arn,
    // Only the workload that logs in as the master user may read the master secret.
    secretArns: [...(login?.kind === "master" ? [login.secretArn] : []), ...w.secrets.map((s) => s.valueFrom)],
    kmsKeyArns: [w.dataKeyArn, w.artifactsKeyArn],
    ...(login?.kind === "iam" ? { dbConnect: { dbUserArn: login.dbUserArn, username: login.username } } : {}),
    execCommand: args.execCommand === true,
    parent: args.parent,
  });
  const taskDefinition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: args.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(args.cpu),
      memory: String(args.memoryMiB),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: roles.execution.arn,
      taskRoleArn: roles.task.arn,
      volumes: [{ name: "tmp" }],
      containerDefinitions: containerDefinitions({
        svc,
        environmentName: ctx.cfg.environment,
        ...(args.container.serviceName ? { serviceName: args.container.serviceName } : {}),
        containerName: args.container.name,
        imageRef: w.imageRef,
        imageDigest: w.imageDigest,
        region: ctx.region,
        logGroupName: logGroup.name,
        logStreamPrefix: args.container.logStreamPrefix,
        ...(w.database ? { database: w.database } : {}),
        secrets: w.secrets,
        withPort: args.container.withPort,
        ...(args.container.environment ? { environment: args.container.environment } : {}),
        ...(args.container.command ? { command: args.container.command } : {}),
      }),
      tags: args.tags,
    },
    // A task started before its role may read the secrets and pull the image (or log in) fails.
    { ...child, dependsOn: [roles.executionPolicy, ...(roles.taskPolicy ? [roles.taskPolicy] : [])] },
  );
  return { logGroup, taskDefinition };
}
