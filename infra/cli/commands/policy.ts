/**
 * `policy --state F [--stack S] [--format md|json|sarif] [--out F] [--report FORMAT=FILE …]`: runs
 * the SEC-OPS and DATA-OPS packs through @pulumi/policy's own analyzer on a deployment JSON (our
 * offline preview graph or a `pulumi stack export`). One evaluation writes every report asked for
 * (CI needs Markdown, JSON and SARIF of the same run). Exit 1 when a mandatory violation is found,
 * 2 on unreadable input.
 * The stack (whose policy config applies) is --stack, PULUMI_STACK, else the one the state's URNs
 * name; a state of another stack than the one given is refused.
 */
import type { Command } from "commander";
import { DeploymentFormatError, readDeployment, stackOfState } from "../../preview/deployment";
import { PolicyConfigError, runPolicies, toJson, toMarkdown, toSarif, type PolicyReport } from "../../policy/runner";
import { BlockingError, InputError } from "../errors";
import { checkDistinctTargets, checkOutputTarget, parseFormat, writeOutput } from "../output";
import { step } from "../progress";
import { addStackOption, resolveStack, type ResolvedStack } from "../stack";

const FORMATS = ["md", "json", "sarif"] as const;
type PolicyFormat = (typeof FORMATS)[number];

export function render(report: PolicyReport, format: PolicyFormat): string {
  if (format === "md") return toMarkdown(report);
  return `${JSON.stringify(format === "json" ? toJson(report) : toSarif(report), null, 2)}\n`;
}

interface PolicyOptions {
  state: string;
  stack?: string;
  format?: string;
  out?: string;
  report: string[];
}

/** `--report md=FILE`: one more report of the same evaluation, in a file. */
export function parseReports(values: readonly string[]): { format: PolicyFormat; file: string }[] {
  const reports = values.map((value) => {
    const at = value.indexOf("=");
    const format = value.slice(0, Math.max(at, 0));
    const file = at < 0 ? "" : value.slice(at + 1);
    if (!(FORMATS as readonly string[]).includes(format) || file === "") {
      throw new InputError(`--report ${value}: expected <format>=<file> with format one of ${FORMATS.join(", ")}, e.g. --report sarif=policy.sarif`);
    }
    return { format: format as PolicyFormat, file };
  });
  for (const r of reports) checkOutputTarget(r.file, `--report ${r.format}=`);
  return reports;
}

export function registerPolicy(program: Command): void {
  const policy = program
    .command("policy")
    .description("Run the SEC-OPS and DATA-OPS policy packs on a deployment JSON (offline preview graph or `pulumi stack export`).")
    .requiredOption("--state <file>", "deployment JSON (version 3) to evaluate");
  addStackOption(policy, "stack whose policy config applies (infra/policy/config/<stack>.json)", "the stack the state's URNs name")
    .option("--format <format>", `report format: ${FORMATS.join(", ")}`, "md")
    .option("--out <file>", "write the report to a regular file instead of stdout (missing directories are created; - for stdout)")
    .option("--report <format=file>", `also write a report of the same evaluation to a file (repeatable; format: ${FORMATS.join(", ")}); with --report, stdout gets a report only if --out names it`, (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (opts: PolicyOptions) => {
      const format = parseFormat(opts.format, FORMATS, "md");
      if (opts.out) checkOutputTarget(opts.out);
      const reports = parseReports(opts.report);
      checkDistinctTargets(
        [...(opts.out ? [{ option: "--out", target: opts.out }] : reports.length === 0 ? [{ option: "--format", target: "-" }] : []), ...reports.map((r) => ({ option: `--report ${r.format}=`, target: r.file }))],
        [{ option: "--state", file: opts.state }],
      );
      let report: PolicyReport;
      try {
        const deployment = readDeployment(opts.state);
        const named = stackOfState(deployment);
        const stack: ResolvedStack = resolveStack(opts.stack, { fromInput: () => (named ? { name: named, source: `the URNs of ${opts.state}` } : undefined) });
        if (named && named !== stack.name) throw new InputError(`${opts.state} is a graph of stack "${named}" (its URNs), not of "${stack.name}" (${stack.source}): pass --stack ${named}, or the graph of ${stack.name}`);
        report = await step(`evaluating ${deployment.deployment.resources.length} resources of ${stack.name} with SEC-OPS and DATA-OPS`, () => runPolicies({ deployment, stack: stack.name }));
      } catch (err) {
        if (err instanceof DeploymentFormatError || err instanceof PolicyConfigError) throw new InputError(err.message);
        throw err;
      }
      // Every report rendered before the first is written.
      const rendered = reports.map((r) => ({ ...r, text: render(report, r.format) }));
      for (const r of rendered) writeOutput(r.file, r.text, `--report ${r.format}=`);
      const text = render(report, format);
      if (opts.out) writeOutput(opts.out, text);
      else if (reports.length === 0) process.stdout.write(text);
      const { mandatory, advisory } = report.summary;
      if (mandatory > 0) throw new BlockingError(`${mandatory} mandatory policy violation(s) (${advisory} advisory)`);
    });
}
