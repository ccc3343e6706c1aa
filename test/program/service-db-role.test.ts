/**
 * Issue 15 item 5: the service logs in as its own least-privilege role, with a fresh IAM token for
 * every new connection; only the migration task has the master secret. Checked against a real
 * (embedded) PostgreSQL migrated by the real runner, and on both stacks' recorded graphs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../backend/src/config";
import { clientConfigFrom, ConfigError, databaseConfigFromEnv, databaseEnvSchema } from "../../backend/src/db/connection";
import { createLogger } from "../../backend/src/log";
import { defaultBundlePaths } from "../../backend/src/migrate/paths";
import { migrateUp } from "../../backend/src/migrate/runner";
import { startServer } from "../../backend/src/server";
import { loadStackConfig } from "../../config/stack-file";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../infra/postgres/embedded";
import { Graph, graphOf } from "../support/graph";

const ROLE = loadStackConfig("prod").database.serviceUsername;
let pg: EmbeddedPostgres;
let url: string;

beforeAll(async () => {
  pg = await startEmbeddedPostgres();
  url = await pg.createDatabase("role_test");
  await migrateUp({ connection: url });
  // Twice: the role migration must be idempotent when run again outside the bookkeeping.
  const again = readFileSync(join(defaultBundlePaths().migrationsDir, "20250605120000_create_service_role.sql"), "utf8").split("-- Down Migration")[0]!;
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(again);
    // Only so this test can log in without AWS: on RDS the role has no password, only rds_iam.
    await c.query(`ALTER ROLE ${ROLE} PASSWORD 'signed-token-stand-in'`);
  } finally {
    await c.end();
  }
}, 120_000);
afterAll(async () => {
  await pg?.stop();
});

describe("the service's own database role", () => {
  it("is the role every stack's config names, created by the migration bundle", () => {
    for (const stack of ["staging", "prod"]) expect(loadStackConfig(stack).database.serviceUsername).toBe(ROLE);
    const sql = readFileSync(join(defaultBundlePaths().migrationsDir, "20250605120000_create_service_role.sql"), "utf8");
    expect(sql).toContain(`CREATE ROLE ${ROLE} LOGIN`);
  });

  it("serves the API through IAM-token logins, one fresh token per new connection", async () => {
    const port = new URL(url).port;
    const env = { PORT: "0", PGHOST: "127.0.0.1", PGPORT: port, PGDATABASE: "role_test", PGUSER: ROLE, PGAUTH: "iam", AWS_REGION: "eu-central-1", PGSSLMODE: "disable" };
    // PGSSLMODE=disable is refused with IAM auth; the embedded server has no TLS, so the test
    // builds the pg config from a TLS setting and then turns TLS off for the local socket only.
    expect(() => databaseConfigFromEnv(env)).toThrow(ConfigError);
    const calls: string[] = [];
    const database = clientConfigFrom(databaseEnvSchema.parse({ ...env, PGSSLMODE: "require" }), async (t) => {
      calls.push(`${t.username}@${t.hostname}:${t.port}/${t.region}`);
      return "signed-token-stand-in";
    });
    delete (database as { ssl?: unknown }).ssl;
    expect(typeof database.password).toBe("function");
    const config = { ...loadConfig({ PORT: "0", DATABASE_URL: url, PGSSLMODE: "disable", DB_POOL_MAX: "2" }), database };
    const running = await startServer({ config, host: "127.0.0.1", log: createLogger("error") });
    try {
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
      const created = await fetch(`${running.url}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ customerId: "c-1", amountCents: 1200, currency: "EUR" }) });
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { id: number }).id;
      const paid = await fetch(`${running.url}/orders/${id}/status`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "paid" }) });
      expect(paid.status).toBe(200);
    } finally {
      await running.close();
    }
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.every((c) => c === `${ROLE}@127.0.0.1:${port}/eu-central-1`)).toBe(true);
  });

  it("can read and write the application's rows and nothing more", async () => {
    const c = new Client({ connectionString: url.replace(/\/\/[^@]+@/, `//${ROLE}:signed-token-stand-in@`) });
    await c.connect();
    try {
      await c.query("SELECT count(*) FROM orders");
      await c.query("SELECT count(*) FROM pgmigrations");
      for (const forbidden of ["DELETE FROM orders", "DROP TABLE orders", "CREATE TABLE t (x int)", "ALTER TABLE orders ADD COLUMN x int", "TRUNCATE orders", "INSERT INTO order_statuses (code, description, position) VALUES ('x', 'x', 1)"]) {
        await expect(c.query(forbidden), forbidden).rejects.toThrow(/permission denied|must be owner/);
      }
    } finally {
      await c.end();
    }
  });
});

describe.each(["staging", "prod"])("stack %s graph", (stack) => {
  it("gives the service IAM login as its role and the master secret to the migration task only", async () => {
    const g = await graphOf(stack);
    const cfg = loadStackConfig(stack);
    const db = g.one("aws:rds/instance:Instance");
    const master = (db.outputs?.masterUserSecrets as { secretArn: string }[])[0]!.secretArn;
    for (const svc of cfg.services.filter((s) => s.usesDatabase)) {
      const service = Graph.containers(g.one("aws:ecs/taskDefinition:TaskDefinition", `${svc.name}-task`))[0]!;
      const env = Object.fromEntries((service.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]));
      expect(env).toMatchObject({ PGUSER: cfg.database.serviceUsername, PGAUTH: "iam", AWS_REGION: "eu-central-1" });
      expect(JSON.stringify(service.secrets)).not.toContain(master);
      const execution = g.one("aws:iam/rolePolicy:RolePolicy", `${svc.name}-execution-policy`);
      expect(JSON.stringify(execution.inputs?.policy)).not.toContain(master);
      const taskPolicy = JSON.parse(String(g.one("aws:iam/rolePolicy:RolePolicy", `${svc.name}-task-policy`).inputs?.policy)) as { Statement: { Action: string[]; Resource: string[] }[] };
      expect(taskPolicy.Statement).toEqual([expect.objectContaining({ Action: ["rds-db:connect"], Resource: [`arn:aws:rds-db:eu-central-1:123456789012:dbuser:${String(db.outputs?.resourceId)}/${cfg.database.serviceUsername}`] })]);
    }
    const migrate = g.ofType("aws:ecs/taskDefinition:TaskDefinition").filter((t) => String(t.inputs?.family).endsWith("-migrate"));
    expect(migrate).toHaveLength(1);
    const secrets = Graph.containers(migrate[0]!)[0]!.secrets as { name: string; valueFrom: string }[];
    expect(secrets).toEqual([
      { name: "PGUSER", valueFrom: `${master}:username::` },
      { name: "PGPASSWORD", valueFrom: `${master}:password::` },
    ]);
  }, 120_000);
});
