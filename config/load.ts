/**
 * Loads and validates the stack config. Two entry points, one schema:
 * - `loadConfig()` inside the Pulumi program, on top of `pulumi.Config`;
 * - `parseStackConfig()` for anything that reads `Pulumi.<stack>.yaml` directly (runbooks, docs,
 *   the release command), so every consumer sees exactly the values the program deploys.
 */
import type * as PulumiSdk from "@pulumi/pulumi";
import type { z } from "zod";
import { PROJECT, stackConfigSchema, type StackConfig } from "./schema";
import { requiredSecrets, type RequiredSecret } from "./secrets";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly stackName: string,
    readonly problems: string[],
  ) {
    super(`invalid config for stack "${stackName}" (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** `services[0].monitoring.monitors.errorRate.warning` — the key path as a user would type it. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return `${PROJECT}:${out || "(root)"}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (the key is missing)";
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** One readable line per zod issue: key path, what was expected, what was found. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  const where = keyPath(issue.path);
  const found = "input" in issue ? describe(issue.input) : undefined;
  switch (issue.code) {
    case "unrecognized_keys":
      return `${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (check the spelling; docs/configuration.md lists every key)`;
    case "invalid_type":
      return `${where}: expected ${issue.expected}, found ${found ?? "another type"}`;
    case "custom":
      return `${where}: ${issue.message}`;
    case "invalid_value":
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${found ?? "another value"}`;
    case "invalid_format":
      return `${where}: expected ${issue.message.replace(/^Invalid (input|option): expected /i, "")}, found ${found ?? "another value"}`;
    default:
      return `${where}: ${issue.message}${found !== undefined ? `, found ${found}` : ""}`;
  }
}

/**
 * The stack name becomes part of physical names (S3 buckets allow lowercase letters, digits and
 * dashes, 63 characters with the region appended): refuse what AWS would refuse at create time.
 */
export const STACK_NAME_RE = /^[a-z][a-z0-9-]{0,14}[a-z0-9]$/;

export function stackNameProblems(stack: string): string[] {
  return STACK_NAME_RE.test(stack)
    ? []
    : [`stack name "${stack}": expected 2-16 lowercase letters, digits and dashes, starting with a letter (it is part of bucket, cluster and database names); rename the stack file Pulumi.<name>.yaml`];
}

/** Validates the raw namespace values (already JSON-decoded). Throws ConfigError listing every problem. */
export function parseStackConfig(raw: Record<string, unknown>, stack: string): StackConfig {
  const result = stackConfigSchema.safeParse(raw, { reportInput: true });
  const problems = [...stackNameProblems(stack), ...(result.success ? [] : result.error.issues.map(formatIssue))];
  if (problems.length > 0 || !result.success) throw new ConfigError(stack, problems);
  return result.data;
}

/** Pulumi hands structured config to the program as JSON strings; scalars stay strings. */
export function decodeConfigValue(value: string): unknown {
  if (/^[[{]/.test(value) || value === "true" || value === "false" || /^-?\d+(\.\d+)?$/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/** Secret keys of our namespace: read only as secret Outputs, never part of the plain config. */
export const SECRET_NAMESPACE_KEYS = ["runtimeSecrets"];

/** Our namespace of `pulumi.runtime.allConfig()`, decoded, without the secret keys. */
export function namespaceValues(all: Record<string, string>): Record<string, unknown> {
  const prefix = `${PROJECT}:`;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    const name = key.slice(prefix.length);
    if (key.startsWith(prefix) && !SECRET_NAMESPACE_KEYS.includes(name)) out[name] = decodeConfigValue(value);
  }
  return out;
}

/**
 * Whether the engine marked a config key secret. The SDK keeps this helper internal, so it is
 * reached through its module; it reads PULUMI_CONFIG_SECRET_KEYS, set by the CLI and by our mocks.
 */
function isConfigSecret(key: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const internal = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  if (typeof internal.isConfigSecret !== "function") throw new Error("this @pulumi/pulumi version no longer exposes isConfigSecret; update config/load.ts");
  return internal.isConfigSecret(key);
}

export interface LoadedConfig {
  stack: string;
  cfg: StackConfig;
  /** Runtime secret values per service and name, as secret Outputs (never plain strings). */
  runtimeSecrets: PulumiSdk.Output<Record<string, Record<string, string>>>;
}

/** Names every secret the stack needs that is not set (or not set as a secret), with the command that sets it. */
export function missingSecrets(cfg: StackConfig, stack: string, all: Record<string, string>, isSecret: (key: string) => boolean): string[] {
  const problems: string[] = [];
  const runtime = all[`${PROJECT}:runtimeSecrets`];
  const runtimeValues = (runtime ? decodeConfigValue(runtime) : {}) as Record<string, Record<string, unknown> | undefined>;
  for (const s of requiredSecrets(cfg, stack)) {
    const present = s.path ? typeof runtimeValues[s.path[0]]?.[s.path[1]] === "string" : typeof all[s.key] === "string";
    if (!present) problems.push(`${secretLabel(s)}: missing secret (${s.description}); set it with: ${s.command}`);
    else if (!isSecret(s.key)) problems.push(`${secretLabel(s)}: is set in plain text; set it again with: ${s.command}`);
  }
  return problems;
}

function secretLabel(s: RequiredSecret): string {
  return s.path ? `${s.key}.${s.path.join(".")}` : s.key;
}

/** Inside the Pulumi program: validate everything before any resource is declared. */
export function loadConfig(): LoadedConfig {
  // Required here, not at the top: commands that only read stack files (oncall, docs) never load the SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof PulumiSdk;
  const stack = pulumi.getStack();
  const all = pulumi.runtime.allConfig();
  const cfg = parseStackConfig(namespaceValues(all), stack);
  const secretProblems = missingSecrets(cfg, stack, all, isConfigSecret);
  if (secretProblems.length > 0) throw new ConfigError(stack, secretProblems);
  const config = new pulumi.Config(PROJECT);
  const runtimeSecrets = config.requireSecretObject<Record<string, Record<string, string>>>("runtimeSecrets");
  return { stack, cfg, runtimeSecrets };
}
