/**
 * `preview --stack S [--out F] [--base F]`: the credential-free `pulumi preview`.
 * Prints the resource tree and counts per type (or, with --base, the diff); writes the graph as
 * a version-3 deployment with --out. Bad config exits 2 naming every key path; nothing is written.
 */
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import { StackFileError } from "../../../config/stack-file";
import { DeploymentFormatError, readDeployment } from "../../preview/deployment";
import { diffDeployments, renderDiff } from "../../preview/diff";
import { recordStack, type RecordedStack } from "../../preview/record";
import { countByType, renderCounts, renderTree } from "../../preview/tree";
import { InputError } from "../errors";
import { checkOutputTarget, parseFormat, printJson, writeOutput } from "../output";

/** Records a stack, turning config and stack-file problems into exit-2 input errors. */
export async function recordForCli(stack: string, configFile?: string): Promise<RecordedStack> {
  try {
    return await recordStack({ stack, configFile });
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(`invalid config in ${configFile ?? `Pulumi.${stack}.yaml`}: ${err.problems.length} problem(s); no graph written`, err.problems);
    if (err instanceof StackFileError) throw new InputError(err.message);
    throw err;
  }
}

export function registerPreview(program: Command): void {
  program
    .command("preview")
    .description("Run the Pulumi program offline under the mock runtime and show (or write) its resource graph")
    .option("--stack <stack>", "stack whose Pulumi.<stack>.yaml to use", "staging")
    .option("--config-file <file>", "use this stack config file instead of Pulumi.<stack>.yaml (as pulumi --config-file)")
    .option("--out <file>", "write the graph as Pulumi deployment JSON (pulumi stack export format, version 3) to a regular file (- for stdout)")
    .option("--base <file>", "an earlier graph (ours or `pulumi stack export`) to diff against")
    .option("--format <format>", "text or json", "text")
    .action(async (opts: { stack: string; configFile?: string; out?: string; base?: string; format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      if (opts.out) checkOutputTarget(opts.out);
      // Read the base first: a bad --base must fail before any work (and before --out is written).
      let base;
      try {
        base = opts.base ? readDeployment(opts.base) : undefined;
      } catch (err) {
        if (err instanceof DeploymentFormatError) throw new InputError(`--base: ${err.message}`);
        throw err;
      }
      if (format === "text") process.stderr.write(`recording stack "${opts.stack}" under the mock runtime…\n`);
      const recorded = await recordForCli(opts.stack, opts.configFile);
      if (opts.out) writeOutput(opts.out, `${JSON.stringify(recorded.deployment, null, 2)}\n`);
      // With --out -, stdout holds the graph: nothing else may go there.
      if (opts.out === "-") return;
      const diff = base ? diffDeployments(base, recorded.deployment) : undefined;
      if (format === "json") {
        printJson(diff ?? { stack: opts.stack, resources: recorded.deployment.deployment.resources.length, types: Object.fromEntries(countByType(recorded.deployment)) });
        return;
      }
      if (diff) {
        console.log(`Changes for stack ${opts.stack} against ${opts.base}:\n${renderDiff(diff)}`);
      } else {
        console.log(renderTree(recorded.deployment));
        console.log(`\nResources by type (stack ${opts.stack}):\n${renderCounts(recorded.deployment)}`);
      }
      if (opts.out) console.log(`\nwrote ${opts.out}`);
    });
}
