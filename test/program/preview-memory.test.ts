/**
 * Memory per resource: the offline preview of a 20-service prod stack (about 1,000 resources)
 * completes within a 200 MiB JavaScript heap, run as users run it (the CLI entry). Before, the
 * SDK's pending state for the whole stack at once (declared in one burst, with a formatted stack
 * trace on each of its promises) did not fit in 300 MiB. Not a timing test: the bound is V8's
 * heap limit, which the process either stays under or dies at.
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { mutatedStackFile } from "../support/stack-yaml";

const ROOT = join(__dirname, "..", "..");
const SERVICES = 20;
const HEAP_MIB = 200;

const file = mutatedStackFile("prod", (config) => {
  const [base] = config["backend-release:services"] as Array<Record<string, unknown>>;
  const services = Array.from({ length: SERVICES }, (_, i) => ({ ...base, name: `${String(base!.name)}-${String(i + 1).padStart(2, "0")}` }));
  config["backend-release:services"] = services;
  const images = config["backend-release:images"] as { digests: Record<string, string> };
  const digest = Object.values(images.digests)[0]!;
  images.digests = Object.fromEntries(services.map((s) => [s.name, digest]));
});

afterAll(() => {
  rmSync(dirname(file), { recursive: true, force: true });
});

it(`previews ${SERVICES} services within a ${HEAP_MIB} MiB heap`, () => {
  const r = spawnSync(process.execPath, [join(ROOT, "infra", "cli", "bin.cjs"), "preview", "--stack", "prod", "--config-file", file, "--format", "json"], {
    cwd: ROOT,
    // Every Node process the entry starts gets the limit (the entry ran the CLI in a child before).
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=${HEAP_MIB}`.trim() },
    encoding: "utf8",
    timeout: 300_000,
    maxBuffer: 64 * 2 ** 20,
  });
  expect(r.stderr).not.toContain("heap out of memory");
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout) as { resources: number; types: Record<string, number> };
  expect(out.resources).toBeGreaterThan(SERVICES * 40);
  expect(out.types["aws:ecs/service:Service"]).toBe(SERVICES);
});
