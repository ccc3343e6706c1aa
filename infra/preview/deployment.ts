/**
 * Pulumi's deployment format: the JSON `pulumi stack export` writes (version 3).
 *
 * One format everywhere: the offline preview writes it, a live stack exports it, the policy
 * runner and the PR diff read it, the release package archives it. `readDeployment` accepts
 * both our graphs and real exports, and rejects anything else with a reason.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

/** Pulumi's signature key for special values (secrets, resource references, assets). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The ciphertext the offline preview records for every secret: it never holds a secret's value. */
export const OFFLINE_SECRET_CIPHERTEXT = "[secret: not recorded by the offline preview]";
/** Pulumi's sentinel for a value unknown during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface SourcePosition {
  uri: string;
  line: number;
  column: number;
}

export interface DeploymentResource {
  urn: string;
  custom: boolean;
  id?: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  provider?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  protect?: boolean;
  retainOnDelete?: boolean;
  deletedWith?: string;
  additionalSecretOutputs?: string[];
  ignoreChanges?: string[];
  replaceOnChanges?: string[];
  deleteBeforeReplace?: boolean;
  /** `project://path#line,column` or a file URI, as the engine records it. */
  sourcePosition?: string;
}

export interface Deployment {
  version: 3;
  deployment: {
    manifest: { time: string; magic: string; version: string; plugins?: unknown[] };
    secrets_providers?: unknown;
    resources: DeploymentResource[];
    pending_operations?: unknown[];
  };
}

const resourceSchema = z.looseObject({
  urn: z.string().startsWith("urn:pulumi:"),
  type: z.string().min(1),
  custom: z.boolean().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
  parent: z.string().optional(),
  dependencies: z.array(z.string()).optional(),
});

const deploymentSchema = z.looseObject({
  version: z.literal(3),
  deployment: z.looseObject({
    manifest: z.looseObject({}).optional(),
    resources: z.array(resourceSchema).optional(),
  }),
});

export class DeploymentFormatError extends Error {
  override readonly name = "DeploymentFormatError";
}

/** Validates parsed JSON as a version-3 deployment; the error names the offending path. */
export function parseDeployment(json: unknown, source = "input"): Deployment {
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join(".") : "(root)";
    throw new DeploymentFormatError(
      `${source} is not a Pulumi deployment (version 3, as written by \`pulumi stack export\` or \`preview --out\`): at ${where}: ${first?.message ?? "invalid"}`,
    );
  }
  const deployment = parsed.data as unknown as Deployment;
  deployment.deployment.resources ??= [];
  for (const r of deployment.deployment.resources) r.custom ??= true;
  return deployment;
}

export function readDeployment(file: string): Deployment {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new DeploymentFormatError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DeploymentFormatError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseDeployment(json, file);
}

/** The resource name part of a URN (`urn:pulumi:stack::project::type::name`). */
export function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** The type part of a URN, with its parent chain (`parent$child`) stripped. */
export function urnType(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").pop() ?? "";
}

export function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The stack every URN of the state names (`urn:pulumi:<stack>::…`), if they agree on one. */
export function stackOfState(deployment: Deployment): string | undefined {
  const stacks = new Set(deployment.deployment.resources.map((r) => /^urn:pulumi:([^:]+)::/.exec(r.urn)?.[1]));
  const [only] = stacks;
  return stacks.size === 1 ? only : undefined;
}
