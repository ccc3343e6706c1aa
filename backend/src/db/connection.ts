/**
 * Database connection settings from the environment, shared by the service and the migration
 * runner. In ECS: PGHOST, PGPORT, PGDATABASE, PGSSLMODE as plain variables and PGUSER, PGPASSWORD
 * injected from the RDS-managed secret. Locally: DATABASE_URL instead.
 */
import { readFileSync } from "node:fs";
import type { ClientConfig } from "pg";
import { z } from "zod";

export const sslModes = ["disable", "require", "verify-full"] as const;

export const databaseEnvSchema = z
  .object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    PGHOST: z.string().min(1).optional(),
    PGPORT: z.coerce.number().int().min(1).max(65535).default(5432),
    PGDATABASE: z.string().min(1).optional(),
    PGUSER: z.string().min(1).optional(),
    PGPASSWORD: z.string().min(1).optional(),
    PGSSLMODE: z.enum(sslModes).optional(),
    /** CA bundle for verify-full (e.g. the RDS global bundle baked into the image). */
    PGSSLROOTCERT: z.string().min(1).optional(),
  })
  .superRefine(
    (env, ctx) => {
      if (env.DATABASE_URL) return;
      for (const key of ["PGHOST", "PGDATABASE", "PGUSER", "PGPASSWORD"] as const) {
        if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "required when DATABASE_URL is not set" });
      }
    },
    // Report missing variables together with malformed ones, not one round at a time.
    { when: () => true },
  );
export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

/** Builds a pg ClientConfig; never logs or embeds the password anywhere else. */
export function clientConfigFrom(env: DatabaseEnv): ClientConfig {
  const sslMode = env.PGSSLMODE ?? (env.DATABASE_URL ? undefined : "verify-full");
  const ssl =
    sslMode === undefined || sslMode === "disable"
      ? undefined
      : sslMode === "require"
        ? { rejectUnauthorized: false }
        : { rejectUnauthorized: true, ...(env.PGSSLROOTCERT ? { ca: readFileSync(env.PGSSLROOTCERT, "utf8") } : {}) };
  if (env.DATABASE_URL) {
    return { connectionString: env.DATABASE_URL, ...(ssl ? { ssl } : {}) };
  }
  return {
    host: env.PGHOST,
    port: env.PGPORT,
    database: env.PGDATABASE,
    user: env.PGUSER,
    password: env.PGPASSWORD,
    ...(ssl ? { ssl } : {}),
  };
}

/** `host:port/database` for logs: no user, no password. */
export function describeConnection(config: ClientConfig | string): string {
  if (typeof config === "string" || config.connectionString) {
    try {
      const u = new URL(typeof config === "string" ? config : (config.connectionString ?? ""));
      return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
    } catch {
      return "(unparseable connection string)";
    }
  }
  return `${config.host ?? "localhost"}:${config.port ?? 5432}/${config.database ?? ""}`;
}

/** Formats zod issues as `KEY: problem` lines. */
export function envIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join(".") || "(env)"}: ${i.message}`);
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(`${message}\n  ${problems.join("\n  ")}`);
  }
}

export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const parsed = databaseEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError("invalid database configuration in the environment", envIssues(parsed.error));
  return clientConfigFrom(parsed.data);
}
