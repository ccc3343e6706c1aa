/**
 * `docs generate` rewrites the generated parts of runbooks/ and docs/configuration.md from the
 * committed stacks; `docs check` fails (exit 1) when they are stale, an alert has no runbook
 * entry or section, or a link does not resolve.
 */
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import { StackFileError } from "../../../config/stack-file";
import { checkDocs, planDocs, writeDocs } from "../../docs/generate";
import { BlockingError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";

function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(`invalid config for stack ${err.stackName}`, err.problems);
    if (err instanceof StackFileError) throw new InputError(err.message);
    throw err;
  }
}

export function registerDocs(program: Command): void {
  const docs = program.command("docs").description("Runbooks' generated parts and docs/configuration.md, from the stack config");
  docs
    .command("generate")
    .description("Rewrite the generated blocks of runbooks/ and docs/configuration.md")
    .option("--format <format>", "text or json", "text")
    .action((opts: { format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const plan = guarded(() => planDocs());
      const written = writeDocs(plan);
      if (format === "json") printJson({ written, problems: plan.problems });
      else {
        console.log(written.length === 0 ? "docs are up to date" : `wrote ${written.join(", ")}`);
        for (const p of plan.problems) console.log(`  PROBLEM ${p}`);
      }
      if (plan.problems.length > 0) throw new BlockingError(`${plan.problems.length} documentation problem(s) generation cannot fix`);
    });
  docs
    .command("check")
    .description("Fail when generated docs are stale, an alert lacks a runbook entry or section, or a link does not resolve")
    .option("--format <format>", "text or json", "text")
    .action((opts: { format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const problems = guarded(() => checkDocs());
      if (format === "json") printJson({ problems });
      else console.log(problems.length === 0 ? "docs are up to date" : problems.map((p) => `PROBLEM ${p}`).join("\n"));
      if (problems.length > 0) throw new BlockingError(`${problems.length} documentation problem(s)`);
    });
}
