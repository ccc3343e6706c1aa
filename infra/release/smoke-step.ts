/**
 * Step 4 — smoke test: the built service (the archive's dist/) started as its own process on a
 * freshly migrated database (its own, on the run's embedded PostgreSQL), every operation of its
 * OpenAPI document called and each response validated against its declared schema
 * (contract-smoke.ts), then SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { extract } from "tar";
import { REPO_ROOT } from "../../config/stack-file";
import { serviceBuild } from "../../config/units";
import { defaultBundlePaths } from "../../backend/src/migrate/paths";
import { migrateUp } from "../../backend/src/migrate/runner";
import { freePort } from "../postgres/embedded";
import { parseContract } from "./api-contract";
import { exerciseContract, type ContractCheck } from "./contract-smoke";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

export type SmokeCheck = ContractCheck;

/** The backend's contract: the smoke test calls what it declares, nothing else. */

async function healthy(base: string): Promise<boolean> {
  const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
  await res.text();
  return res.status === 200;
}

async function waitReady(base: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode} before it was ready`);
    try {
      if (await healthy(base)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service did not answer /healthz within ${timeoutMs} ms`);
}

export async function smokeStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("smoke", "Smoke test: built service on a migrated database");
  if (!ctx.state.archiveFile) {
    result.status = "skip";
    result.reasons.push("no built artifact (the artifacts step failed)");
    result.summary = "skipped: nothing to start";
    return result;
  }
  let child: ChildProcess | undefined;
  const unpacked = join(ctx.dir, ".smoke");
  // The server is the run's (the pipeline stops it); what is ours is the service and the unpacked archive.
  const stopAll = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const running = child;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGKILL");
      await exited;
    }
    rmSync(unpacked, { recursive: true, force: true });
  };
  const unregister = ctx.onInterrupt(stopAll);
  try {
    // What is started is what ships: the archive's bytes, unpacked.
    mkdirSync(unpacked, { recursive: true });
    await extract({ file: ctx.state.archiveFile, cwd: unpacked });
    const pg = await ctx.postgres();
    ctx.progress("migrating a fresh database for the smoke test");
    const url = await pg.createDatabase("smoke");
    await migrateUp({ connection: url, paths: defaultBundlePaths(unpacked) });
    // Every service of the stack, each started from the archive of its build under its own name
    // and called through its own contract (its workspace's openapi.json). The release builds the
    // shared `backend` workspace; a service with another workspace is reported, not skipped.
    const checks: SmokeCheck[] = [];
    const startMs: Record<string, number> = {};
    const many = ctx.cfg.services.length > 1;
    for (const svc of ctx.cfg.services) {
      const workspace = serviceBuild(ctx.cfg, svc).workspace;
      const prefix = many ? `${svc.name}: ` : "";
      if (workspace !== "backend") {
        checks.push({ name: `${prefix}built`, ok: false, detail: `workspace ${workspace} has no release artifact (the release builds the backend workspace)` } as SmokeCheck);
        continue;
      }
      const port = await freePort();
      ctx.progress(`starting ${svc.name} from the built archive on port ${port}`);
      const started = performance.now();
      child = spawn(process.execPath, [join(unpacked, "dist", "server.js")], {
        // The image installs production dependencies next to dist/; here they come from the checkout.
        env: { PATH: process.env.PATH ?? "", NODE_PATH: join(REPO_ROOT, "node_modules"), DATABASE_URL: url, PORT: String(port), LOG_LEVEL: "warn", SERVICE_NAME: svc.name, APP_VERSION: ctx.version, GIT_SHA: ctx.commit.sha, SHUTDOWN_TIMEOUT_MS: "5000" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      const base = `http://127.0.0.1:${port}`;
      await waitReady(base, child, 15_000);
      startMs[svc.name] = Math.round(performance.now() - started);
      const document = parseContract(readFileSync(join(REPO_ROOT, workspace, "openapi.json"), "utf8"), `${workspace}/openapi.json`);
      ctx.progress(`calling the ${Object.keys(document.paths ?? {}).length} paths of ${workspace}/openapi.json as ${svc.name}`);
      const own = await exerciseContract({ document, baseUrl: base });
      const running = child;
      const exited = new Promise<number | null>((resolve) => running.once("exit", (code) => resolve(code)));
      running.kill("SIGTERM");
      const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000))]);
      own.push({ name: "SIGTERM: graceful exit", ok: code === 0, detail: code === "timeout" ? "did not exit within 10 s" : `exit code ${code}` } as SmokeCheck);
      checks.push(...own.map((c) => ({ ...c, name: `${prefix}${c.name}` })));
    }
    const dir = join(ctx.dir, "smoke");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "smoke-test.json"), `${JSON.stringify({ service: "backend archive, unpacked (dist/server.js)", services: ctx.cfg.services.map((s) => s.name), contract: "each service's <workspace>/openapi.json (every operation; responses validated against their declared schemas)", database: "embedded PostgreSQL, migrated and seeded from the archive", checks }, null, 2)}\n`);
    result.files.push("smoke/smoke-test.json");
    const passed = checks.filter((c) => c.ok).length;
    const slowest = Math.max(0, ...Object.values(startMs));
    result.figures = { checks: checks.length, passed, startMs: slowest };
    result.summary = `${passed}/${checks.length} checks passed over ${ctx.cfg.services.length} service(s); slowest ready in ${slowest} ms`;
    for (const c of checks.filter((x) => !x.ok)) fail(result, `smoke: ${c.name}: ${c.detail}`);
    (result as StepResult & { checks?: SmokeCheck[] }).checks = checks;
  } catch (err) {
    fail(result, `smoke: ${(err as Error).message.split("\n")[0]}`);
    result.summary = "smoke test could not run";
  } finally {
    unregister();
    await stopAll();
  }
  return result;
}
