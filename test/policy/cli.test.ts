/** The `policy` command's exit codes and JSON contract, run as a user runs it. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtures, toDeployment } from "./fixtures";

const MAIN = join(__dirname, "..", "..", "infra", "cli", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "policy-cli-"));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  // A wide bound: the command starts both packs, which takes long on a loaded 2-core machine.
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, "policy", ...args], { encoding: "utf8", timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm run cli -- policy", () => {
  it("exits 1 on a broken graph and prints the JSON contract", () => {
    const fs = fixtures();
    fs.repository = { ...fs.repository!, props: { ...fs.repository!.props, imageTagMutability: "MUTABLE" } };
    const file = join(dir, "broken.json");
    writeFileSync(file, JSON.stringify(toDeployment(Object.values(fs), "prod")));
    const r = cli("--state", file, "--stack", "prod", "--format", "json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      violations: [
        {
          policyPack: "backend-release-sec-ops",
          policy: "SEC-ECR-01-immutable-tags",
          urn: "urn:pulumi:prod::backend-release::aws:ecr/repository:Repository::api-repo",
          type: "aws:ecr/repository:Repository",
          enforcementLevel: "mandatory",
          severity: "high",
          controls: ["FSBP:ECR.2"],
          message: "Repository 'api-repo' image tags are mutable: set imageTagMutability to 'IMMUTABLE'.",
        },
      ],
      summary: { mandatory: 1, advisory: 0 },
    });
    expect(r.stderr).toContain("1 mandatory policy violation(s)");
  }, 250_000);

  it("exits 2 with a reason on a malformed input file", () => {
    const file = join(dir, "malformed.json");
    writeFileSync(file, '{"version": 3, "deployment": ');
    const r = cli("--state", file, "--format", "json");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/malformed\.json is not valid JSON/);
  });

  it("exits 2 for a stack that is not one of this repository's", () => {
    const file = join(dir, "ok.json");
    writeFileSync(file, JSON.stringify(toDeployment(Object.values(fixtures()))));
    const r = cli("--state", file, "--stack", "nope");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown stack "nope" \(--stack\): the stacks of this repository are /);
  });
});
