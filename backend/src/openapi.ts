/**
 * The service's OpenAPI 3.1 document, generated from the routes' own declarations (the zod
 * schemas Fastify validates and serializes with), never written by hand. backend/openapi.json is
 * the committed copy: consumers read it, the release diffs it against the previous release's,
 * and a test fails when it no longer matches the code (`npm run -w backend openapi` rewrites it).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import swagger from "@fastify/swagger";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { Pool } from "pg";
import { buildApp } from "./app";
import { DEFAULT_SERVICE_NAME } from "./config";
import { createLogger } from "./log";

/** backend/openapi.json, from src/ (tsx) and dist/ (compiled) alike. */
export const OPENAPI_FILE = join(__dirname, "..", "openapi.json");
const PACKAGE_FILE = join(__dirname, "..", "package.json");

export type OpenApiDocument = Record<string, unknown> & { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, unknown>> };

export async function generateOpenApiDocument(): Promise<OpenApiDocument> {
  const { version } = JSON.parse(readFileSync(PACKAGE_FILE, "utf8")) as { version: string };
  // Never connected: building the routes needs a pool object, not a database.
  const pool = new Pool({ connectionString: "postgres://openapi@127.0.0.1:1/none" });
  const app = await buildApp(
    { pool, log: createLogger("error"), version: { version, gitSha: null, imageDigest: null }, expectedMigration: null, draining: () => false },
    {
      register: async (instance) => {
        await instance.register(swagger, {
          openapi: {
            openapi: "3.1.0",
            info: {
              title: DEFAULT_SERVICE_NAME,
              version,
              description:
                "The orders API. Every response carries X-Request-Id (the caller's, when it sent a valid one: 1-128 of A-Z a-z 0-9 . _ -); errors are `Error` objects with the same id. Bodies are JSON, at most 64 KiB.",
            },
            tags: [
              { name: "orders", description: "Create, read, list and move orders through their statuses." },
              { name: "operations", description: "Health, readiness and version, for the load balancer and operators." },
            ],
          },
          transform: jsonSchemaTransform,
          transformObject: jsonSchemaTransformObject,
        });
      },
    },
  );
  try {
    await app.ready();
    return withoutUnusedSchemas(app.swagger() as unknown as OpenApiDocument);
  } finally {
    await app.close();
    await pool.end();
  }
}

/**
 * The zod provider emits an input and an output variant of every registered schema; only the
 * ones an operation reaches (directly or through another schema) belong in the document.
 */
export function withoutUnusedSchemas(doc: OpenApiDocument): OpenApiDocument {
  const components = (doc.components ?? {}) as { schemas?: Record<string, unknown> };
  const schemas = components.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      const name = key === "$ref" && typeof value === "string" ? /^#\/components\/schemas\/(.+)$/.exec(value)?.[1] : undefined;
      if (name !== undefined && !used.has(name)) {
        used.add(name);
        visit(schemas[name]);
      } else visit(value);
    }
  };
  visit(doc.paths);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...components, schemas: kept } };
}

/** The exact bytes of backend/openapi.json for this code. */
export async function renderOpenApiDocument(): Promise<string> {
  return `${JSON.stringify(await generateOpenApiDocument(), null, 2)}\n`;
}

export interface OpenApiFileCheck {
  file: string;
  fresh: boolean;
  /** Why it is stale, with the command that fixes it. */
  problem?: string;
}

/** Compares a committed document with what the code generates now. */
export async function checkOpenApiFile(file = OPENAPI_FILE): Promise<OpenApiFileCheck> {
  const expected = await renderOpenApiDocument();
  if (!existsSync(file)) return { file, fresh: false, problem: `${file} is missing: run \`npm run -w backend openapi\` and commit it` };
  const actual = readFileSync(file, "utf8");
  if (actual === expected) return { file, fresh: true };
  const a = actual.split("\n");
  const e = expected.split("\n");
  const line = e.findIndex((l, i) => l !== a[i]);
  return { file, fresh: false, problem: `${file} does not match the routes' schemas (first difference at line ${line + 1}): run \`npm run -w backend openapi\` and commit it` };
}

export function writeOpenApiFile(text: string, file = OPENAPI_FILE): void {
  writeFileSync(file, text);
}
