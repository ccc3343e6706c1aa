/**
 * The command-line contract (issue 16): 0 ok, 1 blocking finding, 2 bad input, 70 internal error,
 * each with a one-line reason (a stack trace only with --verbose), listed by --help; `--out`
 * writes regular files only, creates missing directories, `-` is stdout; versions are semver.
 */
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EXIT_INTERNAL, InputError } from "../../infra/cli/errors";
import { exitCodeFor, main } from "../../infra/cli/main";
import { writeOutput } from "../../infra/cli/output";
import { signManifest } from "../../infra/signoff/sign";
import { allowedSigners, makeKey, makePackage } from "../signoff/fixtures";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "cli-contract-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const log = vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(" ")}\n`));
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    log.mockRestore();
  }
}

describe("exit codes", () => {
  it("--help lists them, for the program and every command", async () => {
    for (const args of [["--help"], ["release", "--help"], ["signoff", "verify", "--help"], ["verify-deploy", "--help"]]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/Exit codes:\n {2}0 +success[^\n]*\n {2}1 +blocking finding[^\n]*\n {2}2 +bad usage or bad input[^\n]*\n {2}3 +busy[^\n]*\n {2}70 +internal error[^\n]*\n {2}130 +interrupted/);
    }
  });

  it("an internal error is 70 with one line; the stack trace only with --verbose", async () => {
    // A crash nobody anticipated: the package's manifest.json is a directory.
    const pkg = join(root, "broken-package");
    mkdirSync(join(pkg, "manifest.json"), { recursive: true });
    const args = ["signoff", "verify", "--version", "1.4.0", "--stack", "prod", "--package", pkg];
    const quiet = await cli(args);
    expect(quiet.code).toBe(EXIT_INTERNAL);
    expect(quiet.stderr).toBe("internal error: Error: EISDIR: illegal operation on a directory, read (run with --verbose for the stack trace)\n");
    const verbose = await cli(["--verbose", ...args]);
    expect(verbose.code).toBe(EXIT_INTERNAL);
    expect(verbose.stderr).toMatch(/^internal error: Error: EISDIR[^\n]*\nError: EISDIR[^\n]*\n {4}at /);
    // The mapping itself: an unexpected throw is never taken for a finding.
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(exitCodeFor(new TypeError("x is undefined"))).toBe(70);
      expect(exitCodeFor(new InputError("bad"))).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });

  it("a malformed --database-url is bad input, and the message never repeats the value", async () => {
    for (const url of ["not a url", "postgres://u:s3cret@host:notaport/db", "http://u:s3cret@example.com/db"]) {
      const r = await cli(["migrate", "status", "--database-url", url]);
      expect(r.code, url).toBe(2);
      expect(r.stderr).toMatch(/^error: --database-url [^\n]+\n$/);
      expect(r.stderr).not.toContain("s3cret");
    }
  });

  it("verify-deploy without AWS credentials is bad input with how to fix it, not a crash", async () => {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const dir = makePackage(join(root, "pkg"), { gitSha: head }).dir;
    const keys = ["ann", "sam", "olu"].map((n) => makeKey(root, n));
    const allowed = allowedSigners(join(root, "allowed_signers"), ["architecture", "security", "operations"].map((role, i) => ({ principal: `${role}@example.com`, key: keys[i]!, roles: [role] })));
    for (const [i, role] of ["architecture", "security", "operations"].entries()) await signManifest({ packageDir: dir, role, keyPath: keys[i]!.path, allowedSignersPath: allowed });
    const saved = { ...process.env };
    for (const k of Object.keys(process.env).filter((k) => k.startsWith("AWS_") || k === "GITHUB_SHA" || k === "RELEASE_GIT_SHA")) delete process.env[k];
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: join(root, "none"), AWS_SHARED_CREDENTIALS_FILE: join(root, "none") });
    try {
      const r = await cli(["verify-deploy", "--stack", "prod", "--version", "1.4.0", "--package", dir, "--allowed-signers", allowed, "--region", "eu-central-1"]);
      expect(r.code).toBe(2);
      // (The AWS SDK may print its own Node.js version warning first.)
      expect(r.stderr.split("\n").filter((l) => l.startsWith("error:") || l.startsWith("internal error:"))).toEqual([expect.stringMatching(/^error: no AWS credentials for verify-deploy: set AWS_PROFILE/)]);
    } finally {
      process.env = saved;
    }
  }, 60_000);

  it("a version that is not semver is bad input before any work", async () => {
    for (const args of [["release", "--stack", "staging", "--version", "banana"], ["signoff", "verify", "--version", "1.4"], ["verify-deploy", "--stack", "prod", "--version", "latest"]]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^error: --version "[^"]+" is not a semantic version: use MAJOR\.MINOR\.PATCH/);
    }
  });
});

describe("--out", () => {
  it("writes a regular file, creating missing directories; - is stdout", () => {
    const target = join(root, "a", "b", "c", "report.json");
    writeOutput(target, "{}\n");
    expect(readFileSync(target, "utf8")).toBe("{}\n");
    writeOutput(target, "[]\n");
    expect(readFileSync(target, "utf8")).toBe("[]\n");
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      writeOutput("-", "to stdout\n");
      expect(spy).toHaveBeenCalledWith("to stdout\n");
    } finally {
      spy.mockRestore();
    }
  });

  it("never replaces a symbolic link, a directory or a named pipe, and leaves no temp file", () => {
    const dir = join(root, "targets");
    mkdirSync(join(dir, "a-directory"), { recursive: true });
    writeFileSync(join(dir, "elsewhere.json"), "untouched\n");
    symlinkSync(join(dir, "elsewhere.json"), join(dir, "link.json"));
    execFileSync("mkfifo", [join(dir, "pipe")]);
    expect(() => writeOutput(join(dir, "link.json"), "x")).toThrow(/link\.json is a symbolic link; write to a regular file/);
    expect(() => writeOutput(join(dir, "a-directory"), "x")).toThrow(/a-directory is a directory/);
    expect(() => writeOutput(join(dir, "pipe"), "x")).toThrow(/pipe is a named pipe/);
    expect(() => writeOutput(join(dir, "elsewhere.json", "below.json"), "x")).toThrow(/elsewhere\.json is a regular file, not a directory/);
    expect(lstatSync(join(dir, "link.json")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "link.json"))).toBe(join(dir, "elsewhere.json"));
    expect(readFileSync(join(dir, "elsewhere.json"), "utf8")).toBe("untouched\n");
    expect(lstatSync(join(dir, "pipe")).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(["a-directory", "elsewhere.json", "link.json", "pipe"]);
  });

  it("preview refuses a symbolic link before recording anything; policy creates a missing directory", async () => {
    const link = join(root, "graph-link.json");
    symlinkSync(join(root, "graph-target.json"), link);
    const refused = await cli(["preview", "--stack", "staging", "--out", link]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`error: --out ${link} is a symbolic link; write to a regular file (or - for stdout)\n`);
    expect(existsSync(join(root, "graph-target.json"))).toBe(false);

    const graph = join(root, "empty-graph.json");
    writeFileSync(graph, JSON.stringify({ version: 3, deployment: { manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "" }, resources: [] } }));
    const out = join(root, "reports", "new", "policy.json");
    // An empty graph names no stack: --stack says whose policy config applies.
    const r = await cli(["policy", "--state", graph, "--stack", "staging", "--format", "json", "--out", out]);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(out, "utf8"))).toMatchObject({ violations: [], summary: { mandatory: 0 } });
  }, 120_000);
});
