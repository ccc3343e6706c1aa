/**
 * The program's own graphs (staging and prod, recorded by the offline preview) through the real
 * analyzer with each stack's policy config: no mandatory violation may ship, and a deliberately
 * broken copy of each component's resources is caught.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment, DeploymentResource } from "../../infra/preview/deployment";
import { PolicyRunner } from "../../infra/policy/runner";
import { recordedGraph } from "../support/graph";

let runner: PolicyRunner;
beforeAll(async () => {
  runner = await PolicyRunner.start();
});
afterAll(async () => {
  await runner?.close();
});

describe.each(["staging", "prod"])("the %s graph", (stack) => {
  it("has no mandatory policy violation", async () => {
    const { deployment } = await recordedGraph(stack);
    const report = await runner.evaluate(deployment, { stack });
    expect(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.urn}: ${v.message}`)).toEqual([]);
    // Prod is the production tier: not even an advisory finding (staging accepts deletable databases as advisory).
    if (stack === "prod") expect(report.violations).toEqual([]);
  });
});

type Breakage = [type: string, policy: string, breakIt: (r: DeploymentResource, all: DeploymentResource[]) => void];

/** Sets input and output props alike (Analyze reads inputs, AnalyzeStack outputs). */
const set = (r: DeploymentResource, props: Record<string, unknown>): void => {
  r.inputs = { ...r.inputs, ...props };
  r.outputs = { ...r.outputs, ...props };
};

const BREAKAGES: Breakage[] = [
  ["aws:s3/bucket:Bucket", "SEC-S3-01-public-access-block", (r, all) => all.splice(all.findIndex((x) => x.type.includes("bucketPublicAccessBlock") && x.propertyDependencies?.bucket?.includes(r.urn)), 1)],
  ["aws:ecr/repository:Repository", "SEC-ECR-01-immutable-tags", (r) => set(r, { imageTagMutability: "MUTABLE" })],
  ["aws:ecs/taskDefinition:TaskDefinition", "SEC-ECS-03-not-privileged", (r) => set(r, { containerDefinitions: JSON.stringify((JSON.parse(String(r.inputs?.containerDefinitions)) as object[]).map((c) => ({ ...c, privileged: true }))) })],
  ["aws:ecs/service:Service", "DATA-MIG-01-service-after-migration", (r) => (r.dependencies = [])],
  ["aws:iam/rolePolicy:RolePolicy", "SEC-IAM-02-no-full-admin", (r) => set(r, { policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }) })],
  ["aws:kms/key:Key", "SEC-KMS-01-key-rotation", (r) => set(r, { enableKeyRotation: false })],
  ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "SEC-NET-01-world-only-443", (r) => set(r, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" })],
  ["aws:lb/loadBalancer:LoadBalancer", "SEC-ALB-03-drop-invalid-headers", (r) => set(r, { dropInvalidHeaderFields: false })],
  ["aws:lb/listener:Listener", "SEC-ALB-02-modern-tls-policy", (r) => set(r, { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08" })],
  ["aws:cloudwatch/logGroup:LogGroup", "DATA-LOG-01-retention-minimum", (r) => set(r, { retentionInDays: 1 })],
  ["aws:secretsmanager/secret:Secret", "SEC-SM-01-customer-managed-key", (r) => set(r, { kmsKeyId: undefined })],
  ["aws:rds/instance:Instance", "SEC-RDS-01-not-public", (r) => set(r, { publiclyAccessible: true })],
  ["aws:rds/instance:Instance", "DATA-RDS-01-encryption-cmk", (r) => set(r, { kmsKeyId: undefined })],
  // The port-80 group also attached to the service: port 80 of the tasks would face the internet.
  [
    "aws:ecs/service:Service",
    "SEC-NET-02-http-only-to-redirect",
    (r, all) => {
      const httpGroup = all.find((x) => x.type === "aws:ec2/securityGroup:SecurityGroup" && x.urn.endsWith("::network-alb-http"))!;
      const net = r.outputs?.networkConfiguration as { securityGroups: string[] };
      set(r, { networkConfiguration: { ...net, securityGroups: [...net.securityGroups, String(httpGroup.outputs?.id)] } });
    },
  ],
];

describe("a deliberately broken copy of each component", () => {
  it("is caught in the prod graph", async () => {
    const { deployment } = await recordedGraph("prod");
    const broken = structuredClone(deployment) as Deployment;
    const all = broken.deployment.resources;
    const expected: string[] = [];
    for (const [type, policy, breakIt] of BREAKAGES) {
      const target = all.find((r) => r.type === type);
      expect(target, `the prod graph has a ${type}`).toBeDefined();
      breakIt(target!, all);
      // Stack rules on a security group report on the ingress rule that opens it.
      const reportedOn = policy === "SEC-NET-02-http-only-to-redirect" ? all.find((x) => x.urn.endsWith("::network-alb-http-in-0"))! : target!;
      expected.push(`${policy} ${reportedOn.urn}`);
    }
    const report = await runner.evaluate(broken, { stack: "prod" });
    const found = new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy} ${v.urn}`));
    expect(expected.filter((e) => !found.has(e))).toEqual([]);
  });
});
