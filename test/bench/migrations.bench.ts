/**
 * `npm run bench -- migrations`: the bundle's migrations applied to an `orders` table of 1,000,000
 * rows while a concurrent writer inserts and updates orders, against the same DDL written the
 * naive way (plain CREATE INDEX, constraints validated at once, one transaction). Records the
 * writer's worst wait next to the runner's lock_timeout.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { startEmbeddedPostgres } from "../../infra/postgres/embedded";
import { writeManifest } from "../../backend/src/migrate/manifest";
import { defaultBundlePaths } from "../../backend/src/migrate/paths";
import { DEFAULT_TIMEOUTS, migrateUp, type RunReport } from "../../backend/src/migrate/runner";
import { machineLine, measure, writeSection } from "./report";

const ROWS = 1_000_000;

const NAIVE_DDL = [
  "ALTER TABLE orders ADD COLUMN idempotency_key text",
  "CREATE INDEX orders_customer_id_created_at_idx ON orders (customer_id, created_at DESC, id DESC)",
  "CREATE UNIQUE INDEX orders_idempotency_key_key ON orders (idempotency_key)",
  "ALTER TABLE orders ADD CONSTRAINT orders_amount_cents_nonnegative CHECK (amount_cents >= 0)",
  "ALTER TABLE orders ADD CONSTRAINT orders_currency_iso4217 CHECK (currency ~ '^[A-Z]{3}$')",
];

interface WriterStats {
  ops: number;
  worstMs: number;
  p99Ms: number;
  over100ms: number;
}

/** One connection, autocommit: insert an order, move another one to "paid", repeat. */
function startWriter(url: string): { stop: () => Promise<WriterStats> } {
  const client = new Client({ connectionString: url });
  const waits: number[] = [];
  let running = true;
  const loop = (async () => {
    await client.connect();
    let i = 0;
    while (running) {
      const t = performance.now();
      if (i % 2 === 0) await client.query("INSERT INTO orders (customer_id, amount_cents, currency) VALUES ($1, $2, 'EUR')", [`w-${i % 500}`, i]);
      else await client.query("UPDATE orders SET status = 'paid', updated_at = now() WHERE id = $1", [1 + ((i * 7919) % ROWS)]);
      waits.push(performance.now() - t);
      i++;
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const sorted = [...waits].sort((a, b) => a - b);
      return {
        ops: waits.length,
        worstMs: Math.round(sorted.at(-1) ?? 0),
        p99Ms: Math.round((sorted[Math.floor(sorted.length * 0.99)] ?? 0) * 10) / 10,
        over100ms: waits.filter((w) => w > 100).length,
      };
    },
  };
}

async function seedTable(url: string, baseline: ReturnType<typeof defaultBundlePaths>): Promise<void> {
  await migrateUp({ connection: url, paths: baseline });
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(
    `INSERT INTO orders (customer_id, amount_cents, currency, created_at)
     SELECT 'c-' || (g % 20000), (g * 37) % 100000, 'EUR', now() - (g || ' seconds')::interval FROM generate_series(1, ${ROWS}) g`,
  );
  await c.query("VACUUM ANALYZE orders");
  await c.end();
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const pg = await startEmbeddedPostgres({ settings: { max_wal_size: "4GB", maintenance_work_mem: "256MB" } });
  const work = mkdtempSync(join(tmpdir(), "bench-bundle-"));
  try {
    // Baseline bundle: only the first migration (the table) and the seeds, so both variants start equal.
    const real = defaultBundlePaths();
    const baseline = defaultBundlePaths(work);
    cpSync(real.migrationsDir, baseline.migrationsDir, { recursive: true, filter: (src) => !/\/2025060[2-9]\d+_[^/]+\.sql$/.test(src) });
    cpSync(real.seedsDir, baseline.seedsDir, { recursive: true });
    writeManifest(baseline);

    // Online: the bundle through the runner.
    const onlineUrl = await pg.createDatabase("online");
    process.stdout.write(`loading ${ROWS} rows (online)\n`);
    await seedTable(onlineUrl, baseline);
    const w1 = startWriter(onlineUrl);
    await pause(500);
    const online = await measure<RunReport>(() => migrateUp({ connection: onlineUrl }));
    await pause(500);
    const onlineWriter = await w1.stop();

    // Naive: the same DDL, blocking forms, one transaction, no lock_timeout.
    const naiveUrl = await pg.createDatabase("naive");
    process.stdout.write(`loading ${ROWS} rows (naive)\n`);
    await seedTable(naiveUrl, baseline);
    const w2 = startWriter(naiveUrl);
    await pause(500);
    const naiveSteps: Array<{ sql: string; ms: number }> = [];
    const naive = await measure(async () => {
      const c = new Client({ connectionString: naiveUrl });
      await c.connect();
      await c.query("BEGIN");
      for (const sql of NAIVE_DDL) {
        const t = performance.now();
        await c.query(sql);
        naiveSteps.push({ sql, ms: Math.round(performance.now() - t) });
      }
      await c.query("COMMIT");
      await c.end();
    });
    await pause(500);
    const naiveWriter = await w2.stop();

    const lockTimeout = DEFAULT_TIMEOUTS.lockTimeoutMs;
    const md = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, PostgreSQL ${await pg.version()} (embedded, fsync off).`,
      `\`orders\` holds ${ROWS.toLocaleString("en-US")} rows; a writer on its own connection alternates an INSERT and an UPDATE`,
      `(autocommit) from 0.5 s before the migrations until 0.5 s after. Runner lock_timeout: ${lockTimeout} ms (default).`,
      "",
      "| DDL | total | writer ops | writer worst wait | writer p99 | waits > 100 ms | worst wait vs lock_timeout |",
      "|---|---:|---:|---:|---:|---:|---|",
      `| bundle (online: CONCURRENTLY, NOT VALID + VALIDATE) | ${Math.round(online.ms)} ms | ${onlineWriter.ops} | ${onlineWriter.worstMs} ms | ${onlineWriter.p99Ms} ms | ${onlineWriter.over100ms} | ${onlineWriter.worstMs <= lockTimeout ? "within" : "**exceeds**"} (${lockTimeout} ms) |`,
      `| naive (plain CREATE INDEX, CHECK validated at once, one transaction) | ${Math.round(naive.ms)} ms | ${naiveWriter.ops} | ${naiveWriter.worstMs} ms | ${naiveWriter.p99Ms} ms | ${naiveWriter.over100ms} | ${naiveWriter.worstMs <= lockTimeout ? "within" : "**exceeds**"} (${lockTimeout} ms) |`,
      "",
      "Online, per migration (runner timings):",
      "",
      "| migration | ms | attempts |",
      "|---|---:|---:|",
      ...online.result.steps.map((s) => `| ${s.name} | ${s.ms} | ${s.attempts} |`),
      "",
      "Naive, per statement (all inside one transaction, so ACCESS EXCLUSIVE from the first one is held to the end):",
      "",
      "| statement | ms |",
      "|---|---:|",
      ...naiveSteps.map((s) => `| \`${s.sql}\` | ${s.ms} |`),
    ].join("\n");
    writeSection("migrations", md);
    process.stdout.write(`${md}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await pg.stop();
  }
}
