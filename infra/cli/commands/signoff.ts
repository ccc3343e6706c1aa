/**
 * `signoff sign --role R --key K --version V [--stack S] [--principal P]`: an SSH signature over
 * the release manifest, written to `approvals/<role>-<principal>.sig` in the package.
 * `signoff verify --version V [--stack S] [--format json]`: each signature against
 * config/allowed_signers, each required role counted; exit 1 on NO-GO with every reason.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import type { StackConfig } from "../../../config/schema";
import { loadStackConfig, StackFileError } from "../../../config/stack-file";
import { AllowedSignersError, DEFAULT_ALLOWED_SIGNERS } from "../../signoff/allowed-signers";
import { ManifestError, readManifest, releasePackageDir } from "../../signoff/manifest";
import { signManifest, SignoffInputError } from "../../signoff/sign";
import { SshKeygenError } from "../../signoff/ssh-keygen";
import { verifySignoffs, type SignoffReport } from "../../signoff/verify";
import { BlockingError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";

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

/** The package of a version, and the stack it is for (the manifest's, unless --stack says). */
export function resolvePackage(opts: { version: string; stack?: string; package?: string }): { dir: string; stack: string; cfg: StackConfig } {
  const dir = opts.package ?? releasePackageDir(opts.version);
  if (!existsSync(dir)) throw new InputError(`no release package at ${dir}: build it with \`npm run release -- --stack <stack> --version ${opts.version}\``);
  const stack = opts.stack ?? readManifest(dir).manifest.stack;
  return { dir, stack, cfg: loadStackConfig(stack) };
}

export function renderReport(r: SignoffReport): string {
  const lines = [`Sign-offs for release ${r.version ?? "?"} (stack ${r.stack}) in ${r.packageDir}`];
  if (r.manifestSha256) lines.push(`manifest.json sha256 ${r.manifestSha256}`);
  lines.push(r.package.ok ? "package: every file matches manifest.json" : "package: does NOT match manifest.json");
  for (const p of r.package.problems) lines.push(`  ✗ ${p.message}`);
  lines.push("signatures:");
  if (r.signatures.length === 0) lines.push("  (none in approvals/)");
  for (const s of r.signatures) lines.push(s.valid ? `  ✓ ${s.file}: ${s.reason}` : `  ✗ ${s.file} [${s.code}]: ${s.reason}`);
  lines.push("roles:");
  for (const role of r.roles) lines.push(`  ${role.satisfied ? "✓" : "✗"} ${role.role}: ${role.valid}/${role.required}${role.signers.length ? ` (${role.signers.join(", ")})` : ""}`);
  lines.push(r.go ? "GO: the package is intact and every required role signed it" : "NO-GO");
  return `${lines.join("\n")}\n`;
}

interface CommonOptions {
  version: string;
  stack?: string;
  package?: string;
  allowedSigners: string;
}

export function registerSignoff(program: Command): void {
  const signoff = program.command("signoff").description("Sign off a release (SSH signature over its manifest.json) or verify its sign-offs");
  signoff
    .command("sign")
    .description("Sign the release manifest with your SSH key as one role; writes approvals/<role>-<principal>.sig")
    .requiredOption("--role <role>", "architecture, security or operations")
    .requiredOption("--key <file>", "your SSH private key (or its .pub when the key is in ssh-agent)")
    .requiredOption("--version <version>", "release version (package backend/outputs/phase-5/<version>/)")
    .option("--stack <stack>", "stack the release is for (checked against the manifest)")
    .option("--principal <principal>", "your principal in config/allowed_signers (default: looked up by key and role)")
    .option("--package <dir>", "package directory (default: backend/outputs/phase-5/<version>/)")
    .option("--allowed-signers <file>", "allowed signers file", DEFAULT_ALLOWED_SIGNERS)
    .action(async (opts: CommonOptions & { role: string; key: string; principal?: string }) => {
      const result = await withInputErrors(async () => {
        const { dir, stack } = resolvePackage(opts);
        const { manifest } = readManifest(dir);
        if (manifest.stack !== stack) throw new InputError(`the package is for stack "${manifest.stack}", not "${stack}"`);
        if (manifest.version !== opts.version) throw new InputError(`the package is for version "${manifest.version}", not "${opts.version}"`);
        return signManifest({ packageDir: dir, role: opts.role, keyPath: opts.key, principal: opts.principal, allowedSignersPath: opts.allowedSigners });
      });
      console.log(`signed manifest.json (sha256 ${result.manifestSha256}) as ${result.role} for ${result.principal}: ${result.file}`);
    });
  signoff
    .command("verify")
    .description("Verify the package against its manifest and every sign-off against config/allowed_signers; exit 1 on NO-GO")
    .requiredOption("--version <version>", "release version (package backend/outputs/phase-5/<version>/)")
    .option("--stack <stack>", "stack whose signoff.requiredRoles apply (default: the manifest's stack)")
    .option("--package <dir>", "package directory (default: backend/outputs/phase-5/<version>/)")
    .option("--allowed-signers <file>", "allowed signers file", DEFAULT_ALLOWED_SIGNERS)
    .option("--format <format>", "text or json", "text")
    .action(async (opts: CommonOptions & { format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const report = await withInputErrors(async () => {
        const { dir, stack, cfg } = resolvePackage(opts);
        return verifySignoffs({ packageDir: dir, stack, cfg, version: opts.version, allowedSignersPath: opts.allowedSigners });
      });
      if (format === "json") printJson(report);
      else process.stdout.write(renderReport(report));
      if (!report.go) throw new BlockingError(`release ${opts.version} is NO-GO: ${report.reasons.length} reason(s)${format === "json" ? "" : " (listed above)"}`);
    });
}
