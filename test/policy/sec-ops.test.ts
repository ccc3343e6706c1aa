import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { albDropInvalidHeaders, albHttpRedirectOnly, albModernTls } from "../../infra/policy/sec-ops/rules/alb";
import { logGroupEncrypted, rdsNotPublic, secretCustomerKey } from "../../infra/policy/sec-ops/rules/datastores";
import { ecrImmutableTags, ecrKms, ecrScanOnPush } from "../../infra/policy/sec-ops/rules/ecr";
import { ecsAwsvpc, ecsImageDigest, ecsLogConfiguration, ecsNoPublicIp, ecsNonRootUser, ecsNoSecretEnvironment, ecsNotPrivileged, ecsReadOnlyRootFs, ecsSecretsValueFrom } from "../../infra/policy/sec-ops/rules/ecs";
import { iamNoAdminManagedPolicies, iamNoFullAdmin, iamNoResourceStar, iamNoServiceWildcard, iamNoUserPolicies } from "../../infra/policy/sec-ops/rules/iam";
import { kmsKeyRotation } from "../../infra/policy/sec-ops/rules/kms";
import { sgHttpOnlyToRedirect, sgWorldOnly443 } from "../../infra/policy/sec-ops/rules/network";
import { s3AclsDisabled, s3NoPublicPrincipal, s3PublicAccessBlock, s3SseKms, s3TlsOnly } from "../../infra/policy/sec-ops/rules/s3";
import { secOpsPolicies } from "../../infra/policy/sec-ops/rules";
import { patch, without, type ResourceCase, type StackCase } from "./cases";
import { containerDefinitions, fixtures, urnOf } from "./fixtures";
import { NOT_APPLICABLE, resourceViolations, stackViolations } from "./harness";

const docWith = (statement: Record<string, unknown>): string => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
const archiveUrn = urnOf("aws:s3/bucket:Bucket", "archive");
const logsUrn = urnOf("aws:s3/bucketV2:BucketV2", "access-logs");

const resourceCases: ResourceCase[] = [
  { policy: s3NoPublicPrincipal, fixture: "archivePolicy", mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::archive-bucket-1a2b3c/*" }) }), expected: ["Bucket policy allows Principal '*': name the account or role ARNs that need access instead."] },
  { policy: ecrImmutableTags, fixture: "repository", mutate: (p) => ({ ...p, imageTagMutability: "MUTABLE" }), expected: ["Repository image tags are mutable: set imageTagMutability to 'IMMUTABLE'."] },
  { policy: ecrScanOnPush, fixture: "repository", mutate: (p) => ({ ...p, imageScanningConfiguration: { scanOnPush: false } }), expected: ["Repository does not scan on push: set imageScanningConfiguration.scanOnPush to true."] },
  { policy: ecrKms, fixture: "repository", mutate: (p) => ({ ...p, encryptionConfigurations: [{ encryptionType: "AES256" }] }), expected: ["Repository is not KMS-encrypted: set encryptionConfigurations to [{ encryptionType: 'KMS', kmsKey: <key ARN> }]."] },
  {
    policy: ecsNoSecretEnvironment,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ environment: [{ name: "LOG_LEVEL", value: "info" }, { name: "STRIPE_API_KEY", value: "x" }, { name: "DB_URL", value: "postgres://app:hunter2@db:5432/app" }] }) }),
    expected: ["Container 'api' has secret-like environment variables STRIPE_API_KEY, DB_URL: move them to secrets[].valueFrom with a Secrets Manager ARN."],
  },
  {
    policy: ecsNoSecretEnvironment,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ environment: [{ name: "JWT_SIGNING_KEY", value: "x" }, { name: "AWS_KEY_ID", value: "AKIAABCDEFGHIJKLMNOP" }] }) }),
    expected: ["Container 'api' has secret-like environment variables JWT_SIGNING_KEY, AWS_KEY_ID: move them to secrets[].valueFrom with a Secrets Manager ARN."],
  },
  { policy: ecsSecretsValueFrom, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ secrets: [{ name: "DATABASE_PASSWORD", valueFrom: "hunter2" }] }) }), expected: ["Container 'api' secrets DATABASE_PASSWORD do not point at Secrets Manager or SSM: set valueFrom to an arn:aws:secretsmanager:… or arn:aws:ssm:…:parameter/… ARN."] },
  { policy: ecsNotPrivileged, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ privileged: true }) }), expected: ["Container 'api' is privileged: remove privileged or set it to false."] },
  { policy: ecsReadOnlyRootFs, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ readonlyRootFilesystem: false }) }), expected: ["Container 'api' has a writable root filesystem: set readonlyRootFilesystem to true (mount a volume for scratch space)."] },
  { policy: ecsNonRootUser, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ user: "0:0" }) }), expected: ["Container 'api' runs as root: set user to a non-root UID:GID such as '1000:1000'."] },
  { policy: ecsLogConfiguration, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ logConfiguration: undefined }) }), expected: ["Container 'api' has no log configuration: set logConfiguration with logDriver 'awslogs' and the service's log group."] },
  { policy: ecsNoPublicIp, fixture: "service", mutate: (p) => ({ ...p, networkConfiguration: { assignPublicIp: true, subnets: ["subnet-1"] } }), expected: ["Service assigns public IPs to its tasks: set networkConfiguration.assignPublicIp to false and reach the internet through NAT."] },
  { policy: ecsAwsvpc, fixture: "taskDefinition", mutate: (p) => ({ ...p, networkMode: "host" }), expected: ["Task definition does not use awsvpc networking: set networkMode to 'awsvpc'."] },
  { policy: ecsImageDigest, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:latest" }) }), expected: ["Container 'api' image '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:latest' is not pinned by digest: reference it as <repository>@sha256:<digest>."] },
  { policy: ecsImageDigest, fixture: "taskDefinition", mutate: (p) => p, config: { allowedRegistries: ["ghcr.io"] }, expected: ["Container 'api' image comes from '123456789012.dkr.ecr.eu-west-1.amazonaws.com': use one of ghcr.io."] },
  { policy: iamNoServiceWildcard, fixture: "rolePolicy", mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", Action: ["s3:*", "s3:GetObject"], Resource: "arn:aws:s3:::b/*" }) }), expected: ["Policy allows wildcard actions s3:*: list the specific actions the workload calls."] },
  { policy: iamNoServiceWildcard, fixture: "rolePolicy", mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", Action: ["s3:Get*"], Resource: "arn:aws:s3:::b/*" }) }), expected: ["Policy allows wildcard actions s3:Get*: list the specific actions the workload calls."] },
  { policy: iamNoServiceWildcard, fixture: "rolePolicy", mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", NotAction: ["iam:*"], Resource: "arn:aws:s3:::b/*" }) }), expected: ["Policy allows with NotAction or NotResource (everything except a list): name the actions and resources it grants instead."] },
  { policy: iamNoAdminManagedPolicies, fixture: "role", mutate: (p) => ({ ...p, managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }), expected: ["Attaches administrator policy arn:aws:iam::aws:policy/AdministratorAccess: write a policy with the actions the workload calls."] },
  { policy: iamNoFullAdmin, fixture: "role", mutate: (p) => ({ ...p, inlinePolicies: [{ name: "admin", policy: docWith({ Effect: "Allow", Action: "*", Resource: "*" }) }] }), expected: ["Policy allows every action ('*'): grant only the actions the workload calls."] },
  { policy: iamNoResourceStar, fixture: "rolePolicy", mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", Action: ["s3:GetObject", "ecr:GetAuthorizationToken"], Resource: "*" }) }), expected: ["Policy grants s3:GetObject on Resource '*': name the ARNs of the resources these actions touch."] },
  { policy: iamNoUserPolicies, fixture: "policyAttachment", mutate: (p) => ({ ...p, users: ["deploy-bot"] }), expected: ["Policy is attached to an IAM user: attach it to a role that the workload or person assumes."] },
  { policy: kmsKeyRotation, fixture: "kmsKey", mutate: (p) => ({ ...p, enableKeyRotation: false }), expected: ["KMS key does not rotate: set enableKeyRotation to true."] },
  { policy: sgWorldOnly443, fixture: "securityGroup", mutate: (p) => ({ ...p, ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] }), expected: ["Ingress tcp 22-22 is open to the internet: restrict the source to the load balancer's security group, or open only TCP 443."] },
  { policy: sgWorldOnly443, fixture: "httpIngress", mutate: (p) => p, config: { redirectPorts: [] }, expected: ["Ingress tcp 80-80 is open to the internet: restrict the source to the load balancer's security group, or open only TCP 443."] },
  { policy: sgWorldOnly443, fixture: "sgIngress", mutate: (p) => ({ ...p, ipProtocol: "-1", fromPort: undefined, toPort: undefined }), expected: ["Ingress -1 0-65535 is open to the internet: restrict the source to the load balancer's security group, or open only TCP 443."] },
  { policy: albHttpRedirectOnly, fixture: "httpListener", mutate: (p) => ({ ...p, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] }), expected: ["HTTP listener serves traffic: make its only default action a redirect with protocol 'HTTPS' and statusCode 'HTTP_301'."] },
  { policy: albModernTls, fixture: "httpsListener", mutate: (p) => ({ ...p, sslPolicy: "ELBSecurityPolicy-2016-08" }), expected: ["Listener TLS policy 'ELBSecurityPolicy-2016-08' is outdated: set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06."] },
  { policy: albDropInvalidHeaders, fixture: "loadBalancer", mutate: (p) => ({ ...p, dropInvalidHeaderFields: false }), expected: ["Load balancer forwards invalid headers: set dropInvalidHeaderFields to true."] },
  { policy: logGroupEncrypted, fixture: "logGroup", mutate: (p) => ({ ...p, kmsKeyId: undefined }), expected: ["Log group is not KMS-encrypted: set kmsKeyId to the stack's KMS key ARN."] },
  { policy: secretCustomerKey, fixture: "secret", mutate: (p) => ({ ...p, kmsKeyId: "alias/aws/secretsmanager" }), expected: ["Secret uses the AWS-managed key: set kmsKeyId to a customer-managed KMS key."] },
  { policy: rdsNotPublic, fixture: "database", mutate: (p) => ({ ...p, publiclyAccessible: true }), expected: ["Database is publicly accessible: set publiclyAccessible to false."] },
];

const httpInUrn = urnOf("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "alb-http-in");
const http80Fix = "open only TCP 443, or keep port 80 on a group used only by load balancers whose port-80 listeners redirect to HTTPS";

const stackCases: StackCase[] = [
  { label: "group of no load balancer", policy: sgHttpOnlyToRedirect, mutate: (fs) => patch(fs, "loadBalancer", { securityGroups: ["sg-1"] }), expected: [{ urn: httpInUrn, message: `Ingress TCP 80 is open to the internet on a group no load balancer uses: ${http80Fix}.` }] },
  {
    label: "group shared with a service",
    policy: sgHttpOnlyToRedirect,
    mutate: (fs) => patch(fs, "service", { networkConfiguration: { assignPublicIp: false, subnets: ["subnet-1"], securityGroups: ["sg-alb-http"] } }),
    expected: [{ urn: httpInUrn, message: `Ingress TCP 80 is open to the internet on a group also attached to 'api-service': ${http80Fix}.` }],
  },
  {
    label: "listener serving HTTP",
    policy: sgHttpOnlyToRedirect,
    mutate: (fs) => patch(fs, "httpListener", { defaultActions: [{ type: "forward", targetGroupArn: "tg" }] }),
    expected: [{ urn: httpInUrn, message: `Ingress TCP 80 is open to the internet, but listener 'api-http' of 'api-alb' on that port does not only redirect to HTTPS: ${http80Fix}.` }],
  },
  { policy: s3PublicAccessBlock, mutate: (fs) => without(fs, "archivePab"), expected: [{ urn: archiveUrn, message: "Bucket 'archive' has no BucketPublicAccessBlock: add one with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets set to true." }] },
  { label: "joined by bucket name", policy: s3PublicAccessBlock, mutate: (fs) => patch(fs, "logsPab", { blockPublicPolicy: false }), expected: [{ urn: logsUrn, message: "Bucket 'access-logs' public access block leaves blockPublicPolicy off: set it to true." }] },
  { policy: s3AclsDisabled, mutate: (fs) => patch(fs, "logsOwnership", { rule: { objectOwnership: "ObjectWriter" } }), expected: [{ urn: logsUrn, message: "Bucket 'access-logs' does not disable ACLs: add BucketOwnershipControls with rule.objectOwnership 'BucketOwnerEnforced'." }] },
  { label: "legacy acl", policy: s3AclsDisabled, mutate: (fs) => patch(fs, "archive", { acl: "public-read" }), expected: [{ urn: archiveUrn, message: "Bucket 'archive' grants access through ACLs: remove acl, grants and BucketAcl resources; use bucket policies instead." }] },
  {
    policy: s3SseKms,
    mutate: (fs) => patch(fs, "archiveSse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: false }] }),
    expected: [{ urn: archiveUrn, message: "Bucket 'archive' is not encrypted with SSE-KMS and a bucket key: add a BucketServerSideEncryptionConfiguration rule with sseAlgorithm 'aws:kms', kmsMasterKeyId and bucketKeyEnabled true." }],
  },
  {
    label: "load balancer log bucket",
    policy: s3SseKms,
    mutate: (fs) => patch(fs, "loadBalancer", { accessLogs: { bucket: "access-logs-9z8y7x", enabled: true } }),
    expected: [{ urn: logsUrn, message: "Bucket 'access-logs' receives load balancer logs but is not encrypted with SSE-S3: add a BucketServerSideEncryptionConfiguration rule with sseAlgorithm 'AES256' (ELB cannot write to SSE-KMS buckets)." }],
  },
  { policy: s3TlsOnly, mutate: (fs) => without(fs, "logsPolicy"), expected: [{ urn: logsUrn, message: "Bucket 'access-logs' accepts plain-HTTP requests: add a BucketPolicy statement that denies s3:* when aws:SecureTransport is false." }] },
];

describe("SEC-OPS rules, invoked directly", () => {
  const all = Object.values(fixtures());

  it("every rule has a rule id, description, severity and a mandatory default", () => {
    for (const p of secOpsPolicies) {
      expect(p.name).toMatch(/^SEC-[A-Z0-9]+-\d{2}-[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(10);
      expect(p.severity).toBeDefined();
      expect(p.enforcementLevel).toBe("mandatory");
    }
    const tested = new Set([...resourceCases, ...stackCases].map((c) => c.policy.name));
    expect(secOpsPolicies.map((p) => p.name).filter((n) => !tested.has(n))).toEqual([]);
  });

  it("the compliant stack passes every stack rule", async () => {
    for (const p of secOpsPolicies.filter((x): x is StackValidationPolicy => "validateStack" in x)) expect(await stackViolations(p, all), p.name).toEqual([]);
  });

  it("every compliant fixture passes every resource rule (or is not applicable)", async () => {
    for (const p of secOpsPolicies.filter((x): x is ResourceValidationPolicy => "validateResource" in x)) {
      for (const f of all) {
        const r = await resourceViolations(p, f);
        expect(r === NOT_APPLICABLE || r.length === 0, `${p.name} on ${f.name}: ${String(r)}`).toBe(true);
      }
    }
  });

  it.each(resourceCases.map((c) => [`${c.policy.name} on ${c.fixture}`, c] as const))("%s: one mutation fails with the exact message", async (_label, c) => {
    const f = fixtures()[c.fixture]!;
    expect(await resourceViolations(c.policy, f, c.config)).toEqual(c.config ? c.expected : []);
    expect(await resourceViolations(c.policy, { ...f, props: c.mutate(structuredClone(f.props)) }, c.config)).toEqual(c.expected);
  });

  it.each(stackCases.map((c) => [`${c.policy.name}${c.label ? ` (${c.label})` : ""}`, c] as const))("%s: one mutation fails with the exact message", async (_label, c) => {
    expect(await stackViolations(c.policy, Object.values(c.mutate(fixtures())), c.config)).toEqual(c.expected);
  });
});
