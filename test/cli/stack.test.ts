/**
 * Issue 18: `--stack` means the same everywhere. One rule (--stack, else PULUMI_STACK, else the
 * stack the input names, else exit 2), one error when it is missing and one when it names no
 * stack of this repository, both listing the stacks (Pulumi.<stack>.yaml at the root).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { discoverStacks } from "../../config/stack-file";
import { fixtures, toDeployment } from "../policy/fixtures";
import { captureCli } from "../support/cli-capture";

let dir: string;
let emptyGraph: string;
let prodGraph: string;
const savedStack = process.env.PULUMI_STACK;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cli-stack-"));
  emptyGraph = join(dir, "empty.json");
  writeFileSync(emptyGraph, JSON.stringify({ version: 3, deployment: { manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "" }, resources: [] } }));
  prodGraph = join(dir, "prod.json");
  writeFileSync(prodGraph, JSON.stringify(toDeployment(Object.values(fixtures()), "prod")));
  delete process.env.PULUMI_STACK;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedStack !== undefined) process.env.PULUMI_STACK = savedStack;
});
afterEach(() => {
  delete process.env.PULUMI_STACK;
});

const cli = (args: string[], env: Record<string, string> = {}) => captureCli(args, { env });

const STACKS = discoverStacks();
const stacksLine = `the stacks of this repository are ${STACKS.join(", ")}`;
/** A version no package exists for, so the package cannot name the stack. */
const NO_PACKAGE = "9.9.7";

/**
 * Every command that takes a stack, without one. (`release` gets a version that is not semver:
 * the stack is checked first, so no release starts.)
 */
const WITHOUT_STACK: string[][] = [
  ["preview"],
  ["oncall", "coverage"],
  ["release", "--version", "not-semver"],
  ["policy", "--state", "EMPTY_GRAPH"],
  ["signoff", "sign", "--role", "security", "--key", "/nonexistent/key", "--version", NO_PACKAGE],
  ["signoff", "verify", "--version", NO_PACKAGE],
  ["verify-deploy", "--version", NO_PACKAGE],
];
const args = (a: string[]) => a.map((x) => (x === "EMPTY_GRAPH" ? emptyGraph : x));
const firstLine = (s: string) => s.split("\n")[0];

describe("--stack missing", () => {
  it("is the same error, listing the stacks, for every command", async () => {
    expect(STACKS.length).toBeGreaterThan(0);
    for (const cmd of WITHOUT_STACK) {
      const r = await cli(args(cmd));
      expect(r.code, cmd.join(" ")).toBe(2);
      expect(firstLine(r.stderr), cmd.join(" ")).toBe(`error: no stack: pass --stack <stack> or set PULUMI_STACK; ${stacksLine}`);
      expect(r.stdout, cmd.join(" ")).toBe("");
    }
  }, 120_000);
});

describe("--stack naming no stack of this repository", () => {
  it("is the same error, listing the stacks, for every command (migrate down included)", async () => {
    const commands = [...WITHOUT_STACK, ["migrate", "down", "--dry-run", "--database-url", "postgres://app@127.0.0.1:1/orders"]];
    for (const cmd of commands) {
      const r = await cli([...args(cmd), "--stack", "qa"]);
      expect(r.code, cmd.join(" ")).toBe(2);
      expect(r.stderr, cmd.join(" ")).toBe(`error: unknown stack "qa" (--stack): ${stacksLine} (a stack is a Pulumi.<stack>.yaml at the repository root)\n`);
    }
    for (const cmd of WITHOUT_STACK) {
      const r = await cli(args(cmd), { PULUMI_STACK: "qa" });
      expect(r.stderr, cmd.join(" ")).toBe(`error: unknown stack "qa" (PULUMI_STACK): ${stacksLine} (a stack is a Pulumi.<stack>.yaml at the repository root)\n`);
    }
  }, 120_000);
});

describe("where the stack comes from", () => {
  const coverage = ["oncall", "coverage", "--weeks", "1", "--from", "2025-03-10T00:00:00Z"];

  it("PULUMI_STACK, as pulumi reads it (org/stack and org/project/stack too); --stack wins over it", async () => {
    const [stack, other] = [STACKS[0]!, STACKS.at(-1)!];
    expect((await cli(coverage, { PULUMI_STACK: stack })).stdout).toContain(`On-call coverage of ${stack} `);
    expect((await cli(coverage, { PULUMI_STACK: `acme/${stack}` })).stdout).toContain(`On-call coverage of ${stack} `);
    expect((await cli(coverage, { PULUMI_STACK: `acme/backend-release/${stack}` })).stdout).toContain(`On-call coverage of ${stack} `);
    const foreign = await cli(coverage, { PULUMI_STACK: `acme/billing/${stack}` });
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/^error: stack "acme\/billing\/[^"]+" \(PULUMI_STACK\) is a stack of project "billing", not of backend-release/);
    expect((await cli([...coverage, "--stack", other], { PULUMI_STACK: stack })).stdout).toContain(`On-call coverage of ${other} `);
  }, 120_000);

  it("policy: the stack the state's URNs name; a state of another stack than the one given is refused", async () => {
    const named = await cli(["policy", "--state", prodGraph]);
    expect(named.code, named.stderr).toBe(0);
    expect(named.stdout).toMatch(/^### Policy report — prod\n/);
    const other = STACKS.find((s) => s !== "prod")!;
    for (const [extra, env, source] of [[["--stack", other], {}, "--stack"], [[], { PULUMI_STACK: other }, "PULUMI_STACK"]] as const) {
      const r = await cli(["policy", "--state", prodGraph, ...extra], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`error: ${prodGraph} is a graph of stack "prod" (its URNs), not of "${other}" (${source}): pass --stack prod, or the graph of ${other}\n`);
      expect(r.stdout).toBe("");
    }
  }, 120_000);

  it("migrate down never takes it from PULUMI_STACK: an ambient stack must not relax the down guard", async () => {
    const nonProduction = STACKS.find((s) => s !== "prod")!;
    const r = await cli(["migrate", "down", "--dry-run", "--database-url", "postgres://app@127.0.0.1:1/orders"], { PULUMI_STACK: nonProduction });
    expect(r.stderr).toContain("warning: the stack's tier is not stated");
    expect(r.stderr).toContain("could not connect to 127.0.0.1:1/orders");
  }, 60_000);
});
