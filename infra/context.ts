/**
 * What every component needs to know about the stack it is in: the validated config, the
 * release identity (version, git sha), the tag set, and the options for stateful resources.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { stackNames, type StackNames } from "../config/names";
import type { StackConfig } from "../config/schema";
import { REPO_ROOT } from "../config/stack-file";

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

/** The release version: RELEASE_VERSION when the pipeline sets it, else package.json. */
export function releaseVersion(): string {
  if (process.env.RELEASE_VERSION) return process.env.RELEASE_VERSION;
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
