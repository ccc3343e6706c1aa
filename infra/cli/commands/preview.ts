/**
 * `preview --stack S [--out F] [--base F] [--comment F [--policy-json F]]`: the credential-free
 * `pulumi preview`. Prints the resource tree and counts per type (or, with --base, the diff with
 * old → new values and replacement verdicts); writes the graph as a version-3 deployment with
 * --out, and the stack's PR comment section (Markdown) with --comment. Bad config or a bad input
 * file exits 2 naming the problem; nothing is written.
 */
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import { StackFileError } from "../../../config/stack-file";
import { DeploymentFormatError, readDeployment, stackOfState } from "../../preview/deployment";
import { diffDeployments, renderDiff } from "../../preview/diff";
import { PolicyReportError, readPolicyReport, type PolicyFindings } from "../../preview/policy-findings";
import { renderStackComment } from "../../preview/pr-comment";
import { recordStack, type RecordedStack } from "../../preview/record";
import { countByType, renderCounts, renderTree } from "../../preview/tree";
import { InputError } from "../errors";
import { checkDistinctTargets, checkOutputTarget, parseFormat, printJson, writeOutput } from "../output";
import { step } from "../progress";
import { addStackOption, resolveStack, STACK_ENV } from "../stack";

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

const HELP = `
Examples:
  npm run cli -- preview --stack prod                          # resource tree and counts
  npm run cli -- preview --stack prod --out prod.json          # the graph (pulumi stack export format)
  npm run cli -- preview --stack prod --base base.json         # what changes, old → new, with verdicts
  npm run cli -- policy --state prod.json --stack prod --format json --out policy.json
  npm run cli -- preview --stack prod --base base.json --comment comment.md --policy-json policy.json
  npm run cli -- preview --stack prod --graph prod.json --base base.json --comment comment.md   # no second recording

Verdicts: replace (the provider replaces: ForceNew, immutable, replaceOnChanges), may replace (the
offline preview cannot decide: a value known only after apply, a change the provider judges against
live state, a type with no table), update (in place; a note says when that means downtime).
Secrets are never shown: "[secret] changed".`;

/** Reads an optional input file before any work, turning its format error into exit 2. */
function readInput<T>(option: string, file: string | undefined, read: (f: string) => T, format: new (...a: never[]) => Error): T | undefined {
  if (!file) return undefined;
  try {
    return read(file);
  } catch (err) {
    if (err instanceof format) throw new InputError(`${option}: ${err.message}`);
    throw err;
  }
}

interface PreviewOptions {
  stack: string;
  configFile?: string;
  graph?: string;
  out?: string;
  base?: string;
  comment?: string;
  policyJson?: string;
  format?: string;
}

export function registerPreview(program: Command): void {
  const preview = program
    .command("preview")
    .description("Run the Pulumi program offline under the mock runtime and show (or write) its resource graph, or what changes against an earlier one");
  // The shared --stack rule, except that a --config-file stack needs no Pulumi.<stack>.yaml (the file is its config).
  addStackOption(preview, "stack whose Pulumi.<stack>.yaml to use").hook("preAction", (self) => {
    const { stack, configFile } = self.opts<{ stack?: string; configFile?: string }>();
    const named = stack ?? process.env[STACK_ENV];
    if (configFile && named) self.setOptionValue("stack", named);
    else self.setOptionValue("stack", resolveStack(stack).name);
  });
  preview
    .option("--config-file <file>", "use this stack config file instead of Pulumi.<stack>.yaml (as pulumi --config-file)")
    .option("--graph <file>", "use this graph (written earlier by --out for the same stack and commit) instead of recording the stack again")
    .option("--out <file>", "write the graph as Pulumi deployment JSON (pulumi stack export format, version 3) to a regular file (- for stdout)")
    .option("--base <file>", "an earlier graph (ours or `pulumi stack export`) to diff against")
    .option("--comment <file>", "write this stack's PR comment section (Markdown: changes, verdicts, diagram, policy findings) to a file (- for stdout); without --base it says there is no base graph")
    .option("--policy-json <file>", "with --comment: the `policy --format json` report of this graph, shown in the section")
    .option("--format <format>", "text or json", "text")
    .addHelpText("after", HELP)
    .action(async (opts: PreviewOptions) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      if (opts.policyJson && !opts.comment) throw new InputError("--policy-json is shown only in the PR comment section: add --comment <file>");
      if (opts.graph && (opts.out || opts.configFile)) throw new InputError("--graph reuses a recorded graph: it takes no --out or --config-file (record with --out first)");
      if (opts.out) checkOutputTarget(opts.out);
      if (opts.comment) checkOutputTarget(opts.comment, "--comment");
      checkDistinctTargets(
        [...(opts.out ? [{ option: "--out", target: opts.out }] : []), ...(opts.comment ? [{ option: "--comment", target: opts.comment }] : [])],
        [
          ...(opts.graph ? [{ option: "--graph", file: opts.graph }] : []),
          ...(opts.base ? [{ option: "--base", file: opts.base }] : []),
          ...(opts.policyJson ? [{ option: "--policy-json", file: opts.policyJson }] : []),
          ...(opts.configFile ? [{ option: "--config-file", file: opts.configFile }] : []),
        ],
      );
      // Read the inputs first: a bad --base or --policy-json must fail before any work (and before anything is written).
      const base = readInput("--base", opts.base, readDeployment, DeploymentFormatError);
      const policy: PolicyFindings | undefined = readInput("--policy-json", opts.policyJson, readPolicyReport, PolicyReportError);
      const given = readInput("--graph", opts.graph, readDeployment, DeploymentFormatError);
      if (given) {
        const named = stackOfState(given);
        if (named !== opts.stack) throw new InputError(`--graph ${opts.graph} is not a graph of stack "${opts.stack}" (its URNs name ${named ?? "no single stack"})`);
      }
      const recorded = given ? { deployment: given } : await step(`recording stack "${opts.stack}" under the mock runtime`, () => recordForCli(opts.stack, opts.configFile));
      const diff = base ? diffDeployments(base, recorded.deployment) : undefined;
      if (opts.out) writeOutput(opts.out, `${JSON.stringify(recorded.deployment, null, 2)}\n`);
      if (opts.comment) writeOutput(opts.comment, renderStackComment({ stack: opts.stack, diff, policy }), "--comment");
      // With --out - (or --comment -), stdout holds that document: nothing else may go there.
      if (opts.out === "-" || opts.comment === "-") return;
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
      if (opts.comment) console.log(`${opts.out ? "" : "\n"}wrote ${opts.comment}`);
    });
}
