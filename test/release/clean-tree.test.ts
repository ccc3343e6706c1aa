/**
 * The clean-tree check on a throw-away clone: every input the build reads, derived from git and
 * from TypeScript's own reading of the tsconfig chain, including what git status is told to hide
 * (skip-worktree, assume-unchanged, .git/info/exclude, core.excludesFile, an untracked .gitignore).
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { buildInputProblems } from "../../infra/release/clean-tree";
import { headCommit, RELEASE_TREE } from "../../infra/release/git";

let root: string;
let clone: string;
const git = (...args: string[]) => execFileSync("git", args, { cwd: clone, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const problems = () => buildInputProblems(clone, RELEASE_TREE);
const paths = () => problems().map((p) => p.path);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "clean-tree-"));
  clone = join(root, "clone");
  execFileSync("git", ["clone", "-q", "--no-checkout", REPO_ROOT, clone]);
  execFileSync("git", ["checkout", "-q", execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim()], { cwd: clone });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  // Back to the commit, nothing hidden, nothing extra (ignored files included).
  for (const f of git("ls-files", "-v").split("\n").filter((l) => /^(S|[a-z]) /.test(l))) {
    git("update-index", "--no-skip-worktree", f.slice(2));
    git("update-index", "--no-assume-unchanged", f.slice(2));
  }
  git("reset", "-q", "--hard");
  git("clean", "-q", "-fdx");
  writeFileSync(join(clone, ".git", "info", "exclude"), "");
  // Exit 5 when unset: nothing to remove.
  try {
    execFileSync("git", ["config", "--unset-all", "core.excludesFile"], { cwd: clone, stdio: "ignore" });
  } catch {
    // not set
  }
}, 30_000);

describe("the clean-tree check", () => {
  it("passes on the commit itself, and ignores what the release writes", () => {
    expect(problems()).toEqual([]);
    mkdirSync(join(clone, "docs", "releases", "staging"), { recursive: true });
    writeFileSync(join(clone, "docs", "releases", "staging", "1.4.0.json"), "{}\n");
    appendFileSync(join(clone, "docs", "Test_Result_Analysis.md"), "\nanother entry\n");
    mkdirSync(join(clone, "backend", "outputs", "phase-5", "1.4.0", "staging"), { recursive: true });
    writeFileSync(join(clone, "backend", "outputs", "phase-5", "1.4.0", "staging", "manifest.json"), "{}\n");
    expect(problems()).toEqual([]);
    expect(headCommit(clone)).toMatchObject({ dirty: false, treeProblems: [] });
  });

  it("sees a change to the root tsconfig.json that the backend build extends", () => {
    appendFileSync(join(clone, "tsconfig.json"), "\n");
    expect(problems()).toEqual([{ path: "tsconfig.json", why: "modified (not in the commit)" }]);
    expect(headCommit(clone).dirty).toBe(true);
  });

  it("sees files hidden with skip-worktree or assume-unchanged", () => {
    appendFileSync(join(clone, "infra", "stack.ts"), "// changed\n");
    git("update-index", "--skip-worktree", "infra/stack.ts");
    appendFileSync(join(clone, "config", "schema.ts"), "// changed\n");
    git("update-index", "--assume-unchanged", "config/schema.ts");
    expect(git("status", "--porcelain")).toBe(""); // what the old check looked at
    expect(problems().map((p) => [p.path, p.why.split(",")[0]])).toEqual([
      ["config/schema.ts", "marked assume-unchanged"],
      ["infra/stack.ts", "marked skip-worktree"],
    ]);
  });

  it("sees a new migration hidden by .git/info/exclude, by core.excludesFile, or by an untracked .gitignore", () => {
    const drop = "backend/migrations/20991231000000_drop_orders.sql";
    writeFileSync(join(clone, drop), "-- Up Migration\nDROP TABLE orders;\n-- Down Migration\n");
    writeFileSync(join(clone, ".git", "info", "exclude"), "*_drop_orders.sql\n");
    expect(git("status", "--porcelain")).toBe("");
    expect(problems()).toEqual([{ path: drop, why: expect.stringMatching(/^hidden by "\*_drop_orders\.sql" in \.git\/info\/exclude, which is not part of the commit/) }]);

    writeFileSync(join(clone, ".git", "info", "exclude"), "");
    writeFileSync(join(root, "global-excludes"), "*.sql\n");
    git("config", "core.excludesFile", join(root, "global-excludes"));
    expect(paths()).toEqual([drop]);
    git("config", "--unset-all", "core.excludesFile");

    writeFileSync(join(clone, "backend", "migrations", ".gitignore"), "*\n");
    expect(git("status", "--porcelain")).toBe("");
    expect(paths()).toEqual(["backend/migrations/.gitignore", drop]);
  });

  it("sees a file a committed rule ignores when the build reads it anyway", () => {
    // *.tsbuildinfo is ignored by the committed .gitignore, but backend/migrations is copied whole into the artifact.
    writeFileSync(join(clone, "backend", "migrations", "stale.tsbuildinfo"), "{}\n");
    expect(problems()).toEqual([{ path: "backend/migrations/stale.tsbuildinfo", why: "copied into the artifact from backend/migrations/, but not in the commit" }]);
  });

  it("sees untracked, deleted and renamed files anywhere in the commit's tree", () => {
    writeFileSync(join(clone, "infra", "extra.ts"), "export {};\n");
    rmSync(join(clone, "runbooks", "scaling.md"));
    git("mv", "docs/performance.md", "docs/perf.md");
    expect(problems().map((p) => [p.path, p.why])).toEqual([
      ["docs/perf.md", "renamed (not in the commit)"],
      ["infra/extra.ts", "untracked file (not in the commit)"],
      ["runbooks/scaling.md", "deleted (not in the commit)"],
    ]);
  });
});
