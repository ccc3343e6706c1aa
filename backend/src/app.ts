/**
 * The HTTP API on node:http: orders, health, readiness and version. Each request gets an id
 * (X-Request-Id if the caller sent a sane one), echoed in the response and in its log line.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Pool } from "pg";
import type { z } from "zod";
import type { ServiceConfig } from "./config";
import type { Logger } from "./log";
import { createOrderSchema, DomainError, listQuerySchema, OrdersRepository, updateStatusSchema } from "./orders";
import { isSchemaReady } from "./readiness";

export interface AppContext {
  pool: Pool;
  log: Logger;
  version: ServiceConfig["version"];
  /** The latest migration this build needs (from the bundle's manifest). */
  expectedMigration: string | null;
  /** Set during shutdown: /readyz answers 503 so the load balancer stops routing here. */
  draining: () => boolean;
}

const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload), "cache-control": "no-store" });
  res.end(payload);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) throw new HttpError(400, "a JSON body is required");
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "body is not valid JSON");
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, "invalid request", result.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`));
  return result.data;
}

function orderId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(404, `order ${raw} not found`);
  return id;
}

/** A malformed escape (`/orders/%E0`) names no resource: 404, not a 500 and an error log. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(404, `not found: malformed path segment "${segment}"`);
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void>;

export function createRequestHandler(ctx: AppContext): (req: IncomingMessage, res: ServerResponse) => void {
  const orders = new OrdersRepository(ctx.pool);
  const routes: Array<[string, RegExp, Handler]> = [
    ["GET", /^\/healthz$/, async (_q, res) => send(res, 200, { status: "ok" })],
    [
      "GET",
      /^\/readyz$/,
      async (_q, res) => {
        if (ctx.draining()) return send(res, 503, { status: "draining" });
        const check = await isSchemaReady(ctx.pool, ctx.expectedMigration);
        send(res, check.ready ? 200 : 503, { status: check.ready ? "ready" : "not-ready", ...check });
      },
    ],
    ["GET", /^\/version$/, async (_q, res) => send(res, 200, { ...ctx.version, schema: ctx.expectedMigration })],
    [
      "POST",
      /^\/orders$/,
      async (req, res) => {
        const input = parse(createOrderSchema, await readJson(req));
        const key = req.headers["idempotency-key"];
        const idempotencyKey = typeof key === "string" && key.length > 0 ? key.slice(0, 200) : undefined;
        const { order, created } = await orders.create(input, idempotencyKey);
        res.setHeader("location", `/orders/${order.id}`);
        send(res, created ? 201 : 200, order);
      },
    ],
    ["GET", /^\/orders$/, async (_q, res, url) => send(res, 200, await orders.list(parse(listQuerySchema, Object.fromEntries(url.searchParams))))],
    [
      "GET",
      /^\/orders\/([^/]+)$/,
      async (_q, res, _u, [raw = ""]) => {
        const order = await orders.get(orderId(raw));
        if (!order) throw new HttpError(404, `order ${raw} not found`);
        send(res, 200, order);
      },
    ],
    [
      "PATCH",
      /^\/orders\/([^/]+)\/status$/,
      async (req, res, _u, [raw = ""]) => {
        const { status } = parse(updateStatusSchema, await readJson(req));
        send(res, 200, await orders.updateStatus(orderId(raw), status));
      },
    ],
  ];

  return (req, res) => {
    const started = performance.now();
    const incoming = req.headers["x-request-id"];
    const requestId = typeof incoming === "string" && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", requestId);
    const url = new URL(req.url ?? "/", "http://localhost");
    const log = ctx.log.child({ requestId });
    res.on("finish", () => {
      const fields = { method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(performance.now() - started) };
      if (url.pathname === "/healthz" || url.pathname === "/readyz") log.debug("request", fields);
      else log.info("request", fields);
    });
    const run = async () => {
      const matching = routes.filter(([, re]) => re.test(url.pathname));
      if (matching.length === 0) throw new HttpError(404, `no route for ${url.pathname}`);
      const route = matching.find(([method]) => method === req.method);
      if (!route) {
        res.setHeader("allow", matching.map(([m]) => m).join(", "));
        throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`);
      }
      const [, re, handler] = route;
      await handler(req, res, url, (re.exec(url.pathname) ?? []).slice(1).map(decodePathSegment));
    };
    run().catch((err: unknown) => {
      if (err instanceof HttpError || err instanceof DomainError) {
        send(res, err.status, { error: err.message, ...(err instanceof HttpError && err.details ? { details: err.details } : {}), requestId });
        return;
      }
      log.error("request failed", { error: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code });
      if (!res.headersSent) send(res, 500, { error: "internal error", requestId });
      else res.destroy();
    });
  };
}
