/** What the release reads from git: the commit, its time, whether the tree is that commit, the previous version's tag, the commits since. */
import { execFileSync } from "node:child_process";
import { REPO_ROOT } from "../../config/stack-file";
import { PACKAGE_ROOT } from "../signoff/manifest";
import { buildInputProblems, type CleanTreeOptions, type TreeProblem } from "./clean-tree";
import { RECORDS_DIR, TEST_LOG_PATH } from "./records";

function git(args: string[], root = REPO_ROOT): string {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** What the release writes into the repository (its outputs are not its inputs). */
export const RELEASE_OUTPUTS: readonly string[] = [`${PACKAGE_ROOT.split("\\").join("/")}/`, `${RECORDS_DIR}/`, TEST_LOG_PATH];
/** Directories the artifact takes whole (backend/migrations, backend/seeds): every file in them ships. */
export const ARTIFACT_COPIED_DIRS: readonly string[] = ["backend/migrations", "backend/seeds"];

export const RELEASE_TREE: CleanTreeOptions = { outputs: RELEASE_OUTPUTS, copiedDirs: ARTIFACT_COPIED_DIRS };

export interface CommitInfo {
  sha: string;
  /** Committer time: the build time of reproducible artifacts (never the wall clock). */
  time: Date;
  /** The working tree is not exactly the commit in what the release reads: the package would not match the commit it claims. */
  dirty: boolean;
  /** Why, one entry per path (empty when clean). */
  treeProblems?: TreeProblem[];
  /** A shallow clone: the release notes (commits since the previous tag) would be incomplete. */
  shallow: boolean;
}

export function headCommit(root = REPO_ROOT, tree: CleanTreeOptions = RELEASE_TREE): CommitInfo {
  const sha = git(["rev-parse", "HEAD"], root);
  const time = new Date(Number(git(["show", "-s", "--format=%ct", "HEAD"], root)) * 1000);
  const treeProblems = buildInputProblems(root, tree);
  const shallow = git(["rev-parse", "--is-shallow-repository"], root) === "true";
  return { sha, time, dirty: treeProblems.length > 0, treeProblems, shallow };
}

/** The newest `v*` tag reachable from HEAD that is not this version's own tag. */
export function previousTag(version: string): string | undefined {
  const tags = git(["tag", "--merged", "HEAD", "--list", "v*", "--sort=-v:refname"]).split("\n").filter(Boolean);
  return tags.find((t) => t !== `v${version}`);
}
export interface ConventionalCommit {
  sha: string;
  type: string;
  scope?: string;
  breaking: boolean;
  subject: string;
  /** BREAKING CHANGE: footer text, when present. */
  breakingNote?: string;
}

const HEADER = /^(?<type>[a-z]+)(?:\((?<scope>[^)]+)\))?(?<bang>!)?: (?<subject>.+)$/;

export function parseConventionalCommit(sha: string, message: string): ConventionalCommit | undefined {
  const [header = "", ...body] = message.split("\n");
  const m = HEADER.exec(header.trim());
  if (!m?.groups) return undefined;
  const footer = body.join("\n").match(/^BREAKING[ -]CHANGE: (.+)$/m)?.[1];
  return {
    sha,
    type: m.groups.type!,
    ...(m.groups.scope ? { scope: m.groups.scope } : {}),
    breaking: Boolean(m.groups.bang) || Boolean(footer),
    subject: m.groups.subject!,
    ...(footer ? { breakingNote: footer } : {}),
  };
}

/** Commits since `from` (exclusive) up to HEAD, oldest first; all of history when `from` is undefined. */
export function commitsSince(from: string | undefined): { sha: string; message: string }[] {
  const range = from ? [`${from}..HEAD`] : ["HEAD"];
  const out = git(["log", "--reverse", "--format=%H%x1f%B%x1e", ...range]);
  return out
    .split("\x1e")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [sha = "", message = ""] = entry.split("\x1f");
      return { sha, message: message.trim() };
    });
}

/** Files changed between `from` and HEAD under a path (for the API-changes section). */
export function changedFiles(from: string | undefined, path: string): string[] {
  if (!from) return git(["ls-files", path]).split("\n").filter(Boolean);
  return git(["diff", "--name-only", `${from}..HEAD`, "--", path]).split("\n").filter(Boolean);
}
