/**
 * Runs a workspace's package.json script as `npm run -w <workspace> <name>` does — its `pre` and
 * `post` scripts around it, in the workspace directory, through `sh -c`, with the workspace's and
 * the root's node_modules/.bin first on PATH and npm's lifecycle variables — without starting the
 * npm CLI, which costs about a second of CPU on every run (the release's API check paid it).
 *
 * The script runs in its own process group, so an interrupt stops all of it (a tsx script is
 * three processes deep), and the interrupt's cleanup waits until it is gone.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface ScriptRun {
  /** 0 when every script of the chain exited 0. */
  code: number;
  stdout: string;
  stderr: string;
  /** The script that failed (`pre<name>`, `<name>` or `post<name>`), when one did. */
  failed?: string;
}

export interface ScriptOptions {
  /** Registers a cleanup for an interrupt; returns its unregister. */
  onInterrupt?: (cleanup: () => Promise<void>) => () => void;
}

interface WorkspacePackage {
  name?: string;
  version?: string;
  scripts?: Record<string, string>;
}

function runOne(command: string, event: string, cwd: string, env: NodeJS.ProcessEnv, options: ScriptOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env: { ...env, npm_lifecycle_event: event, npm_lifecycle_script: command }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    const closed = new Promise<void>((r) => child.once("close", () => r()));
    const unregister = options.onInterrupt?.(async () => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group is already gone
      }
      await closed;
    });
    child.once("error", (err) => {
      unregister?.();
      reject(err);
    });
    child.once("close", (code, signal) => {
      unregister?.();
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs `pre<name>`, `<name>`, `post<name>` of `<root>/<workspace>/package.json`, stopping at the first that fails. */
export async function runWorkspaceScript(root: string, workspace: string, name: string, options: ScriptOptions = {}): Promise<ScriptRun> {
  const dir = join(root, workspace);
  const packageJson = join(dir, "package.json");
  const pkg = JSON.parse(readFileSync(packageJson, "utf8")) as WorkspacePackage;
  const scripts = pkg.scripts ?? {};
  if (scripts[name] === undefined) throw new Error(`${workspace}/package.json has no "${name}" script`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [join(dir, "node_modules", ".bin"), join(root, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter),
    npm_package_json: packageJson,
    ...(pkg.name ? { npm_package_name: pkg.name } : {}),
    ...(pkg.version ? { npm_package_version: pkg.version } : {}),
    npm_node_execpath: process.execPath,
  };
  const out: ScriptRun = { code: 0, stdout: "", stderr: "" };
  for (const event of [`pre${name}`, name, `post${name}`]) {
    const command = scripts[event];
    if (command === undefined) continue;
    const run = await runOne(command, event, dir, env, options);
    out.stdout += run.stdout;
    out.stderr += run.stderr;
    if (run.code !== 0) return { ...out, code: run.code, failed: event };
  }
  return out;
}
