/**
 * One offline preview in a fresh process (the benchmark's unit): prints wall time, peak RSS and
 * resource count as JSON. Args: <stack> [services] — with a count, the stack's first service is
 * cloned that many times (names, digests and monitoring included).
 */
import { loadStackConfig } from "../../config/stack-file";
import { recordStack } from "../../infra/preview/record";

export function generatedServices(stack: string, count: number): Record<string, unknown> {
  const cfg = loadStackConfig(stack);
  const base = cfg.services[0]!;
  const services = Array.from({ length: count }, (_, i) => ({ ...base, name: `${base.name}-${String(i + 1).padStart(2, "0")}` }));
  const overrides: Record<string, unknown> = { services };
  if (cfg.images.source === "promote") {
    const digest = cfg.images.digests[base.name]!;
    overrides.images = { ...cfg.images, digests: Object.fromEntries(services.map((s) => [s.name, digest])) };
  }
  return overrides;
}

async function main(): Promise<void> {
  const [stack = "staging", count] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  const recorded = await recordStack({ stack, ...(count ? { overrides: generatedServices(stack, Number(count)) } : {}) });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify({ stack, services: recorded.cfg.services.length, resources: recorded.deployment.deployment.resources.length, ms: Math.round(ms), peakRssMiB })}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
