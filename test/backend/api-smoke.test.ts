/**
 * The contract smoke test (what the release's smoke step runs): every operation of an OpenAPI
 * document called against a running service and each response validated against its declared
 * schema — on the orders API over a migrated database, on a second, unrelated service, and on
 * services that break their contract.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../backend/src/config";
import { createLogger } from "../../backend/src/log";
import { migrateUp } from "../../backend/src/migrate/runner";
import { startServer, type RunningServer } from "../../backend/src/server";
import { listOperations, type OpenApiDocument } from "../../infra/release/api-diff";
import { exerciseContract } from "../../infra/release/contract-smoke";
import { type EmbeddedPostgres, freshDatabase, startEmbeddedPostgres } from "./helpers";

const ORDERS = JSON.parse(readFileSync(join(__dirname, "..", "..", "backend", "openapi.json"), "utf8")) as OpenApiDocument & {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
};
let pg: EmbeddedPostgres;
let running: RunningServer;

beforeAll(async () => {
  pg = await startEmbeddedPostgres();
  const url = await freshDatabase(pg);
  await migrateUp({ connection: url });
  running = await startServer({ config: loadConfig({ PORT: "0", DATABASE_URL: url, PGSSLMODE: "disable" }), host: "127.0.0.1", log: createLogger("error") });
}, 60_000);
afterAll(async () => {
  await running?.close();
  await pg?.stop();
});

describe("contract smoke test on the orders API", () => {
  it("calls every operation of backend/openapi.json and every response matches its schema", async () => {
    const checks = await exerciseContract({ document: ORDERS, baseUrl: running.url });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    for (const op of listOperations(ORDERS)) {
      expect(checks.some((c) => c.name.startsWith(`${op.method} ${op.path} (`)), `${op.method} ${op.path}`).toBe(true);
    }
    // Error responses declared by the document are exercised too.
    expect(checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(["POST /orders with an empty object as body → 400", "GET /orders/{id} naming nothing → 404", "PATCH /orders/{id}/status naming nothing → 404"]),
    );
    expect(checks.find((c) => c.name.startsWith("PATCH /orders/{id}/status ("))?.detail).toBe("HTTP 200, body matches its declared schema");
  });

  it("fails when the service answers something its document does not declare", async () => {
    const stricter = structuredClone(ORDERS);
    stricter.components.schemas.Order!.properties.note = { type: "string" };
    stricter.components.schemas.Order!.required.push("note");
    delete stricter.paths["/orders"]!.post!.responses["201"];
    const failed = (await exerciseContract({ document: stricter, baseUrl: running.url })).filter((c) => !c.ok);
    expect(failed.find((c) => c.name.startsWith("POST /orders ("))?.detail).toBe("HTTP 201: status 201 is not declared");
    expect(failed.find((c) => c.name.startsWith("GET /orders/{id} ("))?.detail).toMatch(/^HTTP 200: body does not match the declared schema: \/ must have required property 'note'/);
  });
});

describe("a second service gets the same test for free", () => {
  // An unrelated service with its own document: items with a UUID key and a nullable field.
  const doc: OpenApiDocument = {
    openapi: "3.1.0",
    info: { title: "items", version: "1.0.0" },
    paths: {
      "/items": {
        post: {
          requestBody: { required: true, content: { "application/json": { schema: { type: "object", properties: { label: { type: "string", minLength: 3 } }, required: ["label"] } } } },
          responses: {
            "201": { description: "created", content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } },
            "400": { description: "bad", content: { "application/json": { schema: { type: "object" } } } },
          },
        },
      },
      "/items/{itemId}": {
        get: {
          parameters: [{ in: "path", name: "itemId", required: true, schema: { type: "string", format: "uuid" } }],
          responses: {
            "200": { description: "the item", content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } } },
            "404": { description: "none", content: { "application/json": { schema: { type: "object", required: ["message"] } } } },
          },
        },
      },
    },
    components: {
      schemas: {
        Item: {
          type: "object",
          properties: { itemId: { type: "string", format: "uuid" }, label: { type: "string" }, note: { type: ["string", "null"] }, at: { type: "string", format: "date-time" } },
          required: ["itemId", "label", "note", "at"],
          additionalProperties: false,
        },
      },
    },
  };

  async function itemsService(bug: "none" | "bad-date" = "none"): Promise<{ server: Server; url: string }> {
    const items = new Map<string, unknown>();
    const server = createServer((req, res) => {
      const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      let text = "";
      req.on("data", (d: Buffer) => (text += d.toString()));
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/items") {
          const body = JSON.parse(text || "{}") as { label?: string };
          if (!body.label || body.label.length < 3) return send(400, { message: "label" });
          const item = { itemId: crypto.randomUUID(), label: body.label, note: null, at: bug === "bad-date" ? "yesterday" : new Date().toISOString() };
          items.set(item.itemId, item);
          return send(201, item);
        }
        const id = /^\/items\/([^/]+)$/.exec(req.url ?? "")?.[1];
        const item = id ? items.get(id) : undefined;
        return item ? send(200, item) : send(404, { message: "no such item" });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it("passes a service that keeps its contract, fails one that does not", async () => {
    const good = await itemsService();
    const bad = await itemsService("bad-date");
    try {
      const checks = await exerciseContract({ document: doc, baseUrl: good.url });
      expect(checks.map((c) => [c.name, c.ok])).toEqual([
        ["POST /items", true],
        ["POST /items with an empty object as body → 400", true],
        ["GET /items/{itemId}", true],
        ["GET /items/{itemId} naming nothing → 404", true],
      ]);
      const failed = (await exerciseContract({ document: doc, baseUrl: bad.url })).filter((c) => !c.ok);
      expect(failed.map((c) => c.detail)).toEqual(['HTTP 201: body does not match the declared schema: /at must match format "date-time"', 'HTTP 200: body does not match the declared schema: /at must match format "date-time"']);
    } finally {
      good.server.close();
      bad.server.close();
    }
  });

  it("says what to add when it cannot build a request", async () => {
    const patterned = structuredClone(doc) as OpenApiDocument & { paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
    patterned.paths["/items"]!.post!.requestBody.content["application/json"]!.schema.properties.label = { type: "string", pattern: "^[A-Z]{2}-[0-9]{4}$" };
    const checks = await exerciseContract({ document: patterned, baseUrl: "http://127.0.0.1:9" });
    expect(checks[0]).toEqual({ name: "POST /items", ok: false, detail: "cannot build a value for body.label: it has a pattern (^[A-Z]{2}-[0-9]{4}$) and no example; add `examples` to its schema" });
    await expect(exerciseContract({ document: { ...doc, openapi: "3.0.3" }, baseUrl: "http://127.0.0.1:9" })).rejects.toThrow(/needs an OpenAPI 3\.1 document/);
  });
});
