/**
 * `--stack`: one definition and one rule for every command that takes it.
 *
 * The stack is, in order: `--stack`; else `PULUMI_STACK` (as the pulumi CLI reads it); else the
 * stack the command's input names (policy: the URNs of `--state`; signoff, verify-deploy: the
 * release package's manifest, or the only stack with a package of the version); else the command
 * refuses (exit 2) and lists the stacks. A stack is a `Pulumi.<stack>.yaml` at the repository
 * root, so a name without one is refused the same way. A fully-qualified name (`org/stack`,
 * `org/backend-release/stack`) names its stack. There is no silent default stack.
 *
 * `migrate down` is the one exception: it does not read PULUMI_STACK (its stack is a claim about
 * the database being changed, and an ambient variable must not relax the down guard); without a
 * stack the tier counts as production (backend/src/migrate/options.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { parseDocument } from "yaml";
import { discoverStacks, REPO_ROOT } from "../../config/stack-file";
import { InputError } from "./errors";

export const STACK_ENV = "PULUMI_STACK";

/** Where a stack name came from, for the messages. */
export type StackSource = "--stack" | typeof STACK_ENV | string;

export interface ResolvedStack {
  name: string;
  source: StackSource;
}

/**
 * The option every command declares its stack with: `selects` says what the stack selects,
 * `fallback` where it comes from without the option (migrate down's differs, see above).
 */
export function stackOption(selects: string, fallback: string = STACK_ENV): Option {
  return new Option("--stack <stack>", `${selects} (default: ${fallback})`);
}

const STACK_HELP = `
Stack:
  --stack, else ${STACK_ENV} (as pulumi reads it), else the stack the command's input names
  (if it reads one). A stack is a Pulumi.<stack>.yaml at the repository root; none given,
  or one without its file: exit 2, listing the stacks.`;

/** Adds the shared --stack option (and its rule to the help); `input` names the input that can name the stack. */
export function addStackOption(cmd: Command, selects: string, input?: string): Command {
  return cmd.addOption(stackOption(selects, input ? `${STACK_ENV}, else ${input}` : STACK_ENV)).addHelpText("after", STACK_HELP);
}

/**
 * Adds --stack to a command whose stack no input names: the stack is resolved before the action
 * runs, so the action's `opts.stack` is a known stack's name.
 */
export function requireStack(cmd: Command, selects: string): Command {
  return addStackOption(cmd, selects).hook("preAction", (self) => {
    const { stack } = self.opts<{ stack?: string }>();
    self.setOptionValue("stack", resolveStack(stack).name);
  });
}

function stacksLine(root: string): string {
  const known = discoverStacks(root);
  return known.length > 0 ? `the stacks of this repository are ${known.join(", ")}` : "this repository has no stack";
}

function projectName(root: string): string | undefined {
  try {
    const name = (parseDocument(readFileSync(join(root, "Pulumi.yaml"), "utf8")).toJS() as { name?: unknown } | null)?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The short name of a stack (`org/stack`, `org/project/stack` accepted), checked against the repository's stacks. */
export function knownStack(value: string, source: StackSource, root = REPO_ROOT): string {
  const parts = value.split("/");
  if (parts.length === 3 && parts[1] !== projectName(root)) {
    throw new InputError(`stack "${value}" (${source}) is a stack of project "${parts[1]}", not of ${projectName(root) ?? "this project"}; ${stacksLine(root)}`);
  }
  const name = parts.at(-1) ?? "";
  if (parts.length > 3 || !/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new InputError(`stack "${value}" (${source}) is not a stack name: letters, digits, ".", "_" and "-" (or org/stack, org/project/stack); ${stacksLine(root)}`);
  }
  if (!discoverStacks(root).includes(name)) {
    throw new InputError(`unknown stack "${name}" (${source}): ${stacksLine(root)} (a stack is a Pulumi.<stack>.yaml at the repository root)`);
  }
  return name;
}

/** The message of a missing stack: the same for every command. */
export function missingStack(root = REPO_ROOT, details: string[] = []): InputError {
  return new InputError(`no stack: pass --stack <stack> or set ${STACK_ENV}; ${stacksLine(root)}`, details);
}

/**
 * The stack a command runs for: --stack, else PULUMI_STACK, else `fromInput` (the stack the
 * command's input names, with where it read it), else a missing-stack error.
 */
export function resolveStack(
  given: string | undefined,
  opts: { fromInput?: () => ResolvedStack | undefined; root?: string; env?: Record<string, string | undefined>; details?: string[] } = {},
): ResolvedStack {
  const root = opts.root ?? REPO_ROOT;
  if (given !== undefined) return { name: knownStack(given, "--stack", root), source: "--stack" };
  const fromEnv = (opts.env ?? process.env)[STACK_ENV];
  if (fromEnv) return { name: knownStack(fromEnv, STACK_ENV, root), source: STACK_ENV };
  const input = opts.fromInput?.();
  if (input) return { name: knownStack(input.name, input.source, root), source: input.source };
  throw missingStack(root, opts.details);
}
