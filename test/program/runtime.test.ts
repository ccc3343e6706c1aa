/**
 * The backend's runtime on AWS, asserted on both stacks' recorded graphs (issue 3).
 */
import { describe, expect, it } from "vitest";
import { loadStackConfig, REPO_ROOT } from "../../config/stack-file";
import { SECRET_LIKE_NAME } from "../../config/schema";
import { urnName } from "../../infra/preview/deployment";
import { IMAGE_REF_PATTERN } from "../../infra/components/service-images";
import { Graph, graphOf, recordedGraph } from "../support/graph";

const STACKS = ["staging", "prod"] as const;

describe.each(STACKS)("stack %s", (stack) => {
  const cfg = loadStackConfig(stack);

  it("references every container image by digest, never by tag", async () => {
    const g = await graphOf(stack);
    const taskDefs = g.ofType("aws:ecs/taskDefinition:TaskDefinition");
    expect(taskDefs).toHaveLength(cfg.services.length * 2); // service + migration task each
    for (const td of taskDefs) {
      for (const c of Graph.containers(td)) expect(String(c.image)).toMatch(IMAGE_REF_PATTERN);
    }
  });

  it("runs each service's migration task on the same image, before the service rolls out", async () => {
    const g = await graphOf(stack);
    for (const svc of cfg.services) {
      const service = g.one("aws:ecs/service:Service", `${svc.name}-service`);
      const run = g.one("command:local:Command", `${svc.name}-migration-run`);
      expect(service.dependencies).toContain(run.urn);
      const serviceImage = Graph.containers(g.one("aws:ecs/taskDefinition:TaskDefinition", `${svc.name}-task`))[0]!.image;
      const migrate = Graph.containers(g.one("aws:ecs/taskDefinition:TaskDefinition", `${svc.name}-migrations-task`))[0]!;
      expect(migrate.image).toBe(serviceImage);
      expect(migrate.command).toEqual(["node", "dist/migrate/cli.js", "up"]);
      // The run is replaced (re-run) when the image digest or the migration bundle changes.
      const triggers = run.inputs?.triggers as string[];
      expect(triggers[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(String(serviceImage).endsWith(`@${triggers[0]}`)).toBe(true);
      expect(triggers[1]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(run.inputs?.create).toBe("node --import tsx infra/migration/run-task.ts");
      // Everything the task needs exists before it runs: database (and its master secret), role policy, network rules.
      const deps = g.transitiveDependencies(run);
      const needed = [
        g.one("aws:rds/instance:Instance"),
        g.one("aws:iam/rolePolicy:RolePolicy", `${svc.name}-migrations-execution-policy`),
        ...g.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
      ];
      for (const r of needed) expect(deps, `${run.urn} -> ${r.urn}`).toContain(r.urn);
    }
  });

  it("puts no secret-like name or value in any container environment; secrets come from Secrets Manager", async () => {
    const g = await graphOf(stack);
    for (const td of g.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
      for (const c of Graph.containers(td)) {
        for (const { name, value } of c.environment as { name: string; value: string }[]) {
          expect(name, `${urnName(td.urn)} env ${name}`).not.toMatch(SECRET_LIKE_NAME);
          expect(value).not.toContain("offline-preview-placeholder");
        }
        const secrets = c.secrets as { name: string; valueFrom: string }[];
        // The migration task logs in with the master secret; a service logs in with IAM auth and gets its runtime secrets.
        const migrates = String(td.inputs?.family).endsWith("-migrate");
        expect(secrets.map((s) => s.name)).toEqual(migrates ? ["PGUSER", "PGPASSWORD"] : cfg.services[0]!.secrets);
        for (const s of secrets) expect(s.valueFrom).toMatch(/^arn:aws:secretsmanager:/);
        expect(c.readonlyRootFilesystem).toBe(true);
        const env = Object.fromEntries((c.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]));
        // A service drains inside ECS's stop timeout (SIGKILL follows it).
        if (env.PORT) expect(Number(env.SHUTDOWN_TIMEOUT_MS)).toBeLessThan((c.stopTimeout as number) * 1000);
        expect(c.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
        expect(c.privileged).toBe(false);
        expect((c.logConfiguration as { logDriver: string }).logDriver).toBe("awslogs");
      }
    }
  });

  it("records nothing that depends on where the repository is checked out", async () => {
    const { deployment } = await recordedGraph(stack);
    expect(JSON.stringify(deployment)).not.toContain(REPO_ROOT);
  });

  it("never records a secret value in the graph", async () => {
    const { deployment } = await recordedGraph(stack);
    expect(JSON.stringify(deployment)).not.toContain("offline-preview-placeholder");
    const version = new Graph(deployment).ofType("aws:secretsmanager/secretVersion:SecretVersion")[0]!;
    expect(JSON.stringify(version.inputs?.secretString)).toContain("1b47061264138c4ac30d75fd1eb44270");
  });

  it("configures the database per environment: encrypted, RDS-managed password, private, backups, PI encrypted", async () => {
    const g = await graphOf(stack);
    const db = g.one("aws:rds/instance:Instance").inputs!;
    expect(db).toMatchObject({
      storageEncrypted: true,
      manageMasterUserPassword: true,
      publiclyAccessible: false,
      copyTagsToSnapshot: true,
      performanceInsightsEnabled: true,
      backupRetentionPeriod: cfg.database.backupRetentionDays,
      multiAz: cfg.database.multiAz,
      deletionProtection: cfg.database.deletionProtection,
    });
    expect(db.password).toBeUndefined();
    const dataKey = g.one("aws:kms/key:Key", "keys-data");
    expect(db.kmsKeyId).toBe(dataKey.outputs?.arn);
    expect(db.performanceInsightsKmsKeyId).toBe(dataKey.outputs?.arn);
    const params = g.one("aws:rds/parameterGroup:ParameterGroup").inputs?.parameters as { name: string; value: string }[];
    expect(params).toContainEqual(expect.objectContaining({ name: "log_min_duration_statement", value: String(cfg.database.slowStatementMs) }));
    expect(db.backupRetentionPeriod).toBeGreaterThanOrEqual(stack === "prod" ? 30 : 7);
  });

  it("serves HTTPS with a modern TLS policy, redirects HTTP, drops invalid headers, logs access", async () => {
    const g = await graphOf(stack);
    const listeners = g.ofType("aws:lb/listener:Listener");
    const https = listeners.find((l) => l.inputs?.protocol === "HTTPS")!;
    // The certificate is the stack's own, for the service's DNS name, and validated before use.
    const validation = g.one("aws:acm/certificateValidation:CertificateValidation");
    expect(https.inputs).toMatchObject({ port: 443, sslPolicy: cfg.alb.sslPolicy, certificateArn: validation.outputs?.certificateArn });
    const http = listeners.find((l) => l.inputs?.protocol === "HTTP")!;
    expect((http.inputs?.defaultActions as { type: string }[]).map((a) => a.type)).toEqual(["redirect"]);
    const alb = g.one("aws:lb/loadBalancer:LoadBalancer").inputs!;
    expect(alb.dropInvalidHeaderFields).toBe(true);
    expect(alb.accessLogs).toMatchObject({ enabled: true });
    // AWS checks the log bucket's policy when access logging is turned on.
    const albDeps = g.transitiveDependencies(g.one("aws:lb/loadBalancer:LoadBalancer"));
    expect(albDeps).toContain(g.one("aws:s3/bucketPolicy:BucketPolicy", "access-logs-bucket-policy").urn);
    const tg = g.one("aws:lb/targetGroup:TargetGroup").inputs!;
    expect((tg.healthCheck as { path: string }).path).toBe("/readyz");
  });

  it("rolls back failed deployments and scales within the environment's limits", async () => {
    const g = await graphOf(stack);
    const svc = cfg.services[0]!;
    const service = g.one("aws:ecs/service:Service").inputs!;
    expect(service.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(service.waitForSteadyState).toBe(true);
    expect((service.networkConfiguration as { assignPublicIp: boolean }).assignPublicIp).toBe(false);
    const target = g.one("aws:appautoscaling/target:Target").inputs!;
    expect(target).toMatchObject({ minCapacity: svc.minCount, maxCapacity: svc.maxCount });
    const policy = g.one("aws:appautoscaling/policy:Policy").inputs!;
    expect((policy.targetTrackingScalingPolicyConfiguration as { targetValue: number }).targetValue).toBe(svc.cpuTargetPercent);
    const cluster = g.one("aws:ecs/cluster:Cluster").inputs!;
    expect(cluster.settings).toEqual([{ name: "containerInsights", value: "enhanced" }]);
  });

  it("admits only what is needed: the world reaches the ALB on 443 (and 80 to redirect), nothing else", async () => {
    const g = await graphOf(stack);
    const worldRules = g.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs?.cidrIpv4 === "0.0.0.0/0");
    expect(worldRules.map((r) => r.inputs?.fromPort).sort()).toEqual([443, 80]);
    const dbIngress = g.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs?.fromPort === 5432);
    expect(dbIngress).toHaveLength(1);
    expect(dbIngress[0]!.inputs?.referencedSecurityGroupId).toBeDefined();
    expect(dbIngress[0]!.inputs?.cidrIpv4).toBeUndefined();
  });

  it("encrypts log groups with the logs key and keeps them for the configured retention", async () => {
    const g = await graphOf(stack);
    const key = g.one("aws:kms/key:Key", "keys-logs");
    const groups = g.ofType("aws:cloudwatch/logGroup:LogGroup");
    for (const lg of groups) {
      expect(lg.inputs).toMatchObject({ kmsKeyId: key.outputs?.arn, retentionInDays: cfg.logs.retentionDays });
    }
    // The groups AWS would otherwise create itself, unencrypted and kept forever, are declared first.
    const names = groups.map((lg) => lg.inputs?.name);
    expect(names).toContain(`/aws/rds/instance/backend-release-${stack}-orders/postgresql`);
    expect(names).toContain(`/aws/ecs/containerinsights/backend-release-${stack}/performance`);
    for (const k of g.ofType("aws:kms/key:Key")) expect(k.inputs?.enableKeyRotation).toBe(true);
  });

  it("declares ECR repositories with immutable tags, scan on push and KMS", async () => {
    const g = await graphOf(stack);
    for (const repo of g.ofType("aws:ecr/repository:Repository")) {
      expect(repo.inputs).toMatchObject({ imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } });
      expect((repo.inputs?.encryptionConfigurations as { encryptionType: string }[])[0]!.encryptionType).toBe("KMS");
    }
    expect(g.ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy")).toHaveLength(cfg.services.length);
  });

  it("talks to the Datadog site of the config through one explicit provider, with secret keys", async () => {
    const g = await graphOf(stack);
    const provider = g.one("pulumi:providers:datadog", "datadog");
    expect(provider.inputs?.apiUrl).toBe(`https://api.${cfg.observability.datadogSite}/`);
    expect(JSON.stringify(provider.inputs?.apiKey)).toContain("1b47061264138c4ac30d75fd1eb44270");
    const datadogResources = g.resources.filter((r) => r.type.startsWith("datadog:"));
    expect(datadogResources.length).toBeGreaterThan(10);
    for (const r of datadogResources) expect(r.provider, r.urn).toBe(`${provider.urn}::${provider.id}`);
  });

  it("exports the service URL, image digests, database endpoint and migration task ARN", async () => {
    const { outputs } = await recordedGraph(stack);
    const name = cfg.services[0]!.name;
    expect((outputs.serviceUrls as Record<string, string>)[name]).toMatch(/^https:\/\//);
    expect((outputs.imageDigests as Record<string, string>)[name]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs.databaseEndpoint).toMatch(/\.rds\.amazonaws\.com:5432$/);
    expect(outputs.migrationTaskArn as string).toMatch(/^arn:aws:ecs:.*:task-definition\//);
  });
});

describe("staging builds, prod promotes", () => {
  it("staging builds its image from backend/Dockerfile, tagged with version and its build inputs (not the commit)", async () => {
    const g = await graphOf("staging");
    const image = g.one("docker:index/image:Image");
    expect(String((image.inputs?.build as { dockerfile: string }).dockerfile)).toMatch(/backend\/Dockerfile$/);
    expect(String(image.inputs?.imageName)).toMatch(/:v\d+\.\d+\.\d+.*-b[0-9a-f]{12}$/);
  });

  it("prod builds nothing and deploys exactly the digest promoted in its config", async () => {
    const g = await graphOf("prod");
    const cfg = loadStackConfig("prod");
    expect(g.ofType("docker:index/image:Image")).toHaveLength(0);
    const digests = cfg.images.source === "promote" ? cfg.images.digests : {};
    const container = Graph.containers(g.one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task"))[0]!;
    expect(String(container.image).endsWith(`@${digests["orders-api"]}`)).toBe(true);
    // Promotion: the approved digest copied registry to registry from staging's repository into prod's.
    const copy = g.one("command:local:Command", "orders-api-promotion");
    const source = cfg.images.source === "promote" ? cfg.images.sourceRepositoryPrefix : "";
    expect((copy.inputs?.environment as Record<string, string>).PROMOTION_SOURCE).toBe(`${source}/orders-api@${digests["orders-api"]}`);
    expect((copy.inputs?.environment as Record<string, string>).PROMOTION_TARGET).toMatch(/\/backend-release\/prod\/orders-api$/);
    expect(g.transitiveDependencies(g.one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task"))).toContain(copy.urn);
  });

  it("protects and retains prod's stateful resources, and only prod's", async () => {
    const stateful = ["aws:rds/instance:Instance", "aws:kms/key:Key", "aws:ecr/repository:Repository"];
    const prod = await graphOf("prod");
    const archive = prod.one("aws:s3/bucket:Bucket", "release-archive-bucket");
    for (const r of [...prod.ofType(...stateful), archive]) expect({ urn: r.urn, protect: r.protect, retain: r.retainOnDelete }).toEqual({ urn: r.urn, protect: true, retain: true });
    const staging = await graphOf("staging");
    for (const r of staging.ofType(...stateful)) expect(r.protect ?? false).toBe(false);
  });
});
