/**
 * `signoff sign --role R --key K --version V [--stack S] [--principal P]`: an SSH signature over
 * the release manifest, written to `approvals/<role>-<principal>.sig` in the package.
 * `signoff verify --version V [--stack S] [--commit REV] [--format json]`: the package against its
 * manifest and the commit being deployed, its recorded checks, and each signature against
 * `config/allowed_signers` as of the manifest's commit (or --signers-ref); exit 1 on NO-GO.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import type { StackConfig } from "../../../config/schema";
import { loadStackConfig, REPO_ROOT, StackFileError } from "../../../config/stack-file";
import { parseReleaseVersion } from "../../release/version";
import { AllowedSignersError } from "../../signoff/allowed-signers";
import { ManifestError, packagedStacks, readManifest, releasePackageDir } from "../../signoff/manifest";
import { signManifest, SignoffInputError } from "../../signoff/sign";
import { SshKeygenError } from "../../signoff/ssh-keygen";
import type { SignersSource } from "../../signoff/trust";
import { verifySignoffs, type SignoffReport } from "../../signoff/verify";
import { BlockingError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";
import { addStackOption, resolveStack } from "../stack";

/** Turns the sign-off modules' input errors into the contract's exit-2 errors. */
export function asInputError(err: unknown): unknown {
  if (err instanceof ConfigError) return new InputError(err.message.split("\n")[0] ?? err.message, err.problems);
  if (err instanceof AllowedSignersError || err instanceof SignoffInputError) return new InputError(err.message, err instanceof AllowedSignersError ? err.problems : err.details);
  if (err instanceof ManifestError || err instanceof StackFileError || err instanceof SshKeygenError) return new InputError(err.message);
  return err;
}

export async function withInputErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asInputError(err);
  }
}

/**
 * The package of a version for a stack, and the stack: --stack, else PULUMI_STACK, else the one
 * the input names (the manifest of --package, or the only stack with a package of the version);
 * the package is --package, else `backend/outputs/phase-5/<version>/<stack>/`.
 */
export function resolvePackage(opts: { version: string; stack?: string; package?: string }): { dir: string; stack: string; cfg: StackConfig } {
  const hint = (stack?: string) => `build it with \`npm run release -- --stack ${stack ?? "<stack>"} --version ${opts.version}\``;
  if (opts.package && !existsSync(opts.package)) throw new InputError(`no release package at ${opts.package}: ${hint(opts.stack)}`);
  const packaged = opts.package ? [] : packagedStacks(opts.version);
  const { name: stack } = resolveStack(opts.stack, {
    fromInput: () => {
      if (opts.package) return { name: readManifest(opts.package).manifest.stack, source: `the manifest of ${opts.package}` };
      return packaged.length === 1 ? { name: packaged[0]!, source: `the only package of ${opts.version}` } : undefined;
    },
    details: [packaged.length === 0 ? `no release package of ${opts.version} yet: ${hint()}` : `version ${opts.version} has packages for ${packaged.join(" and ")}`],
  });
  const dir = opts.package ?? releasePackageDir(opts.version, stack);
  if (!existsSync(dir)) throw new InputError(`no release package at ${dir}: ${hint(stack)}`);
  return { dir, stack, cfg: loadStackConfig(stack) };
}

/**
 * The commit being deployed or approved: --commit (any git revision), else the one the pipeline
 * names (RELEASE_GIT_SHA, CI's GITHUB_SHA), else the checkout's HEAD.
 */
export function resolveCommit(rev?: string, root = REPO_ROOT): string {
  if (rev === undefined) {
    for (const v of [process.env.RELEASE_GIT_SHA, process.env.GITHUB_SHA]) if (v && /^[0-9a-f]{40}$/.test(v)) return v;
  }
  const wanted = rev ?? "HEAD";
  if (wanted.startsWith("-")) throw new InputError(`--commit "${wanted}" is not a git revision`);
  try {
    return execFileSync("git", ["rev-parse", "--verify", "--quiet", `${wanted}^{commit}`], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    throw new InputError(`--commit ${wanted}: no such commit in ${root} (fetch it, or pass the 40-hex sha of the commit being deployed)`);
  }
}

/** --allowed-signers FILE (a copy fetched from a trusted place) or --signers-ref REF; default: the manifest's commit. */
export function signersFrom(opts: { allowedSigners?: string; signersRef?: string }): SignersSource | undefined {
  if (opts.allowedSigners && opts.signersRef) throw new InputError("pass --allowed-signers or --signers-ref, not both");
  if (opts.allowedSigners) return { kind: "file", path: opts.allowedSigners };
  if (opts.signersRef) return { kind: "git", rev: opts.signersRef, repo: REPO_ROOT };
  return undefined;
}

export function parseWaitSeconds(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new InputError(`--wait-lock must be a number of seconds from 0 to 86400, found "${value}"`);
  return n * 1000;
}

export function renderReport(r: SignoffReport): string {
  const lines = [`Sign-offs for release ${r.version ?? "?"} (stack ${r.stack}) in ${r.packageDir}`];
  if (r.manifestSha256) lines.push(`manifest.json sha256 ${r.manifestSha256}, commit ${r.gitSha ?? "?"}`);
  if (r.signersSource) lines.push(`trusted signers: ${r.signersSource}`);
  lines.push(r.package.ok ? "package: every file matches manifest.json" : "package: does NOT match manifest.json (or the stack, version or commit)");
  for (const p of r.package.problems) lines.push(`  ✗ ${p.message}`);
  for (const c of r.failedChecks) lines.push(`  ✗ check ${c} when the package was built`);
  lines.push("signatures:");
  if (r.signatures.length === 0) lines.push("  (none in approvals/)");
  for (const s of r.signatures) lines.push(s.valid ? `  ✓ ${s.file}: ${s.reason}` : `  ✗ ${s.file} [${s.code}]: ${s.reason}`);
  lines.push(`roles (${r.tier ?? "?"} tier; one person fills at most one role):`);
  for (const role of r.roles) lines.push(`  ${role.satisfied ? "✓" : "✗"} ${role.role}: ${role.valid}/${role.required}${role.signers.length ? ` (${role.signers.join(", ")})` : ""}`);
  lines.push(r.go ? "GO: the package is intact, every check passed, and every required role signed it" : "NO-GO");
  return `${lines.join("\n")}\n`;
}

interface CommonOptions {
  version: string;
  stack?: string;
  package?: string;
  allowedSigners?: string;
  signersRef?: string;
}

/** The input that names the stack when neither --stack nor PULUMI_STACK does. */
export const PACKAGE_NAMES_STACK = "the manifest of --package, or the only stack with a package of the version";

export function registerSignoff(program: Command): void {
  const signoff = program.command("signoff").description("Sign off a release (SSH signature over its manifest.json) or verify its sign-offs");
  const sign = signoff
    .command("sign")
    .description("Sign the release manifest with your SSH key as one role; writes approvals/<role>-<principal>.sig (never over another key's approval)")
    .requiredOption("--role <role>", "architecture, security or operations")
    .requiredOption("--key <file>", "your SSH private key (or its .pub when the key is in ssh-agent)")
    .requiredOption("--version <version>", "release version (semver; a leading v is accepted)");
  addStackOption(sign, "stack the release is for", PACKAGE_NAMES_STACK)
    .option("--principal <principal>", "your principal in config/allowed_signers (default: looked up by key and role); must own the key")
    .option("--package <dir>", "package directory (default: backend/outputs/phase-5/<version>/<stack>/)")
    .option("--signers-ref <ref>", "read config/allowed_signers from this protected ref (default: the manifest's commit)")
    .option("--allowed-signers <file>", "read allowed signers from this file instead (a copy fetched from a trusted place)")
    .option("--wait-lock <seconds>", "wait this long for a release of the version that holds the lock", "0")
    .action(async (opts: CommonOptions & { role: string; key: string; principal?: string; waitLock?: string }) => {
      const version = parseReleaseVersion(opts.version);
      const waitLockMs = parseWaitSeconds(opts.waitLock);
      const signers = signersFrom(opts);
      const result = await withInputErrors(async () => {
        const { dir, stack } = resolvePackage({ ...opts, version });
        const { manifest } = readManifest(dir);
        if (manifest.stack !== stack) throw new InputError(`the package is for stack "${manifest.stack}", not "${stack}"`);
        if (manifest.version !== version) throw new InputError(`the package is for version "${manifest.version}", not "${version}"`);
        return signManifest({ packageDir: dir, role: opts.role, keyPath: opts.key, principal: opts.principal, waitLockMs, ...(signers ? { signers } : {}) });
      });
      console.log(`signed manifest.json (sha256 ${result.manifestSha256}) as ${result.role} for ${result.principal}: ${result.file}${result.replaced ? " (replaced your earlier approval)" : ""}`);
    });
  const verify = signoff
    .command("verify")
    .description("Verify the package against its manifest and the commit being deployed, its recorded checks, and every sign-off against config/allowed_signers of the manifest's commit; exit 1 on NO-GO")
    .requiredOption("--version <version>", "release version (semver; a leading v is accepted)");
  addStackOption(verify, "stack whose package and signoff.requiredRoles apply", PACKAGE_NAMES_STACK)
    .option("--package <dir>", "package directory (default: backend/outputs/phase-5/<version>/<stack>/)")
    .option("--commit <rev>", "the commit being deployed (default: RELEASE_GIT_SHA, GITHUB_SHA, else HEAD)")
    .option("--signers-ref <ref>", "read config/allowed_signers from this protected ref (default: the manifest's commit)")
    .option("--allowed-signers <file>", "read allowed signers from this file instead (a copy fetched from a trusted place)")
    .option("--format <format>", "text or json", "text")
    .action(async (opts: CommonOptions & { commit?: string; format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const version = parseReleaseVersion(opts.version);
      const signers = signersFrom(opts);
      const commit = resolveCommit(opts.commit);
      const report = await withInputErrors(async () => {
        const { dir, stack, cfg } = resolvePackage({ ...opts, version });
        return verifySignoffs({ packageDir: dir, stack, cfg, version, commit, ...(signers ? { signers } : {}) });
      });
      if (format === "json") printJson(report);
      else process.stdout.write(renderReport(report));
      if (!report.go) throw new BlockingError(`release ${version} is NO-GO: ${report.reasons.length} reason(s)${format === "json" ? "" : " (listed above)"}`);
    });
}
