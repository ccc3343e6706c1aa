/**
 * The whole stack, assembled from one component per capability. Config is validated first
 * (`loadConfig` throws before any resource is declared); the returned object is the stack outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../config/load";
import { createContext } from "./context";
import { AccessLogs } from "./components/access-logs";
import { BackendService } from "./components/backend-service";
import { Database } from "./components/database";
import { EcsCluster } from "./components/ecs-cluster";
import { EncryptionKeys } from "./components/encryption-keys";
import { MigrationRun } from "./components/migration-run";
import { databaseServices, migrationRunner, serviceBuild } from "../config/units";
import { datadogProvider } from "./components/datadog-provider";
import { ServiceMonitoring } from "./components/monitoring";
import { PagerDutyServiceObjects } from "./components/monitoring-pagerduty";
import { OnCall } from "./components/oncall";
import { NetworkSecurity } from "./components/network-security";
import { RuntimeSecrets } from "./components/runtime-secrets";
import { ServiceImages } from "./components/service-images";
import { ReleaseArchive } from "./components/release-archive";

export async function declareStack(): Promise<Record<string, unknown>> {
  const { stack, cfg, runtimeSecrets } = loadConfig();
  const region = new pulumi.Config("aws").require("region");
  const ctx = createContext(stack, cfg, region);

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

  const dbWiring = { host: database.instance.address, port: database.instance.port, name: cfg.database.dbName, masterSecretArn: database.masterSecretArn };
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
    ...(svc.usesDatabase ? { database: dbWiring } : {}),
    secrets: secrets.byService[svc.name] ?? [],
  });

  // One migration run per database, on the image that carries its bundle; every service using
  // the database waits for it (two runs would race for the same advisory lock).
  const runner = migrationRunner(cfg);
  const migrations = new MigrationRun(names.migrationWorkload, {
    ...workload(runner),
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

  // On-call and monitoring: PagerDuty first, so every paging handle has its service object.
  const oncall = new OnCall("oncall", { ctx });
  const withDatadog = { providers: [datadogProvider(ctx)] };
  const serviceObjects = new PagerDutyServiceObjects("pagerduty-service-objects", { services: oncall.plan.services, integrationKeys: oncall.integrationKeys }, withDatadog);
  const dashboards: Record<string, pulumi.Output<string>> = {};
  for (const svc of cfg.services) {
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
        logsIndex: cfg.logs.datadogIndex,
      },
      pagerdutyServiceObject: serviceObjects.byService[svc.name]!,
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
