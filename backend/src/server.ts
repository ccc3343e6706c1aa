/**
 * Entry of the service image: `node dist/server.js` (or `node --import tsx backend/src/server.ts`).
 * `startServer()` is exported so tests and the release smoke test can run it in-process.
 *
 * SIGTERM (ECS stopping the task): /readyz turns 503, the listener stops accepting, in-flight
 * requests finish within SHUTDOWN_TIMEOUT_MS, idle keep-alive sockets are closed, then the pool.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { Pool } from "pg";
import { buildApp } from "./app";
import { DEFAULT_SERVICE_NAME, loadConfig, type ServiceConfig } from "./config";
import { ConfigError } from "./db/connection";
import { createLogger, type Logger } from "./log";
import { expectedMigration } from "./readiness";

export interface RunningServer {
  app: FastifyInstance;
  server: Server;
  port: number;
  url: string;
  /** Graceful stop: stop accepting, drain in-flight requests (bounded), close the pool. */
  close(): Promise<{ drained: boolean; inFlightAtDeadline: number }>;
}

export interface StartOptions {
  config?: ServiceConfig;
  log?: Logger;
  /** Interface to bind; default all IPv4 interfaces (the container). */
  host?: string;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? createLogger(config.logLevel, { service: config.serviceName, ...(config.environment ? { env: config.environment } : {}), version: config.version.version });
  const pool = new Pool({
    ...config.database,
    max: config.poolMax,
    statement_timeout: config.statementTimeoutMs,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: config.serviceName,
  });
  pool.on("error", (err) => log.warn("idle database connection failed", { error: err.message }));
  let draining = false;
  let inFlight = 0;
  const app = await buildApp({ pool, log, version: config.version, expectedMigration: expectedMigration(), draining: () => draining });
  const server = app.server;
  // Counted at the socket level: a request whose body is still arriving is in flight too.
  server.on("request", (_req, res) => {
    inFlight++;
    res.on("close", () => inFlight--);
  });
  // Behind an ALB (idle timeout 60 s): keep-alive must outlive it to avoid 502s on reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  try {
    await app.listen({ port: config.port, host: options.host ?? "0.0.0.0" });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  log.info("listening", { port, expectedMigration: expectedMigration() });

  let closing: Promise<{ drained: boolean; inFlightAtDeadline: number }> | undefined;
  const close = () => {
    closing ??= (async () => {
      draining = true;
      log.info("shutting down: draining in-flight requests", { inFlight, timeoutMs: config.shutdownTimeoutMs });
      // Stops accepting and closes idle keep-alive sockets; resolves once every connection is gone.
      const stopped = app.close();
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while (inFlight > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        server.closeIdleConnections();
      }
      const inFlightAtDeadline = inFlight;
      if (inFlightAtDeadline > 0) log.warn("drain timeout: closing remaining connections", { inFlight: inFlightAtDeadline });
      server.closeAllConnections();
      await stopped;
      await pool.end();
      log.info("stopped", { drained: inFlightAtDeadline === 0 });
      return { drained: inFlightAtDeadline === 0, inFlightAtDeadline };
    })();
    return closing;
  };
  return { app, server, port, url: `http://127.0.0.1:${port}`, close };
}

/** Process entry: config errors exit 78 (EX_CONFIG) with one line per problem. */
export async function main(): Promise<void> {
  let running: RunningServer;
  const bootLog = createLogger("info", { service: process.env.SERVICE_NAME ?? process.env.DD_SERVICE ?? DEFAULT_SERVICE_NAME, ...(process.env.DD_ENV ? { env: process.env.DD_ENV } : {}) });
  try {
    running = await startServer();
  } catch (err) {
    if (err instanceof ConfigError) {
      bootLog.error("invalid configuration", { problems: err.problems });
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    bootLog.error("failed to start", { error: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  const stop = (signal: string) => {
    bootLog.info("signal received", { signal });
    void running.close().then(({ drained }) => process.exit(drained ? 0 : 1));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

if (require.main === module) void main();
