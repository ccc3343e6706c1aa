/**
 * docs/configuration.md, generated from the zod schema (config/schema.ts) and the committed
 * stacks: every key, its type, default, value per stack, and whether it is secret.
 */
import { z } from "zod";
import { PROJECT, stackConfigSchema, type StackConfig } from "../../config/schema";
import { requiredSecrets } from "../../config/secrets";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  default?: unknown;
};

export interface ConfigKey {
  /** `services[].monitoring.monitors.errorRate.warning` (without the namespace). */
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  secret: boolean;
}

function describeType(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.length > 8 ? `one of ${s.enum.slice(0, 8).map((e) => JSON.stringify(e)).join(", ")}, …` : s.enum.map((e) => JSON.stringify(e)).join(" \\| ");
  const variants = s.oneOf ?? s.anyOf;
  if (variants) return variants.map(describeType).join(" \\| ");
  const type = Array.isArray(s.type) ? s.type.join(" \\| ") : (s.type ?? "any");
  const bounds: string[] = [];
  const lo = s.minimum ?? s.exclusiveMinimum;
  const rawHi = s.maximum ?? s.exclusiveMaximum;
  const hi = rawHi === Number.MAX_SAFE_INTEGER ? undefined : rawHi;
  if (lo !== undefined || hi !== undefined) bounds.push(hi === undefined ? `${s.exclusiveMinimum !== undefined ? ">" : ">="} ${lo}` : `${s.exclusiveMinimum !== undefined ? ">" : ""}${lo ?? ""}…${s.exclusiveMaximum !== undefined ? "<" : ""}${hi}`);
  if (s.format) bounds.push(s.format);
  if (s.pattern && !s.format) bounds.push(`\`${s.pattern}\``);
  if (type === "array" && s.items) return `array of ${describeType(s.items)}${s.minItems ? ` (at least ${s.minItems})` : ""}`;
  return bounds.length > 0 ? `${type} ${bounds.join(", ")}` : type;
}

function walk(s: JsonSchema, path: string, required: boolean, out: ConfigKey[]): void {
  const variants = s.oneOf ?? s.anyOf;
  if (variants && variants.every((v) => v.type === "object")) {
    // Discriminated unions: list the union of their keys.
    const seen = new Set<string>();
    for (const v of variants) {
      for (const [k, child] of Object.entries(v.properties ?? {})) {
        if (seen.has(k)) continue;
        seen.add(k);
        const merged = variants.map((x) => x.properties?.[k]).filter((x): x is JsonSchema => !!x);
        walk(merged.length > 1 ? { anyOf: merged } : child, `${path}.${k}`, variants.every((x) => x.required?.includes(k)), out);
      }
    }
    return;
  }
  if (s.type === "object" && s.properties) {
    for (const [k, child] of Object.entries(s.properties)) walk(child, path ? `${path}.${k}` : k, s.required?.includes(k) ?? false, out);
    return;
  }
  if (s.type === "object" && s.propertyNames?.enum && typeof s.additionalProperties === "object") {
    for (const key of s.propertyNames.enum) walk(s.additionalProperties, `${path}.${String(key)}`, false, out);
    return;
  }
  if (s.type === "array" && s.items?.type === "object") {
    walk(s.items, `${path}[]`, required, out);
    return;
  }
  out.push({ path, type: describeType(s), required, ...(s.default !== undefined ? { default: s.default } : {}), secret: false });
}

/** Every key of the schema, in schema order. */
export function configKeys(): ConfigKey[] {
  const schema = z.toJSONSchema(stackConfigSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const out: ConfigKey[] = [];
  walk(schema, "", true, out);
  return out;
}

/** The value at a documented path in a parsed config (`[]` collects over array elements). */
export function valueAt(cfg: unknown, path: string): unknown {
  let current: unknown[] = [cfg];
  for (const part of path.split(".")) {
    const isArray = part.endsWith("[]");
    const key = isArray ? part.slice(0, -2) : part;
    current = current.flatMap((c) => {
      const v = c && typeof c === "object" ? (c as Record<string, unknown>)[key] : undefined;
      return isArray && Array.isArray(v) ? v : [v];
    });
  }
  const defined = current.filter((v) => v !== undefined);
  if (defined.length === 0) return undefined;
  return defined.length === 1 && !path.includes("[]") ? defined[0] : defined.length === 1 ? defined[0] : defined;
}

function show(v: unknown): string {
  if (v === undefined) return "—";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return `\`${text.replace(/\|/g, "\\|")}\``;
}

export interface ConfigurationRequirement {
  key: string;
  secret: boolean;
  required: boolean;
  description: string;
  /** How to set it (secrets only). */
  command?: string;
}

/** What a stack needs set before `pulumi up`: provider secrets and runtime secrets, plus the region. */
export function configurationRequirements(cfg: StackConfig, stack: string): ConfigurationRequirement[] {
  return [
    { key: "aws:region", secret: false, required: true, description: "AWS region of the stack (committed in Pulumi.<stack>.yaml)" },
    ...requiredSecrets(cfg, stack).map((s) => ({ key: s.path ? `${s.key}.${s.path.join(".")}` : s.key, secret: true, required: true, description: s.description, command: s.command })),
  ];
}

export function renderConfigurationMarkdown(stacks: { stack: string; cfg: StackConfig }[]): string {
  const names = stacks.map((s) => s.stack);
  const rows = configKeys().map((k) => `| \`${PROJECT}:${k.path}\` | ${k.type} | ${k.default !== undefined ? show(k.default) : k.required ? "none (required)" : "none (optional)"} | ${stacks.map((s) => show(valueAt(s.cfg, k.path))).join(" | ")} | no |`);
  const secrets = new Map<string, ConfigurationRequirement & { stacks: string[] }>();
  for (const { stack, cfg } of stacks) {
    for (const r of configurationRequirements(cfg, stack)) {
      if (!r.secret) continue;
      const e = secrets.get(r.key) ?? { ...r, stacks: [] };
      e.stacks.push(stack);
      secrets.set(r.key, e);
    }
  }
  return [
    "# Configuration reference",
    "",
    "<!-- Generated by `npm run cli -- docs generate` from config/schema.ts and the committed Pulumi.<stack>.yaml files. Do not edit by hand: `docs check` (and the runbook tests) fail when this file is stale. -->",
    "",
    `Every key the program reads, in the \`${PROJECT}\` namespace of \`Pulumi.<stack>.yaml\`. All objects are strict: an unknown key is an error. The cross-field and prod rules are in \`config/schema.ts\` (\`refineCfg\`). \`[]\` marks a list element (values are listed per element).`,
    "",
    `| Key | Type | Default | ${names.join(" | ")} | Secret |`,
    `|${" --- |".repeat(names.length + 4)}`,
    ...rows,
    "",
    "## Secrets",
    "",
    "Never committed in plain text; set with `pulumi config set --secret` (the program stops and names the command when one is missing).",
    "",
    "| Key | What | Stacks | Set with | Secret |",
    "| --- | --- | --- | --- | --- |",
    ...[...secrets.values()].map((s) => `| \`${s.key}\` | ${s.description} | ${s.stacks.join(", ")} | \`${(s.command ?? "").replace(/--stack \S+/, "--stack <stack>")}\` | yes |`),
    "",
    "## Provider settings",
    "",
    `| Key | ${names.join(" | ")} | Secret |`,
    `|${" --- |".repeat(names.length + 2)}`,
    `| \`aws:region\` | ${stacks.map(() => "set in Pulumi.<stack>.yaml").join(" | ")} | no |`,
    "",
  ].join("\n");
}
