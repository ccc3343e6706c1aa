/**
 * The one place ssh-keygen runs. Signing and the cryptographic verdict are OpenSSH's own
 * (`ssh-keygen -Y sign|verify`, the code git uses for SSH-signed commits), never re-implemented.
 * Data goes through stdin so nothing is written beside the signed file.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSshTime } from "./allowed-signers";

export const SSH_KEYGEN = process.env.SSH_KEYGEN ?? "ssh-keygen";
/** The namespace every sign-off is made in; a signature made for git or files does not count. */
export const SIGNOFF_NAMESPACE = "backend-release-signoff";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class SshKeygenError extends Error {
  override readonly name = "SshKeygenError";
}

export function runSshKeygen(args: string[], input?: Buffer): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSH_KEYGEN, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new SshKeygenError(`cannot run ${SSH_KEYGEN}: ${e.message} (install OpenSSH 8.9 or later)`)));
    child.on("close", (code) => resolve({ code: code ?? 255, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
    child.stdin.on("error", () => undefined); // ssh-keygen may exit before reading everything
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** The armored signature of `data` by the private key at `keyPath` (or the agent's, given a .pub). */
export async function signData(keyPath: string, data: Buffer, namespace = SIGNOFF_NAMESPACE): Promise<string> {
  const r = await runSshKeygen(["-Y", "sign", "-q", "-n", namespace, "-f", keyPath], data);
  if (r.code !== 0 || !r.stdout.includes("BEGIN SSH SIGNATURE")) throw new SshKeygenError(`ssh-keygen could not sign with ${keyPath}: ${lastLine(r.stderr) || `exit ${r.code}`}`);
  return r.stdout;
}

/** The public key line (`<type> <base64>`) for a key file: its `.pub` if present, else derived. */
export async function publicKeyOf(keyPath: string): Promise<string> {
  const pub = keyPath.endsWith(".pub") ? keyPath : `${keyPath}.pub`;
  if (existsSync(pub)) return firstTwo(readFileSync(pub, "utf8"));
  const r = await runSshKeygen(["-y", "-f", keyPath]);
  if (r.code !== 0) throw new SshKeygenError(`cannot read the public key of ${keyPath}: ${lastLine(r.stderr) || `exit ${r.code}`}`);
  return firstTwo(r.stdout);
}

export interface VerifyInput {
  allowedSigners: string;
  principal: string;
  signature: string;
  data: Buffer;
  at: Date;
  namespace?: string;
}

/**
 * `ssh-keygen -Y verify` at a fixed time; ok only on exit 0. `message` is ssh-keygen's reason.
 * Synchronous: the archive runs it inside the Pulumi program, where nothing can be awaited.
 */
export function verifyDataSync(input: VerifyInput): { ok: boolean; message: string } {
  const dir = mkdtempSync(join(tmpdir(), "signoff-"));
  try {
    const sigFile = join(dir, "sig");
    writeFileSync(sigFile, input.signature, { mode: 0o600 });
    const r = spawnSync(
      SSH_KEYGEN,
      ["-Y", "verify", "-f", input.allowedSigners, "-I", input.principal, "-n", input.namespace ?? SIGNOFF_NAMESPACE, "-s", sigFile, `-Overify-time=${formatSshTime(input.at)}`],
      { input: input.data, encoding: "utf8", maxBuffer: 4 * 2 ** 20 },
    );
    if (r.error) throw new SshKeygenError(`cannot run ${SSH_KEYGEN}: ${r.error.message} (install OpenSSH 8.9 or later)`);
    const code = r.status ?? 255;
    return { ok: code === 0, message: lastLine(code === 0 ? r.stdout : r.stderr) || `exit ${code}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function verifyData(input: VerifyInput): Promise<{ ok: boolean; message: string }> {
  return verifyDataSync(input);
}

function firstTwo(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

function lastLine(text: string): string {
  return text.trim().split(/\r?\n/).filter(Boolean).pop() ?? "";
}
