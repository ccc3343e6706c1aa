/**
 * SEC-OPS IAM rules over every place an identity policy can be written (managed policies, role /
 * group / user inline policies, a role's `inlinePolicies`), over managed-policy attachments, and
 * over IAM users and their long-lived credentials. Trust policies and resource policies (who may
 * use a resource) are judged by the SEC-RES rules in ./access.ts.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { isAllow, statementsOf, type Statement } from "../../lib/policy-document";
import { asArray, asRecord, asString, globMatch } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T, isOneOf } from "../../lib/types";

const DOCUMENT_TYPES = [...T.iamPolicyDocument, ...T.iamRole];

function allowStatements(args: ResourceValidationArgs): Statement[] {
  const docs = isOneOf(args.type, T.iamRole) ? asArray(args.props.inlinePolicies).map((p) => asRecord(p).policy) : [args.props.policy];
  return docs.flatMap(statementsOf).filter(isAllow);
}

function isFullAdmin(action: string): boolean {
  return action === "*" || action === "*:*";
}

interface WildcardConfig {
  allowedActions: string[];
}

export const iamNoServiceWildcard: ResourceValidationPolicy = {
  name: "SEC-IAM-01-no-wildcard-actions",
  description: "IAM policies grant named actions, not wildcards (`s3:*`, `s3:Get*`) or everything-but lists (NotAction/NotResource).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["IAM.21"] }),
  configSchema: {
    properties: { allowedActions: { type: "array", items: { type: "string" }, default: [], description: "Wildcard actions accepted anyway (e.g. 'ssmmessages:*')." } },
  },
  validateResource: forTypes(DOCUMENT_TYPES, (_props, args, report) => {
    const { allowedActions } = configOf<WildcardConfig>(args, { allowedActions: [] });
    const statements = allowStatements(args);
    const wild = statements.flatMap((s) => s.actions).filter((a) => !isFullAdmin(a) && a.includes("*") && !allowedActions.some((p) => globMatch(p, a)));
    if (wild.length > 0) report(`Policy of '${args.name}' allows wildcard actions ${[...new Set(wild)].join(", ")}: list the specific actions the workload calls.`);
    if (statements.some((s) => s.notActions || s.notResources)) report(`Policy of '${args.name}' allows with NotAction or NotResource (everything except a list): name the actions and resources it grants instead.`);
  }),
};

export const iamNoFullAdmin: ResourceValidationPolicy = {
  name: "SEC-IAM-02-no-full-admin",
  description: "No IAM policy allows every action (`*` or `*:*`).",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["IAM.1"], cis: ["1.16"] }),
  validateResource: forTypes(DOCUMENT_TYPES, (_props, args, report) => {
    if (allowStatements(args).some((s) => s.actions.some(isFullAdmin))) report(`Policy of '${args.name}' allows every action ('*'): grant only the actions the workload calls.`);
  }),
};

/** Actions that AWS only authorises on Resource "*" (no resource-level permissions). */
export const UNSCOPED_ACTIONS = [
  "ecr:GetAuthorizationToken",
  "ecs:RegisterTaskDefinition",
  "ecs:DeregisterTaskDefinition",
  "ecs:DescribeTaskDefinition",
  "ecs:List*",
  "ec2:Describe*",
  "cloudwatch:PutMetricData",
  "cloudwatch:GetMetricData",
  "cloudwatch:ListMetrics",
  "logs:DescribeLogGroups",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSampling*",
  "sts:GetCallerIdentity",
  "secretsmanager:ListSecrets",
  "secretsmanager:GetRandomPassword",
  "ssm:DescribeParameters",
  "kms:ListKeys",
  "kms:ListAliases",
  "s3:ListAllMyBuckets",
  "tag:GetResources",
  "ssmmessages:*",
];

/** Every resource of a kind in an account (`…:123456789012:key/*`), or every bucket and object (`arn:aws:s3:::*`). */
const ALL_OF_KIND = /^arn:aws[a-z-]*:(s3:::\*|[a-z0-9-]+:[^:]*:(\d{12}|\*):(?:[a-z-]+[:/])?\*)$/i;

interface ScopeConfig {
  unscopedActions: string[];
}

export const iamNoResourceStar: ResourceValidationPolicy = {
  name: "SEC-IAM-03-no-resource-star",
  description: "Actions that support resource-level permissions (kms:Decrypt, iam:PassRole, secretsmanager:GetSecretValue, ...) are not granted on Resource '*'.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["KMS.1", "KMS.2"] }),
  configSchema: {
    properties: { unscopedActions: { type: "array", items: { type: "string" }, default: UNSCOPED_ACTIONS, description: "Actions (globs) that AWS only authorises on '*'." } },
  },
  validateResource: forTypes(DOCUMENT_TYPES, (_props, args, report) => {
    const { unscopedActions } = configOf<ScopeConfig>(args, { unscopedActions: UNSCOPED_ACTIONS });
    const statements = allowStatements(args);
    const scoped = statements
      .filter((s) => s.resources.includes("*"))
      .flatMap((s) => s.actions)
      .filter((a) => !isFullAdmin(a) && !unscopedActions.some((p) => globMatch(p, a)));
    if (scoped.length > 0) report(`Policy of '${args.name}' grants ${[...new Set(scoped)].join(", ")} on Resource '*': name the ARNs of the resources these actions touch.`);
    // `arn:aws:secretsmanager:…:secret:*`, `arn:aws:kms:…:key/*`, `arn:aws:s3:::*`: every resource of a kind.
    const everyOfKind = statements.flatMap((s) => s.resources.filter((r) => r !== "*" && ALL_OF_KIND.test(r)).map((r) => ({ r, actions: s.actions })));
    for (const { r, actions } of everyOfKind) report(`Policy of '${args.name}' grants ${actions.join(", ")} on ${r}, every resource of its kind: name the ARNs of the resources these actions touch.`);
  }),
};

export const iamNoUserPolicies: ResourceValidationPolicy = {
  name: "SEC-IAM-04-no-user-policies",
  description: "Permissions are attached to roles, never to IAM users.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["IAM.2"], cis: ["1.15"] }),
  validateResource: forTypes([...T.iamUserPolicy, ...T.iamPolicyAttachment, "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive"], (props, args, report) => {
    const toUsers = !isOneOf(args.type, T.iamPolicyAttachment) || asArray(props.users).length > 0;
    if (toUsers) report(`'${args.name}' attaches a policy to an IAM user: attach it to a role that the workload or person assumes.`);
  }),
};

/** AWS managed policies that amount to administrator rights over the account or a whole service. */
export function adminManagedPolicy(arn: string): string | undefined {
  const name = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  if (!name) return undefined;
  if (name.startsWith("AdministratorAccess") || name === "PowerUserAccess") return "administrator rights over the account";
  if (name.endsWith("FullAccess")) return `every action of ${name === "IAMFullAccess" ? "IAM (and so the account)" : "a service"}`;
  return undefined;
}

export const iamNoAdminManagedPolicies: ResourceValidationPolicy = {
  name: "SEC-IAM-05-no-admin-managed-policies",
  description: "No role, group or user gets an AWS managed administrator or `*FullAccess` policy (AdministratorAccess, PowerUserAccess, IAMFullAccess, AWSCloudShellFullAccess, AmazonS3FullAccess, ...).",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["IAM.1", "IAM.27"], cis: ["1.16", "1.22"] }),
  validateResource: forTypes([...T.iamManagedAttachment, ...T.iamRole, ...T.iamExclusiveAttachments], (props, args, report) => {
    const arns = isOneOf(args.type, T.iamRole) ? asArray(props.managedPolicyArns) : isOneOf(args.type, T.iamExclusiveAttachments) ? asArray(props.policyArns) : [props.policyArn];
    for (const arn of arns.map((a) => String(a))) {
      const grants = adminManagedPolicy(arn);
      if (grants) report(`'${args.name}' attaches ${arn}, which grants ${grants}: write a policy with the actions the workload calls.`);
    }
  }),
};

const CREDENTIAL_KIND: Record<string, string> = {
  "aws:iam/user:User": "IAM user",
  "aws:iam/accessKey:AccessKey": "long-lived access key",
  "aws:iam/userLoginProfile:UserLoginProfile": "console password",
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": "service-specific credential",
  "aws:iam/signingCertificate:SigningCertificate": "signing certificate",
  "aws:iam/sshKey:SshKey": "SSH key",
};

export const iamNoUsers: ResourceValidationPolicy = {
  name: "SEC-IAM-06-no-iam-users",
  description: "No IAM users or long-lived user credentials: workloads assume roles, people sign in through the identity provider.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["IAM.3", "IAM.5", "IAM.8", "IAM.19", "IAM.22"], cis: ["1.10", "1.12", "1.13", "1.14"] }),
  validateResource: forTypes(T.iamUserCredentials, (props, args, report) => {
    const kind = CREDENTIAL_KIND[args.type] ?? "IAM user credential";
    const user = asString(props.user);
    report(
      args.type === "aws:iam/user:User"
        ? `IAM user '${args.name}' has long-lived credentials by design: remove it; give the workload a role to assume (ECS task role, OIDC for CI) and people SSO access.`
        : `'${args.name}' creates a ${kind}${user ? ` for IAM user '${user}'` : ""}: remove it; use short-lived role credentials (task role, OIDC for CI, SSO for people).`,
    );
  }),
};

export const iamPolicies = [iamNoServiceWildcard, iamNoFullAdmin, iamNoResourceStar, iamNoUserPolicies, iamNoAdminManagedPolicies, iamNoUsers];
