/**
 * `verify-deploy [--stack S] --version V [--cluster C] [--commit REV] [--format json]`: the
 * pipeline's post-deploy step. The digest counts as approved only if the release package is GO
 * for the commit being deployed (the same verdict as `signoff verify`: intact, every recorded
 * check passed, signed off by trusted keys); then each ECS service must run exactly that digest.
 * Exit 1 when it does not (or the release is NO-GO), 2 on bad input (no AWS credentials included).
 *
 * The AWS SDK is loaded and its client made only when ECS is asked (a GO release): a NO-GO or a
 * bad input never touches it (nor prints its Node.js support warning).
 */
import type { Command } from "commander";
import { stackNames } from "../../../config/names";
import { readStackFile } from "../../../config/stack-file";
import { parseReleaseVersion } from "../../release/version";
import { readManifest } from "../../signoff/manifest";
import type { SignersSource } from "../../signoff/trust";
import { checkDeployedDigests, type DigestCheckReport, type EcsReader } from "../../signoff/deployed-digest";
import { verifySignoffs, type SignoffReport } from "../../signoff/verify";
import { BlockingError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";
import { step } from "../progress";
import { addStackOption } from "../stack";
import { PACKAGE_NAMES_STACK, resolveCommit, resolvePackage, signersFrom, withInputErrors } from "./signoff";


export interface VerifyDeployInput {
  /** --stack (else PULUMI_STACK, else the package's; see ../stack.ts). */
  stack?: string;
  version: string;
  packageDir?: string;
  /** The commit being deployed: the manifest must be for it. */
  commit: string;
  signers?: SignersSource;
  allowedSignersPath?: string;
  cluster?: string;
  /** The ECS reader, or what makes it for the stack's region (called only when ECS is asked). */
  ecs: EcsReader | ((region: string | undefined) => EcsReader | Promise<EcsReader>);
  /** --region (default: aws:region of the stack's Pulumi.<stack>.yaml). */
  region?: string;
  now?: Date;
}

export interface VerifyDeployResult {
  stack: string;
  version: string;
  cluster: string;
  approved: boolean;
  signoffs: Pick<SignoffReport, "go" | "reasons" | "manifestSha256">;
  /** Undefined when the release is not approved (ECS is then not asked). */
  digests?: DigestCheckReport;
  ok: boolean;
}

export async function verifyDeploy(input: VerifyDeployInput): Promise<VerifyDeployResult> {
  const { dir, stack, cfg } = resolvePackage({ version: input.version, stack: input.stack, package: input.packageDir });
  const report = await verifySignoffs({ packageDir: dir, stack, cfg, version: input.version, commit: input.commit, signers: input.signers, allowedSignersPath: input.allowedSignersPath, now: input.now });
  // The names the components gave the cluster and services (config/names.ts), not a second guess.
  const names = stackNames(stack, cfg);
  const cluster = input.cluster ?? names.cluster;
  const base = { stack, version: input.version, cluster, approved: report.go, signoffs: { go: report.go, reasons: report.reasons, manifestSha256: report.manifestSha256 } };
  if (!report.go) return { ...base, ok: false };
  // Only a GO reaches here: the manifest read now is the one just verified.
  const approved = readManifest(dir).manifest.imageDigests;
  const region = input.region ?? readStackFile(stack).config["aws:region"];
  const digests = await step(`asking ECS which image digests the services of ${cluster} run`, async () => checkDeployedDigests(typeof input.ecs === "function" ? await input.ecs(region) : input.ecs, cluster, approved, cfg.services.map((s) => s.name)));
  return { ...base, digests, ok: digests.ok };
}

/** AWS SDK errors the operator fixes in their environment (credentials, region): bad input, not a crash. */
export function awsInputError(err: unknown): InputError | undefined {
  const e = err as { name?: string; message?: string };
  if (e?.name === "CredentialsProviderError" || /Could not load credentials/i.test(e?.message ?? "")) {
    return new InputError("no AWS credentials for verify-deploy: set AWS_PROFILE (aws sso login) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run it where the deploy role is assumed (CI: OIDC)");
  }
  if (/Region is missing/i.test(e?.message ?? "")) return new InputError("no AWS region: pass --region or set aws:region in Pulumi.<stack>.yaml");
  if (["UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException", "AccessDeniedException"].includes(e?.name ?? "")) {
    return new InputError(`AWS refused the credentials (${e.name}): ${(e.message ?? "").split("\n")[0]}; refresh them (aws sso login) or use a role that may call ecs:DescribeServices and ecs:DescribeTaskDefinition`);
  }
  return undefined;
}

function render(r: VerifyDeployResult): string {
  const lines = [`verify-deploy: stack ${r.stack}, release ${r.version}, cluster ${r.cluster}`];
  if (!r.approved) {
    lines.push("release is not approved (NO-GO), so no digest of it counts as approved:");
    for (const reason of r.signoffs.reasons) lines.push(`  ✗ ${reason}`);
  }
  for (const s of r.digests?.services ?? []) {
    lines.push(`${s.ok ? "✓" : "✗"} ${s.service}: runs ${s.running.join(", ") || "(nothing)"}; approved ${s.approved ?? "(none)"}`);
    for (const p of s.problems) lines.push(`    ${p}`);
  }
  lines.push(r.ok ? "OK: every service runs its approved digest" : "FAILED");
  return `${lines.join("\n")}\n`;
}

/** The real ECS client, loaded on first use. */
async function ecsClient(region: string | undefined): Promise<EcsReader> {
  const { ECS } = await import("@aws-sdk/client-ecs");
  return new ECS(region ? { region } : {});
}

export function registerVerifyDeploy(program: Command): void {
  const cmd = program
    .command("verify-deploy")
    .description("After deploy: check that each ECS service runs the image digest approved in the signed release manifest")
    .requiredOption("--version <version>", "release version whose package holds the approved digests");
  addStackOption(cmd, "deployed stack", PACKAGE_NAMES_STACK)
    .option("--cluster <name>", "ECS cluster (default: backend-release-<stack>)")
    .option("--region <region>", "AWS region (default: aws:region of Pulumi.<stack>.yaml)")
    .option("--package <dir>", "package directory (default: backend/outputs/phase-5/<version>/<stack>/)")
    .option("--commit <rev>", "the commit being deployed (default: RELEASE_GIT_SHA, GITHUB_SHA, else HEAD)")
    .option("--signers-ref <ref>", "read config/allowed_signers from this protected ref (default: the manifest's commit)")
    .option("--allowed-signers <file>", "read allowed signers from this file instead (a copy fetched from a trusted place)")
    .option("--format <format>", "text or json", "text")
    .action(async (opts: { stack?: string; version: string; cluster?: string; region?: string; package?: string; commit?: string; signersRef?: string; allowedSigners?: string; format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const version = parseReleaseVersion(opts.version);
      const signers = signersFrom(opts);
      const commit = resolveCommit(opts.commit);
      const result = await withInputErrors(async () => {
        try {
          return await verifyDeploy({ stack: opts.stack, version, packageDir: opts.package, commit, signers, cluster: opts.cluster, region: opts.region, ecs: ecsClient });
        } catch (err) {
          throw awsInputError(err) ?? err;
        }
      });
      if (format === "json") printJson(result);
      else process.stdout.write(render(result));
      if (!result.ok) throw new BlockingError(result.approved ? `a service does not run its approved digest (release ${opts.version})` : `release ${opts.version} is not approved (NO-GO)`);
    });
}
