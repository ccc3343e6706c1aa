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
