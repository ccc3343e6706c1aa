/**
 * Where the list of people allowed to sign comes from. Never the working tree: an uncommitted
 * line in config/allowed_signers would let anyone add their own key and approve. The default is
 * the file as of the commit the manifest was built from (what reviewers approved when they merged
 * it); a protected ref (e.g. origin/main) can be named instead. A file path is for tests and for
 * tools that fetched the file from a trusted place themselves.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";
import { AllowedSignersError, parseAllowedSigners, type AllowedSigner } from "./allowed-signers";

/** The path of the allowed signers file inside the repository. */
export const ALLOWED_SIGNERS_PATH = "config/allowed_signers";

export type SignersSource = { kind: "file"; path: string } | { kind: "git"; rev: string; repo?: string } | { kind: "text"; source: string; text: string };

export interface TrustedSigners {
  /** Human description: "config/allowed_signers at commit 0123abc…". */
  source: string;
  text: string;
  signers: AllowedSigner[];
}

/** The manifest's commit as the trust source. */
export function atCommit(sha: string, repo = REPO_ROOT): SignersSource {
  return { kind: "git", rev: sha, repo };
}

function gitShow(repo: string, rev: string): string {
  if (!rev || rev.startsWith("-") || /[\s:]/.test(rev)) throw new AllowedSignersError(`"${rev}" is not a git revision`, []);
  try {
    const commit = execFileSync("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    return execFileSync("git", ["show", `${commit}:${ALLOWED_SIGNERS_PATH}`], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 4 * 2 ** 20 });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? "").trim().split("\n").pop();
    throw new AllowedSignersError(`cannot read ${ALLOWED_SIGNERS_PATH} at ${rev} in ${repo}: ${stderr || "no such commit"} (fetch the commit the package was built from: git fetch --tags)`, []);
  }
}

export function describeSource(source: SignersSource): string {
  if (source.kind === "file") return source.path;
  if (source.kind === "text") return source.source;
  return `${ALLOWED_SIGNERS_PATH} at ${/^[0-9a-f]{40}$/.test(source.rev) ? `commit ${source.rev}` : source.rev}`;
}

/** Reads and parses the trusted allowed_signers; throws AllowedSignersError saying what is wrong. */
export function loadTrustedSigners(source: SignersSource): TrustedSigners {
  const where = describeSource(source);
  let text: string;
  if (source.kind === "text") {
    text = source.text;
  } else if (source.kind === "file") {
    try {
      text = readFileSync(source.path, "utf8");
    } catch {
      throw new AllowedSignersError(`no allowed signers file at ${source.path}`, []);
    }
  } else {
    text = gitShow(source.repo ?? REPO_ROOT, source.rev);
  }
  return { source: where, text, signers: parseAllowedSigners(text, where) };
}

/** ssh-keygen reads allowed signers from a file: the trusted text, in a private temp file for `fn`. */
export function withSignersFile<T>(trusted: TrustedSigners, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "allowed-signers-"));
  try {
    const file = join(dir, "allowed_signers");
    writeFileSync(file, trusted.text, { mode: 0o600 });
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
