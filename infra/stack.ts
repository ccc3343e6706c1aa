/**
 * The whole stack, assembled from one component per capability. Config is validated first
 * (`loadConfig` throws before any resource is declared), then the preconditions the cloud would
 * otherwise reject halfway through an update; the returned object is the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadConfig } from "../config/load";
import { databaseServices, migrationRunner, serviceBuild } from "../config/units";
import { breakGlassProblems } from "../config/break-glass";
import { createContext, notice, releaseProblems, stackPreconditionProblems } from "./context";
import { AccessLogs } from "./components/access-logs";
import { BackendService } from "./components/backend-service";
import { Database } from "./components/database";
import { datadogProvider } from "./components/datadog-provider";
import { EcsCluster } from "./components/ecs-cluster";
import { EncryptionKeys } from "./components/encryption-keys";
import { LogShipping, logsIndexQuery } from "./components/log-shipping";
import { MigrationRun } from "./components/migration-run";
import { ServiceMonitoring } from "./components/monitoring";
import { PagerDutyServiceObjects } from "./components/monitoring-pagerduty";
import { NetworkSecurity } from "./components/network-security";
import { NotificationChannels } from "./components/notification-channels";
import { OnCall } from "./components/oncall";
import { ReleaseArchive } from "./components/release-archive";
import { RuntimeSecrets } from "./components/runtime-secrets";
import { ServiceImages } from "./components/service-images";
import { nextTurn } from "./runtime-turn";

export async function declareStack(): Promise<Record<string, unknown>> {
  const { stack, cfg, runtimeSecrets } = loadConfig();
  const region = new pulumi.Config("aws").require("region");
  const ctx = createContext(stack, cfg, region);

  // What AWS, Datadog or PagerDuty would refuse mid-update is refused here, before anything changes.
  const blocking = stackPreconditionProblems(stack, cfg);
  if (blocking.length > 0) throw new ConfigError(stack, blocking);
  // A production-tier update without its named release would archive nothing and say nothing.
  const release = releaseProblems(ctx);
  if (release.length > 0 && !pulumi.runtime.isDryRun()) throw new ConfigError(stack, release);
  for (const problem of release) notice("warn", `${problem} (\`pulumi up\` will fail)`);
  // A break-glass window is judged now, here as by SEC-ECS-10: an update never opens a long or lapsed one.
  const glass = breakGlassProblems(cfg, Date.now());
  if (glass.length > 0 && !pulumi.runtime.isDryRun()) throw new ConfigError(stack, glass);
  for (const problem of glass) notice("warn", `${problem} (\`pulumi up\` will fail)`);

  const keys = new EncryptionKeys("keys", { ctx });
  const network = new NetworkSecurity("network", { ctx, servicePorts: cfg.services.map((s) => s.port) });
  const accessLogs = new AccessLogs("access-logs", { ctx });
  const images = new ServiceImages("images", { ctx, kmsKeyArn: keys.artifacts.arn });
  const archive = new ReleaseArchive("release-archive", { ctx, kmsKeyArn: keys.artifacts.arn, accessLogBucket: accessLogs.bucket.name, imageDigests: images.digests });
  const secrets = new RuntimeSecrets("secrets", { ctx, kmsKeyArn: keys.data.arn, values: runtimeSecrets });
  const names = ctx.names;
  const { migrations: dbMigrations, ...dbConfig } = cfg.database;
  const database = new Database("database", {
    config: dbConfig,
    names: { identifier: names.dbIdentifier, finalSnapshot: names.dbFinalSnapshot, postgresLogGroup: names.dbPostgresLogGroup },
    disposable: names.disposable,
    stackLabel: stack,
    privateSubnetIds: cfg.network.privateSubnetIds,
    securityGroupId: network.database.id,
    kmsKeyArn: keys.data.arn,
    logsKeyArn: keys.logs.arn,
    logRetentionDays: cfg.logs.retentionDays,
    tags: ctx.tags(),
    dataTags: ctx.tags({ "data-classification": cfg.tags.dataClassification, owner: cfg.tags.owner, purpose: `${cfg.database.dbName}-database` }),
    stateful: ctx.stateful,
  });
  const cluster = new EcsCluster("cluster", { ctx, logsKeyArn: keys.logs.arn });

  const dbEndpoint = { host: database.instance.address, port: database.instance.port, name: cfg.database.dbName };
  // Services log in as their own role with IAM auth; only the migration task gets the master secret.
  const serviceLogin = { kind: "iam" as const, username: cfg.database.serviceUsername, dbUserArn: database.iamDbUserArn(cfg.database.serviceUsername) };
  const workload = (svc: (typeof cfg.services)[number]) => ({
    ctx,
    svc,
    clusterArn: cluster.cluster.arn,
    imageRef: images.imageRefs[svc.name]!,
    imageDigest: images.digests[svc.name]!,
    repositoryArn: images.repositories[svc.name]!.arn,
    logsKeyArn: keys.logs.arn,
    dataKeyArn: keys.data.arn,
    artifactsKeyArn: keys.artifacts.arn,
    ...(svc.usesDatabase ? { database: { ...dbEndpoint, login: serviceLogin } } : {}),
    secrets: secrets.byService[svc.name] ?? [],
  });

  // One migration run per database, on the image that carries its bundle; every service using
  // the database waits for it (two runs would race for the same advisory lock). It needs the
  // master login and none of the services' runtime secrets.
  const runner = migrationRunner(cfg);
  const migrations = new MigrationRun(names.migrationWorkload, {
    ...workload(runner),
    database: { ...dbEndpoint, login: { kind: "master", secretArn: database.masterSecretArn } },
    secrets: [],
    workloadName: names.migrationWorkload,
    taskFamily: names.migrationTaskFamily,
    bundleWorkspace: serviceBuild(cfg, runner).workspace,
    lockId: dbMigrations.lockId,
    lockTimeoutMs: cfg.database.migrationLockTimeoutMs,
    statementTimeoutMs: cfg.database.migrationStatementTimeoutMs,
    privateSubnetIds: cfg.network.privateSubnetIds,
    waitingDigests: databaseServices(cfg).filter((s) => s.name !== runner.name).map((s) => images.digests[s.name]!),
    tasksSecurityGroupId: network.tasks.id,
    databaseResource: database,
    network,
  });
  const usesDb = new Set(databaseServices(cfg).map((s) => s.name));

  const serviceUrls: Record<string, pulumi.Output<string>> = {};
  const deployed: Record<string, BackendService> = {};
  for (const svc of cfg.services) {
    await nextTurn(); // bounded pending state per service (infra/runtime-turn.ts)
    const service = new BackendService(svc.name, {
      ...workload(svc),
      clusterName: cluster.cluster.name,
      securityGroups: { albHttps: network.albHttps.id, albHttpRedirect: network.albHttpRedirect.id, tasks: network.tasks.id },
      accessLogBucket: accessLogs.bucket.name,
      accessLogBucketReady: accessLogs.bucket.ready,
      ...(usesDb.has(svc.name) ? { migrationRun: migrations.run } : {}),
    });
    serviceUrls[svc.name] = service.url;
    deployed[svc.name] = service;
  }

  // Every log group the monitors and dashboards search reaches the Datadog index they query.
  const withDatadog = { providers: [datadogProvider(ctx)] };
  const logShipping = new LogShipping("logs-to-datadog", {
    region,
    forwarderArn: cfg.logs.datadogForwarderArn,
    logGroups: [
      ...cfg.services.map((svc) => ({ key: svc.name, name: deployed[svc.name]!.logGroup.name, arn: deployed[svc.name]!.logGroup.arn })),
      { key: names.migrationWorkload, name: migrations.logGroup.name, arn: migrations.logGroup.arn },
      { key: "postgresql", name: database.postgresLog.name, arn: database.postgresLog.arn },
    ],
    index: { name: cfg.logs.datadogIndex, query: logsIndexQuery(cfg.environment), retentionDays: cfg.logs.datadogRetentionDays, tags: [`env:${cfg.environment}`, "managed-by:pulumi", "project:backend-release"] },
    datadogProvider: withDatadog.providers[0]!,
  });

  // On-call and monitoring: PagerDuty first, so every paging handle has its service object; the
  // team channels exist before any message names them.
  const oncall = new OnCall("oncall", { ctx });
  const serviceObjects = new PagerDutyServiceObjects("pagerduty-service-objects", { services: oncall.plan.services, integrationKeys: oncall.integrationKeys }, withDatadog);
  const channels = new NotificationChannels("notification-channels", { cfg }, withDatadog);
  const dashboards: Record<string, pulumi.Output<string>> = {};
  for (const svc of cfg.services) {
    await nextTurn();
    const service = deployed[svc.name]!;
    const monitoring = new ServiceMonitoring(`${svc.name}-monitoring`, {
      ctx,
      svc,
      targets: {
        loadBalancer: service.loadBalancer.arnSuffix,
        targetGroup: service.targetGroup.arnSuffix,
        cluster: cluster.cluster.name,
        ecsService: service.service.name,
        dbInstance: database.instance.identifier,
        migrationService: names.migrationWorkload,
        environment: cfg.environment,
        logsIndex: logShipping.index.name,
      },
      pagerdutyServiceObject: serviceObjects.byService[svc.name]!,
      notificationTargets: [channels.slack[svc.monitoring.owners.slackChannel]!],
      logsIndex: logShipping.index,
    }, withDatadog);
    dashboards[svc.name] = monitoring.dashboardUrl;
  }

  return {
    environment: cfg.environment,
    profile: cfg.profile,
    version: ctx.version,
    gitSha: ctx.gitSha,
    serviceUrls,
    imageRefs: images.imageRefs,
    imageDigests: images.digests,
    databaseEndpoint: database.instance.endpoint,
    releaseArchive: { bucket: archive.bucketName, prefixes: archive.prefixes, objects: archive.objects.length, versionIds: archive.versionIds },
    migrationTaskArn: migrations.taskDefinitionArn,
    dashboards,
    pagerdutyServices: Object.fromEntries(oncall.plan.services.map((s) => [s.service, s.name])),
    escalationPolicyId: oncall.escalationPolicy.id,
  };
}
