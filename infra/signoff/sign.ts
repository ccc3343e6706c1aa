/**
 * Signing off a release: an SSH signature over the package's manifest.json, written to
 * `approvals/<role>-<principal>.sig`. Refuses
 * - a package that does not match its manifest (an approval covers only what could be checked);
 * - a principal the key does not belong to, or a role that principal does not hold, in the
 *   trusted allowed_signers (the manifest's commit by default, never the working tree);
 * - replacing an approval made with another key: nobody's approval is ever overwritten.
 * It holds the version's lock while it writes, so a release rebuilding the package at the same
 * time cannot drop the new approval.
 */
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { onInterrupt } from "../interrupt";
import { acquireLock, lockFileFor } from "../release/lock";
import { PRINCIPAL_PATTERN, SIGNOFF_ROLES, type AllowedSigner, type SignoffRole } from "./allowed-signers";
import { APPROVALS_DIR, verifyPackageFiles } from "./manifest";
import { publicKeyOf, signData } from "./ssh-keygen";
import { fingerprintOf, parseSshSignature } from "./sshsig";
import { atCommit, loadTrustedSigners, type SignersSource } from "./trust";

export class SignoffInputError extends Error {
  override readonly name = "SignoffInputError";
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export interface SignInput {
  packageDir: string;
  role: string;
  /** Private key file (or a .pub whose private half is in ssh-agent). */
  keyPath: string;
  /** Defaults to the allowed_signers principal that holds this key with this role. */
  principal?: string;
  /** Where allowed_signers comes from (default: the manifest's commit in this repository). */
  signers?: SignersSource;
  /** Shorthand for `signers: { kind: "file", path }`. */
  allowedSignersPath?: string;
  /** How long to wait for a release of this version that holds the lock (default: refuse at once). */
  waitLockMs?: number;
}

export interface SignResult {
  file: string;
  role: SignoffRole;
  principal: string;
  manifestSha256: string;
  /** The approval replaced one of the same key over an earlier manifest. */
  replaced: boolean;
}

export function approvalFileName(role: SignoffRole, principal: string): string {
  return `${APPROVALS_DIR}/${role}-${principal}.sig`;
}

/** The principal this key signs as in `role`: the one asked for (checked), or the only one listed. */
function resolvePrincipal(signers: AllowedSigner[], key: Buffer, keyPath: string, role: SignoffRole, source: string, asked?: string): string {
  const holders = signers.filter((s) => s.publicKey.equals(key));
  const fingerprint = fingerprintOf(key);
  if (asked !== undefined) {
    if (!PRINCIPAL_PATTERN.test(asked)) throw new SignoffInputError(`--principal must be an email-like principal, found "${asked}"`);
    const mine = holders.filter((s) => s.principal === asked);
    if (mine.length === 0) {
      const owners = [...new Set(holders.map((h) => h.principal))];
      throw new SignoffInputError(`key ${keyPath} (${fingerprint}) does not belong to ${asked} in ${source}${owners.length ? `: it is listed for ${owners.join(", ")}` : ": it is not listed at all"}`);
    }
    if (!mine.some((s) => s.roles.includes(role))) throw new SignoffInputError(`${asked} may not sign as ${role} in ${source} (listed for ${[...new Set(mine.flatMap((s) => s.roles))].join(", ")})`);
    return asked;
  }
  const withRole = [...new Set(holders.filter((s) => s.roles.includes(role)).map((s) => s.principal))];
  if (withRole.length === 1 && withRole[0]) return withRole[0];
  if (withRole.length > 1) throw new SignoffInputError(`key ${keyPath} is listed for ${role} under ${withRole.join(", ")}: pass --principal`);
  const others = holders.length > 0 ? ` (it is listed for ${[...new Set(holders.flatMap((h) => h.roles))].join(", ")})` : "";
  throw new SignoffInputError(`key ${keyPath} has no ${role} entry in ${source}${others}: a security lead adds it through a reviewed pull request`);
}

/** An approval already at the target: ours to replace only when the same key made it. */
function checkExisting(path: string, key: Buffer, file: string): boolean {
  let armored: string;
  try {
    armored = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  let existing: Buffer;
  try {
    existing = parseSshSignature(armored).publicKey;
  } catch {
    throw new SignoffInputError(`${file} exists and is not an SSH signature; refusing to replace it (inspect and remove it yourself)`);
  }
  if (!existing.equals(key)) throw new SignoffInputError(`${file} already holds an approval made with key ${fingerprintOf(existing)}; sign never replaces another key's approval (if it is wrong, its owner or the release manager removes it)`);
  return true;
}

/** Writes the approval whole: a new one is linked into place (fails if one appeared meanwhile), a same-key one replaced by rename. */
function writeApproval(path: string, signature: string, replace: boolean): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.sig.tmp`);
  writeFileSync(tmp, signature, { flag: "wx", mode: 0o644 });
  try {
    if (replace) renameSync(tmp, path);
    else linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new SignoffInputError(`${path} appeared while signing; run the command again to see whose it is`);
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

export async function signManifest(input: SignInput): Promise<SignResult> {
  if (!(SIGNOFF_ROLES as readonly string[]).includes(input.role)) throw new SignoffInputError(`--role must be one of ${SIGNOFF_ROLES.join(", ")}, found "${input.role}"`);
  const role = input.role as SignoffRole;
  const lock = await acquireLock(lockFileFor(dirname(input.packageDir)), { command: `signoff sign --role ${role}`, waitMs: input.waitLockMs ?? 0 });
  const unregister = onInterrupt(() => lock.release());
  try {
    const pkg = verifyPackageFiles(input.packageDir);
    if (!pkg.ok || !pkg.manifest) throw new SignoffInputError(`refusing to sign ${input.packageDir}: the package does not match its manifest`, pkg.problems.map((p) => p.message));
    const source = input.signers ?? (input.allowedSignersPath ? { kind: "file" as const, path: input.allowedSignersPath } : atCommit(pkg.manifest.manifest.gitSha));
    const trusted = loadTrustedSigners(source);
    const [, keyData] = (await publicKeyOf(input.keyPath)).split(" ");
    const key = Buffer.from(keyData ?? "", "base64");
    const principal = resolvePrincipal(trusted.signers, key, input.keyPath, role, trusted.source, input.principal);

    const file = approvalFileName(role, principal);
    const path = join(input.packageDir, file);
    mkdirSync(join(input.packageDir, APPROVALS_DIR), { recursive: true });
    const replaced = checkExisting(path, key, file);
    const signature = await signData(input.keyPath, pkg.manifest.bytes);
    // The signature must be by the key we checked (a .pub path signs with the agent's matching key).
    if (!parseSshSignature(signature).publicKey.equals(key)) throw new SignoffInputError(`ssh-keygen signed with another key than ${input.keyPath}`);
    writeApproval(path, signature, replaced);
    return { file, role, principal, manifestSha256: pkg.manifest.sha256, replaced };
  } finally {
    unregister();
    lock.release();
  }
}
