/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to a program: every key becomes a
 * `namespace:key` entry whose value is a string (structured values JSON-encoded). `secure:` values
 * are listed as secret keys and never decoded here.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { namespaceValues, parseStackConfig } from "./load";
import type { StackConfig } from "./schema";

export const REPO_ROOT = join(__dirname, "..");

export interface StackFile {
  stack: string;
  file: string;
  /** `namespace:key` -> value as the engine passes it (strings; objects JSON-encoded). */
  config: Record<string, string>;
  /** Keys whose committed value is `secure:` (encrypted). */
  secretKeys: string[];
}

export class StackFileError extends Error {
  override readonly name = "StackFileError";
}

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return join(root, `Pulumi.${stack}.yaml`);
}

function hasSecure(value: unknown): boolean {
  if (value && typeof value === "object") {
    if ("secure" in value && Object.keys(value).length === 1) return true;
    return Object.values(value).some(hasSecure);
  }
  return false;
}

/**
 * Stack files parsed in this process, by path and content: a preview or a release reads the same
 * files several times (the stack, the stack it promotes from), and parsing YAML is the cost.
 */
const PARSED = new Map<string, Pick<StackFile, "config" | "secretKeys">>();

/** Like `pulumi --config-file`: read this file instead of `<root>/Pulumi.<stack>.yaml`. */
export function readStackFile(stack: string, root = REPO_ROOT, configFile?: string): StackFile {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackFileError(`invalid stack name "${stack}": letters, digits, ".", "_" and "-" only`);
  const file = configFile ?? stackFilePath(stack, root);
  if (!existsSync(file)) {
    const known = configFile === undefined && existsSync(root) ? discoverStacks(root) : [];
    throw new StackFileError(`no stack file ${file}; ${known.length ? `known stacks: ${known.join(", ")}` : "no stack is known"} (a stack is a Pulumi.<stack>.yaml at the repository root)`);
  }
  const text = readFileSync(file, "utf8");
  const parsed = PARSED.get(`${file}\0${text}`);
  if (parsed) return { stack, file, config: { ...parsed.config }, secretKeys: [...parsed.secretKeys] };
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new StackFileError(`${file}: YAML error at line ${e.linePos?.[0].line ?? "?"}: ${e.message.split("\n")[0]}`);
  }
  const body = doc.toJS() as { config?: Record<string, unknown> } | null;
  if (!body || typeof body !== "object" || typeof body.config !== "object" || body.config === null) {
    throw new StackFileError(`${file}: expected a top-level "config:" mapping`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(body.config)) {
    if (!key.includes(":")) throw new StackFileError(`${file}: config key "${key}" has no namespace; write backend-release:${key}`);
    if (hasSecure(value)) {
      secretKeys.push(key);
      continue;
    }
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  PARSED.set(`${file}\0${text}`, { config: { ...config }, secretKeys: [...secretKeys] });
  return { stack, file, config, secretKeys };
}


const STACK_FILE_RE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;

/**
 * The stacks, discovered from the `Pulumi.<stack>.yaml` files at the root: the one list every
 * command, doc and workflow check uses. A new environment is a new file, not a code change.
 */
export function discoverStacks(root = REPO_ROOT): string[] {
  return readdirSync(root)
    .map((f) => STACK_FILE_RE.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Discovered stacks with their configs, non-production tiers first (the order a release is promoted in). */
export function stacksInPromotionOrder(root = REPO_ROOT): { stack: string; cfg: StackConfig }[] {
  const rank = (cfg: StackConfig) => (cfg.profile === "production" ? 1 : 0);
  return discoverStacks(root)
    .map((stack) => ({ stack, cfg: loadStackConfig(stack, root) }))
    .sort((a, b) => rank(a.cfg) - rank(b.cfg) || a.stack.localeCompare(b.stack));
}

/** The validated config of a committed stack, without the Pulumi runtime (docs, runbooks, release). */
export function loadStackConfig(stack: string, root = REPO_ROOT): StackConfig {
  return parseStackConfig(namespaceValues(readStackFile(stack, root).config), stack);
}
