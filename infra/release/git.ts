/** What the release reads from git: the commit, its time, the previous version's tag, the commits since. */
import { execFileSync } from "node:child_process";
import { REPO_ROOT } from "../../config/stack-file";

function git(args: string[]): string {
  return execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** The paths a release is built from (docs/Test_Result_Analysis.md, which runs append to, is not one). */
export const RELEASE_INPUTS = ["backend", "infra", "config", "runbooks", "docs", ":(exclude)docs/Test_Result_Analysis.md", ":(exclude)backend/outputs", "Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "package.json", "package-lock.json"];

export interface CommitInfo {
  sha: string;
  /** Committer time: the build time of reproducible artifacts (never the wall clock). */
  time: Date;
  /** Uncommitted changes (or new files) in what the package is built from: it would not match the commit. */
  dirty: boolean;
  /** A shallow clone: the release notes (commits since the previous tag) would be incomplete. */
  shallow: boolean;
}

export function headCommit(): CommitInfo {
  const sha = git(["rev-parse", "HEAD"]);
  const time = new Date(Number(git(["show", "-s", "--format=%ct", "HEAD"])) * 1000);
  const dirty = git(["status", "--porcelain", "--untracked-files=all", "--", ...RELEASE_INPUTS]).length > 0;
  const shallow = git(["rev-parse", "--is-shallow-repository"]) === "true";
  return { sha, time, dirty, shallow };
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
