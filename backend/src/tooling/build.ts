/**
 * Compiles the service and the migration runner to CommonJS (the image's artifact):
 * `tsc -p backend/tsconfig.build.json` into backend/dist (or `outDir`). The development tooling
 * (this folder: lint, verify, build) is not part of it.
 */
import { execFile } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { BACKEND_ROOT } from "../migrate/paths";

const run = promisify(execFile);

export interface BuildResult {
  outDir: string;
  /** Emitted files relative to outDir, sorted. */
  files: string[];
  ms: number;
  /** What the containers run, relative to the backend package root. */
  entrypoints: { server: string; migrate: string };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

export async function buildBackend(outDir = join(BACKEND_ROOT, "dist")): Promise<BuildResult> {
  const started = performance.now();
  const target = resolve(outDir);
  rmSync(target, { recursive: true, force: true });
  const tsc = require.resolve("typescript/bin/tsc", { paths: [BACKEND_ROOT] });
  try {
    await run(process.execPath, [tsc, "-p", join(BACKEND_ROOT, "tsconfig.build.json"), "--outDir", target], { cwd: BACKEND_ROOT, maxBuffer: 16 * 2 ** 20 });
  } catch (err) {
    throw new Error(`backend build failed:\n${(err as { stdout?: string }).stdout ?? String(err)}`, { cause: err });
  }
  return {
    outDir: target,
    files: walk(target).map((f) => relative(target, f)).sort(),
    ms: Math.round(performance.now() - started),
    entrypoints: { server: "dist/server.js", migrate: "dist/migrate/cli.js" },
  };
}
