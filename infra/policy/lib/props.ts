/**
 * Small readers for resource properties as the analyzer hands them over: plain JSON, where a
 * nested value may be missing, a string holding JSON (IAM documents, container definitions), or
 * a value unknown during preview (reading it throws @pulumi/policy's UnknownValueError).
 */
import { UnknownValueError } from "@pulumi/policy";

export type Props = Record<string, unknown>;

export function isRecord(v: unknown): v is Props {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asRecord(v: unknown): Props {
  return isRecord(v) ? v : {};
}

export function asArray(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** IAM-style documents and ECS container definitions arrive as JSON strings or objects. */
export function parseJsonish(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

/** The explicit `tags` input, as strings. */
export function tagsOf(props: Props): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(props.tags))) if (typeof v === "string") out[k] = v;
  return out;
}

/** Reads a value, or undefined when it is unknown during preview (for joins that have a fallback). */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownValueError) return undefined;
    throw err;
  }
}

/** `*` matches any run of characters; comparison is case-insensitive (IAM action names are). */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
  return re.test(value);
}
