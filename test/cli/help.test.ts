/**
 * Issue 18: `--help` of every command and subcommand shows examples and the exit codes, and
 * every example, pasted into a shell, is a command line the program accepts (parsed by a real
 * shell parser, then by the program with each action replaced: options, arguments, the stack and
 * the database URL are checked, nothing runs).
 */
import parse from "@ericcornelissen/bash-parser";
import type { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EXAMPLES, commandPath } from "../../infra/cli/help";
import { buildProgram, main } from "../../infra/cli/main";

interface Word {
  type: string;
  text: string;
}

/** The environment assignments and the words of a one-command shell line, after quote removal. */
function shellWords(line: string): { env: Record<string, string>; words: string[] } {
  const ast = parse(line, { mode: "posix" }) as { commands: { type: string; prefix?: Word[]; name?: Word; suffix?: Word[] }[] };
  expect(ast.commands, line).toHaveLength(1);
  const [cmd] = ast.commands;
  expect(cmd!.type, line).toBe("Command");
  const env = Object.fromEntries((cmd!.prefix ?? []).filter((w) => w.type === "AssignmentWord").map((w) => w.text.split(/=(.*)/s).slice(0, 2)));
  const suffix = cmd!.suffix ?? [];
  expect(suffix.every((w) => w.type === "Word"), `${line}: only words (no redirection)`).toBe(true);
  return { env, words: [cmd!.name!.text, ...suffix.map((w) => w.text)] };
}

/** The CLI's arguments of an example line: `npm run cli -- …` or `npm run release -- …`. */
function cliArgs(words: string[]): string[] {
  const head = words.slice(0, 4).join(" ");
  if (head === "npm run cli --") return words.slice(4);
  if (head === "npm run release --") return ["release", ...words.slice(4)];
  throw new Error(`an example must start with \`npm run cli --\` or \`npm run release --\`: ${words.join(" ")}`);
}

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

async function helpOf(path: string): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  try {
    return { code: await main([...(path ? path.split(" ") : []), "--help"]), stdout };
  } finally {
    spy.mockRestore();
  }
}

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe("--help", () => {
  it("of every command and subcommand shows its examples and the exit codes", async () => {
    const paths = allCommands(await buildProgram()).map(commandPath);
    expect(paths).toEqual(expect.arrayContaining(["", "migrate down", "oncall coverage", "docs check", "signoff verify", "verify-deploy", "release-log"]));
    for (const path of paths) {
      const examples = EXAMPLES[path];
      expect(examples?.length, `examples for "${path}"`).toBeGreaterThan(0);
      const { code, stdout } = await helpOf(path);
      expect(code, path).toBe(0);
      expect(stdout, path).toContain("\nExamples:\n");
      for (const e of examples!) expect(stdout, path).toContain(`  $ ${e.run}\n`);
      expect(stdout, path).toMatch(/Exit codes:\n {2}0 +success[^\n]*\n {2}1 +blocking finding[^\n]*\n {2}2 +bad usage or bad input[^\n]*\n {2}3 +busy[^\n]*\n {2}70 +internal error[^\n]*\n {2}130 +interrupted/);
    }
    // No example for a command that does not exist.
    expect(Object.keys(EXAMPLES).filter((k) => !paths.includes(k))).toEqual([]);
  }, 120_000);

  it("every example parses with the program and runs the command it is listed under", async () => {
    for (const [path, examples] of Object.entries(EXAMPLES)) {
      for (const example of examples) {
        const { env, words } = shellWords(example.run);
        const argv = cliArgs(words);
        const program = await buildProgram();
        let ran: string | undefined;
        for (const cmd of allCommands(program)) cmd.action(() => void (ran = commandPath(cmd)));
        delete process.env.PULUMI_STACK;
        Object.assign(process.env, env);
        const spies = [vi.spyOn(process.stdout, "write").mockImplementation(() => true), vi.spyOn(process.stderr, "write").mockImplementation(() => true)];
        try {
          await program.parseAsync(argv, { from: "user" });
        } catch (err) {
          throw new Error(`example of "${path}" does not parse: ${example.run}: ${String(err)}`, { cause: err });
        } finally {
          for (const spy of spies) spy.mockRestore();
        }
        expect(ran, example.run).toBeDefined();
        // Listed under a command: runs it (or, under a command with subcommands, one of them).
        if (path) expect(ran === path || ran!.startsWith(`${path} `), `${example.run} runs "${ran}", listed under "${path}"`).toBe(true);
      }
    }
  }, 120_000);
});
