/**
 * SEC-OPS rules on what resource and trust policies allow, for every resource type that carries
 * one (lib/resource-policies.ts): nobody outside is let in (public), no account the stack does
 * not own or trust, no service-wide wildcard grants, and no service principal acting for any
 * account (confused deputy). Stack rules: the stack's own accounts are read from its resources'
 * ARNs (a preview records mocked ones, a live stack real ones) and completed by the policy config.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { ELB_LOG_DELIVERY_ACCOUNTS, ELB_LOG_DELIVERY_SERVICES } from "../../lib/aws-accounts";
import { controls } from "../../lib/controls";
import { granteesOf, type Grantee } from "../../lib/grants";
import { isAllow, isServiceWildcard, type Statement } from "../../lib/policy-document";
import { accountsOfStack, policySites, type PolicySite } from "../../lib/resource-policies";
import { configOf } from "../../lib/rule";

const where = (site: PolicySite, s: Statement): string => `${site.label} '${site.resource.name}' (statement ${s.id})`;
const actionsOf = (s: Statement): string => (s.notActions ? `every action except ${s.notActions.join(", ")}` : s.actions.join(", "));

function eachGrant(sites: PolicySite[], fn: (site: PolicySite, s: Statement, g: Grantee) => void): void {
  for (const site of sites) for (const s of site.statements) for (const g of granteesOf(s)) fn(site, s, g);
}

export const noPublicAccess: StackValidationPolicy = {
  name: "SEC-RES-01-no-public-access",
  description: "No resource or trust policy lets in anyone on the internet: a wildcard principal is pinned by a condition on an account, organisation, source ARN or network; federated trust is pinned to a subject.",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.2", "S3.3", "KMS.5", "Lambda.1", "SQS.3", "SNS.4"] }),
  validateStack: (args, report) =>
    eachGrant(policySites(args.resources), (site, s, g) => {
      if (g.kind === "public") {
        report(`${where(site, s)} lets anyone ${site.trust ? "assume the role" : `call ${actionsOf(s)}`} through ${g.how}: name the principals, or add a condition that pins them (aws:PrincipalOrgID, aws:SourceAccount or aws:SourceArn).`, site.resource.urn);
      } else if (g.kind === "federated" && !g.scoped) {
        report(`${where(site, s)} lets any identity of ${g.provider} assume the role: add a StringEquals/StringLike condition on ${g.provider === "cognito-identity.amazonaws.com" ? "cognito-identity.amazonaws.com:aud" : `${g.provider.replace(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\//, "")}:sub`} naming the exact subjects (e.g. repo:<org>/<repo>:ref:refs/heads/main).`, site.resource.urn);
      }
    }),
};

interface AccountConfig {
  accountIds: string[];
  trustedAccounts: string[];
  trustedOrganizations: string[];
  awsServiceAccounts: string[];
}

const ELB_ACCOUNTS = Object.values(ELB_LOG_DELIVERY_ACCOUNTS);
/** What AWS's log-delivery accounts may do in a customer's bucket: write the logs. */
const DELIVERY_ACTIONS = ["s3:PutObject"];

export const noUntrustedAccounts: StackValidationPolicy = {
  name: "SEC-RES-02-no-untrusted-accounts",
  description: "Resource and trust policies grant only to the stack's own accounts, accounts and organisations the policy config trusts, and AWS's log-delivery accounts (write only).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.6", "KMS.5"] }),
  configSchema: {
    properties: {
      accountIds: { type: "array", items: { type: "string", pattern: "^\\d{12}$" }, default: [], description: "This stack's own AWS accounts (the ARNs of its resources add to this list)." },
      trustedAccounts: { type: "array", items: { type: "string", pattern: "^\\d{12}$" }, default: [], description: "Other accounts that may be granted access (partners, the organisation's shared-services accounts)." },
      trustedOrganizations: { type: "array", items: { type: "string" }, default: [], description: "Organisation ids (o-…) an aws:PrincipalOrgID condition may name; empty: any organisation condition counts as a limit." },
      awsServiceAccounts: { type: "array", items: { type: "string" }, default: ELB_ACCOUNTS, description: "AWS-owned log-delivery accounts that may write (s3:PutObject) into the stack's buckets." },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf<AccountConfig>(args, { accountIds: [], trustedAccounts: [], trustedOrganizations: [], awsServiceAccounts: ELB_ACCOUNTS });
    const trusted = new Set([...cfg.accountIds, ...cfg.trustedAccounts, ...accountsOfStack(args.resources)]);
    const fix = "remove the grant, or list the account under trustedAccounts of SEC-RES-02 in the stack's policy config if it is one you trust";
    const judge = (site: PolicySite, s: Statement, account: string, as: string): void => {
      if (trusted.has(account)) return;
      if (cfg.awsServiceAccounts.includes(account) && s.actions.length > 0 && !s.notActions && s.actions.every((a) => DELIVERY_ACTIONS.includes(a))) return;
      report(`${where(site, s)} ${site.trust ? `lets account ${account} assume the role` : `grants ${actionsOf(s)} to account ${account}`}${as}, which this stack neither owns nor trusts: ${fix}.`, site.resource.urn);
    };
    eachGrant(policySites(args.resources), (site, s, g) => {
      if (g.kind === "account") judge(site, s, g.account, "");
      else if (g.kind === "service") for (const a of g.accounts) judge(site, s, a, ` (through ${g.service})`);
      else if (g.kind === "org" && cfg.trustedOrganizations.length > 0) {
        const foreign = g.orgs.filter((o) => !cfg.trustedOrganizations.includes(o));
        if (foreign.length > 0) report(`${where(site, s)} grants ${actionsOf(s)} to organisation ${foreign.join(", ")}, which the policy config does not trust: name one of ${cfg.trustedOrganizations.join(", ")} in aws:PrincipalOrgID.`, site.resource.urn);
      }
    });
  },
};

/** The key policy's administrator statement: `kms:*` to account roots, which delegates to IAM. */
function keyAdministration(site: PolicySite, s: Statement, action: string): boolean {
  return site.keyPolicy && action.toLowerCase() === "kms:*" && s.principals.length > 0 && s.principals.every((p) => p.kind === "AWS" && (/^\d{12}$/.test(p.value) || /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(p.value)));
}

export const noWildcardGrants: StackValidationPolicy = {
  name: "SEC-RES-03-no-wildcard-grants",
  description: "Resource and trust policies grant named actions: no `*`, no service-wide `s3:*`/`kms:*`/`ecr:*` (except a key policy's `kms:*` to an account root), no NotAction.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["S3.6"], docType: "aws:s3/bucketPolicy:BucketPolicy" }),
  validateStack: (args, report) => {
    for (const site of policySites(args.resources)) {
      for (const s of site.statements.filter((x) => isAllow(x) && (x.principals.length > 0 || x.notPrincipals))) {
        if (s.notActions) {
          report(`${where(site, s)} allows every action except ${s.notActions.join(", ")} (NotAction): list the actions the principal needs instead.`, site.resource.urn);
          continue;
        }
        const wild = s.actions.filter((a) => isServiceWildcard(a) && !keyAdministration(site, s, a));
        if (wild.length > 0) report(`${where(site, s)} grants wildcard action(s) ${wild.join(", ")}: list the actions the principal needs instead.`, site.resource.urn);
      }
    }
  },
};

interface ServiceConfig {
  unscopedServices: string[];
}

export const scopedServiceGrants: StackValidationPolicy = {
  name: "SEC-RES-04-service-grants-scoped",
  description: "A resource policy that lets an AWS service act names whose behalf it acts on (aws:SourceAccount, aws:SourceArn, or for KMS the encryption context), so no other account's resources can use it (confused deputy).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["Lambda.1"], docType: "aws:s3/bucketPolicy:BucketPolicy" }),
  configSchema: {
    properties: {
      unscopedServices: {
        type: "array",
        items: { type: "string" },
        default: ELB_LOG_DELIVERY_SERVICES,
        description: "Service principals AWS documents without a source condition (ELB log delivery writes under AWSLogs/<account>/).",
      },
    },
  },
  validateStack: (args, report) => {
    const { unscopedServices } = configOf<ServiceConfig>(args, { unscopedServices: ELB_LOG_DELIVERY_SERVICES });
    const account = [...accountsOfStack(args.resources)][0];
    eachGrant(
      policySites(args.resources).filter((s) => !s.trust),
      (site, s, g) => {
        if (g.kind !== "service" || g.scoped || unscopedServices.includes(g.service)) return;
        report(
          `${where(site, s)} lets ${g.service} call ${actionsOf(s)} on behalf of any account: add Condition StringEquals aws:SourceAccount ${account ?? "<this account>"} (or ArnLike aws:SourceArn of the resource that calls it${site.keyPolicy ? ", or the service's kms:EncryptionContext" : ""}).`,
          site.resource.urn,
        );
      },
    );
  },
};

export const accessPolicies = [noPublicAccess, noUntrustedAccounts, noWildcardGrants, scopedServiceGrants];
