/**
 * The release's API step on a fixture repository with a real git history: the previous
 * release's document comes from its tag (or an archived package), breaking changes block a
 * minor release (NO-GO with the list) and not a major one, a stale document fails.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackConfig, REPO_ROOT } from "../../config/stack-file";
import { apiStep } from "../../infra/release/api-step";
import { headCommit } from "../../infra/release/git";
import { runRelease } from "../../infra/release/pipeline";
import { api } from "../../infra/release/steps";
import type { ReleaseContext } from "../../infra/release/types";

const work = mkdtempSync(join(tmpdir(), "api-step-"));
const repo = join(work, "repo");
const outputs = join(work, "outputs");
const contract = JSON.parse(readFileSync(join(REPO_ROOT, "backend", "openapi.json"), "utf8")) as {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
};

const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
/** The service's document and what "the code" generates (the fixture's openapi:check compares them). */
function publish(doc: unknown, generated: unknown = doc): void {
  writeFileSync(join(repo, "svc", "openapi.json"), `${JSON.stringify(doc, null, 2)}\n`);
  writeFileSync(join(repo, "svc", "generated.json"), `${JSON.stringify(generated, null, 2)}\n`);
}

const withoutStatus = structuredClone(contract);
delete withoutStatus.components.schemas.Order!.properties.status;
withoutStatus.components.schemas.Order!.required = withoutStatus.components.schemas.Order!.required.filter((f) => f !== "status");
delete withoutStatus.paths["/version"];

beforeAll(() => {
  mkdirSync(join(repo, "svc"), { recursive: true });
  writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "fixture", private: true, workspaces: ["svc"] }));
  writeFileSync(join(repo, "svc", "package.json"), JSON.stringify({ name: "svc", version: "1.0.0", scripts: { "openapi:check": "node check.cjs" } }));
  writeFileSync(
    join(repo, "svc", "check.cjs"),
    `const fs = require("fs");\nif (fs.readFileSync(__dirname + "/openapi.json", "utf8") !== fs.readFileSync(__dirname + "/generated.json", "utf8")) {\n  console.log("svc/openapi.json does not match the routes: run npm run -w svc openapi");\n  process.exit(1);\n}\n`,
  );
  publish(contract);
  git("init", "-q", "-b", "main");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "svc 1.4.0");
  git("tag", "v1.4.0");
  publish(withoutStatus);
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "drop status and /version");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function context(version: string): ReleaseContext {
  const dir = mkdtempSync(join(work, "pkg-"));
  return {
    stack: "staging",
    version,
    cfg: loadStackConfig("staging"),
    commit: { ...headCommit(), dirty: false, shallow: false },
    dir,
    finalDir: join(outputs, version, "staging"),
    images: [],
    results: [],
    steps: [],
    progress: () => undefined,
    onInterrupt: () => () => undefined,
    postgres: () => Promise.reject(new Error("the api step uses no PostgreSQL")),
    state: {},
  };
}

describe("api step", () => {
  it("NO-GO at a minor version: each breaking change since the tag is a blocking finding", async () => {
    const result = await apiStep(context("1.5.0"), { root: repo, tag: "v1.4.0" });
    expect(result.status).toBe("fail");
    expect(result.blocking).toBe(true);
    expect(result.reasons).toEqual([
      "breaking API change without a major version bump (1.4.0 → 1.5.0): GET /version: operation removed [operation-removed]",
      "breaking API change without a major version bump (1.4.0 → 1.5.0): GET /orders: response 200 body field orders[] field status: removed from the response [response-field-removed]",
      "breaking API change without a major version bump (1.4.0 → 1.5.0): POST /orders: response 200 body field status: removed from the response [response-field-removed]",
      "breaking API change without a major version bump (1.4.0 → 1.5.0): POST /orders: response 201 body field status: removed from the response [response-field-removed]",
      "breaking API change without a major version bump (1.4.0 → 1.5.0): GET /orders/{id}: response 200 body field status: removed from the response [response-field-removed]",
      "breaking API change without a major version bump (1.4.0 → 1.5.0): PATCH /orders/{id}/status: response 200 body field status: removed from the response [response-field-removed]",
    ]);
    expect(result.figures).toMatchObject({ contracts: 1, operations: 6, removed: 1, breaking: 6 });
  });

  it("GO-eligible at a major version, and the package keeps the contract and the diff", async () => {
    const ctx = context("2.0.0");
    const result = await apiStep(ctx, { root: repo, tag: "v1.4.0" });
    expect(result.status).toBe("pass");
    expect(result.summary).toContain("6 breaking change(s), allowed by the major version 1.4.0 → 2.0.0");
    expect(result.files).toEqual(["api/svc/openapi.json", "api/api-diff.json", "api/api-diff.md"]);
    expect(JSON.parse(readFileSync(join(ctx.dir, "api", "svc", "openapi.json"), "utf8"))).toEqual(withoutStatus);
    const diff = JSON.parse(readFileSync(join(ctx.dir, "api", "api-diff.json"), "utf8")) as { contracts: Array<{ previous: { version: string; source: string }; diff: { operations: { removed: string[] } } }> };
    expect(diff.contracts[0]!.previous).toEqual({ version: "1.4.0", source: "git tag v1.4.0" });
    expect(diff.contracts[0]!.diff.operations.removed).toEqual(["GET /version"]);
    const md = readFileSync(join(ctx.dir, "api", "api-diff.md"), "utf8");
    expect(md).toContain("### Breaking changes");
    expect(md).toContain("- GET /version: operation removed (`operation-removed`)");
    expect(md).toContain("| PATCH | `/orders/{id}/status` | updateOrderStatus |");
  });

  it("without a tag, diffs against the newest archived package of an earlier version", async () => {
    const archived = join(outputs, "1.3.9", "staging", "api", "svc");
    mkdirSync(archived, { recursive: true });
    writeFileSync(join(archived, "openapi.json"), JSON.stringify(contract));
    mkdirSync(join(outputs, "1.6.0", "staging", "api", "svc"), { recursive: true });
    writeFileSync(join(outputs, "1.6.0", "staging", "api", "svc", "openapi.json"), JSON.stringify(withoutStatus));
    try {
      const result = await apiStep(context("1.5.0"), { root: repo, tag: null });
      expect(result.status).toBe("fail");
      expect(result.reasons[0]).toBe("breaking API change without a major version bump (1.3.9 → 1.5.0): GET /version: operation removed [operation-removed]");
    } finally {
      rmSync(outputs, { recursive: true, force: true });
    }
  });

  it("with no earlier contract anywhere: passes, every operation new", async () => {
    const ctx = context("1.5.0");
    const result = await apiStep(ctx, { root: repo, tag: null });
    expect(result.status).toBe("pass");
    expect(result.summary).toBe("svc/openapi.json: 6 operations; first published contract");
    expect(readFileSync(join(ctx.dir, "api", "api-diff.md"), "utf8")).toContain("No earlier release published this document");
  });

  it("a stale document (not what the code generates) fails the step", async () => {
    publish(withoutStatus, contract);
    try {
      const result = await apiStep(context("2.0.0"), { root: repo, tag: "v1.4.0" });
      expect(result.status).toBe("fail");
      expect(result.reasons).toEqual(["svc/openapi.json does not match the routes: run npm run -w svc openapi"]);
    } finally {
      publish(withoutStatus);
    }
  });

  it("an unreadable previous document is a clear failure, not a pass", async () => {
    const archived = join(outputs, "1.3.0", "staging", "api", "svc");
    mkdirSync(archived, { recursive: true });
    writeFileSync(join(archived, "openapi.json"), "{ not json");
    try {
      const result = await apiStep(context("1.5.0"), { root: repo, tag: null });
      expect(result.status).toBe("fail");
      expect(result.reasons[0]).toMatch(/^api: .*1\.3\.0\/staging\/api\/svc\/openapi\.json: not valid JSON/);
    } finally {
      rmSync(outputs, { recursive: true, force: true });
    }
  });

  it("in the release pipeline, the findings make the verdict NO-GO with the list", async () => {
    const logFile = join(work, "log.md");
    const apiOnFixture = { ...api, run: (ctx: ReleaseContext) => apiStep(ctx, { root: repo, tag: "v1.4.0" }) };
    const outcome = await runRelease({ stack: "staging", version: "1.5.0", outputRoot: join(work, "release"), logFile, display: "silent", steps: [apiOnFixture], commit: { ...headCommit(), dirty: false, shallow: false } });
    expect(outcome.verdict).toBe("NO-GO");
    expect(outcome.reasons.filter((r) => r.includes("breaking API change"))).toHaveLength(6);
    expect(outcome.reasons[0]).toBe("API contract: OpenAPI documents and changes since the previous release: breaking API change without a major version bump (1.4.0 → 1.5.0): GET /version: operation removed [operation-removed]");
    expect(existsSync(join(outcome.packageDir, "api", "api-diff.md"))).toBe(true);
  }, 60_000);
});
