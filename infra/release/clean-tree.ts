/**
 * Is the working tree exactly the commit the package will claim? The inputs are derived, not
 * listed by hand:
 *
 * - every tracked file (the release reads the program, the config, the docs, the lockfile — and
 *   a GO promises a clean tree at the recorded commit), except what the release itself writes;
 * - every file a TypeScript config makes the compiler read (its `include`, its `extends` chain,
 *   resolved by TypeScript itself), and every file of the directories the build copies whole
 *   (migrations, seeds): each must be tracked, wherever git would hide it.
 *
 * What git status does not show is looked at too: files marked skip-worktree or
 * assume-unchanged (`git ls-files -v`), and ignored files whose ignore rule does not come from a
 * committed .gitignore (`.git/info/exclude`, core.excludesFile, an untracked .gitignore).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, relative, sep } from "node:path";
import type * as TS from "typescript";

/** The compiler, loaded when a check runs: every CLI command imports this module, few need it. */
const typescript = (): typeof TS => createRequire(__filename)("typescript") as typeof TS;

export interface TreeProblem {
  path: string;
  why: string;
}

export interface CleanTreeOptions {
  /** Repository-relative paths (a trailing `/` is a directory) the release writes: not inputs. */
  outputs: readonly string[];
  /** Repository-relative directories the build copies whole into the artifact. */
  copiedDirs: readonly string[];
}

function git(root: string, args: string[], input?: string): string {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 2 ** 20 });
}

const split0 = (text: string) => text.split("\0").filter(Boolean);

function isOutput(path: string, outputs: readonly string[]): boolean {
  return outputs.some((o) => (o.endsWith("/") ? path.startsWith(o) || `${path}/` === o : path === o));
}

function toRepoPath(root: string, abs: string): string {
  const rel = relative(root, abs);
  return rel.split(sep).join("/");
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The files a tsconfig makes tsc read: its root files and its `extends` chain, as TypeScript resolves them. */
export function tsconfigReads(configFile: string): { files: string[]; extendsChain: string[]; errors: string[] } {
  const ts = typescript();
  const errors: string[] = [];
  const host: TS.ParseConfigFileHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => errors.push(ts.flattenDiagnosticMessageText(d.messageText, " ")) };
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, host);
  if (!parsed) return { files: [], extendsChain: [], errors };
  for (const d of parsed.errors) if (d.category === ts.DiagnosticCategory.Error) errors.push(ts.flattenDiagnosticMessageText(d.messageText, " "));
  const chain = (parsed.options.configFile as (TS.TsConfigSourceFile & { extendedSourceFiles?: string[] }) | undefined)?.extendedSourceFiles ?? [];
  return { files: parsed.fileNames, extendsChain: chain, errors };
}

export function buildInputProblems(root: string, opts: CleanTreeOptions): TreeProblem[] {
  const problems: TreeProblem[] = [];
  const add = (path: string, why: string) => {
    if (!isOutput(path, opts.outputs)) problems.push({ path, why });
  };
  const tracked = new Set(split0(git(root, ["ls-files", "-z"])));

  // Changes git status shows: modified, deleted, renamed, untracked (ignored ones below).
  const status = split0(git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignore-submodules=none"]));
  for (let i = 0; i < status.length; i++) {
    const entry = status[i]!;
    const [xy, path] = [entry.slice(0, 2), entry.slice(3)];
    if (xy[0] === "R" || xy[0] === "C") i++; // the source path follows
    const why = xy === "??" ? "untracked file" : xy.includes("D") ? "deleted" : xy.includes("R") ? "renamed" : "modified";
    add(path, `${why} (not in the commit)`);
  }

  // Changes git status is told not to show.
  for (const entry of split0(git(root, ["ls-files", "-v", "-z"]))) {
    const [tag, path] = [entry[0]!, entry.slice(2)];
    if (tag === "S" || tag === "s") add(path, "marked skip-worktree, so git status does not show its changes (git update-index --no-skip-worktree)");
    else if (tag !== tag.toUpperCase()) add(path, "marked assume-unchanged, so git status does not show its changes (git update-index --no-assume-unchanged)");
  }

  // Ignored files the commit does not declare ignorable.
  const ignored = split0(git(root, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]));
  if (ignored.length > 0) {
    const out = split0(git(root, ["check-ignore", "-z", "-v", "--no-index", "--stdin"], ignored.join("\0")));
    for (let i = 0; i + 3 < out.length; i += 4) {
      const [source, , pattern, path] = [out[i]!, out[i + 1]!, out[i + 2]!, out[i + 3]!];
      const committed = !isAbsolute(source) && !source.startsWith(".git/") && tracked.has(source);
      // Editor and tool directories at the top level are nobody's build input.
      const topLevelDir = path.endsWith("/") && !path.slice(0, -1).includes("/");
      if (!committed && !topLevelDir) add(path, `hidden by "${pattern}" in ${source}, which is not part of the commit; the release would read it (remove it, or commit it or an ignore rule for it)`);
    }
  }

  // What the compiler and the artifact copy read must be in the commit, even if a committed rule ignores it.
  const read = new Map<string, string>();
  for (const config of [...tracked].filter((p) => /(^|\/)tsconfig[^/]*\.json$/.test(p))) {
    const r = tsconfigReads(join(root, config));
    for (const e of r.errors) add(config, `TypeScript cannot read it: ${e}`);
    for (const f of r.extendsChain) read.set(f, `extended by ${config}`);
    for (const f of r.files) read.set(f, `compiled through ${config}`);
  }
  for (const dir of opts.copiedDirs) for (const f of walk(join(root, dir))) read.set(f, `copied into the artifact from ${dir}/`);
  for (const [abs, how] of read) {
    const path = toRepoPath(root, abs);
    if (path.startsWith("../") || path.startsWith("node_modules/") || path.includes("/node_modules/")) continue; // installed packages: pinned by the lockfile
    if (!tracked.has(path) && !problems.some((p) => p.path === path)) add(path, `${how}, but not in the commit`);
  }
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
