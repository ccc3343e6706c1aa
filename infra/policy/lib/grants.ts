/**
 * Who an Allow statement of a resource or trust policy lets in, judged the way IAM Access
 * Analyzer and S3's "is public" evaluation do: a wildcard principal (`*`, `{AWS: "*"}`, an ARN
 * with `*` as account, NotPrincipal) is public unless a condition pins it to fixed values of an
 * account, an organisation, a source ARN, a VPC or a narrow IP range. Operators that pass when
 * the key is missing (`...IfExists`, `ForAllValues:`) or negate (`StringNotEquals`) limit nothing.
 */
import { accountOf, isAllow, type Condition, type Statement } from "./policy-document";

export type Grantee =
  /** Anyone: `how` says which element made it so. */
  | { kind: "public"; how: string }
  | { kind: "account"; account: string }
  | { kind: "org"; orgs: string[] }
  /** Limited to something not tied to an account we can name (a VPC, an IP range, a principal id). */
  | { kind: "restricted" }
  | { kind: "service"; service: string; scoped: boolean; accounts: string[] }
  | { kind: "federated"; provider: string; scoped: boolean };

interface Limits {
  accounts: string[];
  orgs: string[];
  restricted: boolean;
}

const ACCOUNT_KEYS = ["aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "kms:calleraccount", "s3:dataaccesspointaccount"];
const ARN_KEYS = ["aws:principalarn", "aws:sourcearn", "s3:dataaccesspointarn"];
const ORG_KEYS = ["aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths"];
const NETWORK_KEYS = ["aws:sourcevpc", "aws:sourcevpce", "aws:userid"];
const POSITIVE = ["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"];

/** Whether an operator only matches requests that carry the key with one of the listed values. */
function positive(operator: string): boolean {
  const o = operator.toLowerCase();
  if (o.endsWith("ifexists") || o.startsWith("forallvalues:")) return false;
  return POSITIVE.includes(o.replace(/^foranyvalue:/, ""));
}

/** An IP range narrower than a /8 (IPv4) or /32 (IPv6): S3 treats wider ranges as public. */
function narrowCidr(cidr: string): boolean {
  const [address = "", bits] = cidr.split("/");
  const n = bits === undefined ? (address.includes(":") ? 128 : 32) : Number(bits);
  return Number.isInteger(n) && n >= (address.includes(":") ? 32 : 8);
}

/** An ARN condition value with `*` in its partition, service, region or account field limits nothing. */
function arnLimits(value: string, limits: Limits): boolean {
  const account = accountOf(value);
  if (account) {
    limits.accounts.push(account);
    return true;
  }
  const head = value.split(":").slice(0, 5);
  if (value === "*" || head.length < 5 || head.some((p) => p.includes("*") || p.includes("?"))) return false;
  limits.restricted = true; // e.g. arn:aws:s3:::bucket: one resource, no account field
  return true;
}

function limitsOf(conditions: Condition[]): Limits {
  const limits: Limits = { accounts: [], orgs: [], restricted: false };
  for (const c of conditions.filter((x) => positive(x.operator))) {
    const values = c.values.filter((v) => v !== "" && v !== "*");
    if (values.length === 0) continue;
    if (ACCOUNT_KEYS.includes(c.key)) {
      // Every value must be a fixed account; one wildcard value lets any account through.
      if (values.every((v) => /^\d{12}$/.test(v))) limits.accounts.push(...values);
    } else if (ARN_KEYS.includes(c.key) || (c.key.startsWith("kms:encryptioncontext:") && c.key.endsWith(":arn"))) {
      const probe: Limits = { accounts: [], orgs: [], restricted: false };
      if (values.every((v) => arnLimits(v, probe))) {
        limits.accounts.push(...probe.accounts);
        limits.restricted ||= probe.restricted;
      }
    } else if (ORG_KEYS.includes(c.key)) {
      if (values.every((v) => /^o-[a-z0-9]+/i.test(v))) limits.orgs.push(...values.map((v) => v.split("/")[0]!));
    } else if (NETWORK_KEYS.includes(c.key)) {
      if (values.every((v) => !v.startsWith("*"))) limits.restricted = true;
    } else if (c.key === "aws:sourceip" && c.operator.toLowerCase().replace(/^foranyvalue:/, "") === "ipaddress") {
      if (values.every(narrowCidr)) limits.restricted = true;
    }
  }
  return limits;
}

const limited = (l: Limits): boolean => l.accounts.length > 0 || l.orgs.length > 0 || l.restricted;

/** What an open principal is narrowed to by the statement's conditions. */
function narrowed(limits: Limits, how: string): Grantee[] {
  if (limits.accounts.length > 0) return [...new Set(limits.accounts)].map((account) => ({ kind: "account" as const, account }));
  if (limits.orgs.length > 0) return [{ kind: "org", orgs: [...new Set(limits.orgs)] }];
  if (limits.restricted) return [{ kind: "restricted" }];
  return [{ kind: "public", how }];
}

/** An OIDC trust is scoped by a fixed subject (`<provider>:sub`), Cognito's by its audience; SAML providers are account-specific. */
function federationScoped(provider: string, conditions: Condition[]): boolean {
  if (provider.includes(":saml-provider/")) return true;
  const key = provider === "cognito-identity.amazonaws.com" ? "cognito-identity.amazonaws.com:aud" : ":sub";
  return conditions.some((c) => positive(c.operator) && (key.startsWith(":") ? c.key.endsWith(key) : c.key === key) && c.values.length > 0 && c.values.every((v) => v !== "" && !v.startsWith("*") && !/^[^:]+:\*$/.test(v)));
}

/** Everyone an Allow statement lets in; an identity policy statement (no principal) lets in no one. */
export function granteesOf(s: Statement): Grantee[] {
  if (!isAllow(s)) return [];
  const limits = limitsOf(s.conditions);
  if (s.notPrincipals) return narrowed(limits, "NotPrincipal (everyone except a list)");
  return s.principals.flatMap((p): Grantee[] => {
    switch (p.kind) {
      case "*":
        return narrowed(limits, "Principal '*'");
      case "AWS": {
        if (p.value === "*") return narrowed(limits, "Principal {AWS: '*'}");
        const account = accountOf(p.value);
        if (account) return [{ kind: "account", account }];
        // arn:aws:iam::*:root and the like: any account.
        if (p.value.includes("*")) return narrowed(limits, `Principal {AWS: '${p.value}'}`);
        return [{ kind: "restricted" }]; // a unique principal id (AROA…): one principal we cannot place
      }
      case "Service":
        return [{ kind: "service", service: p.value, scoped: limited(limits), accounts: [...new Set(limits.accounts)] }];
      case "Federated":
        return [{ kind: "federated", provider: p.value, scoped: federationScoped(p.value, s.conditions) }];
      case "CanonicalUser":
        return [{ kind: "restricted" }];
    }
  });
}
