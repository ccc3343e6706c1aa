/**
 * The one naming truth: every physical name the components create, computed here, and read by
 * everything that has to find those resources again (verify-deploy, runbooks, monitors, docs).
 * A name changed here changes for creators and readers alike.
 */
import type { StackConfig } from "./schema";
import { isProductionTier, migrationRunner } from "./units";

export const NAME_PREFIX = "backend-release";

export interface StackNames {
  cluster: string;
  containerInsightsLogGroup: string;
  /** The ECS service of an app service. */
  ecsService(service: string): string;
  /** Task definition family of an app service. */
  taskFamily(service: string): string;
  /** CloudWatch log group of a workload (an app service or the migration workload). */
  logGroup(workload: string): string;
  repository(service: string): string;
  runtimeSecret(service: string, secret: string): string;
  kmsAlias(purpose: string): string;
  accessLogBucket(region: string): string;
  archiveBucket(region: string): string;
  /** The database's migration workload: its Datadog `service`, log group and roles are named after it. */
  migrationWorkload: string;
  migrationTaskFamily: string;
  dbIdentifier: string;
  /**
   * The final snapshot taken when the instance is deleted. Production tier: this exact, stable
   * name. Non-production: the prefix of a name with a per-instance random suffix, so a replaced
   * or torn-down database never collides with the snapshot of the previous one.
   */
  dbFinalSnapshot: string;
  dbPostgresLogGroup: string;
  /** The DNS name a service answers on (Route 53 alias to its load balancer, certificate for it). */
  serviceHostname(service: string): string;
  /**
   * Non-production stacks are torn down and replaced freely: names that must be unique at any
   * moment (final snapshot) get a random suffix, fixed names are deleted before their replacement
   * is created, and secrets are deleted without a recovery window. Production names never move.
   */
  disposable: boolean;
}

export function stackNames(stack: string, cfg: Pick<StackConfig, "services" | "database" | "alb" | "profile">): StackNames {
  const base = `${NAME_PREFIX}-${stack}`;
  const cluster = base;
  const dbIdentifier = `${base}-${cfg.database.dbName.replace(/_/g, "-")}`;
  // Named after the image that runs it: the runner and bundle ship in that service's image.
  const runner = migrationRunner(cfg).name;
  return {
    cluster,
    containerInsightsLogGroup: `/aws/ecs/containerinsights/${cluster}/performance`,
    ecsService: (service) => service,
    taskFamily: (service) => `${base}-${service}`,
    logGroup: (workload) => `/${NAME_PREFIX}/${stack}/${workload}`,
    repository: (service) => `${NAME_PREFIX}/${stack}/${service}`,
    runtimeSecret: (service, secret) => `${NAME_PREFIX}/${stack}/${service}/${secret}`,
    kmsAlias: (purpose) => `alias/${base}-${purpose}`,
    accessLogBucket: (region) => `${base}-access-logs-${region}`,
    archiveBucket: (region) => `${base}-release-archive-${region}`,
    migrationWorkload: `${runner}-migrations`,
    migrationTaskFamily: `${base}-${runner}-migrate`,
    dbIdentifier,
    dbFinalSnapshot: `${dbIdentifier}-final`,
    dbPostgresLogGroup: `/aws/rds/instance/${dbIdentifier}/postgresql`,
    serviceHostname: (service) => `${service}.${cfg.alb.dns.domain}`,
    disposable: !isProductionTier(cfg),
  };
}
