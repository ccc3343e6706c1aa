/**
 * IAM policy documents (identity, resource and trust policies) normalised into statements. A
 * document arrives as a JSON string or an object; `Statement`, `Action`, `Resource` and each
 * principal list may be a single value or an array; element names are matched without regard
 * to case (AWS documents use `Statement`, Pulumi object literals sometimes `statement`).
 */
import { asArray, isRecord, parseJsonish, type Props } from "./props";

export type PrincipalKind = "*" | "AWS" | "Service" | "Federated" | "CanonicalUser";

export interface Principal {
  kind: PrincipalKind;
  value: string;
}

export interface Condition {
  /** As written, e.g. `StringEquals`, `ForAnyValue:StringLike`, `ArnLikeIfExists`. */
  operator: string;
  /** Condition keys are case-insensitive in AWS: kept lower-case. */
  key: string;
  values: string[];
}

export interface Statement {
  /** `Sid`, else the statement's 1-based position (`#2`): how messages point at it. */
  id: string;
  effect: string;
  actions: string[];
  /** Present when the statement uses NotAction (everything except a list). */
  notActions?: string[];
  resources: string[];
  notResources?: string[];
  principals: Principal[];
  /** Present when the statement uses NotPrincipal (everyone except a list). */
  notPrincipals?: Principal[];
  conditions: Condition[];
}

function field(o: Props, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  const key = Object.keys(o).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : o[key];
}

const strings = (v: unknown): string[] => asArray(v).filter((x): x is string | number | boolean => ["string", "number", "boolean"].includes(typeof x)).map(String);

const KINDS: PrincipalKind[] = ["AWS", "Service", "Federated", "CanonicalUser"];

function principalsOf(p: unknown): Principal[] | undefined {
  if (p === undefined || p === null) return undefined;
  if (typeof p === "string") return [{ kind: p === "*" ? "*" : "AWS", value: p }];
  if (!isRecord(p)) return [];
  return Object.entries(p).flatMap(([k, v]) => {
    const kind = KINDS.find((x) => x.toLowerCase() === k.toLowerCase());
    return kind ? strings(v).map((value) => ({ kind, value })) : [];
  });
}

function conditionsOf(c: unknown): Condition[] {
  if (!isRecord(c)) return [];
  return Object.entries(c).flatMap(([operator, block]) => (isRecord(block) ? Object.entries(block).map(([key, v]) => ({ operator, key: key.toLowerCase(), values: strings(v) })) : []));
}

/** The document as an object, or undefined when it is not a JSON object (a malformed document grants nothing we can judge). */
export function documentOf(document: unknown): Props | undefined {
  const doc = parseJsonish(document);
  return isRecord(doc) ? doc : undefined;
}

export function statementsOf(document: unknown): Statement[] {
  const doc = documentOf(document);
  if (!doc) return [];
  return asArray(field(doc, "Statement"))
    .filter(isRecord)
    .map((s, i) => {
      const notActions = field(s, "NotAction");
      const notResources = field(s, "NotResource");
      const notPrincipals = principalsOf(field(s, "NotPrincipal"));
      const st: Statement = {
        id: typeof field(s, "Sid") === "string" && field(s, "Sid") !== "" ? String(field(s, "Sid")) : `#${i + 1}`,
        effect: String(field(s, "Effect") ?? ""),
        actions: strings(field(s, "Action")),
        resources: strings(field(s, "Resource")),
        principals: principalsOf(field(s, "Principal")) ?? [],
        conditions: conditionsOf(field(s, "Condition")),
      };
      if (notActions !== undefined) st.notActions = strings(notActions);
      if (notResources !== undefined) st.notResources = strings(notResources);
      if (notPrincipals !== undefined) st.notPrincipals = notPrincipals;
      return st;
    });
}

export const isAllow = (s: Statement): boolean => s.effect === "Allow";

/** `s3:*`, `*`, `*:*`: every action of a service, or of all services. */
export function isServiceWildcard(action: string): boolean {
  return action === "*" || /^[a-z0-9-]+:\*$/i.test(action) || action === "*:*";
}

/** A statement that denies every S3 request not sent over TLS (Bool aws:SecureTransport false). */
export function deniesInsecureTransport(s: Statement): boolean {
  if (s.effect !== "Deny") return false;
  return s.conditions.some((c) => c.operator.toLowerCase() === "bool" && c.key === "aws:securetransport" && c.values.some((v) => v.toLowerCase() === "false"));
}

/** The 12-digit account of an ARN (`arn:aws:iam::123456789012:role/x`) or a bare account id. */
export function accountOf(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  return /^arn:aws[a-z-]*:[^:]*:[^:]*:(\d{12}):/.exec(value)?.[1];
}
