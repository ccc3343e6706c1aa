/**
 * The API diff on the real orders contract (backend/openapi.json) and mutations of it: each
 * class of change named by its rule and judged breaking or not, and the version rule that
 * turns breaking changes into a blocking finding.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allowsBreakingChanges, assertOpenApi, diffOpenApi, judgeApiDiff, listOperations, type OpenApiDocument } from "../../infra/release/api-diff";

const BASE = JSON.parse(readFileSync(join(__dirname, "..", "..", "backend", "openapi.json"), "utf8")) as OpenApiDocument;

type Doc = OpenApiDocument & { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, Record<string, unknown>> } };
function mutate(change: (d: Doc) => void): OpenApiDocument {
  const copy = structuredClone(BASE) as Doc;
  change(copy);
  return copy;
}
const schema = (d: Doc, name: string) => d.components.schemas[name] as { properties: Record<string, Record<string, unknown>>; required: string[]; [k: string]: unknown };
const rules = (next: OpenApiDocument, prev: OpenApiDocument = BASE) => diffOpenApi(prev, next).changes.map((c) => [c.operation, c.rule, c.breaking] as const);

describe("API diff: the issue's cases", () => {
  it("finds nothing between a document and itself", () => {
    expect(diffOpenApi(BASE, structuredClone(BASE)).changes).toEqual([]);
  });

  it("a removed response field is breaking, named where it is", () => {
    const next = mutate((d) => {
      const order = schema(d, "Order");
      delete order.properties.status;
      order.required = order.required.filter((f) => f !== "status");
    });
    const diff = diffOpenApi(BASE, next);
    expect(diff.breaking.map((c) => c.message)).toEqual([
      "GET /orders: response 200 body field orders[] field status: removed from the response",
      "POST /orders: response 200 body field status: removed from the response",
      "POST /orders: response 201 body field status: removed from the response",
      "GET /orders/{id}: response 200 body field status: removed from the response",
      "PATCH /orders/{id}/status: response 200 body field status: removed from the response",
    ]);
    expect(new Set(diff.breaking.map((c) => c.rule))).toEqual(new Set(["response-field-removed"]));
    expect(diff.operations.changed).toHaveLength(4);
  });

  it("a newly required parameter is breaking (new, or optional before)", () => {
    const added = mutate((d) => {
      (d.paths["/orders"]!.get!.parameters as unknown[]).push({ in: "query", name: "tenant", required: true, schema: { type: "string" } });
    });
    expect(rules(added)).toEqual([["GET /orders", "parameter-added-required", true]]);
    const tightened = mutate((d) => {
      const limit = (d.paths["/orders"]!.get!.parameters as Array<Record<string, unknown>>).find((p) => p.name === "limit")!;
      limit.required = true;
    });
    expect(rules(tightened)).toEqual([["GET /orders", "parameter-became-required", true]]);
  });

  it("a removed operation is breaking", () => {
    const next = mutate((d) => {
      delete d.paths["/version"];
    });
    const diff = diffOpenApi(BASE, next);
    expect(diff.operations.removed).toEqual(["GET /version"]);
    expect(diff.breaking.map((c) => c.message)).toEqual(["GET /version: operation removed"]);
  });

  it("an added optional field is not breaking, in a request or a response", () => {
    const next = mutate((d) => {
      schema(d, "CreateOrderInput").properties.note = { type: "string", maxLength: 200 };
      schema(d, "Order").properties.note = { type: "string" };
    });
    const diff = diffOpenApi(BASE, next);
    expect(diff.breaking).toEqual([]);
    expect(diff.changes.map((c) => c.rule)).toContain("request-field-added-optional");
    expect(diff.changes.map((c) => c.rule)).toContain("response-field-added");
  });

  it("an added operation and an optional parameter are not breaking", () => {
    const next = mutate((d) => {
      d.paths["/orders/{id}"]!.delete = { operationId: "deleteOrder", responses: { "204": { description: "gone" } } };
      (d.paths["/orders"]!.get!.parameters as unknown[]).push({ in: "query", name: "status", required: false, schema: { type: "string" } });
    });
    expect(rules(next)).toEqual([
      ["GET /orders", "parameter-added-optional", false],
      ["DELETE /orders/{id}", "operation-added", false],
    ]);
  });
});

describe("API diff: the rest of the class", () => {
  it("type changes: requests may only widen, responses may only narrow", () => {
    const responseType = mutate((d) => {
      schema(d, "Order").properties.amountCents = { type: "string" };
    });
    expect(diffOpenApi(BASE, responseType).breaking.map((c) => c.rule)).toContain("response-type-changed");
    const requestWidened = mutate((d) => {
      schema(d, "CreateOrderInput").properties.amountCents = { type: "number", minimum: 0, maximum: 9007199254740991 };
    });
    expect(rules(requestWidened)).toEqual([["POST /orders", "request-type-changed", false]]);
    const requestNarrowed = rules(requestWidened, mutate(() => undefined));
    expect(rules(BASE, requestWidened)).toEqual([["POST /orders", "request-type-changed", true]]);
    expect(requestNarrowed).toEqual([["POST /orders", "request-type-changed", false]]);
  });

  it("enums: a removed request value and an added response value are breaking", () => {
    const withEnum = mutate((d) => {
      schema(d, "UpdateOrderStatusInput").properties.status!.enum = ["paid", "shipped", "cancelled"];
    });
    const removed = mutate((d) => {
      schema(d, "UpdateOrderStatusInput").properties.status!.enum = ["paid", "shipped"];
    });
    expect(rules(removed, withEnum)).toEqual([["PATCH /orders/{id}/status", "request-enum-value-removed", true]]);
    expect(rules(withEnum, removed)).toEqual([["PATCH /orders/{id}/status", "request-enum-value-added", false]]);
    expect(rules(withEnum)).toEqual([["PATCH /orders/{id}/status", "request-enum-added", true]]);
    const readiness = mutate((d) => {
      (schema(d, "Readiness").properties.status as { enum: string[] }).enum.push("starting");
    });
    expect(diffOpenApi(BASE, readiness).breaking.map((c) => c.rule)).toEqual(["response-enum-value-added", "response-enum-value-added"]);
  });

  it("nullability and optionality: only what a client could trip over is breaking", () => {
    const nullableResponse = mutate((d) => {
      schema(d, "Order").properties.currency = { anyOf: [{ type: "string", pattern: "^[A-Z]{3}$" }, { type: "null" }] };
    });
    expect(new Set(diffOpenApi(BASE, nullableResponse).breaking.map((c) => c.rule))).toEqual(new Set(["response-became-nullable"]));
    const optionalResponse = mutate((d) => {
      const order = schema(d, "Order");
      order.required = order.required.filter((f) => f !== "createdAt");
    });
    expect(new Set(diffOpenApi(BASE, optionalResponse).breaking.map((c) => c.rule))).toEqual(new Set(["response-field-became-optional"]));
    const nullableRequest = mutate((d) => {
      schema(d, "CreateOrderInput").properties.customerId!.type = ["string", "null"];
    });
    expect(diffOpenApi(BASE, nullableRequest).breaking).toEqual([]);
    const requiredRequest = mutate((d) => {
      schema(d, "CreateOrderInput").properties.channel = { type: "string" };
      schema(d, "CreateOrderInput").required.push("channel");
    });
    expect(rules(requiredRequest)).toEqual([["POST /orders", "request-field-added-required", true]]);
  });

  it("constraints: tighter breaks requests, looser breaks responses; changed patterns break", () => {
    const tighter = mutate((d) => {
      schema(d, "CreateOrderInput").properties.customerId!.maxLength = 64;
    });
    expect(rules(tighter)).toEqual([["POST /orders", "request-constraint-tightened", true]]);
    expect(rules(BASE, tighter)).toEqual([["POST /orders", "request-constraint-loosened", false]]);
    const pattern = mutate((d) => {
      schema(d, "CreateOrderInput").properties.currency!.pattern = "^[A-Z]{3,4}$";
    });
    expect(rules(pattern)).toEqual([["POST /orders", "request-pattern-changed", true]]);
    const looserResponse = mutate((d) => {
      delete schema(d, "Order").properties.currency!.pattern;
    });
    expect(new Set(diffOpenApi(BASE, looserResponse).breaking.map((c) => c.rule))).toEqual(new Set(["response-pattern-removed"]));
  });

  it("removed request fields break only when unknown fields are refused", () => {
    const open = mutate((d) => {
      const body = schema(d, "CreateOrderInput");
      body.properties.legacy = { type: "string" };
    });
    expect(rules(BASE, open)).toEqual([["POST /orders", "request-field-removed", false]]);
    const closed = mutate((d) => {
      schema(d, "CreateOrderInput").additionalProperties = false;
    });
    expect(rules(closed, open)).toEqual([
      ["POST /orders", "request-field-removed", true],
      ["POST /orders", "request-unknown-fields-refused", true],
    ]);
  });

  it("statuses and media types: a removed success status or media type is breaking, a removed error status is not", () => {
    const next = mutate((d) => {
      const post = d.paths["/orders"]!.post!;
      delete (post.responses as Record<string, unknown>)["200"];
      delete (post.responses as Record<string, unknown>)["409"];
      (post.requestBody as { content: Record<string, unknown> }).content = { "application/x-www-form-urlencoded": { schema: { type: "object" } } };
    });
    expect(rules(next)).toEqual([
      ["POST /orders", "request-media-type-removed", true],
      ["POST /orders", "request-media-type-added", false],
      ["POST /orders", "response-success-status-removed", true],
      ["POST /orders", "response-status-removed", false],
    ]);
  });

  it("renaming a path parameter is not a change of operation", () => {
    const next = mutate((d) => {
      const item = d.paths["/orders/{id}"]!;
      delete d.paths["/orders/{id}"];
      ((item.get!.parameters as Array<Record<string, unknown>>)[0]!).name = "orderId";
      d.paths["/orders/{orderId}"] = item;
    });
    expect(diffOpenApi(BASE, next).changes).toEqual([]);
  });

  it("lists operations and refuses what is not OpenAPI 3", () => {
    expect(listOperations(BASE).map((o) => `${o.method} ${o.path} ${o.operationId}`)).toEqual([
      "GET /healthz getHealth",
      "GET /readyz getReadiness",
      "GET /version getVersion",
      "GET /orders listOrders",
      "POST /orders createOrder",
      "GET /orders/{id} getOrder",
      "PATCH /orders/{id}/status updateOrderStatus",
    ]);
    expect(() => assertOpenApi({ swagger: "2.0", paths: {} }, "old.json")).toThrow(/old\.json: not an OpenAPI 3\.x document \(Swagger 2\.0\)/);
    const dangling = mutate((d) => {
      delete d.components.schemas.Order;
    });
    expect(() => diffOpenApi(BASE, dangling)).toThrow(/\$ref #\/components\/schemas\/Order points to nothing/);
  });
});

describe("judgement: breaking changes need a major version", () => {
  const removedOperation = diffOpenApi(
    BASE,
    mutate((d) => {
      delete d.paths["/orders/{id}/status"];
    }),
  );

  it("blocks at a minor or patch version, with one finding per breaking change", () => {
    for (const version of ["1.5.0", "1.4.1"]) {
      const j = judgeApiDiff(removedOperation, "1.4.0", version);
      expect(j.blocking).toBe(true);
      expect(j.findings).toEqual([`breaking API change without a major version bump (1.4.0 → ${version}): PATCH /orders/{id}/status: operation removed [operation-removed]`]);
    }
  });

  it("allows them at a major version (and at a minor below 1.0.0)", () => {
    expect(judgeApiDiff(removedOperation, "1.4.0", "2.0.0")).toMatchObject({ blocking: false, findings: [] });
    expect(judgeApiDiff(removedOperation, "1.4.0", "2.0.0-rc.1").blocking).toBe(false);
    expect(allowsBreakingChanges("0.3.2", "0.4.0")).toBe(true);
    expect(allowsBreakingChanges("0.3.2", "0.3.3")).toBe(false);
    expect(() => judgeApiDiff(removedOperation, "1.4.0", "banana")).toThrow(/"banana" is not a semantic version/);
  });

  it("never blocks when nothing breaks", () => {
    expect(judgeApiDiff(diffOpenApi(BASE, BASE), "1.4.0", "1.4.1")).toMatchObject({ blocking: false, summary: "no breaking change since 1.4.0" });
  });
});
