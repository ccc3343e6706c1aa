/** The `policy` command's exit codes and JSON contract, run as a user runs it. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtures, toDeployment } from "./fixtures";

const MAIN = join(__dirname, "..", "..", "infra", "cli", "main.ts");
const dir = mkdtempSync(join(tmpdir(), "policy-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

  it("writes every format from one evaluation with --report, nothing on stdout", () => {
    const fs = fixtures();
    fs.repository = { ...fs.repository!, props: { ...fs.repository!.props, imageTagMutability: "MUTABLE" } };
    const file = join(dir, "broken-reports.json");
    writeFileSync(file, JSON.stringify(toDeployment(Object.values(fs), "prod")));
    const out = (ext: string) => join(dir, "reports", `policy.${ext}`);
    const r = cli("--state", file, "--stack", "prod", "--report", `md=${out("md")}`, "--report", `json=${out("json")}`, "--report", `sarif=${out("sarif")}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    // One evaluation: the progress names it once.
    expect(r.stderr.match(/^› evaluating \d+ resources/gm)).toHaveLength(1);
    const json = JSON.parse(readFileSync(out("json"), "utf8")) as { violations: { policy: string }[] };
    expect(json.violations.map((v) => v.policy)).toEqual(["SEC-ECR-01-immutable-tags"]);
    const sarif = JSON.parse(readFileSync(out("sarif"), "utf8")) as { version: string; runs: { results: { ruleId: string }[] }[] };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs.flatMap((run) => run.results.map((x) => x.ruleId))).toEqual(["SEC-ECR-01-immutable-tags"]);
    expect(readFileSync(out("md"), "utf8")).toContain("`SEC-ECR-01-immutable-tags`");
  }, 250_000);

  it("exits 2 on a --report that names no format, the same file twice, its input or stdout twice, before evaluating", () => {
    const file = join(dir, "ok-reports.json");
    writeFileSync(file, JSON.stringify(toDeployment(Object.values(fixtures()), "prod")));
    const bad = cli("--state", file, "--stack", "prod", "--report", "html=x.html");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--report html=x.html: expected <format>=<file> with format one of md, json, sarif");
    const twice = cli("--state", file, "--stack", "prod", "--report", `md=${join(dir, "same")}`, "--report", `json=${join(dir, "same")}`);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`error: --report md= and --report json= both write ${join(dir, "same")}: give each output its own file`);
    expect(twice.stderr).not.toMatch(/evaluating/);
    const overInput = cli("--state", file, "--stack", "prod", "--report", `json=${file}`);
    expect(overInput.code).toBe(2);
    expect(overInput.stderr).toContain(`error: --report json= ${file} is the --state input of this run: write the output elsewhere`);
    const twoStdout = cli("--state", file, "--stack", "prod", "--out", "-", "--report", "sarif=-");
    expect(twoStdout.code).toBe(2);
    expect(twoStdout.stderr).toContain("error: --out and --report sarif= both write to stdout: send one of them to a file");
  });

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
