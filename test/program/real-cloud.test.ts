/**
 * Issue 15: what `pulumi up` would really do on AWS, Datadog and PagerDuty, asserted on both
 * stacks' recorded graphs (and, where the mocks cannot tell, on the code path itself).
 */
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { namespaceValues, parseStackConfig } from "../../config/load";
import { promotionProblems } from "../../config/promotion";
import { loadStackConfig, readStackFile, REPO_ROOT } from "../../config/stack-file";
import { secretsVersion, SECRETS_VERSION_ENV } from "../../infra/components/container-definition";
import { gitSha } from "../../infra/context";
import { CROSS_ACCOUNT_PULL_ACTIONS, promotionTag } from "../../infra/components/service-images";
import { urnName } from "../../infra/preview/deployment";
import { recordStack } from "../../infra/preview/record";
import { Graph, graphOf, recordedGraph } from "../support/graph";
import { configProblems, mutatedStackFile, rawNamespace } from "../support/stack-yaml";

const STACKS = ["staging", "prod"] as const;
const MONITOR = "datadog:index/monitor:Monitor";
const env = (container: Record<string, unknown>) => Object.fromEntries((container.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]));
const configIssues = configProblems;

describe("1. prod may pull what it promotes from staging's repositories", () => {
  it("each of staging's repositories lets exactly the promoting accounts pull, and nothing else", async () => {
    const g = await graphOf("staging");
    const cfg = loadStackConfig("staging");
    const pullAccounts = cfg.images.source === "build" ? cfg.images.pullAccounts : [];
    expect(pullAccounts).toEqual(JSON.parse(readStackFile("prod").config["aws:allowedAccountIds"]!));
    const policies = g.ofType("aws:ecr/repositoryPolicy:RepositoryPolicy");
    expect(policies).toHaveLength(cfg.services.length);
    for (const svc of cfg.services) {
      const repo = g.one("aws:ecr/repository:Repository", `${svc.name}-repo`);
      const policy = g.one("aws:ecr/repositoryPolicy:RepositoryPolicy", `${svc.name}-repo-pull`);
      expect(policy.inputs?.repository).toBe(repo.outputs?.name);
      expect(JSON.parse(String(policy.inputs?.policy))).toEqual({
        Version: "2012-10-17",
        Statement: [{ Sid: "PromotingAccountsPull", Effect: "Allow", Principal: { AWS: pullAccounts.map((a) => `arn:aws:iam::${a}:root`) }, Action: CROSS_ACCOUNT_PULL_ACTIONS }],
      });
    }
    // The promoting stack grants nobody anything on its own repositories.
    expect((await graphOf("prod")).ofType("aws:ecr/repositoryPolicy:RepositoryPolicy")).toEqual([]);
  });

  it("refuses a promotion whose source does not grant the promoting account pull", () => {
    expect(promotionProblems("prod", loadStackConfig("prod"))).toEqual([]);
    const root = join(mutatedStackFile("staging", (c) => ((c["backend-release:images"] as Record<string, unknown>).pullAccounts = ["999999999999"])), "..");
    copyFileSync(join(REPO_ROOT, "Pulumi.prod.yaml"), join(root, "Pulumi.prod.yaml"));
    try {
      expect(promotionProblems("prod", loadStackConfig("prod", root), root)).toEqual([
        'Pulumi.prod.yaml: stack staging does not let account 444455556666 pull its images; add "444455556666" to backend-release:images.pullAccounts in Pulumi.staging.yaml and deploy staging before promoting',
      ]);
      // A source that is no build stack of this project at all is refused too.
      const elsewhere = loadStackConfig("prod");
      if (elsewhere.images.source === "promote") elsewhere.images.sourceRepositoryPrefix = "999999999999.dkr.ecr.eu-central-1.amazonaws.com/backend-release/staging";
      expect(promotionProblems("prod", elsewhere)).toEqual([expect.stringMatching(/^Pulumi\.prod\.yaml: images\.sourceRepositoryPrefix 999999999999\.dkr\.ecr.* is not the repositories of any build stack here/)]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("2. promotion needs no Docker daemon and depends only on the approved digest", () => {
  it("copies the digest registry to registry, tagged by the digest, before any task uses it", async () => {
    const g = await graphOf("prod");
    const cfg = loadStackConfig("prod");
    if (cfg.images.source !== "promote") throw new Error("prod promotes");
    expect(g.resources.filter((r) => r.type.startsWith("docker:") || r.type === "pulumi:providers:docker")).toEqual([]);
    for (const svc of cfg.services) {
      const digest = cfg.images.digests[svc.name]!;
      const copy = g.one("command:local:Command", `${svc.name}-promotion`);
      const repo = g.one("aws:ecr/repository:Repository", `${svc.name}-repo`);
      expect(copy.inputs).toMatchObject({
        create: "node --import tsx infra/promotion/copy-image.ts",
        environment: { PROMOTION_SOURCE: `${cfg.images.sourceRepositoryPrefix}/${svc.name}@${digest}`, PROMOTION_TARGET: repo.outputs?.repositoryUrl, PROMOTION_TAG: promotionTag(digest), AWS_REGION: "eu-central-1" },
        triggers: [digest],
      });
      // Nothing about the commit: a re-run at another commit with the same digest is a no-op.
      expect(JSON.stringify(copy.inputs)).not.toContain(gitSha());
      const task = g.one("aws:ecs/taskDefinition:TaskDefinition", `${svc.name}-task`);
      expect(g.transitiveDependencies(task)).toContain(copy.urn);
      expect(String(Graph.containers(task)[0]!.image)).toBe(`${String(repo.outputs?.repositoryUrl)}@${digest}`);
    }
  });
});

describe("3. the Datadog–PagerDuty integration is a declared precondition", () => {
  it("is in every stack's config, and a stack without it fails the preview with the step to take", async () => {
    for (const stack of STACKS) expect(loadStackConfig(stack).observability.pagerdutyIntegration).toMatchObject({ activated: true });
    const observability = { ...(rawNamespace("prod").observability as Record<string, unknown>), pagerdutyIntegration: { activated: false, subdomain: "example-org" } };
    await expect(recordStack({ stack: "prod", overrides: { observability } })).rejects.toThrow(/activate the Datadog–PagerDuty integration first .*example-org\.pagerduty\.com.*pulumi config set --stack prod --path 'observability\.pagerdutyIntegration\.activated' true/s);
    const runbook = readFileSync(join(REPO_ROOT, "runbooks", "startup.md"), "utf8");
    expect(runbook.split("## Order of operations")[0]).toMatch(/Datadog–PagerDuty integration[\s\S]*pagerdutyIntegration\.activated/);
  }, 120_000);
});

describe.each(STACKS)("stack %s", (stack) => {
  const cfg = loadStackConfig(stack);

  it("6. ships every log group the monitors search to the Datadog index they query", async () => {
    const g = await graphOf(stack);
    const filters = g.ofType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter");
    const groups = g.ofType("aws:cloudwatch/logGroup:LogGroup").filter((lg) => !String(lg.inputs?.name).startsWith("/aws/ecs/containerinsights/"));
    expect(groups.map((lg) => lg.inputs?.name).sort()).toEqual([...cfg.services.map((s) => `/backend-release/${stack}/${s.name}`), `/backend-release/${stack}/orders-api-migrations`, `/aws/rds/instance/backend-release-${stack}-orders/postgresql`].sort());
    for (const lg of groups) {
      const filter = filters.find((f) => f.inputs?.logGroup === lg.outputs?.name);
      expect(filter, String(lg.inputs?.name)).toBeDefined();
      expect(filter!.inputs).toMatchObject({ destinationArn: cfg.logs.datadogForwarderArn, filterPattern: "" });
      const permission = g.get(filter!.dependencies!.find((d) => d.includes("aws:lambda/permission:Permission"))!);
      expect(permission.inputs).toMatchObject({ function: cfg.logs.datadogForwarderArn, action: "lambda:InvokeFunction", principal: "logs.eu-central-1.amazonaws.com", sourceArn: `${String(lg.outputs?.arn)}:*` });
    }
    const index = g.one("datadog:index/logsIndex:LogsIndex");
    expect(index.inputs).toMatchObject({ name: cfg.logs.datadogIndex, retentionDays: cfg.logs.datadogRetentionDays, filters: [{ query: `env:${cfg.environment}` }] });
    // The log groups carry the `service` and `env` the log monitors search by.
    expect(g.one("aws:cloudwatch/logGroup:LogGroup", "orders-api-migrations-logs").inputs?.tags).toMatchObject({ service: "orders-api-migrations", env: cfg.environment });
    const logMonitors = g.ofType(MONITOR).filter((m) => m.inputs?.type === "log alert");
    expect(logMonitors.length).toBeGreaterThan(0);
    for (const m of logMonitors) {
      expect(String(m.inputs?.query)).toContain(`.index("${cfg.logs.datadogIndex}")`);
      expect(m.dependencies).toContain(index.urn);
    }
  });

  it("7. declares no monitor on a metric its database never emits", async () => {
    const g = await graphOf(stack);
    expect(g.ofType(MONITOR).map((m) => String(m.inputs?.query))).not.toEqual(expect.arrayContaining([expect.stringContaining("replica_lag")]));
    const issues = configIssues(stack, (raw) => {
      const monitors = (raw.services as { monitoring: { monitors: Record<string, unknown> } }[])[0]!.monitoring.monitors;
      monitors.dbReplicaLag = { warning: 30, critical: 120, severity: "ticket", priority: 3, windowMinutes: 10 };
    });
    expect(issues).toEqual([expect.stringMatching(/^backend-release:services\[0\]\.monitoring\.monitors\.dbReplicaLag: dbReplicaLag watches a metric RDS emits only for read replicas and Multi-AZ DB clusters; .* remove it$/)]);
  });

  it("8. counts the load balancer's own 5xx as bad, fills sparse series with zero, delays SLO alerts", async () => {
    const g = await graphOf(stack);
    const slo = g.ofType("datadog:index/serviceLevelObjective:ServiceLevelObjective").find((s) => s.inputs?.type === "metric")!;
    const { numerator, denominator } = slo.inputs?.query as { numerator: string; denominator: string };
    expect(denominator).toContain("httpcode_elb_5xx");
    expect(numerator).toContain("httpcode_target_5xx");
    for (const q of [numerator, denominator]) for (const series of q.match(/sum:[^ )]+/g)!) expect(q).toContain(`default_zero(${series})`);
    // A full outage (no target chosen: no requests counted, only ALB 5xx) must be 0% good.
    const evaluate = (q: string, v: Record<string, number>) => Number(Function(`return ${q.replace(/default_zero\(sum:aws\.applicationelb\.(\w+)\{[^}]*\}\.as_count\(\)\)/g, (_m, metric: string) => String(v[metric] ?? 0))}`)());
    const outage = { request_count: 0, httpcode_target_5xx: 0, httpcode_elb_5xx: 500 };
    expect(evaluate(numerator, outage) / evaluate(denominator, outage)).toBe(0);
    const healthy = { request_count: 1000, httpcode_target_5xx: 10, httpcode_elb_5xx: 0 };
    expect(evaluate(numerator, healthy) / evaluate(denominator, healthy)).toBeCloseTo(0.99, 6);
    for (const m of g.ofType(MONITOR).filter((x) => x.inputs?.type === "slo alert")) expect(m.inputs?.evaluationDelay).toBe(cfg.observability.evaluationDelaySeconds);
  });

  it("9. routes every severity and every state to a declared destination, never to plain text", async () => {
    const g = await graphOf(stack);
    const channels = g.ofType("datadog:slack/channel:Channel");
    const declared = new Map(channels.map((c) => [`@slack-${String(c.inputs?.accountName)}-${String(c.inputs?.channelName).replace(/^#/, "")}`, c.urn]));
    const objects = new Map(g.ofType("datadog:pagerduty/serviceObject:ServiceObject").map((o) => [`@pagerduty-${String(o.inputs?.serviceName)}`, o.urn]));
    for (const m of g.ofType(MONITOR)) {
      const message = String(m.inputs?.message);
      const blocks = [...message.matchAll(/\{\{#(is_alert|is_warning|is_no_data|is_recovery)\}\}([\s\S]*?)\{\{\/\1\}\}/g)];
      expect(blocks.map((b) => b[1])).toEqual(expect.arrayContaining(["is_alert", "is_recovery"]));
      for (const [, state, body] of blocks) {
        const handles = [...body!.matchAll(/@[a-z]+-[A-Za-z0-9_.-]+/g)].map((h) => h[0]);
        expect(handles.length, `${String(m.inputs?.name)} ${state}`).toBeGreaterThan(0);
        for (const h of handles) {
          const target = declared.get(h) ?? objects.get(h);
          expect(target, `${h} in ${String(m.inputs?.name)}`).toBeDefined();
          expect(m.dependencies).toContain(target);
        }
      }
      expect(message).not.toMatch(/(^|[\s(])#[a-z0-9][a-z0-9_-]*/);
    }
  });

  it("10. answers on its own DNS name with a certificate for exactly that name", async () => {
    const { outputs, deployment } = await recordedGraph(stack);
    const g = new Graph(deployment);
    for (const svc of cfg.services) {
      const hostname = `${svc.name}.${cfg.alb.dns.domain}`;
      const record = g.one("aws:route53/record:Record", `${svc.name}-dns`);
      const alb = g.one("aws:lb/loadBalancer:LoadBalancer", `${svc.name}-alb`);
      expect(record.inputs).toMatchObject({ zoneId: cfg.alb.dns.hostedZoneId, name: hostname, type: "A", aliases: [{ name: alb.outputs?.dnsName, zoneId: alb.outputs?.zoneId, evaluateTargetHealth: true }] });
      const cert = g.one("aws:acm/certificate:Certificate", `${svc.name}-certificate`);
      expect(cert.inputs).toMatchObject({ domainName: hostname, validationMethod: "DNS" });
      const validationRecord = g.one("aws:route53/record:Record", `${svc.name}-certificate-validation-record`);
      const option = (cert.outputs?.domainValidationOptions as Record<string, string>[])[0]!;
      expect(validationRecord.inputs).toMatchObject({ zoneId: cfg.alb.dns.hostedZoneId, name: option.resourceRecordName, type: "CNAME", records: [option.resourceRecordValue] });
      const validation = g.one("aws:acm/certificateValidation:CertificateValidation", `${svc.name}-certificate-validation`);
      expect(validation.inputs).toMatchObject({ certificateArn: cert.outputs?.arn, validationRecordFqdns: [validationRecord.outputs?.fqdn] });
      const https = g.ofType("aws:lb/listener:Listener").find((l) => l.inputs?.protocol === "HTTPS" && urnName(l.urn) === `${svc.name}-https`)!;
      expect(https.inputs?.certificateArn).toBe(cert.outputs?.arn);
      expect(https.dependencies).toContain(validation.urn);
      expect((outputs.serviceUrls as Record<string, string>)[svc.name]).toBe(`https://${hostname}`);
    }
  });

  it("11. a new value of a runtime secret is a new task definition (its version id, never its value)", async () => {
    const g = await graphOf(stack);
    for (const svc of cfg.services) {
      const versions = g.ofType("aws:secretsmanager/secretVersion:SecretVersion").filter((v) => urnName(v.urn).startsWith(`${svc.name}-`));
      expect(versions).toHaveLength(svc.secrets.length);
      const expected = secretsVersion(svc.secrets.map((name) => ({ name, versionId: String(versions.find((v) => urnName(v.urn) === `${svc.name}-${name.toLowerCase().replace(/_/g, "-")}-value`)!.outputs?.versionId) })));
      const task = g.one("aws:ecs/taskDefinition:TaskDefinition", `${svc.name}-task`);
      expect(env(Graph.containers(task)[0]!)[SECRETS_VERSION_ENV]).toBe(expected);
      expect(secretsVersion([{ name: svc.secrets[0]!, versionId: "another-version" }])).not.toBe(expected);
    }
  });

  it("12. puts nothing commit-specific into a container (GIT_SHA, APP_VERSION)", async () => {
    const g = await graphOf(stack);
    for (const td of g.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
      const e = env(Graph.containers(td)[0]!);
      expect(e.GIT_SHA).toBeUndefined();
      expect(e.APP_VERSION).toBeUndefined();
      expect(e.IMAGE_DIGEST).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  it("13. pins the engine's major version only, with automatic minor upgrades", async () => {
    const g = await graphOf(stack);
    const db = g.one("aws:rds/instance:Instance").inputs!;
    expect(db).toMatchObject({ engine: "postgres", engineVersion: cfg.database.engineVersion, autoMinorVersionUpgrade: true });
    expect(String(db.engineVersion)).toMatch(/^\d+$/);
    expect(g.one("aws:rds/parameterGroup:ParameterGroup").inputs?.family).toBe(`postgres${cfg.database.engineVersion}`);
    expect(configIssues(stack, (raw) => ((raw.database as Record<string, unknown>).engineVersion = "16.4"))).toEqual([
      'backend-release:database.engineVersion: expected a PostgreSQL major version such as 16 (the minor is upgraded by RDS), found "16.4"',
    ]);
  });

  it("PI retention: only what RDS accepts (7, a multiple of 31 up to 713, 731)", () => {
    const with_ = (days: number) => configIssues(stack, (raw) => ((raw.database as Record<string, unknown>).performanceInsightsRetentionDays = days));
    for (const ok of [7, 31, 62, 713, 731]) expect(with_(ok), String(ok)).toEqual([]);
    for (const bad of [8, 30, 32, 90, 365, 744, 732]) expect(with_(bad), String(bad)).toEqual([`backend-release:database.performanceInsightsRetentionDays: 7, a multiple of 31 up to 713, or 731 (what RDS accepts)`]);
  });
});

describe("14. non-production stacks can be replaced and torn down again; production names never move", () => {
  it("staging: unique final snapshot per instance, delete-first replacement, no secret recovery window", async () => {
    const g = await graphOf("staging");
    const db = g.one("aws:rds/instance:Instance");
    const suffix = g.one("random:index/randomId:RandomId");
    expect(db.inputs?.identifier).toBe("backend-release-staging-orders");
    expect(db.inputs?.finalSnapshotIdentifier).toBe(`backend-release-staging-orders-final-${String(suffix.outputs?.hex)}`);
    expect(Object.keys(suffix.inputs?.keepers as object).sort()).toEqual(["dbName", "identifier", "kmsKeyId", "subnets", "username"]);
    expect(db.deleteBeforeReplace).toBe(true);
    for (const s of g.ofType("aws:secretsmanager/secret:Secret")) expect({ window: s.inputs?.recoveryWindowInDays, dbr: s.deleteBeforeReplace }).toEqual({ window: 0, dbr: true });
    expect(g.one("aws:ecs/service:Service").deleteBeforeReplace).toBe(true);
  });

  it("prod: fixed names, recovery window, no delete-first replacement", async () => {
    const g = await graphOf("prod");
    const db = g.one("aws:rds/instance:Instance");
    expect(db.inputs?.finalSnapshotIdentifier).toBe("backend-release-prod-orders-final");
    expect(db.deleteBeforeReplace).toBeUndefined();
    expect(g.ofType("random:index/randomId:RandomId")).toEqual([]);
    for (const s of g.ofType("aws:secretsmanager/secret:Secret")) expect(s.inputs?.recoveryWindowInDays).toBe(30);
    expect(g.one("aws:ecs/service:Service").deleteBeforeReplace).toBeUndefined();
  });
});

describe("Also: the operator docs say what the code does about promotion", () => {
  it("README, known limitations and Pulumi.prod.yaml agree: `pulumi up` copies the digest; the release manager writes images.digests", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const limits = readFileSync(join(REPO_ROOT, "docs", "known-limitations.md"), "utf8");
    const prod = readFileSync(join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8");
    expect(limits).not.toMatch(/copy runs in the release pipeline/);
    expect(readme).not.toMatch(/the release pipeline does this/);
    for (const text of [readme, prod]) {
      expect(text).toMatch(/registry to registry/);
      expect(text).toMatch(/release manager/);
    }
    expect((parse(prod) as { config: Record<string, unknown> }).config["backend-release:images"]).toMatchObject({ source: "promote" });
  });
});

it("namespace values of the committed files parse (sanity for the helpers above)", () => {
  for (const stack of STACKS) expect(() => parseStackConfig(namespaceValues(readStackFile(stack).config), stack)).not.toThrow();
});
