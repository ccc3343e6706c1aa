/**
 * `npm run bench -- <name>`: runs one benchmark (or all) and rewrites its section of
 * docs/performance.md. Benchmarks live in test/bench/<name>.bench.ts and export `run()`.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const all = readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => f.replace(/\.bench\.ts$/, ""));
  const names = wanted.length > 0 ? wanted : all;
  for (const name of names) {
    if (!all.includes(name)) {
      console.error(`unknown benchmark "${name}"; available: ${all.join(", ")}`);
      process.exit(2);
    }
    const mod = (await import(join(__dirname, `${name}.bench.ts`))) as { run: () => Promise<void> };
    console.log(`== ${name}`);
    await mod.run();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
