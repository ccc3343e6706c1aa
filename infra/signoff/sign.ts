/**
 * Signing off a release: an SSH signature over the package's manifest.json, written to
 * `approvals/<role>-<principal>.sig`. Refuses to sign a package that does not match its
 * manifest: an approval must only ever cover what the approver could check.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_ALLOWED_SIGNERS, PRINCIPAL_PATTERN, readAllowedSigners, SIGNOFF_ROLES, type SignoffRole } from "./allowed-signers";
import { APPROVALS_DIR, verifyPackageFiles } from "./manifest";
import { publicKeyOf, signData } from "./ssh-keygen";

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
  allowedSignersPath?: string;
}

export interface SignResult {
  file: string;
  role: SignoffRole;
  principal: string;
  manifestSha256: string;
}

export function approvalFileName(role: SignoffRole, principal: string): string {
  return `${APPROVALS_DIR}/${role}-${principal}.sig`;
}

export async function signManifest(input: SignInput): Promise<SignResult> {
  if (!(SIGNOFF_ROLES as readonly string[]).includes(input.role)) throw new SignoffInputError(`--role must be one of ${SIGNOFF_ROLES.join(", ")}, found "${input.role}"`);
  const role = input.role as SignoffRole;
  const pkg = verifyPackageFiles(input.packageDir);
  if (!pkg.ok || !pkg.manifest) throw new SignoffInputError(`refusing to sign ${input.packageDir}: the package does not match its manifest`, pkg.problems.map((p) => p.message));

  const principal = input.principal ?? (await principalFor(input.keyPath, role, input.allowedSignersPath ?? DEFAULT_ALLOWED_SIGNERS));
  if (!PRINCIPAL_PATTERN.test(principal)) throw new SignoffInputError(`--principal must be an email-like principal, found "${principal}"`);
  const signature = await signData(input.keyPath, pkg.manifest.bytes);
  const file = approvalFileName(role, principal);
  mkdirSync(join(input.packageDir, APPROVALS_DIR), { recursive: true });
  writeFileSync(join(input.packageDir, file), signature);
  return { file, role, principal, manifestSha256: pkg.manifest.sha256 };
}

/** The single principal that holds this key with this role in allowed_signers. */
async function principalFor(keyPath: string, role: SignoffRole, allowedSignersPath: string): Promise<string> {
  const [, keyData] = (await publicKeyOf(keyPath)).split(" ");
  const key = Buffer.from(keyData ?? "", "base64");
  const holders = readAllowedSigners(allowedSignersPath).filter((s) => s.publicKey.equals(key));
  const withRole = [...new Set(holders.filter((s) => s.roles.includes(role)).map((s) => s.principal))];
  if (withRole.length === 1 && withRole[0]) return withRole[0];
  if (withRole.length > 1) throw new SignoffInputError(`key ${keyPath} is listed for ${role} under ${withRole.join(", ")}: pass --principal`);
  const others = holders.length > 0 ? ` (it is listed for ${[...new Set(holders.flatMap((h) => h.roles))].join(", ")})` : "";
  throw new SignoffInputError(`key ${keyPath} has no ${role} entry in ${allowedSignersPath}${others}: add it there, or pass --principal`);
}
