/**
 * Least-privilege roles for a task: the execution role pulls the image, writes the log group and
 * reads exactly the secrets the container references; the task role (the app's own AWS identity)
 * may only log in to the database as its own user (IAM database authentication), or nothing,
 * plus the ECS Exec channels when break-glass access is switched on.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export interface TaskRolesArgs {
  ctx: StackContext;
  svc: string;
  repositoryArn: pulumi.Input<string>;
  logGroupArn: pulumi.Input<string>;
  secretArns: pulumi.Input<string>[];
  kmsKeyArns: pulumi.Input<string>[];
  /** IAM database authentication as this database user (its `dbuser` ARN). */
  dbConnect?: { dbUserArn: pulumi.Input<string>; username: string };
  /** Break-glass ECS Exec (config/break-glass.ts): the SSM message channels the exec agent opens. */
  execCommand?: boolean;
  parent: pulumi.Resource;
}

const ECS_TASKS_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** What the ECS Exec agent in the task needs (AWS: "IAM permissions required for ECS Exec"). */
export const EXEC_COMMAND_ACTIONS = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"];

export function ecsTaskRoles(name: string, args: TaskRolesArgs): { execution: aws.iam.Role; executionPolicy: aws.iam.RolePolicy; task: aws.iam.Role; taskPolicy?: aws.iam.RolePolicy } {
  const { ctx } = args;
  const child = { parent: args.parent };
  const execution = new aws.iam.Role(`${name}-execution-role`, { assumeRolePolicy: ECS_TASKS_TRUST, description: `Pull, log and read secrets for ${args.svc}`, tags: ctx.tags({ service: args.svc }) }, child);
  const executionPolicy = new aws.iam.RolePolicy(
    `${name}-execution-policy`,
    {
      role: execution.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          // GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
          { Sid: "EcrAuth", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
          { Sid: "EcrPull", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], Resource: [args.repositoryArn] },
          { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: [pulumi.interpolate`${args.logGroupArn}:*`] },
          // IAM refuses a statement with an empty Resource list: a workload without secrets gets none.
          ...(args.secretArns.length > 0 ? [{ Sid: "Secrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: args.secretArns }] : []),
          { Sid: "Decrypt", Effect: "Allow", Action: ["kms:Decrypt"], Resource: args.kmsKeyArns },
        ],
      }),
    },
    child,
  );
  const db = args.dbConnect;
  const task = new aws.iam.Role(
    `${name}-task-role`,
    { assumeRolePolicy: ECS_TASKS_TRUST, description: db ? `Application identity of ${args.svc} (database login as ${db.username} only)` : `Application identity of ${args.svc} (no AWS permissions)`, tags: ctx.tags({ service: args.svc }) },
    child,
  );
  const statements = [
    ...(db ? [{ Sid: "DatabaseLogin", Effect: "Allow", Action: ["rds-db:connect"], Resource: [db.dbUserArn] }] : []),
    // The ssmmessages channel actions have no resource-level permissions: "*" is the only valid resource.
    ...(args.execCommand ? [{ Sid: "BreakGlassExec", Effect: "Allow", Action: EXEC_COMMAND_ACTIONS, Resource: "*" }] : []),
  ];
  if (statements.length === 0) return { execution, executionPolicy, task };
  const taskPolicy = new aws.iam.RolePolicy(
    `${name}-task-policy`,
    {
      role: task.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: statements,
      }),
    },
    child,
  );
  return { execution, executionPolicy, task, taskPolicy };
}
