/**
 * Response schemas of the operational endpoints and of every error. Responses are serialized
 * through them (a handler that returns something else is a 500, not a silent contract change),
 * and the OpenAPI document is generated from them.
 */
import { z } from "zod";

export const errorSchema = z
  .object({
    error: z.string().meta({ description: "What went wrong, for a person." }),
    details: z.array(z.string()).optional().meta({ description: "One line per invalid field: `<field>: <problem>`." }),
    requestId: z.string().meta({ description: "The request id (also in the X-Request-Id header and the service's logs)." }),
  })
  .meta({ id: "Error", description: "An error." });

export const healthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health", description: "The process is alive." });

export const readinessSchema = z
  .object({
    status: z.enum(["ready", "not-ready", "draining"]),
    ready: z.boolean().optional(),
    database: z.enum(["reachable", "unreachable"]).optional(),
    expectedMigration: z.string().nullable().optional().meta({ description: "The newest migration this build needs." }),
    reason: z.string().optional().meta({ description: "Why the service is not ready." }),
  })
  .meta({ id: "Readiness", description: "Whether this task should receive traffic." });

export const versionSchema = z
  .object({
    version: z.string(),
    gitSha: z.string().nullable(),
    imageDigest: z.string().nullable(),
    schema: z.string().nullable().meta({ description: "The newest migration this build expects." }),
  })
  .meta({ id: "Version", description: "What is running." });

/** A JSON response with a description (the OpenAPI response object needs one). */
export function json<T extends z.ZodType>(description: string, schema: T): { description: string; content: { "application/json": { schema: T } } } {
  return { description, content: { "application/json": { schema } } };
}

/** The error responses an operation can give, by status. */
export function errors<S extends number>(entries: Record<S, string>): Record<S, ReturnType<typeof json<typeof errorSchema>>> {
  return Object.fromEntries(Object.entries(entries).map(([status, description]) => [status, json(description as string, errorSchema)])) as Record<S, ReturnType<typeof json<typeof errorSchema>>>;
}
