/**
 * The one schema of the stack config (`Pulumi.<stack>.yaml`, namespace `backend-release:`).
 *
 * Every value the program, the runbooks, the docs and the release command read passes through
 * here. Objects are strict, so a misspelt key is an error rather than a silently ignored value.
 * Cross-field and per-environment rules live in `refineStack` at the bottom.
 */
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { MONITOR_CATALOG, MONITOR_KINDS, type MonitorKind } from "./monitor-catalog";
import { looksLikeSecretValue, SECRET_LIKE_NAME } from "./secret-patterns";
import { BREAK_GLASS_MAX_HOURS, UNTIL_IN_HOURS, UTC_INSTANT } from "./break-glass";
import { sharedMonitorOwner } from "./units";

export { SECRET_LIKE_NAME } from "./secret-patterns";

export const PROJECT = "backend-release";
/**
 * What kind of stack this is. A production-tier stack gets the stricter rules (refineCfg), the
 * sign-off floor, 24x7 paging and the protective settings; nothing branches on a stack's name.
 */
export const PROFILES = ["production", "non-production"] as const;
export type Profile = (typeof PROFILES)[number];
/** An environment's name as tags, logs and monitors carry it (`env:`); free, not an enum. */
export type Environment = string;

const slug = z.string().regex(/^[a-z][a-z0-9-]{1,38}[a-z0-9]$/, "lowercase letters, digits and dashes, 3-40 chars");
const envVarName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "an UPPER_SNAKE_CASE variable name");
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time as HH:MM (24h)");
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "an image digest sha256:<64 hex>");
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "an IANA time zone such as Europe/Berlin");

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Modern ALB TLS policies (TLS 1.2+ with forward secrecy, or TLS 1.3). */
export const MODERN_TLS_POLICIES = [
  "ELBSecurityPolicy-TLS13-1-2-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
] as const;


const network = z.strictObject({
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "a VPC id vpc-<hex>"),
  publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "a subnet id subnet-<hex>")).min(2),
  privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "a subnet id subnet-<hex>")).min(2),
});

/** A 12-digit AWS account id. */
export const accountId = z.string().regex(/^\d{12}$/, "a 12-digit AWS account id");
/** A DNS name the stack owns (lowercase labels, at least two). */
const domainName = z.string().regex(/^(?=.{4,200}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a lowercase DNS name such as orders.example.com");

const alb = z.strictObject({
  /**
   * Where each service answers: `<service>.<domain>` in the Route 53 hosted zone, an alias to its
   * load balancer, with a DNS-validated ACM certificate for exactly that name (declared by the stack).
   */
  dns: z.strictObject({
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"),
    domain: domainName,
  }),
  sslPolicy: z.enum(MODERN_TLS_POLICIES),
  ingressCidrs: z.array(z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "an IPv4 CIDR")).min(1),
  idleTimeoutSeconds: z.int().min(1).max(4000),
  accessLogRetentionDays: z.int().min(1).max(3650),
});

const images = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("build"),
    /**
     * Accounts whose stacks promote from this stack's repositories: each repository's policy lets
     * them pull (nothing else). A promoting stack's account must be listed here.
     */
    pullAccounts: z.array(accountId).default([]),
  }),
  z.strictObject({
    source: z.literal("promote"),
    /** The build stack's repositories: `<account>.dkr.ecr.<region>.amazonaws.com/backend-release/<stack>`. */
    sourceRepositoryPrefix: z.string().regex(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[a-z0-9/_-]+$/, "an ECR repository prefix <account>.dkr.ecr.<region>.amazonaws.com/<path>"),
    /**
     * Digests a non-production stack validated, per service name (build once, promote the same
     * bytes). Written by the release pipeline from that stack's output `imageDigests`.
     */
    digests: z.record(z.string(), digest),
  }),
]);

/** Relative to the repository root: no `..`, no absolute path (the graph must not depend on the checkout). */
const repoPath = z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/, "a path relative to the repository root, without ..");

/**
 * How a service's image and release artifact are built: the npm workspace holding its code (its
 * `migrations/`, `seeds/` and `openapi.json` live there), the Docker build context and Dockerfile.
 * The top-level `build` is the shared default; a service sets its own `build` to differ.
 */
const build = z.strictObject({
  workspace: repoPath,
  context: repoPath,
  dockerfile: repoPath,
});
export type BuildConfig = z.infer<typeof build>;

const thresholds = z.strictObject({
  warning: z.number(),
  critical: z.number(),
  warningRecovery: z.number().optional(),
  criticalRecovery: z.number().optional(),
  /** page: PagerDuty at critical; ticket: notification only, never a page. */
  severity: z.enum(["page", "ticket"]),
  priority: z.int().min(1).max(5),
  windowMinutes: z.int().min(1).max(1440),
});
export type MonitorThresholds = z.infer<typeof thresholds>;

const sloTarget = z.number().gt(90).lt(100);
const sloTimeframe = z.enum(["7d", "30d", "90d"]);

const monitoring = z.strictObject({
  owners: z.strictObject({
    team: slug,
    teamLeadEmail: z.email(),
    slackChannel: z.string().regex(/^#[a-z0-9-_]+$/, "a Slack channel such as #orders-oncall"),
  }),
  slos: z.strictObject({
    availability: z.strictObject({ target: sloTarget, timeframe: sloTimeframe }),
    latency: z.strictObject({ target: sloTarget, thresholdMs: z.int().min(1), timeframe: sloTimeframe }),
  }),
  monitors: z.partialRecord(z.enum(MONITOR_KINDS), thresholds),
});

const service = z.strictObject({
  name: slug,
  description: z.string().min(1),
  port: z.int().min(1024).max(65535),
  cpu: z.literal([256, 512, 1024, 2048, 4096]),
  memoryMiB: z.int().min(512).max(30720),
  desiredCount: z.int().min(0),
  minCount: z.int().min(0),
  maxCount: z.int().min(1),
  cpuTargetPercent: z.int().min(10).max(90),
  healthCheckPath: z.string().startsWith("/"),
  /** ECS stopTimeout: how long the container gets to drain after SIGTERM (ECS caps it at 120 s). */
  stopTimeoutSeconds: z.int().min(2).max(120),
  environment: z.record(envVarName, z.string()),
  /** Names of runtime secrets; values come from secret config `runtimeSecrets.<service>.<NAME>`. */
  secrets: z.array(envVarName),
  /** Whether the service connects to the stack's database (its tasks get the wiring and wait for its migrations). */
  usesDatabase: z.boolean().default(true),
  /** This service's own build; omitted = the stack's shared `build`. */
  build: build.optional(),
  /**
   * Break-glass ECS Exec into this service's tasks (config/break-glass.ts): off unless true, in
   * every stack (production tier included). Turning it on adds enableExecuteCommand and the
   * ssmmessages permissions to the task role; tasks started before the change get it at
   * their next deployment (`aws ecs update-service --force-new-deployment`).
   */
  breakGlassExec: z.boolean().optional(),
  /**
   * End of the break-glass window, a UTC instant (`2026-01-31T18:00:00Z`): tagged on the service
   * (`break-glass-until`); where policy forbids ECS Exec (production tier) SEC-ECS-10 accepts it
   * only until then, so a forgotten switch fails the next update. Required there with breakGlassExec.
   */
  breakGlassUntil: z.string().regex(UTC_INSTANT, "a UTC instant like 2026-01-31T18:00:00Z").optional(),
  monitoring,
});
export type ServiceConfig = z.infer<typeof service>;

/** Performance Insights keeps 7 days (free tier), a multiple of 31 days up to 713, or 731. */
export function validPerformanceInsightsRetention(days: number): boolean {
  return days === 7 || days === 731 || (days % 31 === 0 && days >= 31 && days <= 713);
}

const database = z.strictObject({
  /**
   * The PostgreSQL major version only: RDS applies minor upgrades itself (autoMinorVersionUpgrade),
   * and a pinned minor would make the next `pulumi up` try to downgrade after AWS upgraded it.
   */
  engineVersion: z.string().regex(/^\d+$/, "a PostgreSQL major version such as 16 (the minor is upgraded by RDS)"),
  instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "an RDS instance class such as db.t4g.medium"),
  allocatedStorageGiB: z.int().min(20).max(65536),
  maxAllocatedStorageGiB: z.int().min(20).max(65536),
  dbName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
  /** Used only by the migration task (its password is RDS-managed and rotated). */
  masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,15}$/),
  /**
   * The services' own least-privilege role: created by a migration, no password, IAM database
   * authentication (rds_iam); the services' task roles may `rds-db:connect` as this user only.
   */
  serviceUsername: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "a PostgreSQL role name such as orders_app"),
  backupRetentionDays: z.int().min(1).max(35),
  multiAz: z.boolean(),
  deletionProtection: z.boolean(),
  performanceInsightsRetentionDays: z.int().refine(validPerformanceInsightsRetention, "7, a multiple of 31 up to 713, or 731 (what RDS accepts)"),
  slowStatementMs: z.int().min(10),
  /** Bounds handed to the migration runner (lock_timeout / statement_timeout). */
  migrationLockTimeoutMs: z.int().min(100).max(60_000),
  migrationStatementTimeoutMs: z.int().min(1_000),
  /**
   * The database's migrations: one run per database, before any service using it rolls out.
   * `runWith` names the service whose image carries the runner and the bundle (its workspace's
   * `migrations/` and `seeds/`); default: the first service using the database.
   */
  migrations: z
    .strictObject({
      runWith: slug.optional(),
      /** The runner's advisory lock id (a bigint): runners of one database exclude each other. */
      lockId: z.int().min(1).max(Number.MAX_SAFE_INTEGER).default(7241865325823964),
    })
    .default({ lockId: 7241865325823964 }),
});
export type DatabaseConfig = z.infer<typeof database>;

/** Datadog standard-tier index retention periods within this project's range. */
export const DATADOG_INDEX_RETENTION_DAYS = [3, 7, 15, 30, 45, 60] as const;

const logs = z.strictObject({
  retentionDays: z.literal(LOG_RETENTION_DAYS),
  /** The Datadog log index the stack declares (its filter is `env:<environment>`); the log monitors search it. */
  datadogIndex: slug,
  datadogRetentionDays: z.literal(DATADOG_INDEX_RETENTION_DAYS),
  /**
   * The Datadog Forwarder Lambda of this account and region: every log group the monitors and the
   * dashboard search (services, migrations, RDS postgresql export) gets a subscription filter to it.
   */
  datadogForwarderArn: z.string().regex(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$/, "a Lambda function ARN arn:aws:lambda:<region>:<account>:function:<name>"),
});

const observability = z.strictObject({
  datadogSite: z.enum(["datadoghq.com", "datadoghq.eu", "us3.datadoghq.com", "us5.datadoghq.com", "ap1.datadoghq.com"]),
  /** CloudWatch metrics reach Datadog late; evaluating too early produces false alerts. */
  evaluationDelaySeconds: z.int().min(0).max(3600),
  renotifyMinutes: z.int().min(10).max(1440),
  runbookBaseUrl: z.url(),
  /**
   * The Datadog–PagerDuty integration is installed in the Datadog UI (Integrations → PagerDuty),
   * not by this stack; its service objects fail to create until it is. Set `activated: true` once
   * done (runbooks/startup.md, first deploy); the program refuses to declare paging until then.
   */
  pagerdutyIntegration: z.strictObject({
    activated: z.boolean(),
    /** The PagerDuty account's subdomain (`<subdomain>.pagerduty.com`) the integration is connected to. */
    subdomain: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a PagerDuty subdomain such as example-org"),
  }),
  /**
   * The Slack workspace as the Datadog Slack integration names it: owners' channels become
   * `@slack-<account>-<channel>` handles on a declared Datadog Slack channel (tickets, warnings, recoveries).
   */
  slackAccount: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, "the Datadog Slack integration's account name"),
});

const weekday = z.enum(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]);

const oncall = z.strictObject({
  teamName: z.string().min(1),
  teamLeadEmail: z.email(),
  timeZone,
  handoffDay: weekday,
  handoffTime: hhmm,
  primary: z.array(z.email()).min(1),
  secondary: z.array(z.email()).min(1),
  escalationDelayMinutes: z.int().min(5).max(120),
  escalationRepeats: z.int().min(0).max(9),
  urgency: z.enum(["high", "low"]),
  /** With urgency "low": high urgency (notify, escalate) within these hours, low (notify only) outside. */
  supportHours: z
    .strictObject({ days: z.array(z.int().min(1).max(7)).min(1), start: hhmm, end: hhmm })
    .optional(),
});

const archive = z.strictObject({
  objectLockMode: z.enum(["GOVERNANCE", "COMPLIANCE"]),
  retentionDays: z.int().min(1).max(36500),
  transitionToGlacierDays: z.int().min(30),
  noncurrentVersionExpirationDays: z.int().min(1),
});

const signoff = z.strictObject({
  /** How many valid signatures each role needs. */
  requiredRoles: z.partialRecord(z.enum(["architecture", "security", "operations"]), z.int().min(1).max(5)),
});

const tags = z.strictObject({
  costCenter: z.string().min(1),
  dataClassification: z.enum(["public", "internal", "confidential", "restricted"]),
  owner: z.string().min(1),
});

export const stackConfigSchema = z
  .strictObject({
    /** The environment's name in tags, logs and monitors (`env:`). */
    environment: z.string().regex(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/, "lowercase letters, digits and dashes, 2-40 chars"),
    profile: z.enum(PROFILES),
    /** Stateful resources (database, archive, keys, repos) are `protect`ed and retained on delete. */
    protectStateful: z.boolean(),
    network,
    alb,
    images,
    build,
    services: z.array(service).min(1),
    database,
    logs,
    observability,
    oncall,
    archive,
    signoff,
    tags,
  })
  .superRefine((cfg, ctx) => refineCfg(cfg, ctx));

export type StackConfig = z.infer<typeof stackConfigSchema>;

type Ctx = z.RefinementCtx;

/** The parts of the parsed config the cross-field rules read (named to avoid a type cycle). */
type StackConfigShape = {
  environment: Environment;
  profile: Profile;
  protectStateful: boolean;
  images: z.infer<typeof images>;
  services: ServiceConfig[];
  database: z.infer<typeof database>;
  logs: z.infer<typeof logs>;
  oncall: z.infer<typeof oncall>;
  archive: z.infer<typeof archive>;
};

function issue(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

function refineCfg(cfg: StackConfigShape, ctx: Ctx): void {
  const names = new Set<string>();
  cfg.services.forEach((svc, i) => {
    if (names.has(svc.name)) issue(ctx, ["services", i, "name"], `duplicate service name "${svc.name}"`);
    names.add(svc.name);
    if (!(svc.minCount <= svc.desiredCount && svc.desiredCount <= svc.maxCount)) {
      issue(ctx, ["services", i, "desiredCount"], `expected minCount <= desiredCount <= maxCount, found ${svc.minCount} <= ${svc.desiredCount} <= ${svc.maxCount}`);
    }
    for (const [key, value] of Object.entries(svc.environment)) {
      if (SECRET_LIKE_NAME.test(key)) {
        issue(ctx, ["services", i, "environment", key], `"${key}" looks like a secret; list it under services[${i}].secrets and set its value with pulumi config set --secret`);
      }
      if (looksLikeSecretValue(value)) {
        issue(ctx, ["services", i, "environment", key], `the value of "${key}" looks like a credential; move it to services[${i}].secrets`);
      }
    }
    for (const secretName of svc.secrets) {
      if (secretName in svc.environment) issue(ctx, ["services", i, "secrets"], `"${secretName}" is both a secret and a plain environment variable`);
    }
    const fargateMemory = FARGATE_MEMORY[svc.cpu];
    if (fargateMemory && (svc.memoryMiB < fargateMemory[0] || svc.memoryMiB > fargateMemory[1])) {
      issue(ctx, ["services", i, "memoryMiB"], `Fargate with cpu ${svc.cpu} needs memoryMiB between ${fargateMemory[0]} and ${fargateMemory[1]}, found ${svc.memoryMiB}`);
    }
    refineMonitors(svc, i, cfg, ctx);
    if (cfg.profile === "production" && svc.minCount < 2) {
      issue(ctx, ["services", i, "minCount"], `a production-tier stack needs at least 2 tasks for availability, found ${svc.minCount}`);
    }
    if (svc.breakGlassUntil !== undefined && svc.breakGlassExec !== true) {
      issue(ctx, ["services", i, "breakGlassUntil"], `a break-glass window without breakGlassExec: true; remove breakGlassUntil (pulumi config rm --path 'services[${i}].breakGlassUntil')`);
    }
    if (svc.breakGlassExec === true && svc.breakGlassUntil === undefined && cfg.profile === "production") {
      issue(ctx, ["services", i, "breakGlassUntil"], `a production-tier stack allows ECS Exec only inside a break-glass window: set breakGlassUntil to a UTC instant a few hours ahead (at most the policy's breakGlassMaxHours, ${BREAK_GLASS_MAX_HOURS} by default), e.g. ${UNTIL_IN_HOURS(4)} | xargs -I{} pulumi config set --path 'services[${i}].breakGlassUntil' {}`);
    }
    if (!svc.usesDatabase) {
      for (const kind of Object.keys(svc.monitoring.monitors) as MonitorKind[]) {
        if (MONITOR_CATALOG[kind].scope !== "service") {
          issue(ctx, ["services", i, "monitoring", "monitors", kind], `${svc.name} does not use the database (usesDatabase: false); remove this ${MONITOR_CATALOG[kind].scope} monitor`);
        }
      }
    }
  });
  // The database's and the migration run's monitors are one per stack (config/units.ts): services
  // configuring the same kind must agree, or which thresholds page would depend on the order.
  for (const kind of MONITOR_KINDS) {
    const owner = sharedMonitorOwner(cfg, kind);
    if (!owner) continue;
    const expected = owner.monitoring.monitors[kind];
    cfg.services.forEach((svc, i) => {
      const t = svc.monitoring.monitors[kind];
      if (svc !== owner && t !== undefined && !isDeepStrictEqual(t, expected)) {
        issue(ctx, ["services", i, "monitoring", "monitors", kind], `the stack has one ${kind} monitor (the database is shared), declared by ${owner.name} with other settings; make them equal to ${owner.name}'s or remove ${kind} from ${svc.name}`);
      }
    });
  }
  if (!cfg.services.some((s) => s.usesDatabase)) {
    issue(ctx, ["services"], "no service uses the database (every service has usesDatabase: false); set usesDatabase: true on the service whose image migrates it");
  }
  const runWith = cfg.database.migrations.runWith;
  if (runWith !== undefined) {
    const runner = cfg.services.find((s) => s.name === runWith);
    if (!runner) issue(ctx, ["database", "migrations", "runWith"], `no service named "${runWith}"; expected one of ${cfg.services.map((s) => `"${s.name}"`).join(", ")}`);
    else if (!runner.usesDatabase) issue(ctx, ["database", "migrations", "runWith"], `"${runWith}" does not use the database (usesDatabase: false), so its image cannot migrate it`);
  }

  if (cfg.images.source === "promote") {
    cfg.services.forEach((svc) => {
      const digests = (cfg.images as { digests: Record<string, string> }).digests;
      if (!digests[svc.name]) issue(ctx, ["images", "digests", svc.name], `no promoted digest for service "${svc.name}"; copy it from the staging stack output imageDigests`);
    });
  }
  if (cfg.database.maxAllocatedStorageGiB < cfg.database.allocatedStorageGiB) {
    issue(ctx, ["database", "maxAllocatedStorageGiB"], `must be >= allocatedStorageGiB (${cfg.database.allocatedStorageGiB}), found ${cfg.database.maxAllocatedStorageGiB}`);
  }
  if (cfg.oncall.urgency === "low" && !cfg.oncall.supportHours) {
    issue(ctx, ["oncall", "supportHours"], "low urgency needs supportHours (the window in which it pages)");
  }
  for (const p of cfg.oncall.primary) {
    if (cfg.oncall.secondary.includes(p)) issue(ctx, ["oncall", "secondary"], `${p} is in both the primary and the secondary rotation`);
  }

  // A production-tier stack is stricter: these are the rules, not suggestions.
  if (cfg.profile === "production") {
    const p = "a production-tier stack";
    const rules: [boolean, (string | number)[], string][] = [
      [cfg.protectStateful, ["protectStateful"], `${p} must protect its stateful resources: expected true, found false`],
      [cfg.images.source === "promote", ["images", "source"], `${p} deploys a digest a non-production stack validated: expected "promote", found "${cfg.images.source}"`],
      [cfg.database.backupRetentionDays >= 30, ["database", "backupRetentionDays"], `${p} keeps backups at least 30 days, found ${cfg.database.backupRetentionDays}`],
      [cfg.database.multiAz, ["database", "multiAz"], `${p} runs Multi-AZ: expected true, found false`],
      [cfg.database.deletionProtection, ["database", "deletionProtection"], `${p} has deletion protection: expected true, found false`],
      [cfg.logs.retentionDays >= 90, ["logs", "retentionDays"], `${p} keeps logs at least 90 days, found ${cfg.logs.retentionDays}`],
      [cfg.archive.objectLockMode === "COMPLIANCE", ["archive", "objectLockMode"], `${p} archives in COMPLIANCE mode, found ${cfg.archive.objectLockMode}`],
      [cfg.oncall.urgency === "high", ["oncall", "urgency"], `${p} pages with high urgency 24x7, found ${cfg.oncall.urgency}`],
      [cfg.oncall.primary.length >= 2, ["oncall", "primary"], `${p} needs at least 2 people in the primary rotation (no single-person layer)`],
      [cfg.oncall.secondary.length >= 2, ["oncall", "secondary"], `${p} needs at least 2 people in the secondary rotation (no single-person layer)`],
    ];
    for (const [ok, path, message] of rules) if (!ok) issue(ctx, path, message);
  } else if (cfg.database.backupRetentionDays < 7) {
    issue(ctx, ["database", "backupRetentionDays"], `backups are kept at least 7 days, found ${cfg.database.backupRetentionDays}`);
  }
}

/** Fargate's valid memory range (MiB) per CPU unit count. */
const FARGATE_MEMORY: Record<number, [number, number]> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
};

/**
 * Monitors that never page, whatever the stack: paging follows user impact. A failed migration
 * fails `pulumi up` before the rollout (services depend on the migration run), so the previous
 * version keeps serving; it is urgent work for the release, not a page.
 */
export const NEVER_PAGING_MONITORS: Partial<Record<MonitorKind, string>> = {
  migrationFailed: "a failed migration stops `pulumi up` before the rollout and the previous version keeps serving (no user impact)",
};

function refineMonitors(svc: ServiceConfig, i: number, cfg: StackConfigShape, ctx: Ctx): void {
  for (const [kindName, t] of Object.entries(svc.monitoring.monitors)) {
    if (!t) continue;
    const kind = kindName as MonitorKind;
    const spec = MONITOR_CATALOG[kind];
    const path = ["services", i, "monitoring", "monitors", kind];
    const noPage = NEVER_PAGING_MONITORS[kind];
    if (noPage && t.severity === "page") {
      issue(ctx, [...path, "severity"], `${kind} cannot page: ${noPage}; set severity: ticket (priority sets how urgent the ticket is)`);
    }
    // "Worse" is larger for `above` monitors and smaller for `below` ones.
    const worse = (a: number, b: number) => (spec.direction === "above" ? a > b : a < b);
    const side = spec.direction === "above" ? "below" : "above";
    if (!worse(t.critical, t.warning)) {
      issue(ctx, [...path, "warning"], `${kind} alerts when the value goes ${spec.direction} the threshold, so warning must be ${side} critical (${t.critical}), found ${t.warning}`);
    }
    if (t.criticalRecovery !== undefined && !worse(t.critical, t.criticalRecovery)) {
      issue(ctx, [...path, "criticalRecovery"], `criticalRecovery must be ${side} critical (${t.critical}), found ${t.criticalRecovery}`);
    }
    if (t.warningRecovery !== undefined && !worse(t.warning, t.warningRecovery)) {
      issue(ctx, [...path, "warningRecovery"], `warningRecovery must be ${side} warning (${t.warning}), found ${t.warningRecovery}`);
    }
    if ("requiresReadReplica" in spec && spec.requiresReadReplica) {
      // The stack declares one RDS instance; Multi-AZ keeps a synchronous standby, which is not a replica.
      issue(ctx, path, `${kind} watches a metric RDS emits only for read replicas and Multi-AZ DB clusters; this stack's database is one instance${cfg.database.multiAz ? " (its Multi-AZ standby is synchronous and reports no lag)" : ""}, so the monitor would never see data: remove it`);
    }
  }
}
