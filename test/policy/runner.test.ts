/**
 * End to end through the real analyzer: both packs served by @pulumi/policy in child processes,
 * driven over gRPC. One runner (two servers) for the whole file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECRET_SIG, SIG_KEY, UNKNOWN, type Deployment } from "../../infra/preview/deployment";
import { loadPolicyConfig, PolicyConfigError, PolicyRunner, toJson, toMarkdown, toSarif } from "../../infra/policy/runner";
import { containerDefinitions, fixtures, toDeployment, urnOf, type Fixture } from "./fixtures";

let runner: PolicyRunner;
beforeAll(async () => {
  runner = await PolicyRunner.start();
});
afterAll(async () => {
  await runner?.close();
});

const graph = (mutate: (fs: Record<string, Fixture>) => Record<string, Fixture> = (fs) => fs, stack?: string): Deployment => toDeployment(Object.values(mutate(fixtures())), stack);

describe("offline policy runner", () => {
  it("serves both packs and finds nothing in the compliant graph (prod config)", async () => {
    const report = await runner.evaluate(graph(), { stack: "prod" });
    expect(report.packs.map((p) => p.name)).toEqual(["backend-release-sec-ops", "backend-release-data-ops"]);
    expect(report.resourceCount).toBe(Object.keys(fixtures()).length + 1); // + the stack; the provider is not analyzed
    expect(toJson(report)).toEqual({ violations: [], summary: { mandatory: 0, advisory: 0 } });
  });

  it("reports resource and stack violations with the JSON contract", async () => {
    const broken = graph((fs) => {
      const { archivePab: _pab, ...rest } = fs;
      return { ...rest, database: { ...fs.database!, props: { ...fs.database!.props, publiclyAccessible: true } } };
    });
    const report = await runner.evaluate(broken, { stack: "prod" });
    expect(toJson(report)).toEqual({
      violations: [
        {
          policyPack: "backend-release-sec-ops",
          policy: "SEC-RDS-01-not-public",
          urn: urnOf("aws:rds/instance:Instance", "db"),
          type: "aws:rds/instance:Instance",
          enforcementLevel: "mandatory",
          severity: "critical",
          controls: ["FSBP:RDS.2", "CIS:2.3.3"],
          message: "Database 'db' is publicly accessible: set publiclyAccessible to false.",
        },
        {
          policyPack: "backend-release-sec-ops",
          policy: "SEC-S3-01-public-access-block",
          urn: urnOf("aws:s3/bucket:Bucket", "archive"),
          type: "aws:s3/bucket:Bucket",
          enforcementLevel: "mandatory",
          severity: "critical",
          controls: ["FSBP:S3.8", "CIS:2.1.4"],
          message: "Bucket 'archive' has no BucketPublicAccessBlock: add one with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets set to true.",
        },
      ],
      summary: { mandatory: 2, advisory: 0 },
    });
    expect(toMarkdown(report)).toContain("| `SEC-RDS-01-not-public` | critical | FSBP:RDS.2, CIS:2.3.3 | `aws:rds/instance:Instance::db` | Database 'db' is publicly accessible: set publiclyAccessible to false. |");
    const sarif = toSarif(report) as { version: string; runs: Array<{ tool: { driver: { rules: Array<{ id: string; helpUri?: string; properties: { tags: string[] } }> } }; results: Array<Record<string, unknown>> }> };
    expect(sarif.version).toBe("2.1.0");
    const sec = sarif.runs[0]!;
    expect(sec.tool.driver.rules.map((r) => r.id)).toContain("SEC-ECS-09-image-digest");
    const rule = sec.tool.driver.rules.find((r) => r.id === "SEC-RDS-01-not-public")!;
    expect(rule.properties.tags).toEqual(["security", "FSBP:RDS.2", "CIS:2.3.3"]);
    expect(rule.helpUri).toBe("https://docs.aws.amazon.com/securityhub/latest/userguide/rds-controls.html#rds-2");
    const org = sec.tool.driver.rules.find((r) => r.id === "SEC-ECS-10-no-execute-command")!;
    expect(org.properties.tags).toEqual(["security", "ORG"]);
    expect(org.helpUri).toBe("https://www.pulumi.com/registry/packages/aws/api-docs/ecs/service/");
    const rds = sec.results.find((r) => r.ruleId === "SEC-RDS-01-not-public")!;
    expect(rds.level).toBe("error");
    expect(rds.properties).toMatchObject({ severity: "critical", controls: ["FSBP:RDS.2", "CIS:2.3.3"] });
    expect(rds.locations).toEqual([
      {
        physicalLocation: { artifactLocation: { uri: "infra/components/fixture.ts", uriBaseId: "%SRCROOT%" }, region: { startLine: expect.any(Number), startColumn: 3 } },
        logicalLocations: [{ name: "db", fullyQualifiedName: urnOf("aws:rds/instance:Instance", "db"), kind: "resource" }],
      },
    ]);
  });

  it("applies the stack's policy config: levels and rule settings", async () => {
    const weak = graph((fs) => ({ ...fs, database: { ...fs.database!, props: { ...fs.database!.props, deletionProtection: false, multiAz: false, backupRetentionPeriod: 7 } } }), "staging");
    const staging = await runner.evaluate(weak, { stack: "staging" });
    expect(staging.violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([["DATA-RDS-02-deletion-protection", "advisory"]]);
    const prod = await runner.evaluate(weak, { stack: "prod" });
    expect(prod.violations.map((v) => [v.policy, v.enforcementLevel, v.message])).toEqual([
      ["DATA-RDS-02-deletion-protection", "mandatory", "Database 'db' can be deleted: set deletionProtection to true."],
      ["DATA-RDS-03-backup-retention", "mandatory", "Database 'db' keeps backups for 7 days: set backupRetentionPeriod to at least 30."],
      ["DATA-RDS-04-multi-az", "mandatory", "Database 'db' runs in a single availability zone: set multiAz to true."],
    ]);
    await expect(runner.evaluate(weak, { config: { "DATA-RDS-03-backup-retention": { properties: { minimumDays: "seven" } } } })).rejects.toThrow(PolicyConfigError);
  });

  it("behaves by the policy config, never by the stack's name", async () => {
    const relaxed = (stack: string): Deployment =>
      graph((fs) => ({ ...fs, service: { ...fs.service!, props: { ...fs.service!.props, enableExecuteCommand: true } }, loadBalancer: { ...fs.loadBalancer!, props: { ...fs.loadBalancer!.props, enableDeletionProtection: false } } }), stack);
    const findings = (r: { violations: Array<{ policy: string; enforcementLevel: string; message: string }> }) => r.violations.map((v) => `${v.enforcementLevel} ${v.policy}: ${v.message}`);
    const prod = await runner.evaluate(relaxed("prod"), { stack: "prod" });
    expect(prod.violations.map((v) => v.policy)).toEqual(["SEC-ALB-05-deletion-protection", "SEC-ECS-10-no-execute-command"]);
    // Another production-tier stack: prod's settings in its own file give prod's findings.
    expect(findings(await runner.evaluate(relaxed("eu-live"), { stack: "eu-live", config: loadPolicyConfig("prod") }))).toEqual(findings(prod));
    // A stack named prod with staging's settings is judged as staging.
    expect(findings(await runner.evaluate(relaxed("prod"), { stack: "prod", config: loadPolicyConfig("staging") }))).toEqual([]);
  });

  it("keeps the analyzer's unknown and secret semantics", async () => {
    const g = graph();
    const task = g.deployment.resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")!;
    task.inputs = { ...task.inputs, containerDefinitions: UNKNOWN };
    const secret = g.deployment.resources.find((r) => r.type === "aws:secretsmanager/secret:Secret")!;
    secret.inputs = { ...secret.inputs, kmsKeyId: { [SIG_KEY]: SECRET_SIG, ciphertext: "AAAA" } };
    const report = await runner.evaluate(g, { stack: "prod" });
    expect(report.summary.mandatory).toBe(0);
    const previews = report.violations.filter((v) => v.message.startsWith("can't run policy"));
    expect(previews.length).toBe(9); // the 8 rules that read containers, plus the secret's key rule
    expect(new Set(previews.map((v) => v.enforcementLevel))).toEqual(new Set(["advisory"]));
    expect(previews.map((v) => v.policy)).toContain("SEC-SM-01-customer-managed-key");
  });

  it("reuses its servers for another graph, e.g. a 'pulumi stack export' with a broken container", async () => {
    const report = await runner.evaluate(graph((fs) => ({ ...fs, taskDefinition: { ...fs.taskDefinition!, props: { ...fs.taskDefinition!.props, containerDefinitions: containerDefinitions({ user: "root" }) } } })), { stack: "prod" });
    expect(report.violations.map((v) => v.policy)).toEqual(["SEC-ECS-05-non-root-user"]);
  });

  it("without a stack's config, rules run at their strict defaults (an empty registry allow-list is a finding)", async () => {
    const report = await runner.evaluate(graph());
    expect(report.violations.map((v) => `${v.policy}: ${v.message}`)).toEqual([
      "SEC-ECS-09-image-digest: Task definition 'api-task' cannot be checked against an allow-list of registries: this stack's policy config leaves SEC-ECS-09 allowedRegistries empty; set it in infra/policy/config/<stack>.json (e.g. ['{account}.dkr.ecr.<region>.amazonaws.com']).",
    ]);
  });

  it("judges changed inputs in stack rules too: AnalyzeStack sees the planned state, not stale outputs", async () => {
    const g = graph();
    const params = g.deployment.resources.find((r) => r.type === "aws:rds/parameterGroup:ParameterGroup")!;
    params.inputs = { ...params.inputs, parameters: [{ name: "rds.force_ssl", value: "0" }] }; // outputs still say 1
    const planned = await runner.evaluate(g, { stack: "prod" });
    expect(planned.violations.map((v) => v.policy)).toEqual(["SEC-RDS-02-force-tls"]);
    const stale = await runner.evaluate(g, { stack: "prod", stackProperties: "outputs" });
    expect(stale.violations).toEqual([]);
  });
});
