/** IAM policy documents normalised into statements (documents arrive as JSON strings or objects). */
import { asArray, asRecord, asString, isRecord, parseJsonish } from "./props";

export interface Statement {
  effect: string;
  actions: string[];
  resources: string[];
  principals: string[];
  condition: Record<string, unknown>;
  /** NotAction / NotResource present: the statement applies to everything except a list. */
  negated: boolean;
}

function principalValues(p: unknown): string[] {
  if (typeof p === "string") return [p];
  if (isRecord(p)) return Object.values(p).flatMap((v) => asArray(v).filter((x): x is string => typeof x === "string"));
  return [];
}

export function statementsOf(document: unknown): Statement[] {
  const doc = parseJsonish(document);
  if (!isRecord(doc)) return [];
  return asArray(doc.Statement ?? doc.statement).filter(isRecord).map((s) => ({
    effect: asString(s.Effect ?? s.effect) ?? "",
    actions: asArray(s.Action ?? s.action ?? s.actions).filter((a): a is string => typeof a === "string"),
    resources: asArray(s.Resource ?? s.resource ?? s.resources).filter((a): a is string => typeof a === "string"),
    principals: principalValues(s.Principal ?? s.principal),
    condition: asRecord(s.Condition ?? s.condition),
    negated: (s.NotAction ?? s.notActions ?? s.NotResource ?? s.notResources) !== undefined,
  }));
}

/** A statement that denies any request not sent over TLS. */
export function deniesInsecureTransport(s: Statement): boolean {
  if (s.effect !== "Deny") return false;
  const bool = asRecord(s.condition.Bool ?? s.condition.bool);
  return String(bool["aws:SecureTransport"]) === "false";
}
