/** `release-log [--check]`: regenerates (checks) docs/Test_Result_Analysis.md from the release records. */
import type { Command } from "commander";
import { RecordError, RECORDS_DIR, TEST_LOG_PATH } from "../../release/records";
import { logIsCurrent, writeLog } from "../../release/test-log";
import { BlockingError, InputError } from "../errors";

export function registerReleaseLog(program: Command): void {
  program
    .command("release-log")
    .description(`Regenerate ${TEST_LOG_PATH} (the BACK-PH5 log) from the release records in ${RECORDS_DIR}/; --check fails when it is stale`)
    .option("--check", "exit 1 when the log is not what the records generate", false)
    .action((opts: { check: boolean }) => {
      try {
        if (opts.check) {
          if (!logIsCurrent()) throw new BlockingError(`${TEST_LOG_PATH} is stale: run \`npm run cli -- release-log\` and commit it`);
          console.log(`${TEST_LOG_PATH} is up to date`);
          return;
        }
        console.log(writeLog() ? `wrote ${TEST_LOG_PATH}` : `${TEST_LOG_PATH} is up to date`);
      } catch (err) {
        if (err instanceof RecordError) throw new InputError(err.message);
        throw err;
      }
    });
}
