/**
 * `docs generate` / `docs check`: the generated parts of runbooks/ and docs/configuration.md from
 * the committed stacks. Generation is pure (same config, same bytes), so "check" is "generate and
 * compare".
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadStackConfig, REPO_ROOT, stacksInPromotionOrder } from "../../config/stack-file";
import { renderConfigurationMarkdown } from "./configuration";
import { fillBlocks } from "./markers";
import { runbookBlocks, type StackDocInput } from "./runbook-blocks";
import { checkAlertEntries, checkLinks, checkRunbookFiles } from "./runbook-check";

export const CONFIGURATION_DOC = "docs/configuration.md";

export interface PlannedDoc {
  file: string;
  current: string | null;
  expected: string;
}

export interface DocsPlan {
  docs: PlannedDoc[];
  /** Problems generation cannot fix (missing markers, unknown blocks). */
  problems: string[];
}

/** Every stack that has a `Pulumi.<stack>.yaml` (or the given ones), in promotion order. */
export function docStacks(root: string = REPO_ROOT, stacks?: readonly string[]): StackDocInput[] {
  return stacks ? stacks.map((stack) => ({ stack, cfg: loadStackConfig(stack, root) })) : stacksInPromotionOrder(root);
}

export function planDocs(root: string = REPO_ROOT, stacks: StackDocInput[] = docStacks(root)): DocsPlan {
  const docs: PlannedDoc[] = [];
  const problems: string[] = [];
  for (const [file, blocks] of runbookBlocks(stacks)) {
    const path = join(root, file);
    const current = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (current === null) {
      problems.push(`${file} is missing`);
      continue;
    }
    const filled = fillBlocks(current, blocks);
    for (const id of filled.missing) problems.push(`${file}: no generated block "${id}"; add <!-- generated:begin ${id} --> and <!-- generated:end ${id} --> where it belongs`);
    for (const id of filled.unknown) problems.push(`${file}: generated block "${id}" is produced by nothing (a monitor kind removed from config?); delete its markers and the prose around it`);
    docs.push({ file, current, expected: filled.text });
  }
  const configPath = join(root, CONFIGURATION_DOC);
  docs.push({ file: CONFIGURATION_DOC, current: existsSync(configPath) ? readFileSync(configPath, "utf8") : null, expected: renderConfigurationMarkdown(stacks) });
  return { docs, problems };
}

export function staleDocs(plan: DocsPlan): string[] {
  return plan.docs.filter((d) => d.current !== d.expected).map((d) => d.file);
}

/** Writes what changed; returns the files written. */
export function writeDocs(plan: DocsPlan, root: string = REPO_ROOT): string[] {
  const changed = plan.docs.filter((d) => d.current !== d.expected);
  for (const d of changed) writeFileSync(join(root, d.file), d.expected);
  return changed.map((d) => d.file);
}

/** Every documentation problem: stale generated parts, missing entries or sections, broken links. */
export function checkDocs(root: string = REPO_ROOT, stacks: StackDocInput[] = docStacks(root)): string[] {
  const plan = planDocs(root, stacks);
  return [
    ...checkRunbookFiles(root),
    ...plan.problems,
    ...staleDocs(plan).map((f) => `${f} is out of date with the config; run \`npm run cli -- docs generate\``),
    ...checkAlertEntries(root, stacks),
    ...checkLinks(root),
  ];
}
