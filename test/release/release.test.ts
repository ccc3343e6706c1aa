/**
 * The release command end to end, with every real step: the package, its checksums, the
 * verdict, the BACK-PH5 log, determinism across re-runs, and no secret anywhere (issue 8).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { headCommit } from "../../infra/release/git";
import { ReleaseRefusedError, runRelease, type ReleaseOutcome } from "../../infra/release/pipeline";
import { buildArchive } from "../../infra/release/artifacts-step";
import { REPO_ROOT } from "../../config/stack-file";
import { renderSbom, sbomFromLockfile, type PackageLock } from "../../infra/release/sbom";
import { readManifest, sha256Of, verifyPackageFiles } from "../../infra/signoff/manifest";
import { mutatedStackFile } from "../support/stack-yaml";
import type * as EmbeddedPostgresModule from "../../backend/src/testing/embedded-postgres";

// Known fake secrets, seeded into the stack config (as an operator who set them in plain text
// would) and into the process environment: none may reach the package or the log.
const CONFIG_SECRETS = {
  "datadog:apiKey": "fake-dd-config-key-3e4f5a6b7c8d",
  "pagerduty:token": "fake-pd-token-9a8b7c6d5e4f",
  runtime: "fake-signing-key-1f2e3d4c5b6a",
};
const FAKE_SECRETS = {
  AWS_SECRET_ACCESS_KEY: "fake-aws-secret-5c0d1e2f3a4b5c6d7e8f",
  DATADOG_API_KEY: "fake-datadog-key-0a9b8c7d6e5f",
  PULUMI_CONFIG_PASSPHRASE: "fake-passphrase-horse-battery",
  PGPASSWORD: "fake-pg-password-x1y2z3",
};

// Every embedded PostgreSQL started in this file, through the real helper (whoever imports it).
const postgresStarts = vi.hoisted(() => ({ count: 0 }));
vi.mock("../../backend/src/testing/embedded-postgres", async (importOriginal) => {
  const real = await importOriginal<typeof EmbeddedPostgresModule>();
  return {
    ...real,
    startEmbeddedPostgres: (...args: Parameters<typeof real.startEmbeddedPostgres>) => {
      postgresStarts.count++;
      return real.startEmbeddedPostgres(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), "release-"));
const outputRoot = join(root, "outputs");
const logFile = join(root, "Test_Result_Analysis.md");
// The dev tree may hold uncommitted work; the package's identity is the commit either way.
const commit = { ...headCommit(), dirty: false, shallow: false };
let first: ReleaseOutcome;
let startsInFirstRun = 0;

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));
}

const configFile = mutatedStackFile("staging", (c) => {
  c["datadog:apiKey"] = CONFIG_SECRETS["datadog:apiKey"];
  c["pagerduty:token"] = CONFIG_SECRETS["pagerduty:token"];
  c["backend-release:runtimeSecrets"] = { "orders-api": { ORDERS_SIGNING_KEY: CONFIG_SECRETS.runtime } };
});

afterAll(() => {
  for (const k of Object.keys(FAKE_SECRETS)) delete process.env[k];
  rmSync(root, { recursive: true, force: true });
});

beforeAll(async () => {
  Object.assign(process.env, FAKE_SECRETS);
  first = await runRelease({ stack: "staging", version: "9.8.7", outputRoot, logFile, display: "silent", commit, configFile });
  startsInFirstRun = postgresStarts.count;
}, 240_000);

describe("release --stack staging --version 9.8.7", () => {
  it("says NO-GO for exactly the missing sign-offs when every check passes", () => {
    expect(first.results.map((r) => [r.id, r.status])).toEqual([
      ["artifacts", "pass"],
      ["migrations", "pass"],
      ["policy", "pass"],
      ["smoke", "pass"],
      ["api", "pass"],
      ["documents", "pass"],
      ["governance", "pass"],
    ]);
    expect(first.verdict).toBe("NO-GO");
    expect(first.reasons).toEqual([
      "sign-off: role architecture: 0 of 1 valid sign-off(s)",
      "sign-off: role security: 0 of 1 valid sign-off(s)",
      "sign-off: role operations: 0 of 1 valid sign-off(s)",
    ]);
  });

  it("starts one embedded PostgreSQL for the whole run: the migration verify and the smoke test each get their own databases on it", () => {
    expect(startsInFirstRun).toBe(1);
    const verify = JSON.parse(readFileSync(join(first.packageDir, "migrations", "verify-report.json"), "utf8")) as { database: string; ok: boolean };
    expect(verify).toMatchObject({ database: "embedded", ok: true });
    expect(readFileSync(join(first.packageDir, "smoke", "smoke-test.json"), "utf8")).toContain('"database": "embedded PostgreSQL, migrated and seeded from the archive"');
  });

  it("writes the complete package in place, with no temporary directory or lock left", () => {
    expect(readdirSync(outputRoot)).toEqual(["9.8.7"]);
    expect(readdirSync(join(outputRoot, "9.8.7"))).toEqual(["staging"]);
    expect(first.packageDir).toBe(join(outputRoot, "9.8.7", "staging"));
    for (const f of [
      "artifacts/backend-9.8.7.tar.gz",
      "artifacts/sbom-9.8.7.cdx.json",
      "artifacts/provenance.intoto.json",
      "artifacts/metadata.json",
      "migrations/migration-plan.md",
      "preview/graph.json",
      "policy/results.sarif",
      "smoke/smoke-test.json",
      "api/backend/openapi.json",
      "api/api-diff.md",
      "docs/release-notes.md",
      "docs/rollback-strategy.md",
      "docs/oncall-rotation.md",
      "docs/oncall-calendar.svg",
      "docs/monitors-and-thresholds.md",
      "docs/environment-configuration.md",
      "docs/runbook-index.md",
      "docs/ci-cd-stages.md",
      "governance-checklist.md",
      "manifest.json",
      "status/verdict.md",
      "status/record.json",
      "status/report.html",
    ]) {
      expect(existsSync(join(first.packageDir, f)), f).toBe(true);
    }
    expect(verifyPackageFiles(first.packageDir).problems).toEqual([]);
  });

  it("fills the knowledge-transfer templates with what the release knows", () => {
    for (const name of ["agenda.md", "minutes.md", "action-items.md"]) {
      const text = readFileSync(join(first.packageDir, "docs", "handoff", name), "utf8");
      expect(text, name).not.toMatch(/\{\{(version|stack|gitSha|services|oncall|alertTable)\}\}/);
    }
    expect(readFileSync(join(first.packageDir, "docs", "handoff", "minutes.md"), "utf8")).toContain(`Release: 9.8.7, commit ${commit.sha}`);
  });

  it("passes sha256sum -c in the package", () => {
    const out = execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: join(first.packageDir, "artifacts"), encoding: "utf8" });
    expect(out).toBe("backend-9.8.7.tar.gz: OK\nmetadata.json: OK\nprovenance.intoto.json: OK\nsbom-9.8.7.cdx.json: OK\n");
  });

  it("records metadata from the commit, not the clock", () => {
    const meta = JSON.parse(readFileSync(join(first.packageDir, "artifacts", "metadata.json"), "utf8")) as Record<string, unknown>;
    expect(meta).toMatchObject({ version: "9.8.7", stack: "staging", gitSha: commit.sha, buildTime: commit.time.toISOString() });
  });

  it("records the run and logs a BACK-PH5 entry with each check, the smoke confirmations and the verdict", () => {
    const record = JSON.parse(readFileSync(join(root, "releases", "staging", "9.8.7.json"), "utf8")) as Record<string, unknown>;
    expect(record).toMatchObject({ tag: "BACK-PH5", stack: "staging", version: "9.8.7", gitSha: commit.sha, verdict: "NO-GO" });
    expect(readFileSync(join(first.packageDir, "status", "record.json"), "utf8")).toBe(readFileSync(join(root, "releases", "staging", "9.8.7.json"), "utf8"));
    const log = readFileSync(logFile, "utf8");
    expect(log).toContain("## BACK-PH5 — 9.8.7 on staging — NO-GO");
    expect(log).toContain(`- Commit: ${commit.sha}`);
    expect(log).toContain("- [x] GET /readyz (Readiness: database reachable, schema at this build's migration): HTTP 200, body matches its declared schema");
    expect(log).toContain("- [x] SIGTERM: graceful exit: exit code 0");
    expect(log).toMatch(/\| Migrations: lint, verify round trip, plan \| PASS \| .*verifyMs=\d+/);
  });

  it("derives the SBOM from the lockfile alone, with the release as its subject", () => {
    const text = readFileSync(join(first.packageDir, "artifacts", "sbom-9.8.7.cdx.json"), "utf8");
    const sbom = JSON.parse(text) as { metadata: { component: unknown }; components: { name: string }[] };
    expect(sbom.metadata.component).toMatchObject({ group: "@backend-release", name: "service", version: "9.8.7" });
    expect(sbom.components.map((c) => c.name)).toEqual(expect.arrayContaining(["pg", "node-pg-migrate", "zod"]));
    // What any machine gets from the same lockfile, node_modules or not.
    const lockfile = readFileSync(join(REPO_ROOT, "package-lock.json"));
    expect(text).toBe(renderSbom(sbomFromLockfile({ lock: JSON.parse(lockfile.toString("utf8")) as PackageLock, lockfileSha256: sha256Of(lockfile), workspace: "backend", version: "9.8.7", tool: { name: "backend-release", version: "1.4.0" } })));
  });

  it("carries an in-toto/SLSA provenance statement, the checks and the required roles, all covered by the manifest", () => {
    const file = join(first.packageDir, "artifacts", "provenance.intoto.json");
    const statement = JSON.parse(readFileSync(file, "utf8")) as { predicate: { buildDefinition: { resolvedDependencies: unknown[] }; runDetails: { builder: { id: string } } } };
    expect(statement).toMatchObject({ _type: "https://in-toto.io/Statement/v1", predicateType: "https://slsa.dev/provenance/v1", subject: [{ name: "backend-9.8.7.tar.gz", digest: { sha256: first.results[0]?.figures.archiveSha256 } }] });
    expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([
      { name: "source", digest: { gitCommit: commit.sha } },
      { name: "package-lock.json", digest: { sha256: sha256Of(readFileSync(join(REPO_ROOT, "package-lock.json"))) } },
    ]);
    expect(statement.predicate.runDetails.builder.id).toMatch(/^https:\/\//);
    const { manifest } = readManifest(first.packageDir);
    expect(manifest.files.find((f) => f.path === "artifacts/provenance.intoto.json")?.sha256).toBe(sha256Of(readFileSync(file)));
    expect(manifest.checks.map((c) => [c.id, c.status, c.blocking])).toEqual(first.results.map((r) => [r.id, "pass", true]));
    expect(manifest.signoff).toEqual({ tier: "standard", requiredRoles: { architecture: 1, security: 1, operations: 1 } });
    // The checklist lists what the steps declare, provenance included.
    const checklist = readFileSync(join(first.packageDir, "governance-checklist.md"), "utf8");
    expect(checklist).toContain("| [x] | Build provenance (in-toto Statement, SLSA Provenance v1) | `artifacts/provenance.intoto.json` | artifacts |");
    expect(checklist).toContain("| [x] | Smoke test of the built service on a migrated database | `smoke/smoke-test.json` | smoke |");
  });

  it("puts no secret value in the package or the log", () => {
    const haystacks = [...allFiles(first.packageDir).filter((f) => !f.endsWith(".tar.gz")), logFile].map((f) => readFileSync(f, "utf8"));
    for (const secret of [...Object.values(FAKE_SECRETS), ...Object.values(CONFIG_SECRETS), "offline-preview-placeholder"]) {
      for (const text of haystacks) expect(text.includes(secret), secret).toBe(false);
    }
  });

  it("refuses to overwrite the package without --force", async () => {
    await expect(runRelease({ stack: "staging", version: "9.8.7", outputRoot, logFile, display: "silent", commit, configFile })).rejects.toThrow(ReleaseRefusedError);
  });

  it("reproduces the same manifest on a forced re-run and keeps collected approvals", async () => {
    const manifest = readFileSync(join(first.packageDir, "manifest.json"), "utf8");
    mkdirSync(join(first.packageDir, "approvals"), { recursive: true });
    writeFileSync(join(first.packageDir, "approvals", "security-sam@example.com.sig"), "-----BEGIN SSH SIGNATURE-----\nnot really\n-----END SSH SIGNATURE-----\n");
    const again = await runRelease({ stack: "staging", version: "9.8.7", outputRoot, logFile, display: "silent", commit, configFile, force: true });
    expect(readFileSync(join(again.packageDir, "manifest.json"), "utf8")).toBe(manifest);
    expect(existsSync(join(again.packageDir, "approvals", "security-sam@example.com.sig"))).toBe(true);
    expect(readdirSync(join(outputRoot, "9.8.7"))).toEqual(["staging"]);
  }, 240_000);
});

describe("reproducible artifact", () => {
  it("builds the same bytes twice", async () => {
    const dirs = [mkdtempSync(join(tmpdir(), "a-")), mkdtempSync(join(tmpdir(), "b-"))];
    try {
      const a = await buildArchive(dirs[0]!, "1.0.0", commit.time);
      const b = await buildArchive(dirs[1]!, "1.0.0", commit.time);
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(b.sha256).toBe(a.sha256);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);
});
