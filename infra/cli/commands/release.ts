/**
 * `release [--stack S] --version V [--force]`: the main job. Builds the handoff package in
 * backend/outputs/phase-5/<version>/<stack>/, records the run (docs/releases/<stack>/<version>.json,
 * regenerating the BACK-PH5 log), and ends with GO (exit 0) or NO-GO (exit 1, with every reason).
 * A package that already exists is refused (exit 2) without --force; another run of the same
 * version holding the lock is refused with exit 3 (or waited for with --wait-lock).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "../../../config/load";
import { REPO_ROOT, StackFileError } from "../../../config/stack-file";
import { RECORDS_DIR, TEST_LOG_PATH } from "../../release/records";
import { parseReleaseVersion } from "../../release/version";
import { colorFor } from "../color";
import { BlockingError, EXIT_INTERRUPTED, ExitCodeError, InputError } from "../errors";
import { parseFormat, printJson } from "../output";
import { isQuiet, step } from "../progress";
import { requireStack } from "../stack";
import { parseWaitSeconds } from "./signoff";

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

/**
 * How the pipeline shows its steps (listr2, on stdout): the live task list only on a terminal
 * that may be coloured (it moves the cursor with escapes); plain lines otherwise (CI logs,
 * NO_COLOR); nothing with --format json (stdout is the JSON: the run is one step on stderr then).
 */
export function releaseDisplay(format: "text" | "json", quiet: boolean): "tty" | "plain" | "silent" {
  if (format === "json" || quiet) return "silent";
  return process.stdout.isTTY === true && colorFor("stdout") ? "tty" : "plain";
}

export function registerRelease(program: Command): void {
  const release = program.command("release").description("Build the release handoff package offline and decide GO / NO-GO");
  requireStack(release, "stack to release")
    .option("--version <version>", "release version, semver; a leading v is accepted (default: package.json version)")
    .option("--force", "rebuild an existing package (collected approvals/ are kept)", false)
    .option("--approvals-from <dir>", "copy the collected <role>-<principal>.sig files of this version from <dir> into the package before verifying")
    .option("--wait-lock <seconds>", "wait this long for another run of the same version to finish (default: refuse at once, exit 3)", "0")
    .option("--format <format>", "text or json", "text")
    .action(async (opts: { stack: string; version?: string; force: boolean; approvalsFrom?: string; waitLock?: string; format?: string }) => {
      const format = parseFormat(opts.format, ["text", "json"] as const, "text");
      const version = parseReleaseVersion(opts.version ?? packageVersion(), opts.version === undefined ? "package.json version" : "--version");
      const waitLockMs = parseWaitSeconds(opts.waitLock);
      // Loaded here: the pipeline imports every step's tooling.
      const { ReleaseInterruptedError, ReleaseRefusedError, runRelease, summaryLine } = await import("../../release/pipeline");
      const display = releaseDisplay(format, isQuiet());
      let outcome;
      try {
        const run = () => runRelease({ stack: opts.stack, version, force: opts.force, waitLockMs, ...(opts.approvalsFrom ? { approvalsFrom: opts.approvalsFrom } : {}), display });
        // The task list is the progress; without it (JSON) the run is one step on stderr.
        outcome = display === "silent" ? await step(`building the release package ${version} of ${opts.stack}`, run) : await run();
      } catch (err) {
        if (err instanceof ReleaseRefusedError || err instanceof StackFileError) throw new InputError(err.message);
        if (err instanceof ConfigError) throw new InputError(`invalid config in Pulumi.${opts.stack}.yaml`, err.problems);
        if (err instanceof ReleaseInterruptedError) throw new ExitCodeError(`${err.message}; no package was written`, EXIT_INTERRUPTED);
        throw err;
      }
      if (format === "json") {
        printJson({ verdict: outcome.verdict, reasons: outcome.reasons, packageDir: outcome.packageDir, checks: outcome.results.map((r) => ({ id: r.id, status: r.status, summary: r.summary })) });
      } else {
        console.log(`\nPackage: ${outcome.packageDir.replace(`${REPO_ROOT}/`, "")}`);
        console.log(`Recorded: ${RECORDS_DIR}/${opts.stack}/${version}.json; log regenerated: ${TEST_LOG_PATH} (BACK-PH5)`);
        console.log(summaryLine(outcome.results));
        console.log(`\n${outcome.verdict}`);
        for (const r of outcome.reasons) console.log(`  - ${r}`);
      }
      if (outcome.verdict !== "GO") throw new BlockingError(`NO-GO for ${version} on ${opts.stack} (${outcome.reasons.length} reason${outcome.reasons.length === 1 ? "" : "s"})`);
    });
}
