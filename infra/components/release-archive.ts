/**
 * The immutable release archive: a SecureBucket with object lock (GOVERNANCE in staging,
 * COMPLIANCE in prod, retention from config) and lifecycle to Glacier, plus the release package
 * uploaded under `releases/<service>/<version>/` so that `pulumi up` archives the release it
 * deploys.
 *
 * Only a GO package is archived: the package of this stack (`backend/outputs/phase-5/<version>/
 * <stack>/`, or RELEASE_PACKAGE_DIR), for this version and for the commit being deployed, intact,
 * every recorded check passed, and signed off (the verdict of `signoff verify`). What goes up is
 * what was verified, byte for byte: each file is read once, checked against the manifest, and
 * those bytes are the object's content (nothing is read again at upload time); each object is
 * written with the SHA-256 checksum S3 verifies, which is the manifest's sha256, and the update
 * fails if S3 reports another. Approvals go up only when they verified and counted. The objects'
 * version ids are stack outputs; a production-tier stack puts a legal hold on each object.
 * Without a package (a plain preview) only the bucket is declared.
 */
import { existsSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isProductionTier } from "../release/tier";
import { APPROVALS_DIR, MANIFEST_FILE, ManifestError, readManifest, releasePackageDir, sha256Of, toAbsolute, type ReleaseManifest } from "../signoff/manifest";
import { AllowedSignersError } from "../signoff/allowed-signers";
import { SshKeygenError } from "../signoff/ssh-keygen";
import type { SignersSource } from "../signoff/trust";
import { verifySignoffsSync } from "../signoff/verify";
import type { StackContext } from "../context";
import { SecureBucket } from "./secure-bucket";

/** Points the stack at a package elsewhere (CI workspaces, test fixtures). */
export const RELEASE_PACKAGE_ENV = "RELEASE_PACKAGE_DIR";
/** RELEASE_PACKAGE_DIR value for "declare the bucket only" (the release command's own preview, before the package exists). */
export const NO_PACKAGE = "none";
/**
 * Where the archive's verification reads allowed_signers: `ref:<git ref>` (a protected branch,
 * e.g. ref:origin/main) or `file:<path>` (a copy fetched from a trusted place). Default: the
 * manifest's commit. Set by whoever runs `pulumi up`, never by a commit.
 */
export const RELEASE_SIGNERS_ENV = "RELEASE_SIGNERS";

/** The trust source RELEASE_SIGNERS names, if any. */
export function signersFromEnv(value = process.env[RELEASE_SIGNERS_ENV]): SignersSource | undefined {
  if (!value) return undefined;
  if (value.startsWith("ref:") && value.length > 4) return { kind: "git", rev: value.slice(4) };
  if (value.startsWith("file:") && value.length > 5) return { kind: "file", path: value.slice(5) };
  throw new ReleaseArchiveError(`${RELEASE_SIGNERS_ENV}=${value}: expected ref:<git ref> or file:<path>`);
}

export class ReleaseArchiveError extends Error {
  override readonly name = "ReleaseArchiveError";
}

export interface ArchiveObjectPlan {
  /** Pulumi resource name. */
  name: string;
  service: string;
  key: string;
  /** Package path of the file. */
  path: string;
  /** The verified bytes, base64 (the object's content). */
  contentBase64: string;
  /** sha256 of those bytes, hex: the manifest's value (for approvals: the verified file's). */
  sha256: string;
  contentType: string;
  /** The approved digest of the service, when the manifest has it (a staging build's comes from the stack). */
  imageDigest?: string;
  /** Release identity; `image-digest` is added by the component (approved, else deployed). */
  metadata: Record<string, string>;
  tags: Record<string, string>;
}

export interface ArchivePlan {
  dir: string;
  manifest: ReleaseManifest;
  /** Per service: `releases/<service>/<version>/`. */
  prefixes: Record<string, string>;
  objects: ArchiveObjectPlan[];
}

const CONTENT_TYPES: Record<string, string> = {
  ".json": "application/json",
  ".sarif": "application/sarif+json",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".sig": "text/plain; charset=utf-8",
  ".sha256": "text/plain; charset=utf-8",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".html": "text/html; charset=utf-8",
  ".xml": "application/xml",
  ".sql": "application/sql",
  ".gz": "application/gzip",
  ".tgz": "application/gzip",
  ".tar": "application/x-tar",
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** S3 reports SHA-256 checksums base64-encoded. */
export const sha256Base64 = (hex: string): string => Buffer.from(hex, "hex").toString("base64");

/**
 * Where this stack's package is, or why there is none to archive. Each stack's package of a
 * version has its own default location, so staging's and prod's coexist; one named explicitly
 * by RELEASE_PACKAGE_DIR must be this stack's.
 */
export function findReleasePackage(ctx: Pick<StackContext, "version" | "stack">): { dir?: string; note: string } {
  const fromEnv = process.env[RELEASE_PACKAGE_ENV];
  if (fromEnv === NO_PACKAGE) return { note: `${RELEASE_PACKAGE_ENV}=${NO_PACKAGE}: declaring the archive bucket only` };
  let dir: string;
  try {
    dir = fromEnv || releasePackageDir(ctx.version, ctx.stack);
  } catch (err) {
    if (err instanceof ManifestError) return { note: `release version "${ctx.version}" is not a semantic version: declaring the archive bucket only` };
    throw err;
  }
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    // An explicit pointer at nothing is a mistake, not "no release yet".
    if (fromEnv) throw new ReleaseArchiveError(`${RELEASE_PACKAGE_ENV}=${fromEnv} has no ${MANIFEST_FILE}`);
    return { note: `no release package at ${dir} for version ${ctx.version}: declaring the archive bucket only (build it with \`npm run release -- --stack ${ctx.stack} --version ${ctx.version}\`, or set ${RELEASE_PACKAGE_ENV})` };
  }
  const { stack } = readManifest(dir).manifest;
  if (stack !== ctx.stack) {
    if (fromEnv) throw new ReleaseArchiveError(`${RELEASE_PACKAGE_ENV}=${fromEnv} is a release package for stack ${stack}, not ${ctx.stack}`);
    return { note: `the release package at ${dir} is for stack ${stack}: not archived by stack ${ctx.stack}; declaring the archive bucket only` };
  }
  return { dir, note: `archiving the release package ${dir}` };
}

export interface PlanOptions {
  /** Where allowed_signers comes from (default: the manifest's commit in this repository). */
  signers?: SignersSource;
  now?: Date;
}

/**
 * What to upload for the package in `dir`, only if it is GO for this stack, version and commit:
 * every file the manifest covers, the manifest, and the approvals that counted, each under every
 * service's prefix with the release identity as metadata and tags. Throws otherwise.
 */
export function planArchive(ctx: Pick<StackContext, "stack" | "version" | "cfg" | "gitSha">, dir: string, name = "release-archive", opts: PlanOptions = {}): ArchivePlan {
  const signers = opts.signers ?? signersFromEnv();
  const report = verifySignoffsSync({ packageDir: dir, stack: ctx.stack, cfg: ctx.cfg, version: ctx.version, commit: ctx.gitSha, ...(signers ? { signers } : {}), ...(opts.now ? { now: opts.now } : {}) });
  if (!report.go) throw new ReleaseArchiveError(`release package ${dir} is NO-GO for ${ctx.stack} ${ctx.version} at commit ${ctx.gitSha}; refusing to archive it (set ${RELEASE_PACKAGE_ENV}=${NO_PACKAGE} to deploy without archiving):\n  ${report.reasons.join("\n  ")}`);
  const { manifest } = readManifest(dir);
  const services = ctx.cfg.services.map((s) => s.name);
  for (const svc of services) {
    // A promoted digest is known now and must be the approved one; a build's is known after the build.
    const approved = manifest.imageDigests[svc];
    const deployed = ctx.cfg.images.source === "promote" ? ctx.cfg.images.digests[svc] : undefined;
    if (deployed && deployed !== approved) throw new ReleaseArchiveError(`release package ${dir} approves ${svc}@${approved ?? "(no digest)"}, but the stack deploys ${deployed}`);
  }
  // Each file read once: these bytes are checked and these bytes are uploaded.
  const expected = new Map<string, string>([
    ...manifest.files.map((f) => [f.path, f.sha256] as const),
    [MANIFEST_FILE, report.manifestSha256!],
    ...report.signatures.filter((s) => s.valid && s.sha256).map((s) => [s.file, s.sha256!] as const),
  ]);
  const content = new Map<string, Buffer>();
  for (const [path, sha256] of expected) {
    const bytes = readFileSync(toAbsolute(dir, path));
    if (sha256Of(bytes) !== sha256) throw new ReleaseArchiveError(`release package ${dir}: ${path} changed after it was verified (sha256 ${sha256Of(bytes)}, verified ${sha256}); refusing to archive it`);
    content.set(path, bytes);
  }
  const paths = [...content.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const prefixes: Record<string, string> = {};
  const objects: ArchiveObjectPlan[] = [];
  for (const svc of services) {
    const prefix = `releases/${svc}/${manifest.version}/`;
    prefixes[svc] = prefix;
    const imageDigest = manifest.imageDigests[svc];
    for (const path of paths) {
      const sha256 = expected.get(path)!;
      objects.push({
        name: `${name}-${svc}-${path}`,
        service: svc,
        key: `${prefix}${path}`,
        path,
        contentBase64: content.get(path)!.toString("base64"),
        sha256,
        contentType: contentTypeOf(path),
        imageDigest,
        // S3 user metadata keys must be lowercase; the whole set stays far below S3's 2 KB.
        metadata: { version: manifest.version, "git-sha": manifest.gitSha, stack: ctx.stack, service: svc, sha256, "manifest-sha256": report.manifestSha256!, ...(path.startsWith(`${APPROVALS_DIR}/`) ? { approval: "verified" } : {}) },
        // S3 allows 10 tags per object; cost tags are bucket-level in S3, so objects carry identity instead.
        tags: {
          environment: ctx.cfg.environment,
          purpose: "release-archive",
          owner: ctx.cfg.tags.owner,
          "data-classification": ctx.cfg.tags.dataClassification,
          service: svc,
          "release-version": manifest.version,
          "git-sha": manifest.gitSha,
          sha256,
        },
      });
    }
  }
  return { dir, manifest, prefixes, objects };
}

/**
 * The package to archive, or why none is. A package that is not this stack's release fails an
 * update (`pulumi up` never archives what was not signed) but only warns in a preview, so a
 * half-built package in the working copy does not stop everyone's preview.
 */
export function resolveArchive(ctx: Pick<StackContext, "stack" | "version" | "cfg" | "gitSha">, name: string, dryRun: boolean): { plan?: ArchivePlan; note: string; level: "info" | "warn" } {
  try {
    const found = findReleasePackage(ctx);
    return { plan: found.dir ? planArchive(ctx, found.dir, name) : undefined, note: found.note, level: "info" };
  } catch (err) {
    const known = err instanceof ReleaseArchiveError || err instanceof ManifestError || err instanceof AllowedSignersError || err instanceof SshKeygenError;
    if (!dryRun || !known) throw err;
    return { note: `not archiving: ${err.message}; \`pulumi up\` will fail until the package is fixed`, level: "warn" };
  }
}

export interface ReleaseArchiveArgs {
  ctx: StackContext;
  /** The `artifacts` KMS key. */
  kmsKeyArn: pulumi.Input<string>;
  /** Server access logs go to the stack's access-log bucket. */
  accessLogBucket: pulumi.Input<string>;
  /** Per service: the digest the stack deploys (`sha256:…`), recorded where the manifest has none. */
  imageDigests: Record<string, pulumi.Input<string>>;
}

export class ReleaseArchive extends pulumi.ComponentResource {
  readonly bucket: SecureBucket;
  readonly bucketName: pulumi.Output<string>;
  /** Per service: the key prefix of this release; empty without a package. */
  readonly prefixes: Record<string, string>;
  readonly objects: aws.s3.BucketObjectv2[] = [];
  /** Per object key: the S3 version id of the archived object (the stack exports them). */
  readonly versionIds: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: ReleaseArchiveArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:storage:ReleaseArchive", name, {}, opts);
    const { ctx } = args;
    const a = ctx.cfg.archive;
    this.bucket = new SecureBucket(
      `${name}-bucket`,
      {
        ctx,
        bucketName: ctx.names.archiveBucket(ctx.region),
        purpose: "release-archive",
        kmsKeyArn: args.kmsKeyArn,
        accessLogBucket: args.accessLogBucket,
        objectLock: { mode: a.objectLockMode, days: a.retentionDays },
        lifecycleRules: [
          {
            id: "releases-to-glacier",
            status: "Enabled",
            filter: { prefix: "releases/" },
            transitions: [{ days: a.transitionToGlacierDays, storageClass: "GLACIER" }],
            noncurrentVersionTransitions: [{ noncurrentDays: a.transitionToGlacierDays, storageClass: "GLACIER" }],
            // Object lock keeps a version until its retention ends, whatever this says.
            noncurrentVersionExpiration: { noncurrentDays: a.noncurrentVersionExpirationDays },
          },
          { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
        ],
        opts: ctx.stateful,
      },
      { parent: this },
    );
    this.bucketName = this.bucket.name;

    const { plan, note, level } = resolveArchive(ctx, name, pulumi.runtime.isDryRun());
    // Without an engine (the offline preview) Pulumi prints logs to stdout, which would corrupt
    // `preview --format json`; there the note goes to stderr.
    if (pulumi.runtime.hasEngine()) void (level === "warn" ? pulumi.log.warn(note, this) : pulumi.log.info(note, this));
    else process.stderr.write(`${level === "warn" ? "warning" : "info"}: ${note}\n`);
    this.prefixes = plan?.prefixes ?? {};
    const legalHold = isProductionTier(ctx.cfg);
    const checksums: pulumi.Output<string>[] = [];
    for (const o of plan?.objects ?? []) {
      const digest = o.imageDigest ?? args.imageDigests[o.service];
      const identity: Record<string, pulumi.Input<string>> = digest === undefined ? {} : { "image-digest": digest };
      const expected = sha256Base64(o.sha256);
      const object = new aws.s3.BucketObjectv2(
        o.name,
        {
          bucket: this.bucket.name,
          key: o.key,
          // The verified bytes themselves: nothing is read from disk at upload time.
          contentBase64: o.contentBase64,
          contentType: o.contentType,
          metadata: { ...o.metadata, ...identity },
          tags: { ...o.tags, ...identity },
          serverSideEncryption: "aws:kms",
          kmsKeyId: args.kmsKeyArn,
          bucketKeyEnabled: true,
          // S3 refuses a PUT into a lock-enabled bucket without a checksum; it verifies this SHA-256 over the body.
          checksumAlgorithm: "SHA256",
          ...(legalHold ? { objectLockLegalHoldStatus: "ON" } : {}),
          forceDestroy: false,
          // No per-object lock date: S3 stamps each version with the bucket's default retention at
          // write time; a date computed here would change every preview and every `up`.
        },
        // The lock and encryption exist before the first object; a later release's `up` drops the
        // previous release from state without deleting it (retainOnDelete): the archive only grows.
        { parent: this, dependsOn: this.bucket.ready, retainOnDelete: true },
      );
      this.objects.push(object);
      this.versionIds[o.key] = object.versionId;
      // What S3 stored must be what was verified: an update whose object reports another checksum fails.
      checksums.push(
        object.checksumSha256.apply((actual) => {
          if (actual && actual !== expected) throw new ReleaseArchiveError(`s3://…/${o.key}: S3 reports SHA-256 ${actual}, the manifest says ${expected}`);
          return actual;
        }),
      );
    }
    this.registerOutputs({ bucketName: this.bucketName, prefixes: this.prefixes, objects: this.objects.length, versionIds: this.versionIds, checksums: pulumi.all(checksums) });
  }
}
