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
import { MigrationRun, migrationServiceName } from "./components/migration-run";
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
  const database = new Database("database", { ctx, kmsKeyArn: keys.data.arn, securityGroupId: network.database.id, logsKeyArn: keys.logs.arn });
  const cluster = new EcsCluster("cluster", { ctx, logsKeyArn: keys.logs.arn });

  const dbWiring = { host: database.instance.address, port: database.instance.port, name: cfg.database.dbName, masterSecretArn: database.masterSecretArn };
  const serviceUrls: Record<string, pulumi.Output<string>> = {};
  const migrationTaskArns: Record<string, pulumi.Output<string>> = {};
  const deployed: Record<string, BackendService> = {};
  for (const svc of cfg.services) {
    const common = {
      ctx,
      svc,
      clusterArn: cluster.cluster.arn,
      imageRef: images.imageRefs[svc.name]!,
      imageDigest: images.digests[svc.name]!,
      repositoryArn: images.repositories[svc.name]!.arn,
      logsKeyArn: keys.logs.arn,
      dataKeyArn: keys.data.arn,
      artifactsKeyArn: keys.artifacts.arn,
      database: dbWiring,
      secrets: secrets.byService[svc.name] ?? [],
    };
    const migrations = new MigrationRun(`${svc.name}-migrations`, { ...common, tasksSecurityGroupId: network.tasks.id, databaseResource: database, network });
    const service = new BackendService(svc.name, {
      ...common,
      clusterName: cluster.cluster.name,
      securityGroups: { albHttps: network.albHttps.id, albHttpRedirect: network.albHttpRedirect.id, tasks: network.tasks.id },
      accessLogBucket: accessLogs.bucket.name,
      accessLogBucketReady: accessLogs.bucket.ready,
      migrationRun: migrations.run,
    });
    serviceUrls[svc.name] = service.url;
    migrationTaskArns[svc.name] = migrations.taskDefinitionArn;
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
        migrationService: migrationServiceName(svc.name),
        environment: cfg.environment,
        logsIndex: cfg.logs.datadogIndex,
      },
      pagerdutyServiceObject: serviceObjects.byService[svc.name]!,
    }, withDatadog);
    dashboards[svc.name] = monitoring.dashboardUrl;
  }

  return {
    environment: cfg.environment,
    version: ctx.version,
    gitSha: ctx.gitSha,
    serviceUrls,
    imageRefs: images.imageRefs,
    imageDigests: images.digests,
    databaseEndpoint: database.instance.endpoint,
    releaseArchive: { bucket: archive.bucketName, prefixes: archive.prefixes, objects: archive.objects.length },
    migrationTaskArns,
    dashboards,
    pagerdutyServices: Object.fromEntries(oncall.plan.services.map((s) => [s.service, s.name])),
    escalationPolicyId: oncall.escalationPolicy.id,
  };
}
