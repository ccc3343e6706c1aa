import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateUp } from "../../backend/src/migrate/runner";
import { loadConfig } from "../../backend/src/config";
import { startServer } from "../../backend/src/server";
import { createLogger } from "../../backend/src/log";
import { freePort } from "../../infra/postgres/embedded";
import { type EmbeddedPostgres, freshDatabase, startEmbeddedPostgres } from "./helpers";

const ROOT = join(__dirname, "..", "..");
let pg: EmbeddedPostgres;
let url: string;

beforeAll(async () => {
  pg = await startEmbeddedPostgres();
  url = await freshDatabase(pg);
  await migrateUp({ connection: url });
});
afterAll(async () => {
  await pg?.stop();
});

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { method, headers: { "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; base: string; logs: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "backend/src/server.ts")], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const logs: string[] = [];
    child.stdout?.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n").filter(Boolean)) {
        logs.push(line);
        if (line.includes('"msg":"listening"')) resolve({ child, base: `http://127.0.0.1:${env.PORT}`, logs });
      }
    });
    child.stderr?.on("data", (d: Buffer) => logs.push(d.toString()));
    child.on("exit", (code) => reject(new Error(`server exited with ${code}: ${logs.join("\n")}`)));
  });
}

describe("orders API smoke test (child process, migrated database)", () => {
  it("serves every endpoint, then drains an in-flight request on SIGTERM", async () => {
    const port = await freePort();
    const { child, base, logs } = await startChild({ PORT: String(port), DATABASE_URL: url, PGSSLMODE: "disable", APP_VERSION: "1.4.0", GIT_SHA: "0123abc", SHUTDOWN_TIMEOUT_MS: "5000", SERVICE_NAME: "orders-api", DD_ENV: "staging" });
    try {
      expect((await call(base, "GET", "/healthz")).body).toEqual({ status: "ok" });
      const ready = await call(base, "GET", "/readyz");
      expect(ready.status).toBe(200);
      expect(ready.body.expectedMigration).toBe("20250605120000_create_service_role");
      expect((await call(base, "GET", "/version")).body).toMatchObject({ version: "1.4.0", gitSha: "0123abc", imageDigest: null });

      const created = await call(base, "POST", "/orders", { customerId: "c-1", amountCents: 1250, currency: "EUR" }, { "x-request-id": "req-smoke-1" });
      expect(created.status).toBe(201);
      expect(created.headers.get("x-request-id")).toBe("req-smoke-1");
      const id = String(created.body.id);
      expect(created.body).toMatchObject({ customerId: "c-1", amountCents: 1250, currency: "EUR", status: "pending" });

      const again = await call(base, "POST", "/orders", { customerId: "c-1", amountCents: 1250, currency: "EUR" }, { "idempotency-key": "k-1" });
      const replay = await call(base, "POST", "/orders", { customerId: "c-1", amountCents: 1250, currency: "EUR" }, { "idempotency-key": "k-1" });
      expect([again.status, replay.status]).toEqual([201, 200]);
      expect(replay.body.id).toBe(again.body.id);

      expect((await call(base, "GET", `/orders/${id}`)).body.id).toBe(id);
      expect((await call(base, "GET", "/orders/999999")).status).toBe(404);
      expect((await call(base, "GET", "/orders/%E0")).status).toBe(404); // malformed escape: not a 500
      const list = await call(base, "GET", "/orders?customerId=c-1&limit=1");
      expect((list.body.orders as unknown[]).length).toBe(1);
      expect(list.body.nextBefore).not.toBeNull();

      expect((await call(base, "PATCH", `/orders/${id}/status`, { status: "paid" })).body.status).toBe("paid");
      expect((await call(base, "PATCH", `/orders/${id}/status`, { status: "delivered" })).status).toBe(200);
      expect((await call(base, "PATCH", `/orders/${id}/status`, { status: "pending" })).status).toBe(409);
      expect((await call(base, "PATCH", `/orders/${id}/status`, { status: "lost" })).status).toBe(422);
      const invalid = await call(base, "POST", "/orders", { customerId: "", amountCents: -1, currency: "euro" });
      expect(invalid.status).toBe(400);
      expect(invalid.body.details).toHaveLength(3);
      expect((await call(base, "DELETE", "/orders")).status).toBe(405);

      // In flight: headers sent, body not yet complete when SIGTERM arrives.
      const body = JSON.stringify({ customerId: "c-late", amountCents: 1, currency: "USD" });
      const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${base}/orders`, { method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on("error", reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          child.kill("SIGTERM");
          setTimeout(() => req.end(body.slice(10)), 300);
        }, 100);
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      const result = await inFlight;
      expect(result.status).toBe(201);
      expect(JSON.parse(result.text)).toMatchObject({ customerId: "c-late" });
      expect(await exited).toBe(0);
      const lines = logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
      // What the Datadog log searches use: service, env, version, the level label, the request id.
      expect(lines.find((l) => l.requestId === "req-smoke-1")).toMatchObject({ msg: "request", method: "POST", path: "/orders", status: 201, level: "info", service: "orders-api", env: "staging", version: "1.4.0" });
      expect(lines.every((l) => typeof l.time === "string" && typeof l.level === "string" && l.service === "orders-api" && l.env === "staging")).toBe(true);
      expect(lines.some((l) => l.msg === "stopped" && l.drained === true)).toBe(true);
      expect(logs.join("\n")).not.toContain(pg.password);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("in-process: body limit, JSON whatever the Content-Type, HEAD refused, request ids sanitised, error level labelled", async () => {
    const captured: string[] = [];
    const config = loadConfig({ PORT: "0", DATABASE_URL: url, PGSSLMODE: "disable" });
    const running = await startServer({ config, host: "127.0.0.1", log: createLogger("info", { service: "orders-api" }, (l) => captured.push(l)) });
    try {
      const big = await fetch(`${running.url}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ customerId: "x".repeat(70_000), amountCents: 1, currency: "EUR" }) });
      expect([big.status, ((await big.json()) as { error: string }).error]).toEqual([413, "body larger than 65536 bytes"]);
      const plain = await fetch(`${running.url}/orders`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ customerId: "c-plain", amountCents: 5, currency: "EUR" }) });
      expect(plain.status).toBe(201);
      expect(plain.headers.get("location")).toMatch(/^\/orders\/\d+$/);
      const head = await fetch(`${running.url}/healthz`, { method: "HEAD" });
      expect([head.status, head.headers.get("allow")]).toEqual([405, "GET"]);
      const badId = await fetch(`${running.url}/version`, { headers: { "x-request-id": "no spaces allowed" } });
      expect(badId.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await running.close();
    }
    const lines: string[] = [];
    createLogger("info", { service: "orders-migrate", env: "prod" }, (l) => lines.push(l)).error("migration failed", { level: "ignored", error: "boom" });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", service: "orders-migrate", env: "prod", msg: "migration failed", error: "boom" });
    expect(captured.some((l) => l.includes('"status":413'))).toBe(true);
  });

  it("in-process: /readyz is 503 on an unmigrated database; bad config is reported per variable", async () => {
    const empty = await freshDatabase(pg);
    const config = loadConfig({ PORT: "0", DATABASE_URL: empty, PGSSLMODE: "disable" });
    const running = await startServer({ config, host: "127.0.0.1", log: createLogger("error") });
    try {
      const ready = await call(running.url, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body.reason).toBe("no migrations have run");
    } finally {
      await running.close();
    }
    expect(() => loadConfig({ PORT: "http", PGHOST: "db", PGSSLMODE: "maybe" })).toThrow(/PORT: .*\n.*PGDATABASE: required/s);
  });
});
