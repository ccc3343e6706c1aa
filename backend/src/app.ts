/**
 * The HTTP API on Fastify: orders, health, readiness and version. Each route declares its
 * request and response schemas (zod, through fastify-type-provider-zod): Fastify validates
 * requests and serializes responses with them, and backend/openapi.json is generated from the
 * same declarations (src/openapi.ts), so the published contract is the one enforced.
 *
 * Each request gets an id (X-Request-Id if the caller sent a sane one), echoed in the response
 * and on every log line of the request (`requestId`).
 */
import { randomUUID } from "node:crypto";
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Pool } from "pg";
import { z } from "zod";
import { errors, healthSchema, json, readinessSchema, versionSchema } from "./api-schemas";
import type { ServiceConfig } from "./config";
import type { Logger } from "./log";
import { createOrderSchema, DomainError, listQuerySchema, orderPageSchema, orderSchema, OrdersRepository, updateStatusSchema } from "./orders";
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

export interface BuildOptions {
  /** Plugins registered before the routes (the OpenAPI generator registers @fastify/swagger). */
  register?: (app: FastifyInstance) => Promise<void>;
}

export const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
/** Polled every few seconds by the load balancer: logged at debug so they do not drown the rest. */
const QUIET_PATHS = new Set(["/healthz", "/readyz"]);
/** Only the first 200 characters of an Idempotency-Key are significant (the column's width). */
const IDEMPOTENCY_KEY_CHARS = 200;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
  }
}

const pathOf = (url: string) => url.split("?")[0] ?? url;

function sendError(req: FastifyRequest, reply: FastifyReply, status: number, message: string, details?: string[]): FastifyReply {
  return reply
    .code(status)
    .header("x-request-id", req.id)
    .header("cache-control", "no-store")
    .type("application/json; charset=utf-8")
    .send({ error: message, ...(details ? { details } : {}), requestId: req.id });
}

/** An order id names no order unless it is a positive integer: 404, as for an unknown one. */
function orderId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(404, `order ${raw} not found`);
  return id;
}

/** Client errors Fastify raises before a handler runs, as the API's own messages. */
function frameworkClientError(err: FastifyError): { status: number; message: string } | undefined {
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, message: `body larger than ${MAX_BODY_BYTES} bytes` };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, message: "a JSON body is required" };
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return { status: 400, message: "body is not valid JSON" };
    case "FST_ERR_BAD_URL":
      // A malformed escape (`/orders/%E0`) names no resource: 404, not a 400/500 and an error log.
      return { status: 404, message: "not found: malformed path segment" };
    default:
      if (err instanceof SyntaxError) return { status: 400, message: "body is not valid JSON" };
      return err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? { status: err.statusCode, message: err.message } : undefined;
  }
}

/** One line per request: what the dashboards and a request-id search in Datadog read. */
function logRequest(req: FastifyRequest, reply: FastifyReply): void {
  const path = pathOf(req.url);
  const fields = { method: req.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
  if (QUIET_PATHS.has(path)) req.log.debug(fields, "request");
  else req.log.info(fields, "request");
}

/** `/orders/:id` as a matcher, for telling 405 (other methods exist) from 404. */
function routeMatcher(url: string): RegExp {
  const escaped = url
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${escaped}$`);
}

export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log.pino,
    // One "request" line per request is written by the onResponse hook below, with our fields.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "requestId" }),
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: MAX_BODY_BYTES,
    // GET routes only: HEAD answers 405 as before, and the document lists what is declared.
    exposeHeadRoutes: false,
    // Draining is handled here (connection: close, /readyz 503), not by refusing requests.
    return503OnClosing: false,
    frameworkErrors: (err, req, reply) => {
      const known = frameworkClientError(err);
      void sendError(req, reply, known?.status ?? 400, known?.message ?? err.message);
      // Answered before routing, so the onResponse hook does not see it.
      logRequest(req, reply);
    },
  }) as unknown as FastifyInstance;
  // Bodies are JSON whatever the Content-Type says (as before the move to Fastify): a client
  // sending JSON as text/plain keeps working. Fastify's JSON parser (prototype-poisoning checks).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, app.getDefaultJsonParser("error", "error"));
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const routes: Array<{ method: string; matcher: RegExp }> = [];
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, matcher: routeMatcher(route.url) });
  });
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id).header("cache-control", "no-store");
    if (ctx.draining()) reply.header("connection", "close");
  });
  app.addHook("onResponse", async (req, reply) => logRequest(req, reply));

  const notFound = (req: FastifyRequest, reply: FastifyReply) => {
    const path = pathOf(req.url);
    const allowed = routes.filter((r) => r.matcher.test(path)).map((r) => r.method);
    if (allowed.length === 0) return sendError(req, reply, 404, `no route for ${path}`);
    reply.header("allow", [...new Set(allowed)].join(", "));
    return sendError(req, reply, 405, `${req.method} not allowed on ${path}`);
  };
  app.setNotFoundHandler(notFound);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    // No route: whatever its body was (even unparseable), the answer is 404/405.
    if (req.is404) return notFound(req, reply);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? "request";
      const details = err.validation.map((v) => `${v.instancePath.slice(1).replace(/\//g, ".") || where}: ${v.message}`);
      return sendError(req, reply, 400, "invalid request", details);
    }
    if (err instanceof HttpError) return sendError(req, reply, err.status, err.message, err.details);
    if (err instanceof DomainError) return sendError(req, reply, err.status, err.message);
    if (isResponseSerializationError(err)) {
      // The handler produced something its declared schema does not allow: a bug, never sent.
      req.log.error({ error: err.message, issues: (err.cause as z.ZodError | undefined)?.issues?.map((i) => `${i.path.join(".")}: ${i.message}`) }, "response does not match its schema");
      return sendError(req, reply, 500, "internal error");
    }
    const known = frameworkClientError(err);
    if (known) return sendError(req, reply, known.status, known.message);
    req.log.error({ error: err.message, code: err.code }, "request failed");
    return sendError(req, reply, 500, "internal error");
  });

  if (options.register) await options.register(app);

  const orders = new OrdersRepository(ctx.pool);
  const api = app.withTypeProvider<ZodTypeProvider>();
  const internal = errors({ 500: "Unexpected server error (logged with the request id)." });
  const bodyErrors = errors({ 400: "Invalid, unparseable or missing JSON body.", 413: `Body larger than ${MAX_BODY_BYTES} bytes.` });
  const orderIdParams = z.object({ id: z.string().meta({ description: "Order id; anything but a positive integer names no order (404)." }) });

  api.get(
    "/healthz",
    { schema: { operationId: "getHealth", tags: ["operations"], summary: "Liveness: the process answers", response: { 200: json("Alive.", healthSchema), ...internal } } },
    async () => ({ status: "ok" as const }),
  );

  api.get(
    "/readyz",
    {
      schema: {
        operationId: "getReadiness",
        tags: ["operations"],
        summary: "Readiness: database reachable, schema at this build's migration",
        response: { 200: json("Ready for traffic.", readinessSchema), 503: json("Not ready (database, schema) or draining.", readinessSchema), ...internal },
      },
    },
    async (_req, reply) => {
      if (ctx.draining()) return reply.code(503).send({ status: "draining" as const });
      const check = await isSchemaReady(ctx.pool, ctx.expectedMigration);
      return reply.code(check.ready ? 200 : 503).send({ status: check.ready ? ("ready" as const) : ("not-ready" as const), ...check });
    },
  );

  api.get(
    "/version",
    { schema: { operationId: "getVersion", tags: ["operations"], summary: "Version, commit, image digest and schema of this build", response: { 200: json("What is running.", versionSchema), ...internal } } },
    async () => ({ ...ctx.version, schema: ctx.expectedMigration }),
  );

  api.post(
    "/orders",
    {
      schema: {
        operationId: "createOrder",
        tags: ["orders"],
        summary: "Create an order (idempotent with an Idempotency-Key)",
        headers: z.looseObject({
          "idempotency-key": z
            .string()
            .min(1)
            .optional()
            .meta({ description: `A retry with the same key returns the first order (200) instead of creating another. Only the first ${IDEMPOTENCY_KEY_CHARS} characters count.` }),
        }),
        body: createOrderSchema,
        response: {
          201: json("Created; Location names the new order.", orderSchema),
          200: json("A retry of an earlier request with the same Idempotency-Key: the first order.", orderSchema),
          ...bodyErrors,
          ...errors({ 409: "Another request with this Idempotency-Key is in progress; retry." }),
          ...internal,
        },
      },
    },
    async (req, reply) => {
      const key = req.headers["idempotency-key"];
      const { order, created } = await orders.create(req.body, key ? key.slice(0, IDEMPOTENCY_KEY_CHARS) : undefined);
      return reply.code(created ? 201 : 200).header("location", `/orders/${order.id}`).send(order);
    },
  );

  api.get(
    "/orders",
    {
      schema: {
        operationId: "listOrders",
        tags: ["orders"],
        summary: "List orders, newest first (keyset pagination)",
        querystring: listQuerySchema,
        response: { 200: json("A page of orders.", orderPageSchema), ...errors({ 400: "Invalid query parameter." }), ...internal },
      },
    },
    async (req) => orders.list(req.query),
  );

  api.get(
    "/orders/:id",
    {
      schema: {
        operationId: "getOrder",
        tags: ["orders"],
        summary: "Get one order",
        params: orderIdParams,
        response: { 200: json("The order.", orderSchema), ...errors({ 404: "No such order." }), ...internal },
      },
    },
    async (req) => {
      const order = await orders.get(orderId(req.params.id));
      if (!order) throw new HttpError(404, `order ${req.params.id} not found`);
      return order;
    },
  );

  api.patch(
    "/orders/:id/status",
    {
      schema: {
        operationId: "updateOrderStatus",
        tags: ["orders"],
        summary: "Move an order to another status",
        params: orderIdParams,
        body: updateStatusSchema,
        response: {
          200: json("The updated order.", orderSchema),
          ...bodyErrors,
          ...errors({ 404: "No such order.", 409: "The order is in a final status.", 422: "Unknown status code." }),
          ...internal,
        },
      },
    },
    async (req) => orders.updateStatus(orderId(req.params.id), req.body.status),
  );

  return app;
}
