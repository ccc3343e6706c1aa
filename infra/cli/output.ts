import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "./errors";

export type OutputFormat = "text" | "json";

/** Parses the shared `--format` option; commands with more formats pass their own list. */
export function parseFormat<T extends string>(value: string | undefined, allowed: readonly T[], fallback: T): T {
  const format = (value ?? fallback) as T;
  if (!allowed.includes(format)) {
    throw new InputError(`--format must be one of ${allowed.join(", ")}, found "${value}"`);
  }
  return format;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const FILE = "a regular file";

function kindOf(path: string): string | undefined {
  try {
    const st = lstatSync(path);
    if (st.isFile()) return FILE;
    if (st.isSymbolicLink()) return "a symbolic link";
    if (st.isDirectory()) return "a directory";
    if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
    if (st.isFIFO()) return "a named pipe";
    if (st.isSocket()) return "a socket";
    return "not a regular file";
  } catch (err) {
    // ENOTDIR: a component of the path is a file; the directory walk reports which.
    if (["ENOENT", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw err;
  }
}

/** Refuses, before any work, an `--out` target that writeOutput would refuse. */
export function checkOutputTarget(target: string, option = "--out"): void {
  if (target === "-") return;
  if (target === "") throw new InputError(`${option} is empty: name a file, or - for stdout`);
  const file = resolve(target);
  const kind = kindOf(file);
  if (kind && kind !== FILE) throw new InputError(`${option} ${target} is ${kind}; write to a regular file (or - for stdout)`);
  // The nearest existing ancestor must be a directory (missing ones are created).
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const dirKind = kindOf(dir);
    if (dirKind === "a directory") break;
    if (dirKind) throw new InputError(`${option} ${target}: ${dir} is ${dirKind}, not a directory`);
    if (dirname(dir) === dir) break;
  }
}

/**
 * Writes an `--out` target: `-` is stdout; otherwise a regular file, whole or not at all. The
 * text goes to a temp file in the same directory (created exclusively, so nothing is followed or
 * clobbered) and is renamed over the target only while the target is absent or a regular file:
 * a device, a directory or a symbolic link is never replaced (as root, renaming over
 * /dev/null would break every other process). Missing directories are created.
 */
export function writeOutput(target: string, text: string, option = "--out"): void {
  if (target === "-") {
    process.stdout.write(text);
    return;
  }
  checkOutputTarget(target, option);
  const file = resolve(target);
  const refuse = (kind: string) => new InputError(`${option} ${target} is ${kind}; write to a regular file (or - for stdout)`);
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError(`${option} ${target}: cannot create ${dir}: ${(err as Error).message}`);
  }
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    // Checked again right before the rename: the target may have changed since.
    const now = kindOf(file);
    if (now && now !== FILE) throw refuse(now);
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    if (err instanceof InputError) throw err;
    throw new InputError(`${option} ${target}: cannot write: ${(err as Error).message}`);
  }
}

/**
 * Refuses output targets that collide: two outputs in one file, two on stdout, or an output
 * written over one of the command's inputs (it would be read and replaced by the same run).
 */
export function checkDistinctTargets(outputs: { option: string; target: string }[], inputs: { option: string; file: string }[]): void {
  const seen = new Map<string, string>();
  for (const { option, target } of outputs) {
    const key = target === "-" ? "-" : resolve(target);
    const earlier = seen.get(key);
    if (earlier) throw new InputError(target === "-" ? `${earlier} and ${option} both write to stdout: send one of them to a file` : `${earlier} and ${option} both write ${target}: give each output its own file`);
    seen.set(key, option);
    const input = inputs.find((i) => target !== "-" && resolve(i.file) === key);
    if (input) throw new InputError(`${option} ${target} is the ${input.option} input of this run: write the output elsewhere`);
  }
}
