/**
 * Release notes: every commit since the previous release (conventional ones by type, the others
 * under "Other changes"), the migrations the release adds, the configuration keys that changed
 * and the API section from the OpenAPI documents — on this repository and on a fixture history.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { defaultBundlePaths } from "../../backend/src/migrate/paths";
import { listOperations, type OpenApiDocument } from "../../infra/release/api-diff";
import { headCommit } from "../../infra/release/git";
import { commitsAfter, previousVersionTag } from "../../infra/release/previous-release";
import { renderReleaseNotes } from "../../infra/release/release-notes";

const commit = { ...headCommit(), dirty: false, shallow: false };

describe("release notes of 1.4.0 on this repository", () => {
  it("list every commit of the history since the previous release and every API operation", async () => {
    const notes = await renderReleaseNotes({ version: "1.4.0", stack: "staging", commit });
    const history = commitsAfter(previousVersionTag("1.4.0"));
    expect(history.length).toBeGreaterThan(0);
    expect(notes).toContain(`## Changes (${history.length} commit${history.length === 1 ? "" : "s"})`);
    for (const c of history) expect(notes, c.message.split("\n")[0]).toContain(`(${c.sha.slice(0, 7)})`);
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, "backend", "openapi.json"), "utf8")) as OpenApiDocument;
    for (const op of listOperations(doc)) expect(notes).toContain(`| ${op.method} | \`${op.path}\` | ${op.operationId} |`);
    expect(notes).toMatch(/## Database migrations\n\n[^\n]*\n\n\| name \| kind \| expand\/contract \|/);
  });
});

describe("release notes on a fixture history", () => {
  const repo = mkdtempSync(join(tmpdir(), "notes-"));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const commitAll = (message: string) => {
    git("add", "-A");
    git("commit", "-qm", message);
  };
  let notes = "";

  beforeAll(async () => {
    writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "fixture", private: true, workspaces: ["backend"] }));
    mkdirSync(join(repo, "backend"), { recursive: true });
    mkdirSync(join(repo, "docs"), { recursive: true });
    cpSync(join(REPO_ROOT, "backend", "migrations"), join(repo, "backend", "migrations"), { recursive: true });
    cpSync(join(REPO_ROOT, "backend", "seeds"), join(repo, "backend", "seeds"), { recursive: true });
    cpSync(join(REPO_ROOT, "backend", "openapi.json"), join(repo, "backend", "openapi.json"));
    cpSync(join(REPO_ROOT, "Pulumi.staging.yaml"), join(repo, "Pulumi.staging.yaml"));
    cpSync(join(REPO_ROOT, "docs", "configuration.md"), join(repo, "docs", "configuration.md"));
    writeFileSync(join(repo, "docs", "known-limitations.md"), "# Known limitations\n\n- One region only.\n");
    // The previous release had the first three migrations only.
    const later = ["20250604090000_add_orders_amount_check.sql", "20250605090000_validate_orders_amount_check.sql"];
    for (const f of later) cpSync(join(repo, "backend", "migrations", f), join(repo, f));
    for (const f of later) unlinkSync(join(repo, "backend", "migrations", f));
    git("init", "-q", "-b", "main");
    commitAll("Initial import");
    git("tag", "v1.3.0");

    for (const f of later) cpSync(join(repo, f), join(repo, "backend", "migrations", f));
    for (const f of later) rmSync(join(repo, f));
    commitAll("feat(db): amount check on orders");
    writeFileSync(join(repo, "Pulumi.staging.yaml"), `${readFileSync(join(repo, "Pulumi.staging.yaml"), "utf8").replace("cpu: 256", "cpu: 512")}  backend-release:featureFlag: hunter2-not-for-notes\n`);
    commitAll("fix: bigger tasks for staging\n\nCPU was the bottleneck.");
    writeFileSync(join(repo, "docs", "configuration.md"), readFileSync(join(repo, "docs", "configuration.md"), "utf8").replace("| `backend-release:alb.idleTimeoutSeconds` | integer 1…4000 | none (required) |", "| `backend-release:alb.idleTimeoutSeconds` | integer 1…4000 | 60 |"));
    commitAll("refactor(config)!: idle timeout defaults to 60 s\n\nBREAKING CHANGE: stacks relying on the required key must drop it");
    const doc = JSON.parse(readFileSync(join(repo, "backend", "openapi.json"), "utf8")) as { components: { schemas: { Order: { properties: Record<string, unknown> } } } };
    doc.components.schemas.Order.properties.note = { type: "string" };
    writeFileSync(join(repo, "backend", "openapi.json"), `${JSON.stringify(doc, null, 2)}\n`);
    commitAll("Orders carry an optional note");
    writeFileSync(join(repo, "docs", "notes.md"), "Orders may carry a note.\n");
    commitAll("docs: explain the note");

    notes = await renderReleaseNotes({ version: "1.4.0", stack: "staging", commit, bundlePaths: defaultBundlePaths(join(repo, "backend")) }, { root: repo });
  }, 60_000);
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("groups conventional commits by type and keeps every other commit", () => {
    const sha = (subject: string) => git("log", "--format=%h", "--abbrev=7", `--grep=^${subject}`).trim();
    expect(notes).toContain("Commit " + commit.sha + ", changes since v1.3.0.");
    expect(notes).toContain("## Changes (5 commits)");
    const changes = notes.slice(notes.indexOf("## Changes"), notes.indexOf("## Database migrations"));
    expect(changes).toBe(
      [
        "## Changes (5 commits)",
        "",
        "### Breaking changes",
        "",
        `- **config:** idle timeout defaults to 60 s (${sha("refactor")}) — BREAKING: stacks relying on the required key must drop it`,
        "",
        "### Features",
        "",
        `- **db:** amount check on orders (${sha("feat")})`,
        "",
        "### Fixes",
        "",
        `- bigger tasks for staging (${sha("fix")})`,
        "",
        "### Documentation",
        "",
        `- explain the note (${sha("docs")})`,
        "",
        "### Other changes",
        "",
        `- Orders carry an optional note (${sha("Orders")})`,
        "",
        "",
      ].join("\n"),
    );
    expect(notes).not.toContain("Initial import");
  });

  it("lists the migrations added since the previous release, with the rollout class the runner gives them", () => {
    const section = notes.slice(notes.indexOf("## Database migrations"), notes.indexOf("## Configuration"));
    expect(section).toContain("Added since v1.3.0");
    const rows = section.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows.map((r) => r.split(" | ")[0])).toEqual(["| `20250604090000_add_orders_amount_check`", "| `20250605090000_validate_orders_amount_check`"]);
    // Neither file declares a class: adding and validating a constraint keeps release N−1 working.
    expect(rows.map((r) => r.split(" | ")[2])).toEqual(["expand, inferred", "expand, inferred"]);
  });

  it("lists configuration keys added or changed, never their values", () => {
    const section = notes.slice(notes.indexOf("## Configuration"), notes.indexOf("## API"));
    expect(section).toContain("- added: `backend-release:featureFlag`");
    expect(section).toContain("- changed: `backend-release:services[orders-api].cpu`");
    expect(section).toContain("- changed: `backend-release:alb.idleTimeoutSeconds` (integer 1…4000; default none (required) → integer 1…4000; default 60)");
    expect(notes).not.toContain("hunter2");
  });

  it("has the API diff against the previous release's document and the full operation list", () => {
    const section = notes.slice(notes.indexOf("## API"), notes.indexOf("## Known limitations"));
    expect(section).toContain("Compared with 1.3.0 (git tag v1.3.0): no breaking change since 1.3.0.");
    expect(section).toContain("- GET /orders/{id}: response 200 body field note: added to the response (`response-field-added`)");
    expect(section).toContain("| PATCH | `/orders/{id}/status` | updateOrderStatus | Move an order to another status |");
    expect(notes).toContain("## Known limitations\n\n- One region only.");
  });
});
