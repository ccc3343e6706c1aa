/**
 * Compiles the service and the migration runner to CommonJS (the image's artifact):
 * `tsc -p backend/tsconfig.build.json` into backend/dist (or `outDir`). The development tooling
 * (this folder: lint, verify, build) is not part of it. Interrupted (Ctrl-C), the compiler is
 * stopped before the interrupt's other cleanups run, so it cannot write into a directory that
 * is being removed.
 */
import { execFile } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { BACKEND_ROOT } from "../migrate/paths";
import { onInterrupt } from "../process/interrupt";

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
  await new Promise<void>((done, failed) => {
    const child = execFile(process.execPath, [tsc, "-p", join(BACKEND_ROOT, "tsconfig.build.json"), "--outDir", target], { cwd: BACKEND_ROOT, maxBuffer: 16 * 2 ** 20 }, (err, stdout) => {
      unregister();
      if (err) failed(new Error(`backend build failed:\n${stdout || String(err)}`, { cause: err }));
      else done();
    });
    const exited = new Promise((r) => child.once("exit", r));
    const unregister = onInterrupt(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    });
  });
  return {
    outDir: target,
    files: walk(target).map((f) => relative(target, f)).sort(),
    ms: Math.round(performance.now() - started),
    entrypoints: { server: "dist/server.js", migrate: "dist/migrate/cli.js" },
  };
}
