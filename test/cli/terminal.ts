/**
 * Runs the CLI the way people and CI run it: on a pseudo-terminal (Python's pty module, which
 * every CI image has; it can press Ctrl-C once some output appeared, a SIGINT to the foreground
 * process group from the terminal's line discipline, as a person would) or with pipes.
 */
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");
const MAIN = join(ROOT, "infra", "cli", "main.ts");

/** The CLI's own environment: no CI, colour or stack variables from the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || ["NO_COLOR", "FORCE_COLOR", "CI", "GITHUB_ACTIONS", "PULUMI_STACK", "TERM"].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

const PTY = `
import base64, json, os, pty, select, sys, termios, time
cfg = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(cfg["cwd"])
    os.execvpe(cfg["argv"][0], cfg["argv"], cfg["env"])
termios.tcsetwinsize(fd, (40, 200))
out, sent, deadline = b"", False, time.time() + cfg["timeout"]
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and cfg.get("interruptOn") and cfg["interruptOn"].encode() in out:
        os.write(fd, b"\\x03")
        sent = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "output": base64.b64encode(out).decode()}))
`;

export interface Run {
  status: number | null;
  /** On a terminal: stdout and stderr as the terminal received them. */
  output: string;
}

/** The CLI (TypeScript sources, through tsx) on a 200-column pseudo-terminal. */
export function onTerminal(args: string[], env: Record<string, string>, opts: { interruptOn?: string; timeoutS?: number } = {}): Run {
  const cfg = { argv: [process.execPath, "--import", "tsx", MAIN, ...args], env, cwd: ROOT, timeout: opts.timeoutS ?? 120, interruptOn: opts.interruptOn };
  const r = spawnSync("python3", ["-c", PTY, JSON.stringify(cfg)], { encoding: "utf8", timeout: (cfg.timeout + 30) * 1000 });
  if (r.status !== 0) throw new Error(`python3 pty runner failed (${r.error?.message ?? r.status}): ${r.stderr}`);
  const res = JSON.parse(r.stdout) as { status: number; output: string };
  return { status: res.status, output: Buffer.from(res.output, "base64").toString("utf8") };
}

/** The CLI with stdout and stderr on pipes (as in CI). */
export function withPipes(args: string[], env: Record<string, string>, timeoutS = 120): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutS * 1000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
