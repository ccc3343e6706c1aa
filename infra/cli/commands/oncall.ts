/**
 * `oncall coverage [--stack S] [--weeks N] [--from ISO] [--format json]`: the offline on-call
 * checks on the plan PagerDuty is given, and who is on call on each day (with the gaps). Exit 1 on any finding (gaps and single-person layers
 * are findings only where 24x7 is required: prod).
 */
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import { loadStackConfig, StackFileError } from "../../../config/stack-file";
import { stackCoverage } from "../../observability/coverage";
import { dayLines } from "../../observability/oncall-calendar-text";
import { oncallRotation } from "../../observability/rotation";
import { BlockingError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";
import { requireStack } from "../stack";

function loadCfg(stack: string) {
  try {
    return loadStackConfig(stack);
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(`invalid config in Pulumi.${stack}.yaml`, err.problems);
    if (err instanceof StackFileError) throw new InputError(err.message);
    throw err;
  }
}

function parseWeeks(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 104) throw new InputError(`--weeks must be a whole number from 1 to 104, found "${value}"`);
  return n;
}

function parseFrom(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InputError(`--from must be an ISO 8601 time such as 2025-03-24T00:00:00Z, found "${value}"`);
  return t;
}

export function registerOncall(program: Command): void {
  const oncall = program.command("oncall").description("On-call checks computed from the schedule definition PagerDuty is given");
  const coverage = oncall
    .command("coverage")
    .description("Who is on call each day of the next N weeks, and the gaps; single-person layers, primary=secondary overlaps, unresolved paging handles, short escalations");
  requireStack(coverage, "stack whose Pulumi.<stack>.yaml to check")
    .option("--weeks <n>", "how many weeks ahead", "12")
    .option("--from <iso>", "start of the window (default: now)")
    .option("--format <format>", "text or json", "text")
    .action((opts: { stack: string; weeks: string; from?: string; format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const weeks = parseWeeks(opts.weeks);
      const from = parseFrom(opts.from);
      const cfg = loadCfg(opts.stack);
      const report = stackCoverage(cfg, from, weeks);
      if (format === "json") {
        printJson({ stack: opts.stack, ...report, rotation: oncallRotation(cfg, Math.min(weeks, 4), from) });
      } else {
        console.log(`On-call coverage of ${opts.stack} from ${report.from} to ${report.to} (${weeks} weeks)${report.requires24x7 ? ", 24x7 required" : ""}`);
        for (const s of report.perSchedule) console.log(`  ${s.schedule.padEnd(10)} ${s.coveragePercent.toFixed(2)}%`);
        console.log("");
        for (const line of dayLines(report.days)) console.log(line);
        console.log("");
        console.log(`  paging handles: ${report.unresolvedHandles.length === 0 ? "all resolve" : `${report.unresolvedHandles.length} unresolved`}; escalation levels: ${report.shortEscalations.length === 0 ? "ok" : "too few"}`);
        for (const f of report.findings) console.log(`  FINDING ${f}`);
        if (report.findings.length === 0) console.log("  no findings");
      }
      if (report.findings.length > 0) throw new BlockingError(`${report.findings.length} on-call finding(s) for stack ${opts.stack}`);
    });
}
