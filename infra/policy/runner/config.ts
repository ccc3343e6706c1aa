/**
 * Per-stack policy config, in the format `pulumi preview --policy-pack-config <file>` takes:
 * `{ "<policy>": "<level>" | { "enforcementLevel"?: "<level>", ...properties } }`, plus `all`.
 * One file per stack serves both packs (each pack ignores other packs' policy names, as the CLI
 * does). Reconciled exactly like the CLI (pkg/resource/analyzer/config.go): schema defaults and the
 * policy's own level first, then `all`, then per-policy values; the result is validated against
 * each policy's JSON schema before Configure is sent.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import type { EnforcementLevel, PackInfo } from "./server";

export const CONFIG_DIR = join(__dirname, "..", "config");
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export interface PolicyConfigEntry {
  enforcementLevel?: EnforcementLevel;
  properties?: Record<string, unknown>;
}
export type PolicyPackConfig = Record<string, PolicyConfigEntry>;
export type ReconciledConfig = Record<string, { enforcementLevel: EnforcementLevel; properties?: Record<string, unknown> }>;

export class PolicyConfigError extends Error {
  override readonly name = "PolicyConfigError";
}

function level(value: unknown, where: string): EnforcementLevel {
  if (typeof value !== "string" || !LEVELS.includes(value as EnforcementLevel)) {
    throw new PolicyConfigError(`${where}: ${JSON.stringify(value)} is not a valid enforcement level (${LEVELS.join(", ")})`);
  }
  return value as EnforcementLevel;
}

/** Parses a policy config document (already JSON-decoded). */
export function parsePolicyConfig(json: unknown, source: string): PolicyPackConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new PolicyConfigError(`${source}: must be a JSON object of policy name → config`);
  const out: PolicyPackConfig = {};
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v === "string") {
      out[name] = { enforcementLevel: level(v, `${source}: ${name}`) };
    } else if (v && typeof v === "object" && !Array.isArray(v)) {
      const { enforcementLevel, ...properties } = v as Record<string, unknown>;
      const entry: PolicyConfigEntry = {};
      if (enforcementLevel !== undefined) entry.enforcementLevel = level(enforcementLevel, `${source}: ${name}.enforcementLevel`);
      if (Object.keys(properties).length > 0) entry.properties = properties;
      out[name] = entry;
    } else {
      throw new PolicyConfigError(`${source}: ${name}: must be an enforcement level or an object`);
    }
  }
  return out;
}

export function configFileFor(stack: string, dir = CONFIG_DIR): string {
  return join(dir, `${stack}.json`);
}

/** The stack's policy config; a stack without a file runs every policy at its defaults. */
export function loadPolicyConfig(stack: string | undefined, dir = CONFIG_DIR): PolicyPackConfig {
  if (!stack) return {};
  const file = configFileFor(stack, dir);
  if (!existsSync(file)) throw new PolicyConfigError(`no policy config for stack '${stack}': expected ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new PolicyConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parsePolicyConfig(json, file);
}

// The packs' schemas are validated against config, not against JSON Schema's meta-schema (as the
// Pulumi CLI does): compiling the meta-schema cost more than every policy schema together.
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
/** Compiled validators by schema text: a runner judges many graphs with the same packs. */
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

function validatorFor(schema: Record<string, unknown>): ReturnType<typeof ajv.compile> {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) validators.set(key, (validate = ajv.compile(schema)));
  return validate;
}

/** Defaults + `all` + per-policy config for one pack, validated against each policy's schema. */
export function reconcile(info: PackInfo, config: PolicyPackConfig): ReconciledConfig {
  const result: ReconciledConfig = {};
  for (const p of info.policies) {
    const defaults = Object.entries(p.configSchema?.properties ?? {}).filter(([, s]) => "default" in s);
    result[p.name] = { enforcementLevel: p.enforcementLevel };
    if (defaults.length > 0) result[p.name]!.properties = Object.fromEntries(defaults.map(([k, s]) => [k, s.default]));
  }
  const all = config.all?.enforcementLevel;
  if (all) for (const entry of Object.values(result)) entry.enforcementLevel = all;
  for (const [name, given] of Object.entries(config)) {
    const entry = result[name];
    if (name === "all" || !entry) continue; // another pack's policy
    if (given.enforcementLevel) entry.enforcementLevel = given.enforcementLevel;
    if (given.properties) entry.properties = { ...entry.properties, ...given.properties };
  }
  const errors: string[] = [];
  for (const p of info.policies) {
    if (!p.configSchema) continue;
    const schema = { type: "object", properties: p.configSchema.properties, ...(p.configSchema.required.length > 0 ? { required: p.configSchema.required } : {}) };
    const validate = validatorFor(schema);
    if (!validate(result[p.name]?.properties ?? {})) {
      for (const e of validate.errors ?? []) errors.push(`${p.name}: ${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`);
    }
  }
  if (errors.length > 0) throw new PolicyConfigError(`invalid policy config for ${info.name}: ${errors.join("; ")}`);
  return result;
}
