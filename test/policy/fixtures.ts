/**
 * Compliant fixtures, one per resource type the packs judge (the pulumi/compliance-policies
 * pattern): each test mutates one of them and expects one rule's exact message. `compliantStack`
 * wires them into a small stack whose split S3 resources join their buckets both ways: by the
 * `bucket` property's dependency and by the literal bucket name.
 */
import type { Deployment, DeploymentResource } from "../../infra/preview/deployment";

export interface Fixture {
  type: string;
  name: string;
  props: Record<string, unknown>;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

export const STACK = "test";
export const urnOf = (type: string, name: string): string => `urn:pulumi:${STACK}::backend-release::${type}::${name}`;
export const furn = (f: Fixture): string => urnOf(f.type, f.name);

const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0000-1111";
const DIGEST = "a".repeat(64);
const LB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api/50dc6c495c0c9188";
const TASK_DEFINITION_ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:1";
const tags = (extra: Record<string, string> = {}): Record<string, string> => ({ "data-classification": "internal", owner: "team-backend", ...extra });

export const containerDefinitions = (overrides: Record<string, unknown> = {}): string =>
  JSON.stringify([
    {
      name: "api",
      image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:${DIGEST}`,
      user: "1000:1000",
      readonlyRootFilesystem: true,
      privileged: false,
      environment: [{ name: "LOG_LEVEL", value: "info" }],
      secrets: [
        { name: "DATABASE_PASSWORD", valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf" },
        { name: "FEATURE_FLAGS", valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/backend/flags" },
      ],
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/backend/api" } },
      ...overrides,
    },
  ]);

/** One compliant resource per type, keyed by a short name. */
export function fixtures(): Record<string, Fixture> {
  const archive: Fixture = { type: "aws:s3/bucket:Bucket", name: "archive", props: { id: "archive-bucket-1a2b3c", bucket: "archive-bucket-1a2b3c", objectLockEnabled: true, tags: tags({ purpose: "release-archive" }) } };
  const logs: Fixture = { type: "aws:s3/bucketV2:BucketV2", name: "access-logs", props: { id: "access-logs-9z8y7x", bucket: "access-logs-9z8y7x", tags: tags() } };
  const byDep = (kind: string, type: string, props: Record<string, unknown>): Fixture => ({ type, name: `archive-${kind}`, props: { bucket: archive.props.id, ...props }, propertyDependencies: { bucket: [furn(archive)] } });
  const byName = (kind: string, type: string, props: Record<string, unknown>): Fixture => ({ type, name: `access-logs-${kind}`, props: { bucket: logs.props.bucket, ...props } });
  const pab = { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true };
  const ownership = { rule: { objectOwnership: "BucketOwnerEnforced" } };
  const sse = { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN }, bucketKeyEnabled: true }] };
  const tlsPolicy = (bucket: string): string =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
    });
  const versioning = { versioningConfiguration: { status: "Enabled" } };
  const lifecycle = { rules: [{ id: "expire-noncurrent", status: "Enabled", noncurrentVersionExpiration: { noncurrentDays: 90 } }] };
  const migration: Fixture = { type: "command:local:Command", name: "api-migration-run", props: { create: "npm run cli -- migrate up", triggers: [`sha256:${DIGEST}`, `sha256:${"b".repeat(64)}`] } };
  return {
    archive,
    logs,
    archivePab: byDep("pab", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", pab),
    archiveOwnership: byDep("ownership", "aws:s3/bucketOwnershipControls:BucketOwnershipControls", ownership),
    archiveSse: byDep("sse", "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", sse),
    archivePolicy: byDep("policy", "aws:s3/bucketPolicy:BucketPolicy", { policy: tlsPolicy("archive-bucket-1a2b3c") }),
    archiveVersioning: byDep("versioning", "aws:s3/bucketVersioning:BucketVersioning", versioning),
    archiveLifecycle: byDep("lifecycle", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", lifecycle),
    archiveLogging: byDep("logging", "aws:s3/bucketLogging:BucketLogging", { targetBucket: logs.props.bucket, targetPrefix: "archive/" }),
    archiveLock: byDep("lock", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", { objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: 400 } } }),
    logsPab: byName("pab", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", pab),
    logsOwnership: byName("ownership", "aws:s3/bucketOwnershipControls:BucketOwnershipControls", ownership),
    logsSse: byName("sse", "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", sse),
    logsPolicy: byName("policy", "aws:s3/bucketPolicy:BucketPolicy", { policy: tlsPolicy("access-logs-9z8y7x") }),
    logsVersioning: byName("versioning", "aws:s3/bucketVersioningV2:BucketVersioningV2", versioning),
    logsLifecycle: byName("lifecycle", "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", lifecycle),
    kmsKey: { type: "aws:kms/key:Key", name: "data-key", props: { enableKeyRotation: true, deletionWindowInDays: 30 } },
    repository: {
      type: "aws:ecr/repository:Repository",
      name: "api-repo",
      props: { imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: KEY_ARN }], tags: tags() },
    },
    taskDefinition: { type: "aws:ecs/taskDefinition:TaskDefinition", name: "api-task", props: { arn: TASK_DEFINITION_ARN, family: "api", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], containerDefinitions: containerDefinitions() } },
    migration,
    service: {
      type: "aws:ecs/service:Service",
      name: "api-service",
      props: { desiredCount: 2, taskDefinition: TASK_DEFINITION_ARN, networkConfiguration: { assignPublicIp: false, subnets: ["subnet-1"], securityGroups: ["sg-1"] } },
      dependencies: [furn(migration)],
    },
    rolePolicy: {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "api-task-policy",
      props: {
        role: "api-task-role",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: "arn:aws:s3:::archive-bucket-1a2b3c/*" },
            { Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"], Resource: "*" },
          ],
        }),
      },
    },
    role: {
      type: "aws:iam/role:Role",
      name: "api-execution-role",
      props: {
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        inlinePolicies: [{ name: "secrets", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf" }] }) }],
      },
    },
    policyAttachment: { type: "aws:iam/policyAttachment:PolicyAttachment", name: "readonly-attach", props: { policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess", roles: ["auditor"] } },
    securityGroup: {
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "alb-sg",
      props: { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }, { protocol: "tcp", fromPort: 8080, toPort: 8080, securityGroups: ["sg-app"] }] },
    },
    sgRule: { type: "aws:ec2/securityGroupRule:SecurityGroupRule", name: "alb-443", props: { type: "ingress", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], securityGroupId: "sg-1" } },
    sgIngress: { type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "alb-443-v6", props: { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv6: "::/0", securityGroupId: "sg-1" } },
    httpIngress: { type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "alb-http-in", props: { ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0", securityGroupId: "sg-alb-http" } },
    loadBalancer: { type: "aws:lb/loadBalancer:LoadBalancer", name: "api-alb", props: { arn: LB_ARN, loadBalancerType: "application", internal: false, dropInvalidHeaderFields: true, securityGroups: ["sg-1", "sg-alb-http"] } },
    httpListener: { type: "aws:alb/listener:Listener", name: "api-http", props: { loadBalancerArn: LB_ARN, port: 80, protocol: "HTTP", defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] } },
    httpsListener: { type: "aws:lb/listener:Listener", name: "api-https", props: { port: 443, protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc", defaultActions: [{ type: "forward", targetGroupArn: "tg" }] } },
    logGroup: { type: "aws:cloudwatch/logGroup:LogGroup", name: "api-logs", props: { name: "/backend/api", retentionInDays: 365, kmsKeyId: KEY_ARN, tags: tags() } },
    secret: { type: "aws:secretsmanager/secret:Secret", name: "db-secret", props: { kmsKeyId: KEY_ARN, tags: tags({ "data-classification": "restricted" }) } },
    database: {
      type: "aws:rds/instance:Instance",
      name: "db",
      props: {
        engine: "postgres",
        storageEncrypted: true,
        kmsKeyId: KEY_ARN,
        deletionProtection: true,
        backupRetentionPeriod: 30,
        multiAz: true,
        copyTagsToSnapshot: true,
        publiclyAccessible: false,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: KEY_ARN,
        manageMasterUserPassword: true,
        tags: tags({ "data-classification": "confidential" }),
      },
    },
  };
}

/** A fixture set as a version-3 deployment, with inputs, outputs (inputs + id) and a stack root. */
export function toDeployment(items: Fixture[], stack = STACK): Deployment {
  const root = `urn:pulumi:${stack}::backend-release::pulumi:pulumi:Stack::backend-release-${stack}`;
  const provider = `urn:pulumi:${stack}::backend-release::pulumi:providers:aws::default_7_48_0`;
  const resources: DeploymentResource[] = [
    { urn: root, custom: false, type: "pulumi:pulumi:Stack" },
    { urn: provider, custom: true, id: "prov-id", type: "pulumi:providers:aws", inputs: { region: "eu-west-1" }, outputs: { region: "eu-west-1" } },
    ...items.map((f, i): DeploymentResource => {
      const urn = urnOf(f.type, f.name).replace(`urn:pulumi:${STACK}::`, `urn:pulumi:${stack}::`);
      const fix = (u: string): string => u.replace(`urn:pulumi:${STACK}::`, `urn:pulumi:${stack}::`);
      const r: DeploymentResource = {
        urn,
        custom: true,
        id: typeof f.props.id === "string" ? f.props.id : `${f.name}-id`,
        type: f.type,
        inputs: f.props,
        outputs: { id: `${f.name}-id`, ...f.props },
        parent: root,
        provider: `${provider}::prov-id`,
        sourcePosition: `project:///infra/components/fixture.ts#${10 + i},3`,
      };
      if (f.dependencies) r.dependencies = f.dependencies.map(fix);
      if (f.propertyDependencies) r.propertyDependencies = Object.fromEntries(Object.entries(f.propertyDependencies).map(([k, v]) => [k, v.map(fix)]));
      return r;
    }),
  ];
  return { version: 3, deployment: { manifest: { time: "2026-01-01T00:00:00Z", magic: "test", version: "v3.248.0" }, resources } };
}
