/**
 * Issue 15 items 2 and 12: a commit that changes nothing deployed (docs, infra-only) changes
 * nothing in the graph — no new task definition, no migration re-run, no image rebuild or
 * re-promotion — and the build tag follows the build's inputs, not the commit.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { buildInputHash, contextFiles } from "../../infra/components/build-inputs";
import { diffDeployments } from "../../infra/preview/diff";
import { recordStack } from "../../infra/preview/record";

const SHAS = ["1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"];

async function recordAt(stack: string, sha: string) {
  const before = process.env.RELEASE_GIT_SHA;
  process.env.RELEASE_GIT_SHA = sha;
  try {
    return (await recordStack({ stack })).deployment;
  } finally {
    if (before === undefined) delete process.env.RELEASE_GIT_SHA;
    else process.env.RELEASE_GIT_SHA = before;
  }
}

describe.each(["staging", "prod"])("stack %s at two commits with the same inputs", (stack) => {
  it("records the same graph: nothing to update, replace or re-run", async () => {
    const a = await recordAt(stack, SHAS[0]!);
    const b = await recordAt(stack, SHAS[1]!);
    // Only the stack's `gitSha` output names the commit; no resource input or output does.
    const mentioning = a.deployment.resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && JSON.stringify(r).includes(SHAS[0]!)).map((r) => r.urn);
    expect(mentioning).toEqual([]);
    const diff = diffDeployments(a, b);
    expect(diff.changes).toEqual([]);
  }, 120_000);
});

describe("build tag from the build's inputs", () => {
  const root = mkdtempSync(join(tmpdir(), "build-inputs-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const build = { workspace: "backend", context: ".", dockerfile: "backend/Dockerfile" };
  const settings = { platform: "linux/amd64", args: { SERVICE_NAME: "orders-api" } };

  it("hashes exactly what the dockerignore lets into the context", () => {
    const files = contextFiles(build);
    expect(files).toContain("backend/src/server.ts");
    expect(files).toContain("package-lock.json");
    expect(files.some((f) => f.startsWith("docs/") || f.startsWith("infra/") || f.startsWith("node_modules/") || f.startsWith("backend/src/tooling/"))).toBe(false);
  });

  it("ignores docs and infra changes, follows source, Dockerfile and build-arg changes", () => {
    for (const dir of ["backend/src", "backend/migrations", "backend/seeds"]) cpSync(join(REPO_ROOT, dir), join(root, dir), { recursive: true });
    for (const f of ["package.json", "package-lock.json", "tsconfig.json", "backend/package.json", "backend/tsconfig.build.json", "backend/Dockerfile", "backend/Dockerfile.dockerignore"]) cpSync(join(REPO_ROOT, f), join(root, f));
    const base = buildInputHash(build, settings, root);
    expect(buildInputHash(build, settings, REPO_ROOT)).toBe(base);
    cpSync(join(REPO_ROOT, "docs"), join(root, "docs"), { recursive: true });
    writeFileSync(join(root, "docs", "new-page.md"), "docs only\n");
    writeFileSync(join(root, "backend", "src", "tooling", "extra.ts"), "// excluded by the dockerignore\n");
    expect(buildInputHash(build, settings, root)).toBe(base);
    writeFileSync(join(root, "backend", "src", "extra.ts"), "export const x = 1;\n");
    const changedSource = buildInputHash(build, settings, root);
    expect(changedSource).not.toBe(base);
    expect(buildInputHash(build, { ...settings, args: { SERVICE_NAME: "billing-api" } }, root)).not.toBe(changedSource);
    writeFileSync(join(root, "backend", "Dockerfile"), "FROM scratch\n");
    expect(buildInputHash(build, settings, root)).not.toBe(changedSource);
  });
});
