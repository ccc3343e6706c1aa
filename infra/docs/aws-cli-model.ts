/**
 * Checks `aws <service> <operation> …` calls against the AWS CLI's own command model: botocore's
 * service data (Debian's python3-botocore / awscli), the same JSON the CLI builds its commands
 * from. Operation and parameter names go through botocore's `xform_name`, as the CLI does.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SimpleCommand } from "./runbook-shell";

export const BOTOCORE_DATA_DIRS = ["/usr/lib/python3/dist-packages/botocore/data", "/usr/share/awscli/botocore/data"];

/** The CLI's options valid on every operation (`aws help global options`, plus pagination and input files). */
const GLOBAL_OPTIONS = new Set(["--region", "--output", "--query", "--profile", "--endpoint-url", "--no-verify-ssl", "--no-paginate", "--no-cli-pager", "--color", "--debug", "--cli-read-timeout", "--cli-connect-timeout", "--cli-binary-format", "--cli-auto-prompt", "--no-cli-auto-prompt", "--no-sign-request", "--ca-bundle"]);
const PAGINATION_OPTIONS = new Set(["--max-items", "--starting-token", "--page-size"]);
const INPUT_FILE_OPTIONS = new Set(["--cli-input-json", "--cli-input-yaml"]);

/**
 * Commands the CLI adds on top of the service APIs (awscli/customizations), which botocore's data
 * does not describe: their positional arguments and options, from `aws <service> <command> help`.
 */
const CUSTOMIZATIONS: Record<string, { positional: string[]; options: string[] }> = {
  "logs tail": { positional: ["group-name"], options: ["--since", "--until", "--follow", "--format", "--filter-pattern", "--log-stream-names", "--log-stream-name-prefix"] },
  "s3 cp": {
    positional: ["source", "destination"],
    options: ["--recursive", "--dryrun", "--quiet", "--include", "--exclude", "--only-show-errors", "--no-progress", "--page-size", "--follow-symlinks", "--no-follow-symlinks", "--request-payer", "--checksum-mode", "--expected-size", "--source-region"],
  },
};

/** CLI service names that differ from botocore's directory names. */
const SERVICE_ALIASES: Record<string, string> = { s3api: "s3" };

/** Our stacks never run in the account's `default` cluster, which the CLI falls back to. */
const ALWAYS_REQUIRED_IF_MEMBER = ["cluster"];

/** botocore.xform_name: `ListTaskDefinitions` → `list-task-definitions`, `enableECSManagedTags` → `enable-ecs-managed-tags`. */
export function xformName(name: string, sep = "-"): string {
  let n = name;
  const special = /[A-Z]{2,}s$/.exec(n);
  if (special) n = `${n.slice(0, -special[0].length)}${sep}${special[0].toLowerCase()}`;
  const s1 = n.replace(/(.)([A-Z][a-z]+)/g, `$1${sep}$2`);
  return s1.replace(/([a-z0-9])([A-Z])/g, `$1${sep}$2`).toLowerCase();
}

interface Shape {
  type: string;
  required?: string[];
  members?: Record<string, { shape: string }>;
}
interface ServiceModel {
  operations: Record<string, { input?: { shape: string } }>;
  shapes: Record<string, Shape>;
}
interface Waiters {
  waiters: Record<string, { operation: string }>;
}

export class AwsCliModel {
  private readonly cache = new Map<string, { model: ServiceModel; waiters: Waiters | null }>();

  constructor(private readonly dataDir: string) {}

  /** The first botocore data directory that exists, or null (the caller says how to install it). */
  static locate(dirs: readonly string[] = BOTOCORE_DATA_DIRS): AwsCliModel | null {
    const dir = dirs.find((d) => existsSync(d));
    return dir ? new AwsCliModel(dir) : null;
  }

  private service(name: string): { model: ServiceModel; waiters: Waiters | null } | null {
    const dirName = SERVICE_ALIASES[name] ?? name;
    if (this.cache.has(dirName)) return this.cache.get(dirName)!;
    const base = join(this.dataDir, dirName);
    if (!existsSync(base)) return null;
    const version = readdirSync(base).filter((v) => existsSync(join(base, v, "service-2.json"))).sort().at(-1);
    if (!version) return null;
    const waitersFile = join(base, version, "waiters-2.json");
    const entry = {
      model: JSON.parse(readFileSync(join(base, version, "service-2.json"), "utf8")) as ServiceModel,
      waiters: existsSync(waitersFile) ? (JSON.parse(readFileSync(waitersFile, "utf8")) as Waiters) : null,
    };
    this.cache.set(dirName, entry);
    return entry;
  }

  /** Problems with one `aws …` call; empty when the CLI would accept its operation and arguments. */
  check(cmd: SimpleCommand): string[] {
    const [service, op, ...rest] = cmd.args;
    if (!service || !op) return [`"aws ${cmd.args.join(" ")}" names no service and operation`];
    const custom = CUSTOMIZATIONS[`${service} ${op}`];
    if (custom) return checkCustomization(`${service} ${op}`, custom, rest);
    const svc = this.service(service);
    if (!svc) return [`"${service}" is not an AWS CLI service (no botocore data in ${this.dataDir})`];
    let opName: string | undefined;
    let args = rest;
    if (op === "wait") {
      const waiter = rest[0];
      const w = Object.entries(svc.waiters?.waiters ?? {}).find(([name]) => xformName(name) === waiter);
      if (!w) return [`"aws ${service} wait ${waiter ?? ""}" is no waiter of ${service}`];
      opName = w[1].operation;
      args = rest.slice(1);
    } else {
      opName = Object.keys(svc.model.operations).find((name) => xformName(name) === op);
      if (!opName) return [`"aws ${service} ${op}": ${service} has no operation ${op}`];
    }
    const label = `aws ${service} ${op === "wait" ? `wait ${rest[0]}` : op}`;
    const inputShape = svc.model.operations[opName]!.input?.shape;
    const shape: Shape = inputShape ? svc.model.shapes[inputShape]! : { type: "structure", members: {} };
    const members = Object.keys(shape.members ?? {});
    const flags = new Map(members.map((m) => [`--${xformName(m)}`, m]));
    const booleans = new Set(members.filter((m) => svc.model.shapes[shape.members![m]!.shape]?.type === "boolean").map((m) => `--no-${xformName(m)}`));
    const problems: string[] = [];
    const given = new Set<string>();
    for (const a of args) {
      if (!a.startsWith("--")) continue;
      if (!flags.has(a) && !booleans.has(a) && !GLOBAL_OPTIONS.has(a) && !PAGINATION_OPTIONS.has(a) && !INPUT_FILE_OPTIONS.has(a)) problems.push(`${label}: unknown option ${a}`);
      given.add(a);
    }
    // An input file supplies the parameters; the CLI checks them when it reads it.
    if ([...INPUT_FILE_OPTIONS].some((o) => given.has(o))) return problems;
    const required = [...(shape.required ?? []), ...ALWAYS_REQUIRED_IF_MEMBER.filter((m) => members.includes(m))];
    for (const m of required) {
      const flag = `--${xformName(m)}`;
      if (!given.has(flag) && !(booleans.has(`--no-${xformName(m)}`) && given.has(`--no-${xformName(m)}`))) problems.push(`${label}: missing required ${flag}`);
    }
    return problems;
  }
}

/** Positional arguments come first (flags such as `--follow` take no value, so only the order tells them apart). */
function checkCustomization(label: string, spec: { positional: string[]; options: string[] }, args: string[]): string[] {
  const problems: string[] = [];
  const firstFlag = args.findIndex((a) => a.startsWith("--"));
  const positional = firstFlag === -1 ? args : args.slice(0, firstFlag);
  if (positional.length < spec.positional.length) problems.push(`aws ${label}: missing ${spec.positional.slice(positional.length).join(", ")} (before the options)`);
  for (const a of args) if (a.startsWith("--") && !spec.options.includes(a) && !GLOBAL_OPTIONS.has(a)) problems.push(`aws ${label}: unknown option ${a}`);
  return problems;
}
