/**
 * The release manifest: `manifest.json` at the root of a release package
 * (`backend/outputs/phase-5/<version>/`). It lists every file of the package with its sha256 and
 * size, plus the image digests and versions the release ships. Sign-offs are SSH signatures over
 * its exact bytes, so it is serialized deterministically (sorted files, sorted keys where order is
 * free, no timestamps) and `approvals/` is outside it: signatures cannot cover themselves.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { z } from "zod";
import { REPO_ROOT } from "../../config/stack-file";
import { isReleaseVersion } from "../release/version";

export const MANIFEST_FILE = "manifest.json";
export const APPROVALS_DIR = "approvals";
/** Where the release command writes packages, relative to the repository root. */
export const PACKAGE_ROOT = join("backend", "outputs", "phase-5");

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "a sha256 as 64 lowercase hex digits");
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "an image digest sha256:<64 hex>");

/** A path inside the package: relative, forward slashes, no `.`/`..` segments (no escaping the package). */
const packagePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.includes("\\") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."), "a relative path inside the package");

export const manifestFileSchema = z.strictObject({ path: packagePath, sha256: sha256Hex, bytes: z.int().min(0) });

/** A release check's result as the build recorded it: a failed one can never become GO. */
export const manifestCheckSchema = z.looseObject({ id: z.string().min(1), status: z.enum(["pass", "fail", "skip"]), blocking: z.boolean() });

const roleCount = z.int().min(1).max(5);
/** What signers approve besides the files: the roles this release needs (floor included). */
export const manifestSignoffSchema = z.strictObject({
  tier: z.enum(["production", "standard"]),
  requiredRoles: z.strictObject({ architecture: roleCount.optional(), security: roleCount.optional(), operations: roleCount.optional() }),
});

/** Loose at the top level so the release command can add fields; they are signed like the rest. */
export const releaseManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/, "a release version"),
  stack: z.string().min(1),
  gitSha: z.string().regex(/^[0-9a-f]{40}$/, "a 40-hex git commit sha"),
  files: z.array(manifestFileSchema),
  /** Per service: the `sha256:` digest approved for deployment. */
  imageDigests: z.record(z.string(), digest),
  /** Tool and package versions the release was built with (deterministic, no timestamps). */
  versions: z.record(z.string(), z.string()),
  checks: z.array(manifestCheckSchema),
  signoff: manifestSignoffSchema,
});

export type ManifestFile = z.infer<typeof manifestFileSchema>;
export type ManifestCheck = z.infer<typeof manifestCheckSchema>;
export type ManifestSignoff = z.infer<typeof manifestSignoffSchema>;
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** The directory of a version's packages: `backend/outputs/phase-5/<version>/`, one per stack inside. */
export function versionDir(version: string, root = REPO_ROOT): string {
  if (!isReleaseVersion(version)) throw new ManifestError(`invalid release version "${version}": use a semantic version such as 1.4.0`);
  return join(root, PACKAGE_ROOT, version);
}

/**
 * The package of a stack's release: `backend/outputs/phase-5/<version>/<stack>/`, so the staging
 * and prod packages of one version coexist (each is archived by its own stack).
 */
export function releasePackageDir(version: string, stack: string, root = REPO_ROOT): string {
  if (!STACK_NAME.test(stack) || stack === "." || stack === "..") throw new ManifestError(`invalid stack name "${stack}"`);
  return join(versionDir(version, root), stack);
}

/** The stacks that have a package of this version. */
export function packagedStacks(version: string, root = REPO_ROOT): string[] {
  const dir = versionDir(version, root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith(".") && existsSync(join(dir, e.name, MANIFEST_FILE)))
    .map((e) => e.name)
    .sort();
}

export function sha256Of(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The release command's run status (verdict, sign-off status, timings): rewritten by every run
 * and every verification, so it cannot be part of what approvers sign.
 */
export const STATUS_DIR = "status";

/** Whether a package path is one the manifest covers (everything but itself, the approvals and the status). */
export function coveredByManifest(path: string): boolean {
  return path !== MANIFEST_FILE && ![APPROVALS_DIR, STATUS_DIR].some((d) => path === d || path.startsWith(`${d}/`));
}

/**
 * Every regular file under `dir` as a sorted package path. Symbolic links and other special
 * files are reported, not followed: a link could point outside the package after signing.
 */
export function walkPackage(dir: string): { files: string[]; special: string[] } {
  const files: string[] = [];
  const special: string[] = [];
  const visit = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      const childAbs = join(abs, entry.name);
      if (entry.isDirectory()) visit(childAbs, childRel);
      else if (entry.isFile()) files.push(childRel);
      else special.push(childRel);
    }
  };
  visit(dir, "");
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { files: files.sort(byCodeUnit), special: special.sort(byCodeUnit) };
}

export function toAbsolute(dir: string, packagePathValue: string): string {
  return join(dir, ...packagePathValue.split(posix.sep));
}

/** Describes the files of `dir` that the manifest covers, sorted by path. */
export function describeFiles(dir: string): ManifestFile[] {
  return walkPackage(dir)
    .files.filter(coveredByManifest)
    .map((path) => {
      const data = readFileSync(toAbsolute(dir, path));
      return { path, sha256: sha256Of(data), bytes: data.length };
    });
}

export interface BuildManifestInput {
  dir: string;
  version: string;
  stack: string;
  gitSha: string;
  imageDigests: Record<string, string>;
  versions: Record<string, string>;
  checks: ManifestCheck[];
  signoff: ManifestSignoff;
  /** Extra top-level fields (signed with the rest). */
  extra?: Record<string, unknown>;
}

const sortedRecord = (r: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The manifest of the package as it is on disk now (call after every other file is written). */
export function buildManifest(input: BuildManifestInput): ReleaseManifest {
  const manifest = {
    ...(input.extra ?? {}),
    schemaVersion: 2 as const,
    version: input.version,
    stack: input.stack,
    gitSha: input.gitSha,
    files: describeFiles(input.dir),
    imageDigests: sortedRecord(input.imageDigests),
    versions: sortedRecord(input.versions),
    checks: input.checks,
    signoff: input.signoff,
  };
  return parseManifest(manifest, "built manifest");
}

/** The exact bytes that are signed: two-space JSON with a final newline. */
export function serializeManifest(manifest: ReleaseManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes `manifest.json` into the package and returns its bytes' sha256. */
export function writeManifest(dir: string, manifest: ReleaseManifest): string {
  const text = serializeManifest(manifest);
  writeFileSync(join(dir, MANIFEST_FILE), text);
  return sha256Of(text);
}

function parseManifest(value: unknown, where: string): ReleaseManifest {
  const parsed = releaseManifestSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ManifestError(`${where} is not a valid release manifest: ${problems.join("; ")}`);
  }
  const paths = parsed.data.files.map((f) => f.path);
  const dupe = paths.find((p, i) => paths.indexOf(p) !== i);
  if (dupe) throw new ManifestError(`${where} lists "${dupe}" twice`);
  const uncovered = paths.find((p) => !coveredByManifest(p));
  if (uncovered) throw new ManifestError(`${where} lists "${uncovered}", which a manifest cannot cover (itself or approvals/)`);
  return parsed.data;
}

export interface LoadedManifest {
  manifest: ReleaseManifest;
  /** The exact bytes (what signatures cover). */
  bytes: Buffer;
  sha256: string;
}

/** Reads and validates `<dir>/manifest.json`; throws ManifestError saying what is wrong. */
export function readManifest(dir: string): LoadedManifest {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new ManifestError(`no ${MANIFEST_FILE} in ${dir}: build the release package first`);
  const bytes = readFileSync(file);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new ManifestError(`${file} is not JSON: ${(err as Error).message}`);
  }
  return { manifest: parseManifest(json, file), bytes, sha256: sha256Of(bytes) };
}

export type PackageProblemKind = "manifest" | "missing" | "modified" | "extra" | "special-file";

export interface PackageProblem {
  /** Package path (forward slashes) the problem is about. */
  path: string;
  kind: PackageProblemKind;
  message: string;
}

export interface PackageCheck {
  ok: boolean;
  dir: string;
  manifest?: LoadedManifest;
  problems: PackageProblem[];
}

/**
 * Checks the package against its manifest: every listed file present with its size and sha256,
 * and no file the manifest does not list (outside `approvals/`). Each problem names its path.
 */
export function verifyPackageFiles(dir: string): PackageCheck {
  let loaded: LoadedManifest;
  try {
    loaded = readManifest(dir);
  } catch (err) {
    if (err instanceof ManifestError) return { ok: false, dir, problems: [{ path: MANIFEST_FILE, kind: "manifest", message: err.message }] };
    throw err;
  }
  const problems: PackageProblem[] = [];
  const { files, special } = walkPackage(dir);
  const present = new Set(files);
  for (const path of special) problems.push({ path, kind: "special-file", message: `${path}: not a regular file (links and devices are not allowed in a package)` });
  for (const entry of loaded.manifest.files) {
    if (!present.has(entry.path)) {
      problems.push({ path: entry.path, kind: "missing", message: `${entry.path}: listed in the manifest but missing` });
      continue;
    }
    const data = readFileSync(toAbsolute(dir, entry.path));
    const actual = sha256Of(data);
    if (actual !== entry.sha256 || data.length !== entry.bytes) {
      problems.push({ path: entry.path, kind: "modified", message: `${entry.path}: sha256 ${actual} (${data.length} bytes) differs from the manifest's ${entry.sha256} (${entry.bytes} bytes)` });
    }
  }
  const listed = new Set(loaded.manifest.files.map((f) => f.path));
  for (const path of files) {
    if (coveredByManifest(path) && !listed.has(path)) problems.push({ path, kind: "extra", message: `${path}: in the package but not in the manifest` });
  }
  return { ok: problems.length === 0, dir, manifest: loaded, problems };
}
