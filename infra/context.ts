/**
 * What every component needs to know about the stack it is in: the validated config, the
 * release identity (version, git sha), the tag set, and the options for stateful resources.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stackNames, type StackNames } from "../config/names";
import { promotionProblems } from "../config/promotion";
import { PROJECT, type StackConfig } from "../config/schema";
import { REPO_ROOT } from "../config/stack-file";
import { isProductionTier } from "../config/units";
import { findReleasePackage } from "./components/release-archive";

export interface StackContext {
  stack: string;
  cfg: StackConfig;
  region: string;
  version: string;
  gitSha: string;
  /** Every physical name the stack's resources get (config/names.ts). */
  names: StackNames;
  /** The tags every taggable resource carries; data stores add data-classification and owner. */
  tags(extra?: Record<string, string>): Record<string, string>;
  /** Options for stateful resources: protected and retained on delete where the stack says so. */
  stateful: pulumi.CustomResourceOptions;
}

/** The one place the pipeline names the release a stack deploys and archives. */
export const RELEASE_VERSION_ENV = "RELEASE_VERSION";

/** The release version: RELEASE_VERSION when the pipeline sets it, else package.json (see `releaseProblems`). */
export function releaseVersion(): string {
  if (process.env[RELEASE_VERSION_ENV]) return process.env[RELEASE_VERSION_ENV];
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  return pkg.version;
}

/** The commit being deployed: RELEASE_GIT_SHA (the release command), CI's GITHUB_SHA, else HEAD. */
export function gitSha(): string {
  for (const v of [process.env.RELEASE_GIT_SHA, process.env.GITHUB_SHA]) if (v && /^[0-9a-f]{40}$/.test(v)) return v;
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "0000000000000000000000000000000000000000";
  }
}

/** A note for whoever runs `pulumi preview/up`: the engine's log, or stderr offline (stdout may carry JSON). */
export function notice(level: "info" | "warn", message: string, resource?: pulumi.Resource): void {
  if (pulumi.runtime.hasEngine()) void (level === "warn" ? pulumi.log.warn(message, resource) : pulumi.log.info(message, resource));
  else process.stderr.write(`${level === "warn" ? "warning" : "info"}: ${message}\n`);
}

/**
 * What a production-tier stack must know before it deploys: the release the pipeline names
 * (RELEASE_VERSION, not whatever package.json says) and that release's package, which `up`
 * archives. Returned as problems; the caller fails an update and only warns in a preview.
 */
export function releaseProblems(ctx: Pick<StackContext, "stack" | "cfg" | "version">, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!isProductionTier(ctx.cfg)) return [];
  const problems: string[] = [];
  if (!env[RELEASE_VERSION_ENV]) {
    problems.push(`${RELEASE_VERSION_ENV} is not set: a production-tier stack deploys and archives exactly the release the pipeline names (export ${RELEASE_VERSION_ENV}=<version> before \`pulumi up --stack ${ctx.stack}\`); package.json says ${ctx.version}`);
  }
  const found = findReleasePackage(ctx);
  if (!found.dir) problems.push(`nothing to archive for ${ctx.stack} ${ctx.version} (${found.note})`);
  return problems;
}

/** The Datadog–PagerDuty integration is installed by hand; without it the service objects fail to create. */
export function pagerdutyIntegrationProblems(stack: string, cfg: StackConfig): string[] {
  const integration = cfg.observability.pagerdutyIntegration;
  if (integration.activated) return [];
  return [
    `${PROJECT}:observability.pagerdutyIntegration.activated is false: activate the Datadog–PagerDuty integration first (Datadog → Integrations → PagerDuty → install, connect the PagerDuty account ${integration.subdomain}.pagerduty.com), then set it with: pulumi config set --stack ${stack} --path 'observability.pagerdutyIntegration.activated' true (runbooks/startup.md, "Before the first deploy")`,
  ];
}

/**
 * What AWS, Datadog or PagerDuty would refuse halfway through an update, from the config alone:
 * the program checks it before declaring anything, and so does the offline preview.
 */
export function stackPreconditionProblems(stack: string, cfg: StackConfig): string[] {
  return [...promotionProblems(stack, cfg), ...pagerdutyIntegrationProblems(stack, cfg)];
}

export function createContext(stack: string, cfg: StackConfig, region: string): StackContext {
  const base = {
    environment: cfg.environment,
    // Datadog's unified tag: the log forwarder copies log-group tags onto the logs as `env:`.
    env: cfg.environment,
    project: "backend-release",
    "managed-by": "pulumi",
    "cost-center": cfg.tags.costCenter,
    owner: cfg.tags.owner,
    "data-classification": cfg.tags.dataClassification,
  };
  return {
    stack,
    cfg,
    region,
    version: releaseVersion(),
    gitSha: gitSha(),
    names: stackNames(stack, cfg),
    tags: (extra = {}) => ({ ...base, ...extra }),
    stateful: cfg.protectStateful ? { protect: true, retainOnDelete: true } : {},
  };
}
