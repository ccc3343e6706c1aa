/**
 * The shell commands the runbooks give, per stack and service, with the stack's real names
 * (config/names.ts): complete and copy-pasteable, no placeholders. test/runbooks checks every one
 * against the AWS CLI's command model.
 */
import { breakGlassExecEnabled, breakGlassSwitch } from "../../config/break-glass";
import type { MonitorScope } from "../../config/monitor-catalog";
import { stackNames } from "../../config/names";
import type { ServiceConfig, StackConfig } from "../../config/schema";
import { isProductionTier } from "../../config/units";
import type { StackDocInput } from "./runbook-blocks";

/** The stack's region: the Datadog Forwarder must run in the stack's account and region (schema). */
export function stackRegion(cfg: Pick<StackConfig, "logs">): string {
  const region = /^arn:aws:lambda:([a-z0-9-]+):/.exec(cfg.logs.datadogForwarderArn)?.[1];
  if (!region) throw new Error(`logs.datadogForwarderArn "${cfg.logs.datadogForwarderArn}" names no region; expected arn:aws:lambda:<region>:<account>:function:<name>`);
  return region;
}

interface Target {
  stack: string;
  cfg: StackConfig;
  svc: ServiceConfig;
  index: number;
  region: string;
  cluster: string;
  service: string;
  family: string;
  logGroup: string;
  migrationLogGroup: string;
}

function targets(stacks: StackDocInput[]): Target[] {
  return stacks.flatMap(({ stack, cfg }) => {
    const n = stackNames(stack, cfg);
    const region = stackRegion(cfg);
    return cfg.services.map((svc, index) => ({
      stack,
      cfg,
      svc,
      index,
      region,
      cluster: n.cluster,
      service: n.ecsService(svc.name),
      family: n.taskFamily(svc.name),
      logGroup: n.logGroup(svc.name),
      migrationLogGroup: n.logGroup(n.migrationWorkload),
    }));
  });
}

const fence = (lines: string[]) => ["```sh", ...lines, "```"].join("\n");
const heading = (t: Target) => `**${t.stack}** / \`${t.svc.name}\` (cluster \`${t.cluster}\`, region ${t.region}):`;

export function statusCommands(t: Target): string[] {
  const r = `--region ${t.region}`;
  return [
    `aws ecs describe-services ${r} --cluster ${t.cluster} --services ${t.service} --query 'services[0].{status:status,running:runningCount,desired:desiredCount,taskDefinition:taskDefinition,deployments:deployments[].{status:status,rollout:rolloutState,taskDefinition:taskDefinition},events:events[:5].message}'`,
    `aws ecs describe-tasks ${r} --cluster ${t.cluster} --tasks $(aws ecs list-tasks ${r} --cluster ${t.cluster} --service-name ${t.service} --desired-status STOPPED --query 'taskArns[:5]' --output text) --query 'tasks[].{task:taskArn,stoppedAt:stoppedAt,reason:stoppedReason,exitCodes:containers[].exitCode}'`,
    `aws logs tail ${t.logGroup} ${r} --since 15m --follow`,
  ];
}

function rollbackBlock(stacks: StackDocInput[]): string {
  return targets(stacks)
    .flatMap((t) => {
      const r = `--region ${t.region}`;
      return [
        heading(t),
        "",
        fence([
          "# The revision running now, and the deployments in flight",
          `aws ecs describe-services ${r} --cluster ${t.cluster} --services ${t.service} --query 'services[0].{running:taskDefinition,deployments:deployments[].{status:status,rollout:rolloutState,taskDefinition:taskDefinition}}'`,
          "# Earlier revisions of the family, newest first: Pulumi deregisters a replaced revision, so they are INACTIVE",
          `aws ecs list-task-definitions ${r} --family-prefix ${t.family} --status INACTIVE --sort DESC --max-items 3`,
          "# Roll back: re-register the previous revision (an INACTIVE one cannot be deployed as is) and deploy it",
          `PREVIOUS=$(aws ecs list-task-definitions ${r} --family-prefix ${t.family} --status INACTIVE --sort DESC --query 'taskDefinitionArns[0]' --output text)`,
          `aws ecs describe-task-definition ${r} --task-definition "$PREVIOUS" --query 'taskDefinition.{family:family,taskRoleArn:taskRoleArn,executionRoleArn:executionRoleArn,networkMode:networkMode,containerDefinitions:containerDefinitions,volumes:volumes,requiresCompatibilities:requiresCompatibilities,cpu:cpu,memory:memory,runtimePlatform:runtimePlatform}' --output json > rollback-task-definition.json`,
          `ROLLBACK=$(aws ecs register-task-definition ${r} --cli-input-json file://rollback-task-definition.json --query 'taskDefinition.taskDefinitionArn' --output text)`,
          `aws ecs update-service ${r} --cluster ${t.cluster} --service ${t.service} --task-definition "$ROLLBACK"`,
          `aws ecs wait services-stable ${r} --cluster ${t.cluster} --services ${t.service}`,
          "# Restart every task on the same revision (a leak, a stuck connection pool)",
          `aws ecs update-service ${r} --cluster ${t.cluster} --service ${t.service} --force-new-deployment`,
        ]),
        "",
      ];
    })
    .join("\n")
    .trimEnd();
}

function emergencyScaleBlock(stacks: StackDocInput[]): string {
  return targets(stacks)
    .flatMap((t) => {
      const r = `--region ${t.region}`;
      const resource = `service/${t.cluster}/${t.service}`;
      // Now: run the configured maximum and let autoscaling go up to twice it.
      const min = t.svc.maxCount;
      const max = t.svc.maxCount * 2;
      return [
        `${heading(t)} autoscaling keeps the task count between ${t.svc.minCount} and ${t.svc.maxCount}; a desired count outside that range is pulled back by autoscaling, so raise the bounds first.`,
        "",
        fence([
          "# Current bounds and task count",
          `aws application-autoscaling describe-scalable-targets ${r} --service-namespace ecs --resource-ids ${resource}`,
          `# Raise the bounds (minimum ${min}: the configured maximum; maximum ${max}: twice it), then the task count`,
          `aws application-autoscaling register-scalable-target ${r} --service-namespace ecs --resource-id ${resource} --scalable-dimension ecs:service:DesiredCount --min-capacity ${min} --max-capacity ${max}`,
          `aws ecs update-service ${r} --cluster ${t.cluster} --service ${t.service} --desired-count ${min}`,
          `# Afterwards: put the configured bounds back (or change minCount/maxCount in Pulumi.${t.stack}.yaml)`,
          `aws application-autoscaling register-scalable-target ${r} --service-namespace ecs --resource-id ${resource} --scalable-dimension ecs:service:DesiredCount --min-capacity ${t.svc.minCount} --max-capacity ${t.svc.maxCount}`,
        ]),
        "",
      ];
    })
    .join("\n")
    .trimEnd();
}

function logsCommandsBlock(stacks: StackDocInput[]): string {
  return targets(stacks)
    .flatMap((t) => [
      heading(t),
      "",
      fence([
        `aws logs tail ${t.logGroup} --region ${t.region} --since 15m --follow`,
        `aws logs tail ${t.logGroup} --region ${t.region} --since 1h --filter-pattern '"level":"error"'`,
        "# The migration task (runs during pulumi up)",
        `aws logs tail ${t.migrationLogGroup} --region ${t.region} --since 2h`,
      ]),
      "",
    ])
    .join("\n")
    .trimEnd();
}

/** Runs argv[1] with the image's own connection code (no psql in the image). */
const SQL_ONE_SHOT = "const {Client}=require('pg');const {databaseConfigFromEnv}=require('./dist/db/connection.js');(async()=>{const c=new Client(databaseConfigFromEnv());await c.connect();console.table((await c.query(process.argv[1])).rows);await c.end()})().catch((e)=>{console.error(e.message);process.exit(1)})";

/** Hours a production-tier break-glass window is opened for (SEC-ECS-10 accepts up to its breakGlassMaxHours, 12 by default). */
const BREAK_GLASS_HOURS = 4;

/**
 * `pulumi up` on a production tier outside the release pipeline: it redeploys the running release,
 * so it runs at that release's tag with its package (restored from the archive) and RELEASE_VERSION.
 */
function productionUpdate(t: Target): { before: string[]; up: string; after: string[] } {
  const n = stackNames(t.stack, t.cfg);
  const packs = `--policy-pack infra/policy/sec-ops --policy-pack infra/policy/data-ops --policy-pack-config infra/policy/config/${t.stack}.json --policy-pack-config infra/policy/config/${t.stack}.json`;
  return {
    before: [
      "# A production-tier update redeploys the running release: at its tag, with its package from the archive.",
      "# That release must know breakGlassUntil (its docs/configuration.md lists it); an older one refuses the key:",
      "# then diagnose with the first checks of runbooks/alerts.md, or roll forward to a release that has it.",
      `export RELEASE_VERSION=$(pulumi stack output version --stack ${t.stack})`,
      'git switch --detach "v$RELEASE_VERSION" && npm ci',
      `aws s3 cp "s3://${n.archiveBucket(t.region)}/releases/${t.svc.name}/$RELEASE_VERSION/" "backend/outputs/phase-5/$RELEASE_VERSION/${t.stack}/" --recursive --region ${t.region}`,
    ],
    up: `pulumi up --stack ${t.stack} ${packs}`,
    after: [`git checkout -- Pulumi.${t.stack}.yaml && git switch -`],
  };
}

function breakGlassBlock(stacks: StackDocInput[]): string {
  return targets(stacks)
    .flatMap((t) => {
      const r = `--region ${t.region}`;
      const on = breakGlassExecEnabled(t.svc);
      const production = isProductionTier(t.cfg);
      const hours = production ? BREAK_GLASS_HOURS : undefined;
      const update = production ? productionUpdate(t) : { before: [], up: `pulumi up --stack ${t.stack}`, after: [] };
      const window = production ? `, for ${BREAK_GLASS_HOURS} hours (SEC-ECS-10 accepts ECS Exec here only until \`breakGlassUntil\`)` : "";
      const state = on
        ? `ECS Exec is **on** (\`breakGlassExec: true\`${t.svc.breakGlassUntil ? ` until ${t.svc.breakGlassUntil}` : ""}); switch it off after the incident.`
        : `ECS Exec is **off** (${t.svc.breakGlassExec === undefined ? "the default" : "`breakGlassExec: false`"}${production ? ", production tier" : ""}). Switch it on${window}, \`pulumi up\`, and off again after the incident:`;
      return [
        `${heading(t)} ${state}`,
        "",
        fence([
          ...(on ? [] : [...update.before, ...breakGlassSwitch(t.stack, t.index, true, hours), update.up]),
          "# A one-off task from the running revision, in the service's subnets and security group, that only sleeps",
          `TASK_DEFINITION=$(aws ecs describe-services ${r} --cluster ${t.cluster} --services ${t.service} --query 'services[0].taskDefinition' --output text)`,
          `NETWORK=$(aws ecs describe-services ${r} --cluster ${t.cluster} --services ${t.service} --query 'services[0].networkConfiguration' --output json)`,
          `TASK=$(aws ecs run-task ${r} --cluster ${t.cluster} --task-definition "$TASK_DEFINITION" --launch-type FARGATE --enable-execute-command --network-configuration "$NETWORK" --started-by break-glass --overrides '{"containerOverrides":[{"name":"${t.svc.name}","command":["sleep","3600"]}]}' --query 'tasks[0].taskArn' --output text)`,
          `aws ecs wait tasks-running ${r} --cluster ${t.cluster} --tasks "$TASK"`,
          "# A shell in it (recorded in CloudTrail as ecs:ExecuteCommand with your identity)",
          `aws ecs execute-command ${r} --cluster ${t.cluster} --task "$TASK" --container ${t.svc.name} --interactive --command /bin/sh`,
          "# Done: stop it",
          `aws ecs stop-task ${r} --cluster ${t.cluster} --task "$TASK" --reason break-glass-finished`,
          ...(on ? [] : [...breakGlassSwitch(t.stack, t.index, false, hours), update.up, ...update.after]),
        ]),
        "",
        "In the task's shell, a query as the service's own database role (IAM token, through the image's own connection code; the image has no psql):",
        "",
        fence([`node -e "${SQL_ONE_SHOT}" "SELECT pid, state, wait_event_type, now() - xact_start AS age, left(query, 120) AS query FROM pg_stat_activity WHERE datname = current_database() ORDER BY age DESC NULLS LAST"`]),
        "",
      ];
    })
    .join("\n")
    .trimEnd();
}

/** The first three checks for an alert of this scope, per stack and service. */
export function firstChecks(stacks: StackDocInput[], scope: MonitorScope): string {
  return targets(stacks)
    .flatMap((t) => {
      const r = `--region ${t.region}`;
      const n = stackNames(t.stack, t.cfg);
      const commands = {
        service: statusCommands(t),
        database: [
          `aws rds describe-db-instances ${r} --db-instance-identifier ${n.dbIdentifier} --query 'DBInstances[0].{status:DBInstanceStatus,class:DBInstanceClass,storageGiB:AllocatedStorage,multiAz:MultiAZ,pendingModifiedValues:PendingModifiedValues}'`,
          `aws rds describe-events ${r} --source-type db-instance --source-identifier ${n.dbIdentifier} --duration 120`,
          `aws logs tail ${n.dbPostgresLogGroup} ${r} --since 30m`,
        ],
        migration: [
          `aws logs tail ${t.migrationLogGroup} ${r} --since 2h`,
          `aws ecs list-tasks ${r} --cluster ${t.cluster} --family ${n.migrationTaskFamily} --desired-status STOPPED`,
          statusCommands(t)[0]!,
        ],
      }[scope];
      return [heading(t), "", fence(commands), ""];
    })
    .join("\n")
    .trimEnd();
}

export function commandBlocks(stacks: StackDocInput[]): Map<string, Map<string, string>> {
  return new Map([
    ["runbooks/deploy-and-rollback.md", new Map([["commands:rollback", rollbackBlock(stacks)]])],
    ["runbooks/scaling.md", new Map([["commands:emergency-scale", emergencyScaleBlock(stacks)]])],
    [
      "runbooks/incident-response.md",
      new Map([
        ["commands:logs", logsCommandsBlock(stacks)],
        ["commands:break-glass", breakGlassBlock(stacks)],
      ]),
    ],
  ]);
}
