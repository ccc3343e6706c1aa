/**
 * The command-line contract's exit codes (see docs/architecture.md):
 * 0 success, 1 a blocking finding (violation, NO-GO, lint error), 2 bad usage or bad input.
 * Commands throw these; main.ts turns them into the exit code and a one-line reason on stderr.
 */
export const EXIT_OK = 0;
export const EXIT_BLOCKING = 1;
export const EXIT_BAD_INPUT = 2;

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

/** Any other distinct exit code a command documents (e.g. 3: another migration is running). */
export class ExitCodeError extends Error {
  override readonly name = "ExitCodeError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
