/**
 * backend/openapi.json is the contract: generated from the routes, committed, and this test is
 * the CI check that it is not stale (`npm run -w backend openapi` rewrites it).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkOpenApiFile, generateOpenApiDocument, OPENAPI_FILE } from "../../backend/src/openapi";

const tmp = mkdtempSync(join(tmpdir(), "openapi-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("backend/openapi.json", () => {
  it("matches what the routes generate (stale = CI failure: run `npm run -w backend openapi`)", async () => {
    const check = await checkOpenApiFile();
    expect(check.problem ?? "").toBe("");
    expect(check.fresh).toBe(true);
  });

  it("a stale or missing copy fails the check, naming the command that fixes it", async () => {
    const doc = JSON.parse(readFileSync(OPENAPI_FILE, "utf8")) as { components: { schemas: { Order: { properties: Record<string, unknown> } } } };
    delete doc.components.schemas.Order.properties.status;
    const stale = join(tmp, "openapi.json");
    writeFileSync(stale, `${JSON.stringify(doc, null, 2)}\n`);
    const check = await checkOpenApiFile(stale);
    expect(check.fresh).toBe(false);
    expect(check.problem).toMatch(/openapi\.json does not match the routes' schemas \(first difference at line \d+\): run `npm run -w backend openapi` and commit it/);
    expect((await checkOpenApiFile(join(tmp, "missing.json"))).problem).toMatch(/missing\.json is missing: run `npm run -w backend openapi`/);
  });

  it("is OpenAPI 3.1 with every operation named, described and typed", async () => {
    const doc = await generateOpenApiDocument();
    expect(doc.openapi).toBe("3.1.0");
    const ops = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op: op as Record<string, unknown> })));
    expect(ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(["GET /healthz", "GET /orders", "GET /orders/{id}", "GET /readyz", "GET /version", "PATCH /orders/{id}/status", "POST /orders"]);
    for (const { op } of ops) {
      expect(typeof op.operationId).toBe("string");
      expect(typeof op.summary).toBe("string");
      for (const response of Object.values(op.responses as Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>)) {
        expect(response.description).toBeTruthy();
        expect(response.content?.["application/json"]?.schema).toBeTruthy();
      }
    }
  });
});
