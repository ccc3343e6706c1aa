/**
 * Step 1 — artifacts: the backend built and packed into a reproducible archive, its checksums in
 * `sha256sum` format, a CycloneDX SBOM derived from the lockfile, an in-toto/SLSA provenance
 * statement, and metadata.json. It also judges whether the tree is the commit the package claims.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";
import { buildBackend } from "../../backend/src/tooling/build";
import { sha256Of } from "../signoff/manifest";
import { ARTIFACT_COPIED_DIRS } from "./git";
import { provenanceStatement, renderProvenance } from "./provenance";
import { reproducibleTarGz, sha256File } from "./reproducible-tar";
import { renderSbom, sbomFromLockfile } from "./sbom";
import { fail, step, type ReleaseContext, type ReleaseStep, type StepResult } from "./types";
import { readLockfile, toolVersions } from "./versions";

const MAX_LISTED_PATHS = 20;

/** What goes into the backend archive: the compiled service, its migrations and seeds, its manifest. */
export function archiveInputs(buildDir: string): string[] {
  const list = (dir: string): string[] =>
    readdirSync(join(buildDir, dir)).flatMap((name) => {
      const rel = `${dir}/${name}`;
      return statSync(join(buildDir, rel)).isDirectory() ? list(rel) : [rel];
    });
  return [...list("dist"), ...ARTIFACT_COPIED_DIRS.flatMap((d) => list(d.replace(/^backend\//, ""))), "package.json"].sort();
}

/** Builds the archive in `workDir` and returns its path and sha256 (used twice by the reproducibility test). */
export async function buildArchive(workDir: string, version: string, mtime: Date): Promise<{ file: string; sha256: string; buildMs: number }> {
  const stage = join(workDir, "backend");
  mkdirSync(stage, { recursive: true });
  // Compiled straight into the run's own staging directory: never the shared backend/dist, which
  // a concurrent build (another run, a test) could be rewriting.
  const built = await buildBackend(join(stage, "dist"));
  for (const dir of ARTIFACT_COPIED_DIRS) cpSync(join(REPO_ROOT, dir), join(stage, dir.replace(/^backend\//, "")), { recursive: true });
  cpSync(join(REPO_ROOT, "backend", "package.json"), join(stage, "package.json"));
  const file = join(workDir, `backend-${version}.tar.gz`);
  const sha256 = await reproducibleTarGz(stage, archiveInputs(stage), file, mtime);
  return { file, sha256, buildMs: built.ms };
}

const names = (version: string) => ({ archive: `backend-${version}.tar.gz`, sbom: `sbom-${version}.cdx.json`, provenance: "provenance.intoto.json", metadata: "metadata.json" });

async function run(ctx: ReleaseContext): Promise<StepResult> {
  const result = step(artifacts.id, artifacts.title, artifacts.blocking);
  const dir = join(ctx.dir, "artifacts");
  mkdirSync(dir, { recursive: true });
  const scratch = join(ctx.dir, ".build");
  const n = names(ctx.version);
  try {
    ctx.progress("building the backend");
    const archive = await buildArchive(scratch, ctx.version, ctx.commit.time);
    cpSync(archive.file, join(dir, n.archive));
    ctx.state.archiveFile = join(dir, n.archive);

    ctx.progress("writing the SBOM and the provenance");
    const lockfile = readLockfile();
    const lockfileSha256 = sha256Of(lockfile.bytes);
    const versions = toolVersions(lockfile.lock);
    const sbom = sbomFromLockfile({ lock: lockfile.lock, lockfileSha256, workspace: "backend", version: ctx.version, tool: { name: "backend-release", version: versions["backend-release"] ?? "" } });
    writeFileSync(join(dir, n.sbom), renderSbom(sbom));
    const components = (sbom.components as unknown[]).length;
    const statement = provenanceStatement({
      subject: [{ name: n.archive, sha256: archive.sha256 }],
      stack: ctx.stack,
      version: ctx.version,
      gitSha: ctx.commit.sha,
      lockfileSha256,
      builderVersion: { "backend-release": versions["backend-release"] ?? "", typescript: versions.typescript ?? "", node: versions.node ?? "" },
    });
    writeFileSync(join(dir, n.provenance), renderProvenance(statement));

    const metadata = {
      project: "backend-release",
      version: ctx.version,
      stack: ctx.stack,
      gitSha: ctx.commit.sha,
      buildTime: ctx.commit.time.toISOString(),
      artifact: { file: n.archive, sha256: archive.sha256 },
      sbom: { file: n.sbom, format: "CycloneDX 1.6 JSON", source: "package-lock.json", lockfileSha256, components },
      provenance: { file: n.provenance, format: "in-toto Statement v1, SLSA Provenance v1" },
      images: ctx.images,
    };
    writeFileSync(join(dir, n.metadata), `${JSON.stringify(metadata, null, 2)}\n`);

    // sha256sum format: "<hex>  <name>", sorted by name, so `sha256sum -c SHA256SUMS` works in place.
    const listed = [n.archive, n.sbom, n.provenance, n.metadata].sort();
    writeFileSync(join(dir, "SHA256SUMS"), `${listed.map((f) => `${sha256File(join(dir, f))}  ${f}`).join("\n")}\n`);
    result.files.push(...[...listed, "SHA256SUMS"].map((f) => `artifacts/${f}`));
    result.figures = { buildMs: archive.buildMs, archiveSha256: archive.sha256, sbomComponents: components };
    result.summary = `${n.archive} sha256 ${archive.sha256.slice(0, 16)}…, SBOM with ${components} components, provenance`;
    if (ctx.commit.dirty) {
      const problems = ctx.commit.treeProblems ?? [];
      fail(
        result,
        `the working tree is not commit ${ctx.commit.sha.slice(0, 12)} in what the release reads: the artifacts would not match the commit they claim; commit or stash, then re-run`,
        ...problems.slice(0, MAX_LISTED_PATHS).map((p) => `${p.path}: ${p.why}`),
        ...(problems.length > MAX_LISTED_PATHS ? [`… and ${problems.length - MAX_LISTED_PATHS} more`] : []),
      );
    }
    if (ctx.commit.shallow) fail(result, "this is a shallow clone: the release notes need the history since the previous tag; run git fetch --unshallow --tags (CI: fetch-depth: 0)");
  } catch (err) {
    fail(result, `artifacts: ${(err as Error).message.split("\n").slice(0, 3).join(" ")}`);
    result.summary = "build failed";
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

export const artifacts: ReleaseStep = {
  id: "artifacts",
  title: "Deployment artifacts: archive, checksums, SBOM, provenance, metadata",
  blocking: true,
  needs: [],
  produces: ({ version }) => {
    const n = names(version);
    return [
      { standard: "REL-BACKEND", item: "Versioned deployment artifact with checksums (Task 5.1)", location: "artifacts/SHA256SUMS", also: [`artifacts/${n.archive}`, `artifacts/${n.metadata}`] },
      { standard: "REL-BACKEND", item: "SBOM of the production dependencies (from the lockfile)", location: `artifacts/${n.sbom}` },
      { standard: "REL-BACKEND", item: "Build provenance (in-toto Statement, SLSA Provenance v1)", location: `artifacts/${n.provenance}` },
    ];
  },
  run,
};

/** The step as a function, for callers of the old shape. */
export const artifactsStep = artifacts.run;
