/**
 * The shell commands written in the runbooks: fenced `sh`/`bash`/`shell` blocks and inline
 * `aws …` code spans, parsed by a real shell parser (bash-parser, POSIX grammar) into the
 * commands they run, including those inside `$(…)`. Whoever pastes them at 3 a.m. gets exactly
 * what the parser saw.
 */
import parse from "@ericcornelissen/bash-parser";

export interface RunbookCommand {
  file: string;
  line: number;
  text: string;
}

/** A simple command as the shell runs it: its name and arguments after quote removal. */
export interface SimpleCommand {
  name: string;
  args: string[];
}

const FENCE = /^```(\w*)\s*$/;
const SHELL_LANGS = new Set(["sh", "bash", "shell"]);

/** Every command line in one Markdown file (continuations joined, comments and blanks dropped). */
export function extractCommands(file: string, markdown: string): RunbookCommand[] {
  const out: RunbookCommand[] = [];
  const lines = markdown.split("\n");
  let fence: string | null = null;
  let pending: { line: number; text: string } | null = null;
  lines.forEach((raw, i) => {
    const open = FENCE.exec(raw);
    if (open) {
      fence = fence === null ? (open[1] ?? "") : null;
      return;
    }
    if (fence !== null) {
      if (!SHELL_LANGS.has(fence)) return;
      const text = pending ? `${pending.text} ${raw.trim()}` : raw.trim();
      const line = pending?.line ?? i + 1;
      if (text.endsWith("\\")) {
        pending = { line, text: text.slice(0, -1).trimEnd() };
        return;
      }
      pending = null;
      if (text !== "" && !text.startsWith("#")) out.push({ file, line, text });
      return;
    }
    for (const m of raw.matchAll(/`(aws [^`]+)`/g)) out.push({ file, line: i + 1, text: m[1]! });
  });
  return out;
}

/** What a reader must replace before running it: `<…>`, TODO, XXX, an ellipsis. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/<[^<>\s][^<>]*>|\bTODO\b|\bXXX\b|\.\.\.|…/g)].map((m) => m[0]);
}

interface Node {
  type: string;
  [key: string]: unknown;
}

function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}

/** Every simple command in the AST, nested command substitutions included. */
function simpleCommands(node: unknown, out: SimpleCommand[]): void {
  if (Array.isArray(node)) {
    for (const n of node) simpleCommands(n, out);
    return;
  }
  if (!isNode(node)) return;
  if (node.type === "Command") {
    const name = (node.name as { text?: string } | undefined)?.text;
    const args = ((node.suffix as Node[] | undefined) ?? []).filter((w) => w.type === "Word").map((w) => String(w.text));
    if (name !== undefined) out.push({ name, args });
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "loc") continue;
    if (key === "commandAST") simpleCommands(value, out);
    else if (typeof value === "object") simpleCommands(value, out);
  }
}

/** Parses one command line; throws the parser's message (with the line) when it is not valid shell. */
export function parseCommand(cmd: RunbookCommand): SimpleCommand[] {
  let ast: unknown;
  try {
    ast = parse(cmd.text, { mode: "bash" });
  } catch (e) {
    throw new Error(`${cmd.file}:${cmd.line}: not valid shell (${(e as Error).message}): ${cmd.text}`, { cause: e });
  }
  const out: SimpleCommand[] = [];
  simpleCommands(ast, out);
  return out;
}
