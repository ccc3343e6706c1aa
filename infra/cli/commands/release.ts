/**
 * `release --stack S --version V [--force]`: the main job. Builds the handoff package in
 * backend/outputs/phase-5/<version>/, logs a BACK-PH5 entry, and ends with GO (exit 0) or NO-GO
 * (exit 1, with every reason). A package that already exists is refused (exit 2) without --force.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import { REPO_ROOT, StackFileError } from "../../../config/stack-file";
import { ReleaseInterruptedError, ReleaseRefusedError, runRelease } from "../../release/pipeline";
import { BlockingError, ExitCodeError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

export function registerRelease(program: Command): void {
  program
    .command("release")
    .description("Build the release handoff package offline and decide GO / NO-GO")
    .option("--stack <stack>", "stack to release", "staging")
    .option("--version <version>", "release version (default: package.json version)")
    .option("--force", "rebuild an existing package (collected approvals/ are kept)", false)
    .option("--approvals-from <dir>", "copy the collected <role>-<principal>.sig files of this version from <dir> into the package before verifying")
    .option("--format <format>", "text or json", "text")
    .action(async (opts: { stack: string; version?: string; force: boolean; approvalsFrom?: string; format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const version = opts.version ?? packageVersion();
      let outcome;
      try {
        outcome = await runRelease({ stack: opts.stack, version, force: opts.force, ...(opts.approvalsFrom ? { approvalsFrom: opts.approvalsFrom } : {}), display: format === "json" ? "silent" : process.stdout.isTTY ? "tty" : "plain" });
      } catch (err) {
        if (err instanceof ReleaseRefusedError || err instanceof StackFileError) throw new InputError(err.message);
        if (err instanceof ConfigError) throw new InputError(`invalid config in Pulumi.${opts.stack}.yaml`, err.problems);
        if (err instanceof ReleaseInterruptedError) throw new ExitCodeError(`${err.message}; no package was written`, 130);
        throw err;
      }
      if (format === "json") {
        printJson({ verdict: outcome.verdict, reasons: outcome.reasons, packageDir: outcome.packageDir, checks: outcome.results.map((r) => ({ id: r.id, status: r.status, summary: r.summary })) });
      } else {
        console.log(`\nPackage: ${outcome.packageDir.replace(`${REPO_ROOT}/`, "")}`);
        console.log(`Logged: docs/Test_Result_Analysis.md (BACK-PH5)`);
        console.log(`\n${outcome.verdict}`);
        for (const r of outcome.reasons) console.log(`  - ${r}`);
      }
      if (outcome.verdict !== "GO") throw new BlockingError(`NO-GO for ${version} on ${opts.stack} (${outcome.reasons.length} reason${outcome.reasons.length === 1 ? "" : "s"})`);
    });
}
