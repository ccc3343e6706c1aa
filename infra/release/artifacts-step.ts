/**
 * Step 1 — artifacts: the backend built and packed into a reproducible archive, its checksums in
 * `sha256sum` format, a CycloneDX SBOM of its production dependencies, and metadata.json.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../../config/stack-file";
import { buildBackend } from "../../backend/src/tooling/build";
import { reproducibleTarGz, sha256File } from "./reproducible-tar";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

const run = promisify(execFile);
/** The package's "exports" hide its bin, so it is addressed by path. */
const CYCLONEDX_CLI = join(REPO_ROOT, "node_modules", "@cyclonedx", "cyclonedx-npm", "bin", "cyclonedx-npm-cli.js");

/** What goes into the backend archive: the compiled service, its migrations and seeds, its manifest. */
export function archiveInputs(buildDir: string): string[] {
  const list = (dir: string): string[] =>
    readdirSync(join(buildDir, dir)).flatMap((name) => {
      const rel = `${dir}/${name}`;
      return statSync(join(buildDir, rel)).isDirectory() ? list(rel) : [rel];
    });
  return [...list("dist"), ...list("migrations"), ...list("seeds"), "package.json"].sort();
}

/** Builds the archive in `workDir` and returns its path and sha256 (used twice by the reproducibility test). */
export async function buildArchive(workDir: string, version: string, mtime: Date): Promise<{ file: string; sha256: string; buildMs: number }> {
  const stage = join(workDir, "backend");
  mkdirSync(stage, { recursive: true });
  // Compiled straight into the run's own staging directory: never the shared backend/dist, which
  // a concurrent build (another run, a test) could be rewriting.
  const built = await buildBackend(join(stage, "dist"));
  cpSync(join(REPO_ROOT, "backend", "migrations"), join(stage, "migrations"), { recursive: true });
  cpSync(join(REPO_ROOT, "backend", "seeds"), join(stage, "seeds"), { recursive: true });
  cpSync(join(REPO_ROOT, "backend", "package.json"), join(stage, "package.json"));
  const file = join(workDir, `backend-${version}.tar.gz`);
  const sha256 = await reproducibleTarGz(stage, archiveInputs(stage), file, mtime);
  return { file, sha256, buildMs: built.ms };
}

export async function artifactsStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("artifacts", "Deployment artifacts: archive, checksums, SBOM, metadata");
  const dir = join(ctx.dir, "artifacts");
  mkdirSync(dir, { recursive: true });
  const scratch = join(ctx.dir, ".build");
  try {
    ctx.progress("building the backend");
    const archive = await buildArchive(scratch, ctx.version, ctx.commit.time);
    const archiveName = `backend-${ctx.version}.tar.gz`;
    cpSync(archive.file, join(dir, archiveName));
    ctx.state.archiveFile = join(dir, archiveName);

    ctx.progress("writing the SBOM");
    const sbomName = `sbom-${ctx.version}.cdx.json`;
    await run(process.execPath, [CYCLONEDX_CLI, "--workspace", "backend", "--omit", "dev", "--output-reproducible", "--output-format", "JSON", "--mc-type", "application", "--output-file", join(dir, sbomName)], { cwd: REPO_ROOT, maxBuffer: 64 * 2 ** 20 });
    const sbom = JSON.parse(readFileSync(join(dir, sbomName), "utf8")) as { components?: unknown[] };

    const metadata = {
      project: "backend-release",
      version: ctx.version,
      stack: ctx.stack,
      gitSha: ctx.commit.sha,
      buildTime: ctx.commit.time.toISOString(),
      artifact: { file: archiveName, sha256: archive.sha256 },
      sbom: { file: sbomName, format: "CycloneDX 1.6 JSON", components: sbom.components?.length ?? 0 },
      images: ctx.images,
    };
    writeFileSync(join(dir, "metadata.json"), `${JSON.stringify(metadata, null, 2)}\n`);

    // sha256sum format: "<hex>  <name>", sorted by name, so `sha256sum -c SHA256SUMS` works in place.
    const names = [archiveName, sbomName, "metadata.json"].sort();
    const sums = names.map((n) => `${sha256File(join(dir, n))}  ${n}`).join("\n");
    writeFileSync(join(dir, "SHA256SUMS"), `${sums}\n`);
    result.files.push(...[...names, "SHA256SUMS"].map((n) => `artifacts/${n}`));
    result.figures = { buildMs: archive.buildMs, archiveSha256: archive.sha256, sbomComponents: sbom.components?.length ?? 0 };
    result.summary = `${archiveName} sha256 ${archive.sha256.slice(0, 16)}…, SBOM with ${sbom.components?.length ?? 0} components`;
    if (ctx.commit.dirty) fail(result, "the working tree has uncommitted changes: the artifacts would not match the commit they claim; commit or stash, then re-run");
    if (ctx.commit.shallow) fail(result, "this is a shallow clone: the release notes need the history since the previous tag; run git fetch --unshallow --tags (CI: fetch-depth: 0)");
  } catch (err) {
    fail(result, `artifacts: ${(err as Error).message.split("\n").slice(0, 3).join(" ")}`);
    result.summary = "build failed";
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}
