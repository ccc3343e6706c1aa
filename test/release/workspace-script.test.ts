/**
 * A workspace's package.json script run as `npm run -w <workspace> <name>` runs it (the release's
 * API check), without the npm CLI (issue 19: its start cost the release about a second): pre/post
 * scripts, the workspace directory, node_modules/.bin on PATH, the exit code and the output;
 * interrupted, the whole process group is stopped.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { contractFreshness } from "../../infra/release/api-step";
import { runWorkspaceScript } from "../../infra/release/workspace-script";

const root = mkdtempSync(join(tmpdir(), "workspace-script-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function workspace(scripts: Record<string, string>): { repo: string; ws: string } {
  const repo = mkdtempSync(join(root, "repo-"));
  mkdirSync(join(repo, "svc"), { recursive: true });
  writeFileSync(join(repo, "package.json"), JSON.stringify({ name: "fixture", private: true, workspaces: ["svc"] }));
  writeFileSync(join(repo, "svc", "package.json"), JSON.stringify({ name: "svc", version: "2.3.4", scripts }));
  return { repo, ws: join(repo, "svc") };
}

/** A tool installed in the root's node_modules/.bin, as npm links package binaries. */
function binary(repo: string, name: string, body: string): void {
  mkdirSync(join(repo, "node_modules", ".bin"), { recursive: true });
  writeFileSync(join(repo, "node_modules", ".bin", name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(repo, "node_modules", ".bin", name), 0o755);
}

describe("runWorkspaceScript", () => {
  it("does what npm run -w does: pre, the script, post, in the workspace, with the installed binaries and npm's variables", async () => {
    const { repo, ws } = workspace({
      "precheck": "echo pre >> order.txt",
      check: 'greet && echo "$npm_lifecycle_event $npm_package_name@$npm_package_version $(basename "$PWD")" && echo main >> order.txt',
      "postcheck": "echo post >> order.txt",
    });
    binary(repo, "greet", "echo hello from the root .bin");
    const run = await runWorkspaceScript(repo, "svc", "check");
    expect(run).toMatchObject({ code: 0, stdout: "hello from the root .bin\ncheck svc@2.3.4 svc\n" });
    expect(run.failed).toBeUndefined();
    expect(readFileSync(join(ws, "order.txt"), "utf8")).toBe("pre\nmain\npost\n");
    // The same as npm itself says.
    rmSync(join(ws, "order.txt"));
    const npm = execFileSync("npm", ["run", "-s", "-w", "svc", "check"], { cwd: repo, encoding: "utf8" });
    expect(npm).toBe(run.stdout);
    expect(readFileSync(join(ws, "order.txt"), "utf8")).toBe("pre\nmain\npost\n");
  }, 60_000);

  it("returns the exit code, the output and which script failed, and runs nothing after it", async () => {
    const { repo, ws } = workspace({ check: "echo stale >&2; echo 'svc/openapi.json does not match the routes'; exit 3", postcheck: "touch post-ran" });
    const run = await runWorkspaceScript(repo, "svc", "check");
    expect(run).toMatchObject({ code: 3, failed: "check", stdout: "svc/openapi.json does not match the routes\n", stderr: "stale\n" });
    expect(existsSync(join(ws, "post-ran"))).toBe(false);
  });

  it("names the workspace when the script is not there", async () => {
    const { repo } = workspace({});
    await expect(runWorkspaceScript(repo, "svc", "openapi:check")).rejects.toThrow('svc/package.json has no "openapi:check" script');
  });

  it("stops the script's whole process group on interrupt and waits until it is gone", async () => {
    const { repo, ws } = workspace({ check: "sh -c 'echo $$ > grandchild.pid; sleep 60' & wait" });
    let cleanup: (() => Promise<void>) | undefined;
    const running = runWorkspaceScript(repo, "svc", "check", {
      onInterrupt: (c) => {
        cleanup = c;
        return () => (cleanup = undefined);
      },
    });
    const deadline = Date.now() + 10_000;
    while (!existsSync(join(ws, "grandchild.pid")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(join(ws, "grandchild.pid"), "utf8"));
    expect(cleanup).toBeDefined();
    await cleanup!();
    // Gone, or a zombie nobody reaps (its parent was killed too): either way it no longer runs.
    const state = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] : "gone";
    expect(["gone", "Z", "X"]).toContain(state);
    expect((await running).code).not.toBe(0);
    expect(cleanup).toBeUndefined();
  });

  it("is how the release's API check runs openapi:check: the npm CLI is never started", async () => {
    const { repo, ws } = workspace({ "openapi:check": "test -f openapi.json && echo fresh" });
    writeFileSync(join(ws, "openapi.json"), "{}\n");
    // An npm first on PATH that would say so.
    const fake = mkdtempSync(join(root, "bin-"));
    writeFileSync(join(fake, "npm"), `#!/bin/sh\ntouch ${join(fake, "npm-started")}\nexit 1\n`);
    chmodSync(join(fake, "npm"), 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${fake}:${saved ?? ""}`;
    try {
      expect(await contractFreshness({ workspace: "svc", file: "svc/openapi.json" }, repo)).toBeUndefined();
      rmSync(join(ws, "openapi.json"));
      expect(await contractFreshness({ workspace: "svc", file: "svc/openapi.json" }, repo)).toBe("svc/openapi.json: openapi:check exited with code 1");
    } finally {
      process.env.PATH = saved;
    }
    expect(existsSync(join(fake, "npm-started"))).toBe(false);
  });
});
