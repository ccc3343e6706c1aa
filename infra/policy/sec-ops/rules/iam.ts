/**
 * SEC-OPS IAM rules over every place a policy document can be written: managed policies, role /
 * group / user inline policies, and a role's `inlinePolicies`. Assume-role documents are trust
 * policies (no actions on resources) and are not checked here.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { statementsOf, type Statement } from "../../lib/iam";
import { asArray, asRecord, globMatch } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

const DOCUMENT_TYPES = [...T.iamPolicyDocument, ...T.iamRole];

function allowStatements(args: ResourceValidationArgs): Statement[] {
  const docs = T.iamRole.includes(args.type as (typeof T.iamRole)[number])
    ? asArray(args.props.inlinePolicies).map((p) => asRecord(p).policy)
    : [args.props.policy];
  return docs.flatMap(statementsOf).filter((s) => s.effect === "Allow");
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
  configSchema: {
    properties: { allowedActions: { type: "array", items: { type: "string" }, default: [], description: "Wildcard actions accepted anyway (e.g. 'ssmmessages:*')." } },
  },
  validateResource: forTypes(DOCUMENT_TYPES, (_props, args, report) => {
    const { allowedActions } = configOf<WildcardConfig>(args, { allowedActions: [] });
    const statements = allowStatements(args);
    const wild = statements
      .flatMap((s) => s.actions)
      .filter((a) => !isFullAdmin(a) && a.includes("*") && !allowedActions.some((p) => globMatch(p, a)));
    if (wild.length > 0) report(`Policy allows wildcard actions ${[...new Set(wild)].join(", ")}: list the specific actions the workload calls.`);
    if (statements.some((s) => s.negated)) report("Policy allows with NotAction or NotResource (everything except a list): name the actions and resources it grants instead.");
  }),
};

export const iamNoFullAdmin: ResourceValidationPolicy = {
  name: "SEC-IAM-02-no-full-admin",
  description: "No IAM policy allows every action (`*` or `*:*`).",
  severity: "critical",
  enforcementLevel: "mandatory",
  validateResource: forTypes(DOCUMENT_TYPES, (_props, args, report) => {
    if (allowStatements(args).some((s) => s.actions.some(isFullAdmin))) report("Policy allows every action ('*'): grant only the actions the workload calls.");
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

interface ScopeConfig {
  unscopedActions: string[];
}

export const iamNoResourceStar: ResourceValidationPolicy = {
  name: "SEC-IAM-03-no-resource-star",
  description: "Actions that support resource-level permissions are not granted on Resource '*'.",
  severity: "high",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { unscopedActions: { type: "array", items: { type: "string" }, default: UNSCOPED_ACTIONS, description: "Actions (globs) that AWS only authorises on '*'." } },
  },
  validateResource: forTypes(DOCUMENT_TYPES, (_props, args, report) => {
    const { unscopedActions } = configOf<ScopeConfig>(args, { unscopedActions: UNSCOPED_ACTIONS });
    const scoped = allowStatements(args)
      .filter((s) => s.resources.includes("*"))
      .flatMap((s) => s.actions)
      .filter((a) => !isFullAdmin(a) && !unscopedActions.some((p) => globMatch(p, a)));
    if (scoped.length > 0) report(`Policy grants ${[...new Set(scoped)].join(", ")} on Resource '*': name the ARNs of the resources these actions touch.`);
  }),
};

export const iamNoUserPolicies: ResourceValidationPolicy = {
  name: "SEC-IAM-04-no-user-policies",
  description: "Permissions are attached to roles, never to IAM users.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes([...T.iamUserPolicy, ...T.iamPolicyAttachment], (props, args, report) => {
    const toUsers = T.iamUserPolicy.includes(args.type as (typeof T.iamUserPolicy)[number]) || asArray(props.users).length > 0;
    if (toUsers) report("Policy is attached to an IAM user: attach it to a role that the workload or person assumes.");
  }),
};

/** AWS managed policies that amount to administrator rights. */
export const ADMIN_MANAGED_POLICIES = ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"];

export const iamNoAdminManagedPolicies: ResourceValidationPolicy = {
  name: "SEC-IAM-05-no-admin-managed-policies",
  description: "No role, group or user gets an AWS managed administrator policy.",
  severity: "critical",
  enforcementLevel: "mandatory",
  validateResource: forTypes([...T.iamManagedAttachment, ...T.iamRole], (props, args, report) => {
    const arns = T.iamRole.includes(args.type as (typeof T.iamRole)[number]) ? asArray(props.managedPolicyArns) : [props.policyArn];
    const admin = arns.map((a) => String(a)).filter((a) => ADMIN_MANAGED_POLICIES.some((n) => a.endsWith(`:policy/${n}`)));
    if (admin.length > 0) report(`Attaches administrator policy ${admin.join(", ")}: write a policy with the actions the workload calls.`);
  }),
};

export const iamPolicies = [iamNoServiceWildcard, iamNoFullAdmin, iamNoResourceStar, iamNoUserPolicies, iamNoAdminManagedPolicies];
