/**
 * Service configuration: every environment variable the service reads, validated once at start.
 * A bad or missing value stops the process with one line per problem (never the values).
 */
import type { ClientConfig } from "pg";
import { z } from "zod";
import { clientConfigFrom, ConfigError, databaseEnvSchema, envIssues } from "./db/connection";

export const DEFAULT_SERVICE_NAME = "orders-api";

const serviceEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Drain budget on SIGTERM; keep below the ECS stopTimeout (30 s by default). */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(25_000),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** Per-query bound for API requests, so a slow query cannot hold a connection forever. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  APP_VERSION: z.string().min(1).default("0.0.0-dev"),
  GIT_SHA: z.string().regex(/^[0-9a-f]{7,40}$/, "expected a hex git sha").optional(),
  IMAGE_DIGEST: z.string().regex(/^sha256:[0-9a-f]{64}$/, "expected sha256:<64 hex>").optional(),
  /** Datadog unified service tagging (set by the task definition): what the logs are attributed to. */
  SERVICE_NAME: z.string().min(1).optional(),
  DD_SERVICE: z.string().min(1).optional(),
  DD_ENV: z.string().min(1).optional(),
});

export interface ServiceConfig {
  /** `service` on every log line: SERVICE_NAME, else DD_SERVICE, else orders-api. */
  serviceName: string;
  /** `env` on every log line (DD_ENV); null when run outside a stack. */
  environment: string | null;
  port: number;
  logLevel: "debug" | "info" | "warn" | "error";
  shutdownTimeoutMs: number;
  poolMax: number;
  statementTimeoutMs: number;
  version: { version: string; gitSha: string | null; imageDigest: string | null };
  database: ClientConfig;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const service = serviceEnvSchema.safeParse(env);
  const database = databaseEnvSchema.safeParse(env);
  const problems = [...(service.success ? [] : envIssues(service.error)), ...(database.success ? [] : envIssues(database.error))];
  if (!service.success || !database.success) throw new ConfigError("invalid service configuration in the environment", problems);
  const s = service.data;
  return {
    serviceName: s.SERVICE_NAME ?? s.DD_SERVICE ?? DEFAULT_SERVICE_NAME,
    environment: s.DD_ENV ?? null,
    port: s.PORT,
    logLevel: s.LOG_LEVEL,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    poolMax: s.DB_POOL_MAX,
    statementTimeoutMs: s.DB_STATEMENT_TIMEOUT_MS,
    version: { version: s.APP_VERSION, gitSha: s.GIT_SHA ?? null, imageDigest: s.IMAGE_DIGEST ?? null },
    database: clientConfigFrom(database.data),
  };
}
