/**
 * Whether the CLI may colour a stream: the one place NO_COLOR and FORCE_COLOR are read.
 *
 * - `NO_COLOR` with any non-empty value: never (https://no-color.org); an empty value is unset.
 * - else `FORCE_COLOR`: `0` or `false` never, any other value (even empty) always, as Node reads it.
 * - else only a terminal (`isTTY`) that is not `TERM=dumb`.
 *
 * Without colour the CLI writes no ANSI escape at all (the spinner redraws with a carriage return).
 */

type Env = Record<string, string | undefined>;
type Stream = { isTTY?: boolean };

export function colorAllowed(stream: Stream, env: Env = process.env): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return stream.isTTY === true && env.TERM !== "dumb";
}

let decided: { stdout: boolean; stderr: boolean } | undefined;

/** The decision for one of the process's streams (as applyColorPolicy fixed it, else from the environment now). */
export function colorFor(stream: "stdout" | "stderr"): boolean {
  return decided ? decided[stream] : colorAllowed(process[stream]);
}

/**
 * Fixes the decision for this process, then tells the libraries that decide for themselves
 * (listr2's colorette, child processes) through the variables they read: colorette reads them
 * once, at load, and otherwise colours a pipe whenever CI is set (GitHub Actions), and takes an
 * empty NO_COLOR for "no colour". Called once by the process entry, before any command loads.
 */
export function applyColorPolicy(env: Env = process.env): void {
  decided = { stdout: colorAllowed(process.stdout, env), stderr: colorAllowed(process.stderr, env) };
  if (!decided.stdout) {
    env.NO_COLOR = "1";
    delete env.FORCE_COLOR;
  } else if (env.NO_COLOR === "") {
    delete env.NO_COLOR;
  }
}
