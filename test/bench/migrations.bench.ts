/**
 * `npm run bench -- migrations`: the bundle's migrations applied to an `orders` table of 1,000,000
 * rows while a concurrent writer inserts and updates orders, against the same DDL written the
 * naive way (plain CREATE INDEX, constraints validated at once, one transaction). Records the
 * writer's worst wait next to the runner's lock_timeout.
 *
 * Then a migration that locks two tables runs while blocking transactions are present (a short
 * one on `orders`, a long one on `order_statuses`): the runner (one lock budget per file, retries)
 * against the same statements with a plain per-statement lock_timeout and the same retries. The
 * writer's waits are measured by the server (statement start to row written).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { startEmbeddedPostgres } from "../../backend/src/testing/embedded-postgres";
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
  /** Sum of the waits longer than 50 ms: how long writes stood still in total. */
  stallMs: number;
}

/** One connection, autocommit: insert an order, move another one to "paid", repeat. */
function startWriter(url: string, serverTimed = false): { stop: () => Promise<WriterStats> } {
  const client = new Client({ connectionString: url });
  const waits: number[] = [];
  let running = true;
  const loop = (async () => {
    await client.connect();
    let i = 0;
    while (running) {
      const t = performance.now();
      const timed = serverTimed ? " RETURNING extract(epoch from clock_timestamp() - statement_timestamp()) * 1000 AS ms" : "";
      // Values inlined (integers only): the simple query protocol, so statement_timestamp() is
      // when the server received the statement, before it waited for its table lock.
      const res =
        i % 2 === 0
          ? await client.query<{ ms?: string }>(`INSERT INTO orders (customer_id, amount_cents, currency) VALUES ('w-${i % 500}', ${i}, 'EUR')${timed}`)
          : await client.query<{ ms?: string }>(`UPDATE orders SET status = 'paid', updated_at = now() WHERE id = ${1 + ((i * 7919) % ROWS)}${timed}`);
      waits.push(serverTimed ? Number(res.rows[0]?.ms ?? 0) : performance.now() - t);
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
        stallMs: Math.round(waits.filter((w) => w > 50).reduce((a, b) => a + b, 0)),
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

const TWO_TABLES = (column: string) => [`ALTER TABLE orders ADD COLUMN ${column} text`, `ALTER TABLE order_statuses ADD COLUMN ${column} text`];
const BLOCKED = { lockTimeoutMs: DEFAULT_TIMEOUTS.lockTimeoutMs, lockRetries: 4, retryDelayMs: 500, shortBlockMs: 800, longBlockMs: 6_000 };

interface BlockedRun {
  ms: number;
  attempts: number;
  writer: WriterStats;
}

/**
 * Blockers: a reader on `orders` that ends `shortBlockMs` after the migration queued behind it,
 * and a reader on `order_statuses` that ends after `longBlockMs`. A writer inserts and updates
 * orders throughout. `migrate` runs the two-table migration its way and returns its attempts.
 */
async function blockedRun(url: string, migrate: () => Promise<number>): Promise<BlockedRun> {
  const [a, b, watch] = [new Client({ connectionString: url }), new Client({ connectionString: url }), new Client({ connectionString: url })];
  await Promise.all([a.connect(), b.connect(), watch.connect()]);
  await a.query("BEGIN");
  await a.query("SELECT 1 FROM orders LIMIT 1");
  await b.query("BEGIN");
  await b.query("SELECT 1 FROM order_statuses LIMIT 1");
  const writer = startWriter(url, true);
  await pause(300);
  const started = performance.now();
  const release = (async () => {
    while ((await watch.query("SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'orders'::regclass AND mode = 'AccessExclusiveLock'")).rows.length === 0) await pause(10);
    await a.query(`SELECT pg_sleep(${BLOCKED.shortBlockMs / 1000}); COMMIT`);
    await b.query(`SELECT pg_sleep(greatest(0, ${BLOCKED.longBlockMs / 1000} - extract(epoch from clock_timestamp() - transaction_timestamp()))); COMMIT`);
  })();
  const attempts = await migrate();
  const ms = performance.now() - started;
  await release;
  await pause(300);
  const stats = await writer.stop();
  await Promise.all([a.end(), b.end(), watch.end()]);
  return { ms: Math.round(ms), attempts, writer: stats };
}

/** The same statements with a plain lock_timeout per statement and the same retries: the writer waits for every lock in turn. */
async function perStatementTimeout(url: string, statements: string[]): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await c.query("BEGIN");
        await c.query(`SET LOCAL lock_timeout = ${BLOCKED.lockTimeoutMs}`);
        for (const sql of statements) await c.query(sql);
        await c.query("COMMIT");
        return attempt;
      } catch (err) {
        await c.query("ROLLBACK");
        if ((err as { code?: string }).code !== "55P03" || attempt > BLOCKED.lockRetries) throw err;
        await pause(BLOCKED.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  } finally {
    await c.end();
  }
}

export async function run(): Promise<void> {
  const load = loadavg()[0]!.toFixed(1);
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

    // Two tables, blocking transactions present: the runner against a per-statement lock_timeout.
    process.stdout.write("two-table migration with blocking transactions (runner)\n");
    const blockedBundle = defaultBundlePaths(join(work, "blocked"));
    cpSync(real.migrationsDir, blockedBundle.migrationsDir, { recursive: true });
    cpSync(real.seedsDir, blockedBundle.seedsDir, { recursive: true });
    writeFileSync(join(blockedBundle.migrationsDir, "20990101000000_touch_two_tables.sql"), `-- Up Migration\n${TWO_TABLES("bench_runner").join(";\n")};\n-- Down Migration\n`);
    writeManifest(blockedBundle);
    const viaRunner = await blockedRun(onlineUrl, async () => {
      const report = await migrateUp({ connection: onlineUrl, paths: blockedBundle, lockTimeoutMs: BLOCKED.lockTimeoutMs, lockRetries: BLOCKED.lockRetries, retryDelayMs: BLOCKED.retryDelayMs });
      return report.steps[0]?.attempts ?? 0;
    });
    process.stdout.write("two-table migration with blocking transactions (per-statement lock_timeout)\n");
    const viaPlain = await blockedRun(onlineUrl, () => perStatementTimeout(onlineUrl, TWO_TABLES("bench_plain")));

    const lockTimeout = DEFAULT_TIMEOUTS.lockTimeoutMs;
    const md = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${machineLine()}, PostgreSQL ${await pg.version()} (embedded, fsync off); load average ${load} when it started (the machine is shared: absolute times vary, the waits against lock_timeout do not).`,
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
      "",
      "### A two-table migration with blocking transactions present",
      "",
      `\`ALTER TABLE orders ADD COLUMN …; ALTER TABLE order_statuses ADD COLUMN …\` in one transaction, on the table above, while a reader holds \`orders\` until ${BLOCKED.shortBlockMs} ms after the migration queued behind it and another holds \`order_statuses\` for ${BLOCKED.longBlockMs / 1000} s. lock_timeout ${BLOCKED.lockTimeoutMs} ms, ${BLOCKED.lockRetries} retries from ${BLOCKED.retryDelayMs} ms (doubling). The writer's waits are measured by the server; total stall = the sum of its waits over 50 ms.`,
      "",
      "| how the locks are bounded | total | attempts | writer ops | writer worst wait | worst wait / lock_timeout | total stall |",
      "|---|---:|---:|---:|---:|---:|---:|",
      ...([["runner: one write-blocking lock budget per file", viaRunner], ["plain lock_timeout per statement (the runner before)", viaPlain]] as const).map(
        ([label, r]) => `| ${label} | ${r.ms} ms | ${r.attempts} | ${r.writer.ops} | ${r.writer.worstMs} ms | ${(r.writer.worstMs / BLOCKED.lockTimeoutMs).toFixed(2)} | ${r.writer.stallMs} ms |`,
      ),
    ].join("\n");
    writeSection("migrations", md);
    process.stdout.write(`${md}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await pg.stop();
  }
}
