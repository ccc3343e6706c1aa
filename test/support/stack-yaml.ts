/** Writes a mutated copy of a committed stack file into a temp dir, for bad-input tests. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { parseDocument } from "yaml";
import { ConfigError, parseStackConfig } from "../../config/load";
import { stackFilePath } from "../../config/stack-file";

/** The temp dirs this test file created, removed when it ends. */
const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function mutatedStackFile(stack: string, mutate: (config: Record<string, unknown>) => void): string {
  const doc = parseDocument(readFileSync(stackFilePath(stack), "utf8"));
  const body = doc.toJS() as { config: Record<string, unknown> };
  mutate(body.config);
  const dir = mkdtempSync(join(tmpdir(), "stack-"));
  created.push(dir);
  const file = join(dir, `Pulumi.${stack}.yaml`);
  writeFileSync(file, JSON.stringify(body)); // JSON is YAML
  return file;
}

export function rawNamespace(stack: string): Record<string, unknown> {
  const body = parseDocument(readFileSync(stackFilePath(stack), "utf8")).toJS() as { config: Record<string, unknown> };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body.config)) if (k.startsWith("backend-release:")) out[k.slice("backend-release:".length)] = v;
  return out;
}

/** A committed stack's raw config namespace, as the tests mutate it. */
export type RawConfig = Record<string, unknown> & { services: Array<Record<string, unknown> & { monitoring: { monitors: Record<string, Record<string, unknown>> } }> };

/** The schema's problems with a mutated copy of a committed stack's config (empty when it parses). */
export function configProblems(stack: string, mutate: (raw: RawConfig) => void): string[] {
  const raw = structuredClone(rawNamespace(stack)) as RawConfig;
  mutate(raw);
  try {
    parseStackConfig(raw, stack);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}
