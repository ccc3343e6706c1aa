/**
 * The identity of a Docker build's inputs: sha256 over the Dockerfile, the build settings and every
 * file of the context the build can see (its dockerignore applied as BuildKit does). The image tag
 * is derived from it, not from the commit: a commit that touches nothing the build reads (docs,
 * infra) keeps the tag, so `pulumi up` neither rebuilds nor rolls anything.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import ignore from "@balena/dockerignore";
import type { BuildConfig } from "../../config/schema";
import { REPO_ROOT } from "../../config/stack-file";

/** BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile first, else `<context>/.dockerignore`. */
export function dockerignoreLines(build: BuildConfig, root = REPO_ROOT): string[] {
  for (const file of [join(root, `${build.dockerfile}.dockerignore`), join(root, build.context, ".dockerignore")]) {
    if (existsSync(file)) return readFileSync(file, "utf8").split(/\r?\n/);
  }
  return [];
}

/** Literal leading part of a pattern (up to its first glob character), without a leading `/`. */
function literalPrefix(pattern: string): string {
  const p = posix.normalize(pattern.replace(/^\/+/, ""));
  const glob = p.search(/[*?[\\]/);
  return glob === -1 ? p : p.slice(0, glob);
}

/** Files (context-relative, `/`-separated, sorted) the build context sends to the builder. */
export function contextFiles(build: BuildConfig, root = REPO_ROOT): string[] {
  const lines = dockerignoreLines(build, root)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const ig = ignore().add(lines);
  const reincluded = lines.filter((l) => l.startsWith("!")).map((l) => literalPrefix(l.slice(1)));
  // An ignored directory is only skipped when no `!` pattern could re-include something inside it.
  const mayHoldIncluded = (dir: string) => reincluded.some((prefix) => prefix === "" || prefix.startsWith(`${dir}/`) || `${dir}/`.startsWith(prefix));
  const contextRoot = join(root, build.context);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(contextRoot, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!ig.ignores(`${path}/`) || mayHoldIncluded(path)) walk(path);
      } else if (entry.isFile() && !ig.ignores(path)) {
        out.push(path);
      }
    }
  };
  walk("");
  return out.sort();
}

/** sha256 (hex) of what the build reads: Dockerfile, build args, platform and the context's files. */
export function buildInputHash(build: BuildConfig, settings: { platform: string; args: Record<string, string> }, root = REPO_ROOT): string {
  const h = createHash("sha256");
  h.update(`dockerfile\0${build.dockerfile}\0`).update(readFileSync(join(root, build.dockerfile)));
  h.update(`\0platform\0${settings.platform}\0args\0${JSON.stringify(Object.entries(settings.args).sort(([a], [b]) => a.localeCompare(b)))}\0`);
  const contextRoot = join(root, build.context);
  for (const file of contextFiles(build, root)) h.update(`${file}\0`).update(readFileSync(join(contextRoot, file))).update("\0");
  return h.digest("hex");
}
