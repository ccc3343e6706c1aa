/**
 * Real ed25519 keys and a real release package in a temp dir, for sign-off tests.
 * Keys come from ssh-keygen itself, so the signatures are exactly what people will produce.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildManifest, writeManifest, type ManifestCheck, type ManifestSignoff, type ReleaseManifest } from "../../infra/signoff/manifest";

export const DIGEST = "sha256:d836ec87c4876095ac9f6b8f2fc416e7d8eff5cd3025b507697edd19ec43e003";

export interface TestKey {
  name: string;
  path: string;
  /** `ssh-ed25519 AAAA…` */
  publicKey: string;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function makeKey(dir: string, name: string): TestKey {
  const path = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path]);
  const publicKey = readFileSync(`${path}.pub`, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
  return { name, path, publicKey };
}

export const FIXTURE_SHA = "0123456789abcdef0123456789abcdef01234567";
export const PASSED: ManifestCheck[] = [
  { id: "artifacts", status: "pass", blocking: true },
  { id: "policy", status: "pass", blocking: true },
];
export const ONE_OF_EACH: ManifestSignoff = { tier: "production", requiredRoles: { architecture: 1, security: 1, operations: 1 } };

export interface PackageOptions {
  version?: string;
  stack?: string;
  imageDigests?: Record<string, string>;
  gitSha?: string;
  checks?: ManifestCheck[];
  signoff?: ManifestSignoff;
}

/** A package with a few files (one nested) and its manifest. */
export function makePackage(dir: string, opts: PackageOptions = {}): { dir: string; manifest: ReleaseManifest } {
  mkdirSync(join(dir, "reports"), { recursive: true });
  writeFileSync(join(dir, "README.md"), "# release\n");
  writeFileSync(join(dir, "reports", "policy.json"), '{"violations":[]}\n');
  writeFileSync(join(dir, "checksums.sha256"), "abc  file\n");
  const manifest = buildManifest({
    dir,
    version: opts.version ?? "1.4.0",
    stack: opts.stack ?? "prod",
    gitSha: opts.gitSha ?? FIXTURE_SHA,
    imageDigests: opts.imageDigests ?? { "orders-api": DIGEST },
    versions: { node: "20.19.0", "@pulumi/pulumi": "3.248.0" },
    checks: opts.checks ?? PASSED,
    signoff: opts.signoff ?? ONE_OF_EACH,
  });
  writeManifest(dir, manifest);
  return { dir, manifest };
}

export function copyPackage(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

export interface SignerLine {
  principal: string;
  key: TestKey;
  roles: string[];
  options?: string;
}

export function allowedSigners(file: string, lines: SignerLine[]): string {
  const text = lines.map((l) => `${l.principal} ${l.options ?? 'namespaces="backend-release-signoff"'} ${l.key.publicKey} roles=${l.roles.join(",")} ${l.key.name}`).join("\n");
  writeFileSync(file, `# test signers\n${text}\n`);
  return file;
}
