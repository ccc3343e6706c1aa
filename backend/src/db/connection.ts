/**
 * Database connection settings from the environment, shared by the service and the migration
 * runner. In ECS: PGHOST, PGPORT, PGDATABASE, PGSSLMODE as plain variables, and
 * - the service: PGUSER (its own role) with PGAUTH=iam: every new connection signs a fresh
 *   15-minute IAM token (the task role may `rds-db:connect` as that user), so nothing expires
 *   under a long-running pool and no password exists to rotate;
 * - the migration task: PGUSER and PGPASSWORD injected from the RDS-managed master secret (read
 *   once per run, so RDS rotating it between runs is harmless).
 * Locally: DATABASE_URL instead.
 */
import { readFileSync } from "node:fs";
import { Signer } from "@aws-sdk/rds-signer";
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
    /** `iam`: no password; a signed IAM authentication token per connection (needs AWS_REGION and TLS). */
    PGAUTH: z.enum(["password", "iam"]).optional(),
    AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-central-1").optional(),
    /** CA bundle for verify-full (e.g. the RDS global bundle baked into the image). */
    PGSSLROOTCERT: z.string().min(1).optional(),
  })
  .superRefine(
    (env, ctx) => {
      if (env.DATABASE_URL) return;
      const iam = env.PGAUTH === "iam";
      for (const key of ["PGHOST", "PGDATABASE", "PGUSER", ...(iam ? [] : ["PGPASSWORD" as const])] as const) {
        if (!env[key]) ctx.addIssue({ code: "custom", path: [key], message: "required when DATABASE_URL is not set" });
      }
      if (iam && !env.AWS_REGION) ctx.addIssue({ code: "custom", path: ["AWS_REGION"], message: "required with PGAUTH=iam (the region the token is signed for)" });
      if (iam && env.PGPASSWORD) ctx.addIssue({ code: "custom", path: ["PGPASSWORD"], message: "must not be set with PGAUTH=iam (the login uses a signed token)" });
      if (iam && env.PGSSLMODE === "disable") ctx.addIssue({ code: "custom", path: ["PGSSLMODE"], message: "IAM authentication requires TLS: use require or verify-full" });
    },
    // Report missing variables together with malformed ones, not one round at a time.
    { when: () => true },
  );
export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

/** Signs an RDS IAM authentication token for one connection. */
export type IamTokenSigner = (target: { hostname: string; port: number; username: string; region: string }) => Promise<string>;

/** The real signer: the AWS SDK's default credentials (in ECS, the task role). */
export const rdsIamToken: IamTokenSigner = (target) => new Signer(target).getAuthToken();

/** Builds a pg ClientConfig; never logs or embeds the password anywhere else. */
export function clientConfigFrom(env: DatabaseEnv, signer: IamTokenSigner = rdsIamToken): ClientConfig {
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
  if (env.PGAUTH === "iam") {
    const target = { hostname: env.PGHOST!, port: env.PGPORT, username: env.PGUSER!, region: env.AWS_REGION! };
    // pg calls this for every new connection: each gets a token minted now, never an expired one.
    return { host: env.PGHOST, port: env.PGPORT, database: env.PGDATABASE, user: env.PGUSER, password: () => signer(target), ...(ssl ? { ssl } : {}) };
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

export function databaseConfigFromEnv(env: NodeJS.ProcessEnv = process.env, signer: IamTokenSigner = rdsIamToken): ClientConfig {
  const parsed = databaseEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError("invalid database configuration in the environment", envIssues(parsed.error));
  return clientConfigFrom(parsed.data, signer);
}
