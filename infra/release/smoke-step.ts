/**
 * Step 4 — smoke test: the built service (the archive's dist/) started as its own process on a
 * freshly migrated embedded PostgreSQL, every endpoint exercised over HTTP, then SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { extract } from "tar";
import { REPO_ROOT } from "../../config/stack-file";
import { defaultBundlePaths } from "../../backend/src/migrate/paths";
import { migrateUp } from "../../backend/src/migrate/runner";
import { freePort, startEmbeddedPostgres } from "../postgres/embedded";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

async function request(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body ? { "content-type": "application/json", "idempotency-key": "release-smoke-1" } : {},
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function waitReady(base: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode} before it was ready`);
    try {
      if ((await request(base, "GET", "/healthz")).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the service did not answer /healthz within ${timeoutMs} ms`);
}

/** Runs the checks against a started service; exported for the release tests. */
export async function exerciseEndpoints(base: string, expect: { version: string; gitSha: string }): Promise<SmokeCheck[]> {
  const checks: SmokeCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const health = await request(base, "GET", "/healthz");
  check("GET /healthz", health.status === 200, `HTTP ${health.status}`);
  const ready = await request(base, "GET", "/readyz");
  check("GET /readyz (database reachable, schema current)", ready.status === 200, `HTTP ${ready.status} ${String(ready.json.status ?? "")}`);
  const version = await request(base, "GET", "/version");
  check("GET /version", version.status === 200 && version.json.version === expect.version && version.json.gitSha === expect.gitSha, `HTTP ${version.status} version ${String(version.json.version)}`);
  const created = await request(base, "POST", "/orders", { customerId: "smoke-customer", amountCents: 1299, currency: "EUR" });
  check("POST /orders", created.status === 201, `HTTP ${created.status}`);
  const id = created.json.id;
  const got = await request(base, "GET", `/orders/${String(id)}`);
  check("GET /orders/:id", got.status === 200 && got.json.id === id, `HTTP ${got.status}`);
  const listed = await request(base, "GET", "/orders?customerId=smoke-customer");
  const items = (listed.json.orders ?? []) as unknown[];
  check("GET /orders", listed.status === 200 && items.length >= 1, `HTTP ${listed.status}, ${items.length} order(s)`);
  const updated = await request(base, "PATCH", `/orders/${String(id)}/status`, { status: "paid" });
  check("PATCH /orders/:id/status", updated.status === 200 && updated.json.status === "paid", `HTTP ${updated.status} status ${String(updated.json.status)}`);
  const missing = await request(base, "GET", "/orders/999999");
  check("GET /orders/:id unknown -> 404", missing.status === 404, `HTTP ${missing.status}`);
  return checks;
}

export async function smokeStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("smoke", "Smoke test: built service on a migrated database");
  if (!ctx.state.archiveFile) {
    result.status = "skip";
    result.reasons.push("no built artifact (the artifacts step failed)");
    result.summary = "skipped: nothing to start";
    return result;
  }
  let pg: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  let child: ChildProcess | undefined;
  const unpacked = join(ctx.dir, ".smoke");
  const stopAll = async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await pg?.stop();
    rmSync(unpacked, { recursive: true, force: true });
  };
  const unregister = ctx.onInterrupt(stopAll);
  try {
    // What is started is what ships: the archive's bytes, unpacked.
    mkdirSync(unpacked, { recursive: true });
    await extract({ file: ctx.state.archiveFile, cwd: unpacked });
    pg = await startEmbeddedPostgres();
    ctx.progress("migrating a fresh database for the smoke test");
    const url = await pg.createDatabase("smoke");
    await migrateUp({ connection: url, paths: defaultBundlePaths(unpacked) });
    const port = await freePort();
    ctx.progress(`starting the built service on port ${port}`);
    const started = performance.now();
    child = spawn(process.execPath, [join(unpacked, "dist", "server.js")], {
      // The image installs production dependencies next to dist/; here they come from the checkout.
      env: { PATH: process.env.PATH ?? "", NODE_PATH: join(REPO_ROOT, "node_modules"), DATABASE_URL: url, PORT: String(port), LOG_LEVEL: "warn", APP_VERSION: ctx.version, GIT_SHA: ctx.commit.sha, SHUTDOWN_TIMEOUT_MS: "5000" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitReady(base, child, 15_000);
    const startMs = Math.round(performance.now() - started);
    const checks = await exerciseEndpoints(base, { version: ctx.version, gitSha: ctx.commit.sha });
    const running = child;
    const exited = new Promise<number | null>((resolve) => running.once("exit", (code) => resolve(code)));
    running.kill("SIGTERM");
    const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000))]);
    checks.push({ name: "SIGTERM: graceful exit", ok: code === 0, detail: code === "timeout" ? "did not exit within 10 s" : `exit code ${code}` });
    const dir = join(ctx.dir, "smoke");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "smoke-test.json"), `${JSON.stringify({ service: "backend archive, unpacked (dist/server.js)", database: "embedded PostgreSQL, migrated and seeded from the archive", checks }, null, 2)}\n`);
    result.files.push("smoke/smoke-test.json");
    const passed = checks.filter((c) => c.ok).length;
    result.figures = { checks: checks.length, passed, startMs };
    result.summary = `${passed}/${checks.length} checks passed; service ready in ${startMs} ms`;
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
