/**
 * `policy --state F [--stack S] [--format md|json|sarif] [--out F]`: runs the SEC-OPS and DATA-OPS
 * packs through @pulumi/policy's own analyzer on a deployment JSON (our offline preview graph or a
 * `pulumi stack export`). Exit 1 when a mandatory violation is found, 2 on unreadable input.
 */
import type { Command } from "commander";
import { DeploymentFormatError, readDeployment } from "../../preview/deployment";
import { PolicyConfigError, runPolicies, toJson, toMarkdown, toSarif, type PolicyReport } from "../../policy/runner";
import { BlockingError, InputError } from "../errors";
import { checkOutputTarget, parseFormat, writeOutput } from "../output";

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
}

export function registerPolicy(program: Command): void {
  program
    .command("policy")
    .description("Run the SEC-OPS and DATA-OPS policy packs on a deployment JSON (offline preview graph or `pulumi stack export`).")
    .requiredOption("--state <file>", "deployment JSON (version 3) to evaluate")
    .option("--stack <name>", "stack whose policy config applies (infra/policy/config/<name>.json)")
    .option("--format <format>", `report format: ${FORMATS.join(", ")}`, "md")
    .option("--out <file>", "write the report to a regular file instead of stdout (missing directories are created; - for stdout)")
    .action(async (opts: PolicyOptions) => {
      const format = parseFormat(opts.format, FORMATS, "md");
      if (opts.out) checkOutputTarget(opts.out);
      let report: PolicyReport;
      try {
        const deployment = readDeployment(opts.state);
        if (process.stderr.isTTY) process.stderr.write(`policy: evaluating ${deployment.deployment.resources.length} resources with SEC-OPS and DATA-OPS…\n`);
        report = await runPolicies(opts.stack ? { deployment, stack: opts.stack } : { deployment });
      } catch (err) {
        if (err instanceof DeploymentFormatError || err instanceof PolicyConfigError) throw new InputError(err.message);
        throw err;
      }
      const text = render(report, format);
      if (opts.out) writeOutput(opts.out, text);
      else process.stdout.write(text);
      const { mandatory, advisory } = report.summary;
      if (mandatory > 0) throw new BlockingError(`${mandatory} mandatory policy violation(s) (${advisory} advisory)`);
    });
}
