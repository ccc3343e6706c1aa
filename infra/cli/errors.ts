/**
 * The command-line contract's exit codes (listed by every command's --help):
 * 0 success, 1 a blocking finding (violation, NO-GO, lint error), 2 bad usage or bad input,
 * 3 busy (another run holds the lock), 70 internal error (a bug or an unexpected failure; CI must
 * not take it for a finding), 128 + n interrupted by signal n (130: Ctrl-C).
 * Commands throw these; main.ts turns them into the exit code and a one-line reason on stderr.
 */
export const EXIT_OK = 0;
export const EXIT_BLOCKING = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_BUSY = 3;
/** sysexits.h EX_SOFTWARE: an internal software error. */
export const EXIT_INTERNAL = 70;
export const EXIT_INTERRUPTED = 130;

/** Bad usage or bad input: what was wrong, where, and how to fix it. Exit 2. */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

/** A finding that must block (the report was still produced). Exit 1. */
export class BlockingError extends Error {
  override readonly name = "BlockingError";
}

/** Any other distinct exit code a command documents (e.g. 3: another run holds the lock). */
export class ExitCodeError extends Error {
  override readonly name = "ExitCodeError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const EXIT_CODES_HELP = `
Exit codes:
  0    success (GO, no finding)
  1    blocking finding (NO-GO, mandatory violation, lint error, failed check)
  2    bad usage or bad input (the message says what, where and how to fix it)
  3    busy: another run holds the lock (release of the same version, migration)
  70   internal error (a bug or unexpected failure; --verbose prints the stack trace)
  130  interrupted (Ctrl-C; 143 for SIGTERM): cleanup ran, nothing half-written is left`;
