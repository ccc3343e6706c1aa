/**
 * The immutable release archive: a SecureBucket with object lock (GOVERNANCE in staging,
 * COMPLIANCE in prod, retention from config) and lifecycle to Glacier, plus the release package
 * uploaded under `releases/<service>/<version>/` — manifest and approvals included — so that
 * `pulumi up` archives the release it deploys.
 *
 * The package comes from `backend/outputs/phase-5/<version>/` (or RELEASE_PACKAGE_DIR). It is
 * checked against its manifest before anything is declared: a package that does not match what
 * was signed is never archived. Without a package (a plain preview) only the bucket is declared.
 */
import { existsSync, readFileSync } from "node:fs";
import { extname, isAbsolute, join, relative, sep } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { APPROVALS_DIR, coveredByManifest, MANIFEST_FILE, ManifestError, readManifest, releasePackageDir, sha256Of, toAbsolute, verifyPackageFiles, walkPackage, type ReleaseManifest } from "../signoff/manifest";
import { REPO_ROOT } from "../../config/stack-file";
import type { StackContext } from "../context";
import { SecureBucket } from "./secure-bucket";

/** Points the stack at a package elsewhere (CI workspaces, test fixtures). */
export const RELEASE_PACKAGE_ENV = "RELEASE_PACKAGE_DIR";
/** RELEASE_PACKAGE_DIR value for "declare the bucket only" (the release command's own preview, before the package exists). */
export const NO_PACKAGE = "none";

export class ReleaseArchiveError extends Error {
  override readonly name = "ReleaseArchiveError";
}

export interface ArchiveObjectPlan {
  /** Pulumi resource name. */
  name: string;
  service: string;
  key: string;
  /** Absolute path of the file to upload. */
  source: string;
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

/**
 * Where this stack's package is, or why there is none to archive. The default location is per
 * version, not per stack, so a package built for another stack is left alone there; one named
 * explicitly by RELEASE_PACKAGE_DIR must be this stack's.
 */
export function findReleasePackage(ctx: Pick<StackContext, "version" | "stack">): { dir?: string; note: string } {
  const fromEnv = process.env[RELEASE_PACKAGE_ENV];
  if (fromEnv === NO_PACKAGE) return { note: `${RELEASE_PACKAGE_ENV}=${NO_PACKAGE}: declaring the archive bucket only` };
  const dir = fromEnv || releasePackageDir(ctx.version);
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

/**
 * What to upload for the package in `dir`: every file (manifest and approvals included) under
 * each service's prefix, with the release identity as metadata and tags. Throws when the
 * package is not the one this stack deploys.
 */
export function planArchive(ctx: Pick<StackContext, "stack" | "version" | "cfg">, dir: string, name = "release-archive"): ArchivePlan {
  const check = verifyPackageFiles(dir);
  if (!check.ok || !check.manifest) throw new ReleaseArchiveError(`release package ${dir} does not match its manifest; refusing to archive it:\n  ${check.problems.map((p) => p.message).join("\n  ")}`);
  const { manifest, sha256: manifestSha256 } = check.manifest;
  if (manifest.version !== ctx.version) throw new ReleaseArchiveError(`release package ${dir} is version ${manifest.version}, but the stack deploys ${ctx.version}`);
  if (manifest.stack !== ctx.stack) throw new ReleaseArchiveError(`release package ${dir} is for stack ${manifest.stack}, not ${ctx.stack}`);
  const services = ctx.cfg.services.map((s) => s.name);
  for (const svc of services) {
    // A promoted digest is known now and must be the approved one; a build's is known after the build.
    const approved = manifest.imageDigests[svc];
    const deployed = ctx.cfg.images.source === "promote" ? ctx.cfg.images.digests[svc] : undefined;
    if (deployed && deployed !== approved) throw new ReleaseArchiveError(`release package ${dir} approves ${svc}@${approved ?? "(no digest)"}, but the stack deploys ${deployed}`);
  }
  const walked = walkPackage(dir);
  if (walked.special.length > 0) throw new ReleaseArchiveError(`release package ${dir} contains non-regular files: ${walked.special.join(", ")}`);
  // What is locked away is what was signed, the manifest and the signatures: never the run's
  // mutable status/ (or anything else a reader could drop beside them).
  const files = walked.files.filter((p) => coveredByManifest(p) || p === MANIFEST_FILE || (p.startsWith(`${APPROVALS_DIR}/`) && p.endsWith(".sig")));
  const prefixes: Record<string, string> = {};
  const objects: ArchiveObjectPlan[] = [];
  for (const svc of services) {
    const prefix = `releases/${svc}/${manifest.version}/`;
    prefixes[svc] = prefix;
    const imageDigest = manifest.imageDigests[svc];
    for (const path of files) {
      const source = toAbsolute(dir, path);
      const sha256 = sha256Of(readFileSync(source));
      objects.push({
        name: `${name}-${svc}-${path}`,
        service: svc,
        key: `${prefix}${path}`,
        source,
        contentType: contentTypeOf(path),
        // S3 user metadata keys must be lowercase; the whole set stays far below S3's 2 KB.
        imageDigest,
        metadata: { version: manifest.version, "git-sha": manifest.gitSha, stack: ctx.stack, service: svc, sha256, "manifest-sha256": manifestSha256 },
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
 * Pulumi runs the program in the project directory (the repository root), so a package inside
 * the repository is referenced relative to it: the recorded graph is then the same on every machine.
 */
function assetPath(abs: string): string {
  const rel = relative(REPO_ROOT, abs);
  return rel.startsWith("..") || isAbsolute(rel) ? abs : rel.split(sep).join("/");
}

/**
 * The package to archive, or why none is. A package that is not this stack's release fails an
 * update (`pulumi up` never archives what was not signed) but only warns in a preview, so a
 * half-built package in the working copy does not stop everyone's preview.
 */
export function resolveArchive(ctx: Pick<StackContext, "stack" | "version" | "cfg">, name: string, dryRun: boolean): { plan?: ArchivePlan; note: string; level: "info" | "warn" } {
  try {
    const found = findReleasePackage(ctx);
    return { plan: found.dir ? planArchive(ctx, found.dir, name) : undefined, note: found.note, level: "info" };
  } catch (err) {
    if (!dryRun || !(err instanceof ReleaseArchiveError || err instanceof ManifestError)) throw err;
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
    for (const o of plan?.objects ?? []) {
      const digest = o.imageDigest ?? args.imageDigests[o.service];
      const identity: Record<string, pulumi.Input<string>> = digest === undefined ? {} : { "image-digest": digest };
      this.objects.push(
        new aws.s3.BucketObjectv2(
          o.name,
          {
            bucket: this.bucket.name,
            key: o.key,
            source: new pulumi.asset.FileAsset(assetPath(o.source)),
            contentType: o.contentType,
            metadata: { ...o.metadata, ...identity },
            tags: { ...o.tags, ...identity },
            serverSideEncryption: "aws:kms",
            kmsKeyId: args.kmsKeyArn,
            bucketKeyEnabled: true,
            // S3 refuses a PUT into a lock-enabled bucket without Content-MD5 or a checksum; SHA-256 is also kept for audits.
            checksumAlgorithm: "SHA256",
            forceDestroy: false,
            // No per-object lock date: S3 stamps each version with the bucket's default retention at
            // write time; a date computed here would change every preview and every `up`.
          },
          // The lock and encryption exist before the first object; a later release's `up` drops the
          // previous release from state without deleting it (retainOnDelete): the archive only grows.
          { parent: this, dependsOn: this.bucket.ready, retainOnDelete: true },
        ),
      );
    }
    this.registerOutputs({ bucketName: this.bucketName, prefixes: this.prefixes, objects: this.objects.length });
  }
}
