/**
 * The changed input properties of one resource, old → new, down to nested paths
 * (`containerDefinitions[0].memory`): JSON documents held in strings (container definitions,
 * policies) are compared as the documents they are.
 *
 * No secret is ever shown: a value recorded as a secret in the graph, or held under a key that
 * names a secret (password, token, apiKey…, or the `value` of a `{name: "DB_PASSWORD", value}`
 * pair), is shown as `[secret]`. The offline preview records no secret at all, so a secret
 * compared against one of its placeholders cannot be judged and is counted, not reported.
 */
import { isDeepStrictEqual } from "node:util";
import { isSecretValue, OFFLINE_SECRET_CIPHERTEXT, SIG_KEY, UNKNOWN } from "./deployment";

export type PathSegment = string | number;

export interface RawPropertyChange {
  segments: PathSegment[];
  old: unknown;
  new: unknown;
  /** The values are secret: never rendered. */
  secret: boolean;
  /** The new value is unknown until the provider computes it. */
  unknown: boolean;
}

export interface PropertyDiff {
  changes: RawPropertyChange[];
  /** Secrets that could not be compared (one side is an offline-preview placeholder). */
  secretsNotCompared: number;
}

/** Key names whose values are secrets wherever they appear. */
const SECRET_KEY = /pass(word|phrase)|secret|token|api[-_]?key|app[-_]?key|private[-_]?key|credential|service[-_]?key|integration[-_]?key|signing[-_]?key/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function formatPath(segments: readonly PathSegment[]): string {
  return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isSecretValue(v);
}

/** A string holding a JSON object or array (a container definition, a policy document). */
function parseJsonDocument(v: unknown): unknown {
  if (typeof v !== "string" || !/^\s*[[{]/.test(v)) return undefined;
  try {
    const parsed = JSON.parse(v) as unknown;
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const isOfflinePlaceholder = (v: unknown) => isSecretValue(v) && (v as Record<string, unknown>).ciphertext === OFFLINE_SECRET_CIPHERTEXT;

/** An object's `name` that marks its sibling `value` as secret (environment variables, parameters). */
function namesSecret(...objs: unknown[]): boolean {
  return objs.some((o) => isPlainObject(o) && typeof (o.name ?? o.Name) === "string" && isSecretKey(String(o.name ?? o.Name)));
}

function hasObjects(a: unknown[]): boolean {
  return a.some((x) => isPlainObject(x) || Array.isArray(x));
}

/** Compares two input bags; `secretKeys` adds keys the resource declares secret (additionalSecretOutputs). */
export function diffProperties(before: Record<string, unknown>, after: Record<string, unknown>, secretKeys: readonly string[] = []): PropertyDiff {
  const out: PropertyDiff = { changes: [], secretsNotCompared: 0 };
  const walk = (a: unknown, b: unknown, segments: PathSegment[], secret: boolean): void => {
    if (isDeepStrictEqual(a, b)) return;
    if (isSecretValue(a) || isSecretValue(b)) {
      if (isOfflinePlaceholder(a) || isOfflinePlaceholder(b)) {
        out.secretsNotCompared++;
        return;
      }
      out.changes.push({ segments, old: a, new: b, secret: true, unknown: false });
      return;
    }
    if (b === UNKNOWN) {
      out.changes.push({ segments, old: a, new: b, secret, unknown: true });
      return;
    }
    const docA = parseJsonDocument(a);
    const docB = parseJsonDocument(b);
    if (docA !== undefined && docB !== undefined) return walk(docA, docB, segments, secret);
    if ((isPlainObject(a) || a === undefined) && (isPlainObject(b) || b === undefined)) {
      const keys = [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])].sort();
      const pairSecret = namesSecret(a, b);
      for (const key of keys) {
        const childSecret = secret || isSecretKey(key) || (pairSecret && /^value$/i.test(key));
        walk((a as Record<string, unknown> | undefined)?.[key], (b as Record<string, unknown> | undefined)?.[key], [...segments, key], childSecret);
      }
      return;
    }
    if ((Array.isArray(a) || a === undefined) && (Array.isArray(b) || b === undefined) && hasObjects([...(a ?? []), ...(b ?? [])])) {
      const length = Math.max(a?.length ?? 0, b?.length ?? 0);
      for (let i = 0; i < length; i++) walk(a?.[i], b?.[i], [...segments, i], secret);
      return;
    }
    out.changes.push({ segments, old: a, new: b, secret, unknown: false });
  };
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) walk(before[key], after[key], [key], isSecretKey(key) || secretKeys.includes(key));
  return out;
}

/** Replaces every secret inside a value shown whole (an array or a block). */
function redact(v: unknown, parentSecret = false): unknown {
  if (parentSecret || isSecretValue(v)) return "[secret]";
  if (Array.isArray(v)) return v.map((x) => redact(x));
  if (v && typeof v === "object") {
    const obj = v as Record<string, unknown>;
    const pairSecret = namesSecret(obj);
    return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== SIG_KEY).map(([k, x]) => [k, redact(x, isSecretKey(k) || (pairSecret && /^value$/i.test(k)))]));
  }
  return v;
}

export const MAX_VALUE_CHARS = 60;

/** Shortens a long value in the middle, keeping the start and the end that tell values apart. */
export function truncate(text: string, max = MAX_VALUE_CHARS): string {
  if (text.length <= max) return text;
  const tail = Math.floor((max - 1) / 3);
  return `${text.slice(0, max - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** One side of a change as reviewers read it: numbers bare, strings quoted, blocks as compact JSON. */
export function displayValue(v: unknown): string {
  if (v === undefined) return "(none)";
  if (v === UNKNOWN) return "(known after apply)";
  if (typeof v === "string") return truncate(JSON.stringify(v));
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return truncate(JSON.stringify(redact(v)));
}
