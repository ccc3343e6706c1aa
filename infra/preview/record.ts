/**
 * The offline preview: the real program under Pulumi's mock runtime, recorded into a
 * version-3 deployment (the `pulumi stack export` format).
 *
 * Config comes from the committed `Pulumi.<stack>.yaml`; every secret the stack requires gets a
 * placeholder marked secret, so no real secret is needed and none can be printed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, namespaceValues, parseStackConfig } from "../../config/load";
import { PROJECT, type StackConfig } from "../../config/schema";
import { requiredSecrets } from "../../config/secrets";
import { readStackFile, REPO_ROOT } from "../../config/stack-file";
import { stackPreconditionProblems } from "../context";
import type { Deployment, DeploymentResource } from "./deployment";
import { OfflineMocks } from "./mocks";
import { withoutPromiseBookkeeping } from "./promise-bookkeeping";
import { RecordingMonitor } from "./recorder";

export const SECRET_PLACEHOLDER = "offline-preview-placeholder";

export interface RecordOptions {
  stack: string;
  /** Replace or add namespace config values (already decoded), e.g. a generated services list. */
  overrides?: Record<string, unknown>;
  root?: string;
  /** Read this config file instead of `Pulumi.<stack>.yaml` (like `pulumi --config-file`). */
  configFile?: string;
}

export interface RecordedStack {
  stack: string;
  cfg: StackConfig;
  deployment: Deployment;
  outputs: Record<string, unknown>;
}

/** The engine-facing config map: committed values, overrides, and secret placeholders. */
export function offlineConfig(opts: RecordOptions): { config: Record<string, string>; secretKeys: string[]; cfg: StackConfig } {
  const file = readStackFile(opts.stack, opts.root, opts.configFile);
  const config = { ...file.config };
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    config[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  // Validate before anything is declared: a bad stack file never reaches the program.
  const cfg = parseStackConfig(namespaceValues(config), opts.stack);
  // The program's own preconditions, checked here too so a refusal never reaches the mock runtime.
  const preconditions = stackPreconditionProblems(opts.stack, cfg);
  if (preconditions.length > 0) throw new ConfigError(opts.stack, preconditions);
  const secretKeys = new Set(file.secretKeys);
  const runtime: Record<string, Record<string, string>> = {};
  for (const secret of requiredSecrets(cfg, opts.stack)) {
    if (secret.path) {
      const [svc, name] = secret.path;
      (runtime[svc] ??= {})[name] = SECRET_PLACEHOLDER;
    } else {
      config[secret.key] = SECRET_PLACEHOLDER;
    }
    secretKeys.add(secret.key);
  }
  config[`${PROJECT}:runtimeSecrets`] = JSON.stringify(runtime);
  secretKeys.add(`${PROJECT}:runtimeSecrets`);
  return { config, secretKeys: [...secretKeys], cfg };
}

function pluginVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pkg of ["aws", "docker", "datadog", "pagerduty", "command", "random"]) {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "@pulumi", pkg, "package.json"), "utf8")) as { version: string };
    out[pkg] = manifest.version;
  }
  return out;
}

/**
 * Default providers are created by the engine, not the program, so the mock never sees them.
 * We add them the way `pulumi stack export` shows them, so provider references resolve.
 */
function withDefaultProviders(resources: DeploymentResource[], stack: string): DeploymentResource[] {
  const versions = pluginVersions();
  const providers = new Map<string, DeploymentResource>();
  const out: DeploymentResource[] = [];
  for (const r of resources) {
    const pkg = r.type.split(":")[0] ?? "";
    if (r.custom && !r.provider && pkg in versions && !r.type.startsWith("pulumi:")) {
      const version = versions[pkg]!;
      const name = `default_${version.replace(/\./g, "_")}`;
      const urn = `urn:pulumi:${stack}::${PROJECT}::pulumi:providers:${pkg}::${name}`;
      const id = `00000000-0000-4000-8000-${pkg.padEnd(12, "0").slice(0, 12).replace(/[^0-9a-f]/g, "0")}`;
      if (!providers.has(urn)) {
        const provider: DeploymentResource = { urn, custom: true, id, type: `pulumi:providers:${pkg}`, inputs: { version }, outputs: { version } };
        providers.set(urn, provider);
        out.push(provider);
      }
      r.provider = `${urn}::${id}`;
    }
    out.push(r);
  }
  return out;
}

let running = false;

/** Runs the program for one stack under the mock runtime and returns the recorded deployment. */
export async function recordStack(opts: RecordOptions): Promise<RecordedStack> {
  if (running) throw new Error("recordStack: one recording at a time per process (the Pulumi runtime is global)");
  running = true;
  try {
    const { config, secretKeys, cfg } = offlineConfig(opts);
    pulumi.runtime.setAllConfig(config, secretKeys);
    const region = config["aws:region"] ?? "us-east-1";
    const monitor = new RecordingMonitor(new OfflineMocks(region), PROJECT, opts.stack);
    pulumi.runtime.setMockOptions(monitor, PROJECT, opts.stack, true, "organization");
    // Imported lazily so the program's module-level code runs after the mocks are in place.
    const { declareStack } = await import("../stack");
    const outputs = await withoutPromiseBookkeeping(async () => {
      const out = (await pulumi.runtime.runInPulumiStack(declareStack)) ?? {};
      // Registrations can still be queued behind outputs after the stack's outputs resolve.
      await waitForRPCs();
      await monitor.settled();
      return out;
    });
    const resources = withDefaultProviders([...monitor.records.values()], opts.stack);
    const deployment: Deployment = {
      version: 3,
      deployment: {
        // No wall-clock time: the same commit and config give the same bytes.
        manifest: { time: "1970-01-01T00:00:00Z", magic: "offline-preview", version: `@pulumi/pulumi ${pulumiVersion()}` },
        secrets_providers: { type: "offline-preview" },
        resources,
      },
    };
    return { stack: opts.stack, cfg, deployment, outputs: outputs as Record<string, unknown> };
  } finally {
    running = false;
  }
}

/** The SDK's own "wait until the RPC queue drains" (internal to @pulumi/pulumi, so reached by module). */
export async function waitForRPCs(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs?: () => Promise<void> };
  if (typeof settings.waitForRPCs !== "function") throw new Error("this @pulumi/pulumi version no longer exposes waitForRPCs; update infra/preview/record.ts");
  await settings.waitForRPCs();
}

function pulumiVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string }).version;
}
