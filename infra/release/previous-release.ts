/**
 * Reading the previous release from git: a file or a directory listing as of its tag. Used by
 * the API diff (the previous OpenAPI document) and the release notes (the migrations and
 * configuration keys the previous release had). Read-only; never touches the working tree.
 */
import { execFileSync } from "node:child_process";
import { REPO_ROOT } from "../../config/stack-file";

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 2 ** 20 });
}

/** The file's content at `ref`, or undefined when it did not exist there. */
export function fileAtRef(ref: string, path: string, cwd = REPO_ROOT): string | undefined {
  try {
    git(["cat-file", "-e", `${ref}:${path}`], cwd);
  } catch {
    return undefined;
  }
  return git(["show", `${ref}:${path}`], cwd);
}

/** Paths of the files under `dir` at `ref` (empty when the directory did not exist). */
export function filesAtRef(ref: string, dir: string, cwd = REPO_ROOT): string[] {
  return git(["ls-tree", "-r", "--name-only", ref, "--", dir], cwd)
    .split("\n")
    .filter(Boolean);
}

/** `v1.4.0` → `1.4.0`. */
export function versionOfTag(tag: string): string {
  return tag.replace(/^v/, "");
}

/** The newest `v*` tag reachable from HEAD other than this version's own (as git.ts, for any checkout). */
export function previousVersionTag(version: string, cwd = REPO_ROOT): string | undefined {
  return git(["tag", "--merged", "HEAD", "--list", "v*", "--sort=-v:refname"], cwd)
    .split("\n")
    .filter(Boolean)
    .find((t) => t !== `v${version}`);
}

/** Every commit after `tag` up to HEAD (all history without one), oldest first. */
export function commitsAfter(tag: string | undefined, cwd = REPO_ROOT): { sha: string; message: string }[] {
  return git(["log", "--reverse", "--format=%H%x1f%B%x1e", tag ? `${tag}..HEAD` : "HEAD"], cwd)
    .split("\x1e")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [sha = "", message = ""] = entry.split("\x1f");
      return { sha, message: message.trim() };
    });
}
