/**
 * The release command end to end, with every real step: the package, its checksums, the
 * verdict, the BACK-PH5 log, determinism across re-runs, and no secret anywhere (issue 8).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { headCommit } from "../../infra/release/git";
import { ReleaseRefusedError, runRelease, type ReleaseOutcome } from "../../infra/release/pipeline";
import { buildArchive } from "../../infra/release/artifacts-step";
import { verifyPackageFiles } from "../../infra/signoff/manifest";
import { mutatedStackFile } from "../support/stack-yaml";

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

const root = mkdtempSync(join(tmpdir(), "release-"));
const outputRoot = join(root, "outputs");
const logFile = join(root, "Test_Result_Analysis.md");
// The dev tree may hold uncommitted work; the package's identity is the commit either way.
const commit = { ...headCommit(), dirty: false, shallow: false };
let first: ReleaseOutcome;

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? allFiles(join(dir, n)) : [join(dir, n)]));
}

const configFile = mutatedStackFile("staging", (c) => {
  c["datadog:apiKey"] = CONFIG_SECRETS["datadog:apiKey"];
  c["pagerduty:token"] = CONFIG_SECRETS["pagerduty:token"];
  c["backend-release:runtimeSecrets"] = { "orders-api": { ORDERS_SIGNING_KEY: CONFIG_SECRETS.runtime } };
});

beforeAll(async () => {
  Object.assign(process.env, FAKE_SECRETS);
  first = await runRelease({ stack: "staging", version: "9.8.7", outputRoot, logFile, display: "silent", commit, configFile });
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

  it("writes the complete package in place, with no temporary directory left", () => {
    expect(readdirSync(outputRoot)).toEqual(["9.8.7"]);
    for (const f of [
      "artifacts/backend-9.8.7.tar.gz",
      "artifacts/sbom-9.8.7.cdx.json",
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
      "docs/monitors-and-thresholds.md",
      "docs/environment-configuration.md",
      "docs/runbook-index.md",
      "docs/ci-cd-stages.md",
      "governance-checklist.md",
      "manifest.json",
      "status/verdict.md",
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
    expect(out).toBe("backend-9.8.7.tar.gz: OK\nmetadata.json: OK\nsbom-9.8.7.cdx.json: OK\n");
  });

  it("records metadata from the commit, not the clock", () => {
    const meta = JSON.parse(readFileSync(join(first.packageDir, "artifacts", "metadata.json"), "utf8")) as Record<string, unknown>;
    expect(meta).toMatchObject({ version: "9.8.7", stack: "staging", gitSha: commit.sha, buildTime: commit.time.toISOString() });
  });

  it("logs a BACK-PH5 entry with each check, the smoke confirmations and the verdict", () => {
    const log = readFileSync(logFile, "utf8");
    expect(log).toContain("## BACK-PH5 — 9.8.7 on staging — NO-GO");
    expect(log).toContain(`- Commit: ${commit.sha}`);
    expect(log).toContain("- [x] GET /readyz (Readiness: database reachable, schema at this build's migration): HTTP 200, body matches its declared schema");
    expect(log).toContain("- [x] SIGTERM: graceful exit: exit code 0");
    expect(log).toMatch(/\| Migrations: lint, verify round trip, plan \| PASS \| .*verifyMs=\d+/);
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
    expect(readdirSync(outputRoot)).toEqual(["9.8.7"]);
  }, 240_000);
});

describe("reproducible artifact", () => {
  it("builds the same bytes twice", async () => {
    const a = await buildArchive(mkdtempSync(join(tmpdir(), "a-")), "1.0.0", commit.time);
    const b = await buildArchive(mkdtempSync(join(tmpdir(), "b-")), "1.0.0", commit.time);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.sha256).toBe(a.sha256);
  }, 120_000);
});
