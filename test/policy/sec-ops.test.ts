/**
 * SEC-OPS rules invoked directly: every compliant fixture passes, and one mutation per rule (more
 * for rules with several classes of finding) fails with the exact message.
 */
import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { noPublicAccess, noUntrustedAccounts, noWildcardGrants, scopedServiceGrants } from "../../infra/policy/sec-ops/rules/access";
import { albAccessLogs, albDeletionProtection, albDesyncMitigation, albDropInvalidHeaders, albHttpRedirectOnly, albModernTls, albMultiAz, noClassicLoadBalancers } from "../../infra/policy/sec-ops/rules/alb";
import { logGroupEncrypted, rdsNotPublic, secretCustomerKey } from "../../infra/policy/sec-ops/rules/datastores";
import { ecrImmutableTags, ecrKms, ecrLifecyclePolicy, ecrScanOnPush } from "../../infra/policy/sec-ops/rules/ecr";
import {
  ecsAwsvpc,
  ecsContainerInsights,
  ecsEfsTransitEncryption,
  ecsFargateLatest,
  ecsImageDigest,
  ecsLogConfiguration,
  ecsNoAddedCapabilities,
  ecsNoExecuteCommand,
  ecsNoHostNamespaces,
  ecsNonRootUser,
  ecsNoPublicIp,
  ecsNoSecretEnvironment,
  ecsNotPrivileged,
  ecsReadOnlyRootFs,
  ecsSecretsValueFrom,
} from "../../infra/policy/sec-ops/rules/ecs";
import { iamNoAdminManagedPolicies, iamNoFullAdmin, iamNoResourceStar, iamNoServiceWildcard, iamNoUserPolicies, iamNoUsers } from "../../infra/policy/sec-ops/rules/iam";
import { kmsKeyRotation, kmsPolicyLockoutCheck } from "../../infra/policy/sec-ops/rules/kms";
import { defaultGroupClosed, naclAdminPorts, sgEgressToInternet, sgHttpOnlyToRedirect, sgWorldOnly443 } from "../../infra/policy/sec-ops/rules/network";
import { asRecord } from "../../infra/policy/lib/props";
import { escalationLevels, highUrgencyServices, monitorsLinkRunbook, pagingMonitorsNotify, sloBurnRateMonitors } from "../../infra/policy/sec-ops/rules/ops";
import { rdsAutoMinorUpgrade, rdsCurrentCertificate, rdsCustomAdminUsername, rdsForceTls, rdsIamAuth, rdsInVpc, rdsLogExports, rdsManagedMasterPassword, rdsSupportedEngine } from "../../infra/policy/sec-ops/rules/rds";
import { s3AclsDisabled, s3PublicAccessBlock, s3SseKms, s3TlsOnly } from "../../infra/policy/sec-ops/rules/s3";
import { secOpsPolicies } from "../../infra/policy/sec-ops/rules";
import { add, patch, without, type ResourceCase, type StackCase } from "./cases";
import { containerDefinitions, fixtures, urnOf } from "./fixtures";
import { NOT_APPLICABLE, resourceViolations, stackViolations } from "./harness";

const docWith = (...statements: Record<string, unknown>[]): string => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const archiveUrn = urnOf("aws:s3/bucket:Bucket", "archive");
const logsUrn = urnOf("aws:s3/bucketV2:BucketV2", "access-logs");
const archivePolicyUrn = urnOf("aws:s3/bucketPolicy:BucketPolicy", "archive-policy");
const logsPolicyUrn = urnOf("aws:s3/bucketPolicy:BucketPolicy", "access-logs-policy");
const logsKeyUrn = urnOf("aws:kms/key:Key", "logs-key");
const roleUrn = urnOf("aws:iam/role:Role", "api-execution-role");
const tlsDeny = (resource: unknown, extra: Record<string, unknown> = {}) => ({ Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: resource, Condition: { Bool: { "aws:SecureTransport": "false" } }, ...extra });
const getObject = (principal: unknown, condition?: Record<string, unknown>) => ({ Sid: "Read", Effect: "Allow", Principal: principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::archive-bucket-1a2b3c/*", ...(condition ? { Condition: condition } : {}) });
const archivePolicy = (...more: Record<string, unknown>[]) => (fs: Parameters<StackCase["mutate"]>[0]) => patch(fs, "archivePolicy", { policy: docWith(tlsDeny(["arn:aws:s3:::archive-bucket-1a2b3c", "arn:aws:s3:::archive-bucket-1a2b3c/*"]), ...more) });
const trust = (...statements: Record<string, unknown>[]) => (fs: Parameters<StackCase["mutate"]>[0]) => patch(fs, "role", { assumeRolePolicy: docWith(...statements) });
const worldFix443 = "remove it, or narrow it to TCP 443: a load balancer faces the internet only on HTTPS";

const resourceCases: ResourceCase[] = [
  { policy: ecrImmutableTags, fixture: "repository", mutate: (p) => ({ ...p, imageTagMutability: "MUTABLE" }), expected: ["Repository 'api-repo' image tags are mutable: set imageTagMutability to 'IMMUTABLE'."] },
  { policy: ecrImmutableTags, fixture: "repository", mutate: (p) => ({ ...p, imageTagMutability: "IMMUTABLE_WITH_EXCLUSION" }), expected: ["Repository 'api-repo' image tags are 'IMMUTABLE_WITH_EXCLUSION': set imageTagMutability to 'IMMUTABLE'."] },
  { policy: ecrScanOnPush, fixture: "repository", mutate: (p) => ({ ...p, imageScanningConfiguration: { scanOnPush: false } }), expected: ["Repository 'api-repo' does not scan on push: set imageScanningConfiguration.scanOnPush to true."] },
  {
    policy: ecrKms,
    fixture: "repository",
    mutate: (p) => ({ ...p, encryptionConfigurations: [{ encryptionType: "AES256" }] }),
    expected: ["Repository 'api-repo' is not encrypted with a customer-managed key: set encryptionConfigurations to [{ encryptionType: 'KMS', kmsKey: <the stack's KMS key ARN> }]."],
  },
  {
    policy: ecsNoSecretEnvironment,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ environment: [{ name: "LOG_LEVEL", value: "info" }, { name: "STRIPE_API_KEY", value: "x" }, { name: "DB_URL", value: "postgres://app:hunter2@db:5432/app" }] }) }),
    expected: ["Container 'api' of task definition 'api-task' has secret-like environment variables STRIPE_API_KEY, DB_URL: move them to secrets[].valueFrom with a Secrets Manager ARN."],
  },
  {
    policy: ecsNoSecretEnvironment,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ environment: [{ name: "JWT_SIGNING_KEY", value: "x" }, { name: "AWS_KEY_ID", value: "AKIAABCDEFGHIJKLMNOP" }] }) }),
    expected: ["Container 'api' of task definition 'api-task' has secret-like environment variables JWT_SIGNING_KEY, AWS_KEY_ID: move them to secrets[].valueFrom with a Secrets Manager ARN."],
  },
  {
    policy: ecsSecretsValueFrom,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ secrets: [{ name: "DATABASE_PASSWORD", valueFrom: "hunter2" }] }) }),
    expected: ["Container 'api' of task definition 'api-task' secrets DATABASE_PASSWORD do not point at Secrets Manager or SSM: set valueFrom to an arn:aws:secretsmanager:… or arn:aws:ssm:…:parameter/… ARN."],
  },
  { policy: ecsNotPrivileged, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ privileged: true }) }), expected: ["Container 'api' of task definition 'api-task' is privileged: remove privileged or set it to false."] },
  {
    policy: ecsReadOnlyRootFs,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ readonlyRootFilesystem: false }) }),
    expected: ["Container 'api' of task definition 'api-task' has a writable root filesystem: set readonlyRootFilesystem to true (mount a volume for scratch space)."],
  },
  { policy: ecsNonRootUser, fixture: "taskDefinition", mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ user: "0:0" }) }), expected: ["Container 'api' of task definition 'api-task' runs as root: set user to a non-root UID:GID such as '1000:1000'."] },
  {
    policy: ecsLogConfiguration,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ logConfiguration: undefined }) }),
    expected: ["Container 'api' of task definition 'api-task' has no log configuration: set logConfiguration with logDriver 'awslogs' and the service's log group."],
  },
  {
    policy: ecsNoPublicIp,
    fixture: "service",
    mutate: (p) => ({ ...p, networkConfiguration: { assignPublicIp: true, subnets: ["subnet-1"] } }),
    expected: ["'api-service' assigns public IPs to its tasks: set networkConfiguration.assignPublicIp to false and reach the internet through NAT."],
  },
  { policy: ecsAwsvpc, fixture: "taskDefinition", mutate: (p) => ({ ...p, networkMode: "host" }), expected: ["Task definition 'api-task' uses network mode 'host': set networkMode to 'awsvpc'."] },
  {
    policy: ecsImageDigest,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ image: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/api:latest" }) }),
    expected: ["Container 'api' of task definition 'api-task' image '123456789012.dkr.ecr.eu-central-1.amazonaws.com/api:latest' is not pinned by digest: reference it as <repository>@sha256:<digest>."],
    config: { allowedRegistries: ["{account}.dkr.ecr.eu-central-1.amazonaws.com"] },
  },
  {
    label: "a registry of another account",
    policy: ecsImageDigest,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ image: `111122223333.dkr.ecr.eu-central-1.amazonaws.com/backend/staging/api@sha256:${"a".repeat(64)}` }) }),
    expected: [
      "Container 'api' of task definition 'api-task' image comes from '111122223333.dkr.ecr.eu-central-1.amazonaws.com', which this stack does not allow: use an image from {account}.dkr.ecr.eu-central-1.amazonaws.com (promote it there by digest).",
    ],
    config: { allowedRegistries: ["{account}.dkr.ecr.eu-central-1.amazonaws.com"] },
  },
  {
    label: "Docker Hub",
    policy: ecsImageDigest,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ image: `library/nginx@sha256:${"c".repeat(64)}` }) }),
    expected: ["Container 'api' of task definition 'api-task' image comes from 'docker.io', which this stack does not allow: use an image from {account}.dkr.ecr.eu-central-1.amazonaws.com (promote it there by digest)."],
    config: { allowedRegistries: ["{account}.dkr.ecr.eu-central-1.amazonaws.com"] },
  },
  {
    label: "an empty allow-list where one is required",
    policy: ecsImageDigest,
    fixture: "taskDefinition",
    mutate: (p) => p,
    expected: [
      "Task definition 'api-task' cannot be checked against an allow-list of registries: this stack's policy config leaves SEC-ECS-09 allowedRegistries empty; set it in infra/policy/config/<stack>.json (e.g. ['{account}.dkr.ecr.<region>.amazonaws.com']).",
    ],
    config: { allowedRegistries: [], allowListRequired: true },
  },
  { policy: ecsNoExecuteCommand, fixture: "service", mutate: (p) => ({ ...p, enableExecuteCommand: true }), expected: ["Service 'api-service' enables ECS Exec: set enableExecuteCommand to false (use the runbooks' read-only diagnostics instead of a shell in production)."] },
  {
    label: "a break-glass window that has ended",
    policy: ecsNoExecuteCommand,
    fixture: "service",
    mutate: (p) => ({ ...p, enableExecuteCommand: true, tags: { ...asRecord(p.tags), "break-glass-until": "2026-01-31T18:00:00Z" } }),
    expected: ["Service 'api-service' enables ECS Exec: its break-glass window ended at 2026-01-31T18:00:00Z: switch it off (breakGlassExec: false, breakGlassUntil removed) and pulumi up."],
  },
  {
    label: "a break-glass window longer than allowed",
    policy: ecsNoExecuteCommand,
    fixture: "service",
    mutate: (p) => ({ ...p, enableExecuteCommand: true, tags: { ...asRecord(p.tags), "break-glass-until": "2999-01-01T00:00:00Z" } }),
    expected: ["Service 'api-service' enables ECS Exec: its break-glass window runs until 2999-01-01T00:00:00Z, more than 12 hours from now: set breakGlassUntil at most 12 hours ahead."],
  },
  {
    label: "a break-glass tag that is not an instant",
    policy: ecsNoExecuteCommand,
    fixture: "service",
    mutate: (p) => ({ ...p, enableExecuteCommand: true, tags: { ...asRecord(p.tags), "break-glass-until": "tomorrow" } }),
    expected: ['Service \'api-service\' enables ECS Exec: its break-glass-until tag "tomorrow" is not a UTC instant like 2026-01-31T18:00:00Z: set breakGlassUntil to one, or switch break-glass off.'],
  },
  {
    policy: ecsNoAddedCapabilities,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ linuxParameters: { capabilities: { add: ["SYS_PTRACE", "CAP_NET_ADMIN"], drop: ["ALL"] } } }) }),
    expected: ["Container 'api' of task definition 'api-task' adds Linux capabilities SYS_PTRACE, NET_ADMIN: remove linuxParameters.capabilities.add (keep drop: ['ALL'])."],
  },
  {
    label: "default capabilities kept",
    policy: ecsNoAddedCapabilities,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, containerDefinitions: containerDefinitions({ linuxParameters: { initProcessEnabled: true } }) }),
    expected: ["Container 'api' of task definition 'api-task' keeps the runtime's default Linux capabilities: set linuxParameters.capabilities.drop to ['ALL']."],
  },
  { policy: ecsNoHostNamespaces, fixture: "taskDefinition", mutate: (p) => ({ ...p, pidMode: "host" }), expected: ["Task definition 'api-task' shares the host's process namespace: remove pidMode (or set it to 'task')."] },
  { policy: ecsContainerInsights, fixture: "cluster", mutate: (p) => ({ ...p, settings: [{ name: "containerInsights", value: "disabled" }] }), expected: ["Cluster 'cluster' has Container Insights 'disabled': add settings [{ name: 'containerInsights', value: 'enhanced' }]."] },
  { policy: ecsContainerInsights, fixture: "cluster", mutate: (p) => ({ ...p, settings: [] }), expected: ["Cluster 'cluster' has Container Insights unset: add settings [{ name: 'containerInsights', value: 'enhanced' }]."] },
  { policy: ecsFargateLatest, fixture: "service", mutate: (p) => ({ ...p, platformVersion: "1.3.0" }), expected: ["'api-service' pins Fargate platform version '1.3.0': set platformVersion to 'LATEST'."] },
  {
    policy: ecsEfsTransitEncryption,
    fixture: "taskDefinition",
    mutate: (p) => ({ ...p, volumes: [{ name: "shared", efsVolumeConfiguration: { fileSystemId: "fs-1", transitEncryption: "DISABLED" } }] }),
    expected: ["Task definition 'api-task' mounts EFS volume(s) shared without in-transit encryption: set efsVolumeConfiguration.transitEncryption to 'ENABLED'."],
  },
  { policy: iamNoServiceWildcard, fixture: "rolePolicy", mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", Action: ["s3:*", "s3:GetObject"], Resource: "arn:aws:s3:::b/*" }) }), expected: ["Policy of 'api-task-policy' allows wildcard actions s3:*: list the specific actions the workload calls."] },
  { policy: iamNoServiceWildcard, fixture: "rolePolicy", mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", Action: ["s3:Get*"], Resource: "arn:aws:s3:::b/*" }) }), expected: ["Policy of 'api-task-policy' allows wildcard actions s3:Get*: list the specific actions the workload calls."] },
  {
    policy: iamNoServiceWildcard,
    fixture: "rolePolicy",
    mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", NotAction: ["iam:*"], Resource: "arn:aws:s3:::b/*" }) }),
    expected: ["Policy of 'api-task-policy' allows with NotAction or NotResource (everything except a list): name the actions and resources it grants instead."],
  },
  {
    policy: iamNoAdminManagedPolicies,
    fixture: "role",
    mutate: (p) => ({ ...p, managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }),
    expected: ["'api-execution-role' attaches arn:aws:iam::aws:policy/AdministratorAccess, which grants administrator rights over the account: write a policy with the actions the workload calls."],
  },
  {
    policy: iamNoAdminManagedPolicies,
    fixture: "policyAttachment",
    mutate: (p) => ({ ...p, policyArn: "arn:aws:iam::aws:policy/AWSCloudShellFullAccess" }),
    expected: ["'readonly-attach' attaches arn:aws:iam::aws:policy/AWSCloudShellFullAccess, which grants every action of a service: write a policy with the actions the workload calls."],
  },
  { policy: iamNoFullAdmin, fixture: "role", mutate: (p) => ({ ...p, inlinePolicies: [{ name: "admin", policy: docWith({ Effect: "Allow", Action: "*", Resource: "*" }) }] }), expected: ["Policy of 'api-execution-role' allows every action ('*'): grant only the actions the workload calls."] },
  {
    policy: iamNoResourceStar,
    fixture: "rolePolicy",
    mutate: (p) => ({ ...p, policy: docWith({ Effect: "Allow", Action: ["kms:Decrypt", "ecr:GetAuthorizationToken"], Resource: "*" }) }),
    expected: ["Policy of 'api-task-policy' grants kms:Decrypt on Resource '*': name the ARNs of the resources these actions touch."],
  },
  {
    label: "every secret of the account",
    policy: iamNoResourceStar,
    fixture: "role",
    mutate: (p) => ({ ...p, inlinePolicies: [{ name: "secrets", policy: docWith({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:*" }) }] }),
    expected: ["Policy of 'api-execution-role' grants secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-central-1:123456789012:secret:*, every resource of its kind: name the ARNs of the resources these actions touch."],
  },
  { policy: iamNoUserPolicies, fixture: "policyAttachment", mutate: (p) => ({ ...p, users: ["deploy-bot"] }), expected: ["'readonly-attach' attaches a policy to an IAM user: attach it to a role that the workload or person assumes."] },
  { policy: kmsKeyRotation, fixture: "kmsKey", mutate: (p) => ({ ...p, enableKeyRotation: false }), expected: ["KMS key 'data-key' does not rotate: set enableKeyRotation to true."] },
  { label: "a slow rotation period", policy: kmsKeyRotation, fixture: "kmsKey", mutate: (p) => ({ ...p, rotationPeriodInDays: 2560 }), expected: ["KMS key 'data-key' rotates only every 2560 days: set rotationPeriodInDays to at most 365."] },
  { policy: kmsPolicyLockoutCheck, fixture: "kmsKey", mutate: (p) => ({ ...p, bypassPolicyLockoutSafetyCheck: true }), expected: ["'data-key' bypasses the KMS key policy lockout safety check: remove bypassPolicyLockoutSafetyCheck (or set it to false)."] },
  {
    policy: sgEgressToInternet,
    fixture: "tasksEgress",
    mutate: (p) => ({ ...p, ipProtocol: "-1", fromPort: undefined, toPort: undefined }),
    expected: ["Egress all traffic to 0.0.0.0/0 from 'tasks-https-out' reaches the whole internet: allow only TCP 443 to 0.0.0.0/0, and reach anything else through its security group (referencedSecurityGroupId)."],
  },
  {
    policy: sgEgressToInternet,
    fixture: "securityGroup",
    mutate: (p) => ({ ...p, egress: [{ protocol: "6", fromPort: 5432, toPort: 5432, ipv6CidrBlocks: ["::/0"] }] }),
    expected: ["Egress TCP 5432 to ::/0 from 'alb-sg' reaches the whole internet: allow only TCP 443 to ::/0, and reach anything else through its security group (referencedSecurityGroupId)."],
  },
  { policy: albHttpRedirectOnly, fixture: "httpListener", mutate: (p) => ({ ...p, defaultActions: [{ type: "forward", targetGroupArn: "tg" }] }), expected: ["HTTP listener 'api-http' serves traffic in plain text: make its only default action a redirect with protocol 'HTTPS' and statusCode 'HTTP_301'."] },
  { policy: albModernTls, fixture: "httpsListener", mutate: (p) => ({ ...p, sslPolicy: "ELBSecurityPolicy-2016-08" }), expected: ["Listener 'api-https' TLS policy 'ELBSecurityPolicy-2016-08' is outdated: set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06."] },
  { policy: albDropInvalidHeaders, fixture: "loadBalancer", mutate: (p) => ({ ...p, dropInvalidHeaderFields: false }), expected: ["Load balancer 'api-alb' forwards invalid headers: set dropInvalidHeaderFields to true."] },
  {
    policy: albAccessLogs,
    fixture: "loadBalancer",
    mutate: (p) => ({ ...p, accessLogs: { bucket: "access-logs-9z8y7x", enabled: false } }),
    expected: ["Load balancer 'api-alb' writes no access logs: set accessLogs to { bucket: <the stack's access-log bucket>, prefix: 'alb/<service>', enabled: true }."],
  },
  { policy: albDeletionProtection, fixture: "loadBalancer", mutate: (p) => ({ ...p, enableDeletionProtection: false }), expected: ["Load balancer 'api-alb' can be deleted by anyone with the API call: set enableDeletionProtection to true."] },
  { policy: albDesyncMitigation, fixture: "loadBalancer", mutate: (p) => ({ ...p, desyncMitigationMode: "monitor" }), expected: ["Load balancer 'api-alb' desync mitigation is 'monitor': set desyncMitigationMode to 'strictest' (or 'defensive')."] },
  { policy: albMultiAz, fixture: "loadBalancer", mutate: (p) => ({ ...p, subnets: ["subnet-a"] }), expected: ["Load balancer 'api-alb' is in 1 subnet(s): list subnets in at least two Availability Zones."] },
  { policy: logGroupEncrypted, fixture: "logGroup", mutate: (p) => ({ ...p, kmsKeyId: undefined }), expected: ["Log group 'api-logs' is not KMS-encrypted: set kmsKeyId to the stack's logs KMS key ARN."] },
  { policy: secretCustomerKey, fixture: "secret", mutate: (p) => ({ ...p, kmsKeyId: "alias/aws/secretsmanager" }), expected: ["Secret 'db-secret' uses the AWS-managed key: set kmsKeyId to a customer-managed KMS key."] },
  { policy: rdsNotPublic, fixture: "database", mutate: (p) => ({ ...p, publiclyAccessible: true }), expected: ["Database 'db' is publicly accessible: set publiclyAccessible to false."] },
  {
    policy: rdsManagedMasterPassword,
    fixture: "database",
    mutate: (p) => ({ ...p, manageMasterUserPassword: false, password: "hunter2hunter2" }),
    expected: ["Database 'db' sets its master password itself (password): remove password and set manageMasterUserPassword to true (RDS keeps it in Secrets Manager and rotates it)."],
  },
  { policy: rdsIamAuth, fixture: "database", mutate: (p) => ({ ...p, iamDatabaseAuthenticationEnabled: false }), expected: ["Database 'db' has IAM authentication off: set iamDatabaseAuthenticationEnabled to true."] },
  {
    policy: rdsCustomAdminUsername,
    fixture: "database",
    mutate: (p) => ({ ...p, username: "postgres" }),
    expected: ["Database 'db' master user is 'postgres', a default name every scanner tries: set username to a name of your own (e.g. '<service>_admin')."],
  },
  {
    policy: rdsInVpc,
    fixture: "database",
    mutate: (p) => ({ ...p, dbSubnetGroupName: undefined }),
    expected: ["Database 'db' has no DB subnet group (it would land in the default VPC): set dbSubnetGroupName to a subnet group of the stack's private subnets."],
  },
  {
    policy: rdsSupportedEngine,
    fixture: "database",
    mutate: (p) => ({ ...p, engineVersion: "12.22" }),
    expected: ["Database 'db' runs postgres 12.22, whose major version 12 left RDS standard support on 2025-02-28: upgrade engineVersion to a supported major version (and its parameter group family with it)."],
    config: { asOf: "2026-12-01" },
  },
  { policy: rdsAutoMinorUpgrade, fixture: "database", mutate: (p) => ({ ...p, autoMinorVersionUpgrade: false }), expected: ["Database 'db' does not take minor version upgrades: set autoMinorVersionUpgrade to true."] },
  { policy: rdsLogExports, fixture: "database", mutate: (p) => ({ ...p, enabledCloudwatchLogsExports: [] }), expected: ["Database 'db' does not export its postgresql log(s) to CloudWatch Logs: add 'postgresql' to enabledCloudwatchLogsExports."] },
  {
    policy: rdsCurrentCertificate,
    fixture: "database",
    mutate: (p) => ({ ...p, caCertIdentifier: "rds-ca-2019" }),
    expected: ["Database 'db' uses the expired certificate authority 'rds-ca-2019': set caCertIdentifier to 'rds-ca-rsa2048-g1' (or remove it for the current default)."],
  },
  {
    policy: monitorsLinkRunbook,
    fixture: "pagingMonitor",
    mutate: (p) => ({ ...p, message: "CRITICAL: 5xx error rate is {{value}} %.\n@pagerduty-api-test" }),
    expected: ["Monitor 'api-errorRate-monitor' has no runbook link: add 'Runbook: <runbookBaseUrl>/alerts.md#<alert>' to its message."],
  },
  {
    policy: escalationLevels,
    fixture: "escalation",
    mutate: (p) => ({ ...p, rules: [{ escalationDelayInMinutes: 15, targets: [{ type: "schedule_reference", id: "PRIMARY" }] }] }),
    expected: ["Escalation policy 'oncall-escalation' has 1 level(s): add rules until it has at least 2 (primary, secondary, team lead), so a page the first responder misses reaches someone."],
  },
  {
    policy: highUrgencyServices,
    fixture: "pagerdutyService",
    mutate: (p) => ({ ...p, incidentUrgencyRule: { type: "constant", urgency: "low" } }),
    expected: ["PagerDuty service 'oncall-api' does not always page at high urgency: set incidentUrgencyRule to { type: 'constant', urgency: 'high' }."],
  },
];

const httpInUrn = urnOf("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "alb-http-in");
const http80Fix = "open only TCP 443, or keep port 80 on a group used only by load balancers whose port-80 listeners redirect to HTTPS";

const stackCases: StackCase[] = [
  {
    policy: sgWorldOnly443,
    mutate: (fs) => patch(fs, "sgRule", { fromPort: 22, toPort: 22 }),
    expected: [{ urn: urnOf("aws:ec2/securityGroupRule:SecurityGroupRule", "alb-443"), message: `Ingress TCP 22 from 0.0.0.0/0 on security group 'sg-1' is open to the internet: ${worldFix443}.` }],
  },
  {
    label: "protocol -1 over IPv6",
    policy: sgWorldOnly443,
    mutate: (fs) => patch(fs, "sgIngress", { ipProtocol: "-1", fromPort: undefined, toPort: undefined }),
    expected: [{ urn: urnOf("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "alb-443-v6"), message: `Ingress all traffic from ::/0 on security group 'sg-1' is open to the internet: ${worldFix443}.` }],
  },
  {
    label: "a database's group",
    policy: sgWorldOnly443,
    mutate: (fs) => add(patch(fs, "database", { vpcSecurityGroupIds: ["sg-db"] }), { type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name: "db-in", props: { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0", securityGroupId: "sg-db" } }),
    expected: [
      {
        urn: urnOf("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-in"),
        message: "Ingress TCP 5432 from 0.0.0.0/0 on security group 'sg-db' is open to the internet: remove it: 'db' is a data store, so admit only its clients' security groups (referencedSecurityGroupId, e.g. the tasks' group).",
      },
    ],
  },
  {
    label: "the tasks' group, even on 443",
    policy: sgWorldOnly443,
    mutate: (fs) => add(fs, { type: "aws:ec2/securityGroup:SecurityGroup", name: "tasks-sg", props: { id: "sg-tasks", ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] } }),
    expected: [
      {
        urn: urnOf("aws:ec2/securityGroup:SecurityGroup", "tasks-sg"),
        message: "Ingress TCP 443 from 0.0.0.0/0 on security group 'tasks-sg' is open to the internet: remove it: 'api-service' takes traffic only through its load balancer, so admit the load balancer's security group (referencedSecurityGroupId).",
      },
    ],
  },
  {
    label: "port 80 when redirects are not configured",
    policy: sgWorldOnly443,
    config: { redirectPorts: [] },
    mutate: (fs) => fs,
    expected: [{ urn: httpInUrn, message: `Ingress TCP 80 from 0.0.0.0/0 on security group 'sg-alb-http' is open to the internet: ${worldFix443}.` }],
  },
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
    mutate: (fs) => patch(fs, "archiveSse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }] }),
    expected: [{ urn: archiveUrn, message: "Bucket 'archive' is not encrypted with SSE-KMS and a bucket key: add a BucketServerSideEncryptionConfiguration rule with sseAlgorithm 'aws:kms', kmsMasterKeyId and bucketKeyEnabled true." }],
  },
  {
    label: "load balancer log bucket",
    policy: s3SseKms,
    mutate: (fs) => patch(fs, "logsSse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "k" }, bucketKeyEnabled: true }] }),
    expected: [{ urn: logsUrn, message: "Bucket 'access-logs' receives load balancer logs but is not encrypted with SSE-S3: add a BucketServerSideEncryptionConfiguration rule with sseAlgorithm 'AES256' (ELB cannot write to SSE-KMS buckets)." }],
  },
  {
    // A load balancer that stops logging leaves a log bucket, not "a bucket without SSE-KMS".
    label: "log bucket of a load balancer that stopped logging",
    policy: s3SseKms,
    mutate: (fs) => patch(fs, "loadBalancer", { accessLogs: { bucket: "access-logs-9z8y7x", enabled: false } }),
    expected: [],
  },
  { policy: s3TlsOnly, mutate: (fs) => without(fs, "logsPolicy"), expected: [{ urn: logsUrn, message: "Bucket 'access-logs' accepts plain-HTTP requests: add a BucketPolicy statement that denies s3:* on the bucket and its objects when aws:SecureTransport is false." }] },
  {
    label: "a deny that leaves out the objects",
    policy: s3TlsOnly,
    mutate: (fs) => patch(fs, "archivePolicy", { policy: docWith(tlsDeny("arn:aws:s3:::archive-bucket-1a2b3c")) }),
    expected: [{ urn: archiveUrn, message: "Bucket 'archive' TLS-only deny (statement DenyInsecureTransport) leaves out the objects: add 'arn:aws:s3:::archive-bucket-1a2b3c/*' to its Resource." }],
  },
  {
    label: "a deny of one action",
    policy: s3TlsOnly,
    mutate: (fs) => patch(fs, "archivePolicy", { policy: docWith(tlsDeny(["arn:aws:s3:::archive-bucket-1a2b3c", "arn:aws:s3:::archive-bucket-1a2b3c/*"], { Action: "s3:GetObject" })) }),
    expected: [{ urn: archiveUrn, message: "Bucket 'archive' TLS-only deny (statement DenyInsecureTransport) denies only s3:GetObject: set Action to 's3:*'." }],
  },
  {
    policy: noPublicAccess,
    mutate: archivePolicy(getObject({ AWS: "*" })),
    expected: [{ urn: archivePolicyUrn, message: "Bucket policy 'archive-policy' (statement Read) lets anyone call s3:GetObject through Principal {AWS: '*'}: name the principals, or add a condition that pins them (aws:PrincipalOrgID, aws:SourceAccount or aws:SourceArn)." }],
  },
  {
    label: "a KMS key policy with NotPrincipal",
    policy: noPublicAccess,
    mutate: (fs) => patch(fs, "kmsKey", { policy: docWith({ Sid: "Everyone", Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::123456789012:role/x" }, Action: "kms:Decrypt", Resource: "*" }) }),
    expected: [
      {
        urn: urnOf("aws:kms/key:Key", "data-key"),
        message: "KMS key 'data-key' (statement Everyone) lets anyone call kms:Decrypt through NotPrincipal (everyone except a list): name the principals, or add a condition that pins them (aws:PrincipalOrgID, aws:SourceAccount or aws:SourceArn).",
      },
    ],
  },
  {
    label: "a trust policy",
    policy: noPublicAccess,
    mutate: trust({ Sid: "Anyone", Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }),
    expected: [{ urn: roleUrn, message: "Role trust policy 'api-execution-role' (statement Anyone) lets anyone assume the role through Principal '*': name the principals, or add a condition that pins them (aws:PrincipalOrgID, aws:SourceAccount or aws:SourceArn)." }],
  },
  {
    label: "OIDC trust without a subject",
    policy: noPublicAccess,
    mutate: trust({
      Sid: "GitHub",
      Effect: "Allow",
      Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" } },
    }),
    expected: [
      {
        urn: roleUrn,
        message:
          "Role trust policy 'api-execution-role' (statement GitHub) lets any identity of arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com assume the role: add a StringEquals/StringLike condition on token.actions.githubusercontent.com:sub naming the exact subjects (e.g. repo:<org>/<repo>:ref:refs/heads/main).",
      },
    ],
  },
  {
    label: "a Lambda permission for anyone",
    policy: noPublicAccess,
    mutate: (fs) => add(fs, { type: "aws:lambda/permission:Permission", name: "invoke-any", props: { action: "lambda:InvokeFunction", function: "fn", principal: "*" } }),
    expected: [
      {
        urn: urnOf("aws:lambda/permission:Permission", "invoke-any"),
        message: "Lambda permission 'invoke-any' (statement permission) lets anyone call lambda:InvokeFunction through Principal '*': name the principals, or add a condition that pins them (aws:PrincipalOrgID, aws:SourceAccount or aws:SourceArn).",
      },
    ],
  },
  {
    policy: noUntrustedAccounts,
    mutate: archivePolicy(getObject({ AWS: "arn:aws:iam::999988887777:root" })),
    expected: [
      {
        urn: archivePolicyUrn,
        message:
          "Bucket policy 'archive-policy' (statement Read) grants s3:GetObject to account 999988887777, which this stack neither owns nor trusts: remove the grant, or list the account under trustedAccounts of SEC-RES-02 in the stack's policy config if it is one you trust.",
      },
    ],
  },
  {
    label: "a trust policy of another account",
    policy: noUntrustedAccounts,
    mutate: trust({ Sid: "Partner", Effect: "Allow", Principal: { AWS: "999988887777" }, Action: "sts:AssumeRole" }),
    expected: [
      {
        urn: roleUrn,
        message:
          "Role trust policy 'api-execution-role' (statement Partner) lets account 999988887777 assume the role, which this stack neither owns nor trusts: remove the grant, or list the account under trustedAccounts of SEC-RES-02 in the stack's policy config if it is one you trust.",
      },
    ],
  },
  {
    label: "ELB's log-delivery account beyond writing logs",
    policy: noUntrustedAccounts,
    mutate: (fs) => patch(fs, "logsPolicy", { policy: docWith({ Sid: "AlbLogDelivery", Effect: "Allow", Principal: { AWS: "arn:aws:iam::054676820928:root" }, Action: ["s3:PutObject", "s3:GetObject"], Resource: "arn:aws:s3:::access-logs-9z8y7x/*" }) }),
    expected: [
      {
        urn: logsPolicyUrn,
        message:
          "Bucket policy 'access-logs-policy' (statement AlbLogDelivery) grants s3:PutObject, s3:GetObject to account 054676820928, which this stack neither owns nor trusts: remove the grant, or list the account under trustedAccounts of SEC-RES-02 in the stack's policy config if it is one you trust.",
      },
    ],
  },
  {
    policy: noWildcardGrants,
    mutate: archivePolicy({ Sid: "Ops", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/ops" }, Action: "s3:*", Resource: "arn:aws:s3:::archive-bucket-1a2b3c/*" }),
    expected: [{ urn: archivePolicyUrn, message: "Bucket policy 'archive-policy' (statement Ops) grants wildcard action(s) s3:*: list the actions the principal needs instead." }],
  },
  {
    label: "kms:* to a role, not the account root",
    policy: noWildcardGrants,
    mutate: (fs) => patch(fs, "kmsKey", { policy: docWith({ Sid: "App", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:role/app" }, Action: "kms:*", Resource: "*" }) }),
    expected: [{ urn: urnOf("aws:kms/key:Key", "data-key"), message: "KMS key 'data-key' (statement App) grants wildcard action(s) kms:*: list the actions the principal needs instead." }],
  },
  {
    policy: scopedServiceGrants,
    mutate: (fs) => {
      const policy = JSON.parse(String(fs.logsKey!.props.policy)) as { Statement: Array<Record<string, unknown>> };
      delete policy.Statement[1]!.Condition;
      return patch(fs, "logsKey", { policy: JSON.stringify(policy) });
    },
    expected: [
      {
        urn: logsKeyUrn,
        message:
          "KMS key 'logs-key' (statement CloudWatchLogs) lets logs.eu-central-1.amazonaws.com call kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe* on behalf of any account: add Condition StringEquals aws:SourceAccount 123456789012 (or ArnLike aws:SourceArn of the resource that calls it, or the service's kms:EncryptionContext).",
      },
    ],
  },
  {
    policy: ecrLifecyclePolicy,
    mutate: (fs) => without(fs, "repositoryLifecycle"),
    expected: [{ urn: urnOf("aws:ecr/repository:Repository", "api-repo"), message: "Repository 'api-repo' has no lifecycle policy: declare an aws.ecr.LifecyclePolicy for it that expires untagged images and keeps the release history." }],
  },
  {
    policy: rdsForceTls,
    mutate: (fs) => patch(fs, "dbParams", { parameters: [{ name: "rds.force_ssl", value: "0" }] }),
    expected: [{ urn: urnOf("aws:rds/parameterGroup:ParameterGroup", "db-params"), message: "Database 'db' accepts connections without TLS: parameter group 'db-params' sets rds.force_ssl=0; set rds.force_ssl to 1." }],
  },
  {
    label: "the default parameter group",
    policy: rdsForceTls,
    mutate: (fs) => patch(fs, "database", { parameterGroupName: undefined }),
    expected: [
      {
        urn: urnOf("aws:rds/instance:Instance", "db"),
        message: "Database 'db' uses the default parameter group, which cannot be changed to force TLS: declare an aws.rds.ParameterGroup with rds.force_ssl=1 and set parameterGroupName to it.",
      },
    ],
  },
  {
    policy: pagingMonitorsNotify,
    mutate: (fs) => patch(fs, "pagingMonitor", { message: "{{#is_alert}}\nCRITICAL: 5xx error rate is {{value}} %.\n{{/is_alert}}\nRunbook: https://github.com/example-org/backend-release/blob/main/runbooks/alerts.md#error-rate" }),
    expected: [{ urn: urnOf("datadog:index/monitor:Monitor", "api-errorRate-monitor"), message: "Monitor 'api-errorRate-monitor' pages (tag severity:page) but notifies nobody: add the on-call handle (e.g. @pagerduty-<service>) to its message." }],
  },
  {
    label: "a ticket monitor that tells no one",
    policy: pagingMonitorsNotify,
    mutate: (fs) => patch(fs, "burn48h", { message: "The availability SLO burns its budget.\nRunbook: https://github.com/example-org/backend-release/blob/main/runbooks/alerts.md#slo-burn-rate" }),
    expected: [{ urn: urnOf("datadog:index/monitor:Monitor", "api-availability-burn-48h-monitor"), message: "Monitor 'api-availability-burn-48h-monitor' notifies nobody: add the owning team's channel handle (e.g. @slack-<workspace>-<channel>) to its message." }],
  },
  {
    label: "a handle to an undeclared PagerDuty service",
    policy: pagingMonitorsNotify,
    mutate: (fs) => patch(fs, "pagingMonitor", { message: "CRITICAL.\n@pagerduty-api-tset\nRunbook: https://example.org/runbooks/alerts.md" }),
    expected: [
      {
        urn: urnOf("datadog:index/monitor:Monitor", "api-errorRate-monitor"),
        message: "Monitor 'api-errorRate-monitor' pages @pagerduty-api-tset, but the stack declares no Datadog PagerDuty service object of that name (api-test): use @pagerduty-<serviceName> of one of them.",
      },
    ],
  },
  {
    policy: sloBurnRateMonitors,
    mutate: (fs) => without(fs, "burn1h", "burn6h", "burn48h"),
    expected: [
      {
        urn: urnOf("datadog:index/serviceLevelObjective:ServiceLevelObjective", "api-availability-slo"),
        message:
          "SLO 'api-availability-slo' has no burn-rate monitor, so nobody learns that its error budget burns: add a datadog.Monitor of type 'slo alert' with query burn_rate(\"<SLO id>\").over(\"<timeframe>\").long_window(...).short_window(...) > <rate> for the 1h and 6h windows.",
      },
    ],
  },
  {
    label: "one window removed",
    policy: sloBurnRateMonitors,
    config: { longWindows: ["1h", "6h", "48h"] },
    mutate: (fs) => without(fs, "burn48h"),
    expected: [
      {
        urn: urnOf("datadog:index/serviceLevelObjective:ServiceLevelObjective", "api-availability-slo"),
        message: "SLO 'api-availability-slo' has no burn-rate monitor over the 48h window(s): add a datadog.Monitor of type 'slo alert' with query burn_rate(\"<SLO id>\").over(\"<timeframe>\").long_window(...).short_window(...) > <rate> for each.",
      },
    ],
  },
];

/** Rules with their own test below (a fixture of a type the compliant stack does not declare). */
const testedApart = [noClassicLoadBalancers, defaultGroupClosed, naclAdminPorts, iamNoUsers].map((p) => p.name);
const tested = new Set([...resourceCases, ...stackCases].map((c) => c.policy.name).concat(testedApart));

describe("SEC-OPS rules, invoked directly", () => {
  const all = Object.values(fixtures());

  it("every rule has a rule id, description, severity, controls, a help URL and a mandatory default", () => {
    for (const p of secOpsPolicies) {
      expect(p.name).toMatch(/^(SEC|OPS)-[A-Z0-9]+-\d{2}-[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(10);
      expect(p.severity).toBeDefined();
      expect(p.tags?.length, p.name).toBeGreaterThan(0);
      expect(p.tags!.every((t) => /^(FSBP:[A-Za-z0-9]+\.\d+|CIS:\d+(\.\d+)+|ORG)$/.test(t)), `${p.name}: ${String(p.tags)}`).toBe(true);
      expect(p.url, p.name).toMatch(/^https:\/\//);
      expect(p.enforcementLevel).toBe("mandatory");
    }
    expect(secOpsPolicies.map((p) => p.name).filter((n) => !tested.has(n))).toEqual([]);
  });

  it("the compliant stack passes every stack rule", async () => {
    for (const p of secOpsPolicies.filter((x): x is StackValidationPolicy => "validateStack" in x)) expect(await stackViolations(p, all), p.name).toEqual([]);
  });

  it("every compliant fixture passes every resource rule (or is not applicable)", async () => {
    for (const p of secOpsPolicies.filter((x): x is ResourceValidationPolicy => "validateResource" in x)) {
      for (const f of all) {
        const r = await resourceViolations(p, f, p === ecsImageDigest ? { allowedRegistries: ["{account}.dkr.ecr.eu-central-1.amazonaws.com"] } : {});
        expect(r === NOT_APPLICABLE || r.length === 0, `${p.name} on ${f.name}: ${String(r)}`).toBe(true);
      }
    }
  });

  it("a Classic Load Balancer is refused", async () => {
    expect(await resourceViolations(noClassicLoadBalancers, { type: "aws:elb/loadBalancer:LoadBalancer", name: "legacy", props: { listeners: [] } })).toEqual([
      "Classic Load Balancer 'legacy' is not allowed: declare an aws.lb.LoadBalancer (application) with an HTTPS listener instead.",
    ]);
  });

  it("the default security group and network ACLs admit nothing from the internet on admin ports", async () => {
    expect(await resourceViolations(defaultGroupClosed, { type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", name: "default", props: { vpcId: "vpc-1", ingress: [], egress: [] } })).toEqual([]);
    expect(await resourceViolations(defaultGroupClosed, { type: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", name: "default", props: { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }] } })).toEqual([
      "Default security group 'default' has ingress all traffic: set ingress and egress to [] and give every resource its own group.",
    ]);
    const acl = { type: "aws:ec2/networkAclRule:NetworkAclRule", name: "ssh-in", props: { networkAclId: "acl-1", ruleNumber: 100, egress: false, protocol: "6", ruleAction: "allow", cidrBlock: "0.0.0.0/0", fromPort: 0, toPort: 1024 } };
    expect(await resourceViolations(naclAdminPorts, acl)).toEqual(["Network ACL 'ssh-in' allows TCP 0-1024 from 0.0.0.0/0, which includes remote administration port(s) 22: deny TCP 22 from 0.0.0.0/0 (or narrow the allow entry)."]);
    expect(await resourceViolations(naclAdminPorts, { ...acl, props: { ...acl.props, fromPort: 443, toPort: 443 } })).toEqual([]);
  });

  it("ECS Exec inside a declared break-glass window passes where it is otherwise forbidden", async () => {
    const f = fixtures().service!;
    const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const withWindow = (until: string) => ({ ...f, props: { ...f.props, enableExecuteCommand: true, tags: { ...asRecord(f.props.tags), "break-glass-until": until } } });
    expect(await resourceViolations(ecsNoExecuteCommand, withWindow(inHours(4)))).toEqual([]);
    expect(await resourceViolations(ecsNoExecuteCommand, withWindow(inHours(30)), { breakGlassMaxHours: 48 })).toEqual([]);
    expect(await resourceViolations(ecsNoExecuteCommand, withWindow(inHours(30)))).toHaveLength(1);
    // A date that does not exist is not rolled into the next month.
    expect(await resourceViolations(ecsNoExecuteCommand, withWindow("2026-02-30T10:00:00Z"))).toEqual([
      'Service \'api-service\' enables ECS Exec: its break-glass-until tag "2026-02-30T10:00:00Z" is not a UTC instant like 2026-01-31T18:00:00Z: set breakGlassUntil to one, or switch break-glass off.',
    ]);
  });

  it("IAM users and their long-lived credentials are refused", async () => {
    expect(await resourceViolations(iamNoUsers, { type: "aws:iam/user:User", name: "deploy-bot", props: { name: "deploy-bot" } })).toEqual([
      "IAM user 'deploy-bot' has long-lived credentials by design: remove it; give the workload a role to assume (ECS task role, OIDC for CI) and people SSO access.",
    ]);
    expect(await resourceViolations(iamNoUsers, { type: "aws:iam/accessKey:AccessKey", name: "deploy-bot-key", props: { user: "deploy-bot" } })).toEqual([
      "'deploy-bot-key' creates a long-lived access key for IAM user 'deploy-bot': remove it; use short-lived role credentials (task role, OIDC for CI, SSO for people).",
    ]);
  });

  it.each(resourceCases.map((c) => [`${c.policy.name} on ${c.fixture}${c.label ? ` (${c.label})` : ""}`, c] as const))("%s: one mutation fails with the exact message", async (_label, c) => {
    const f = fixtures()[c.fixture]!;
    expect(await resourceViolations(c.policy, f, c.config)).toEqual(c.config && c.mutate(f.props) === f.props ? c.expected : []);
    expect(await resourceViolations(c.policy, { ...f, props: c.mutate(structuredClone(f.props)) }, c.config)).toEqual(c.expected);
  });

  it.each(stackCases.map((c) => [`${c.policy.name}${c.label ? ` (${c.label})` : ""}`, c] as const))("%s: one mutation fails with the exact message", async (_label, c) => {
    expect(await stackViolations(c.policy, Object.values(c.mutate(fixtures())), c.config)).toEqual(c.expected);
  });
});
