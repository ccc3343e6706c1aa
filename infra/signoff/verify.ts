/**
 * The sign-off verdict of a release package: the package matches its manifest, and each
 * required role has enough valid SSH signatures over that manifest.
 *
 * Each signature is first explained against config/allowed_signers (namespace, key, principal,
 * role, validity window) so a refusal says why; then `ssh-keygen -Y verify` gives the
 * cryptographic verdict, so nothing counts that OpenSSH would not accept.
 */
import { readFileSync } from "node:fs";
import type { StackConfig } from "../../config/schema";
import { DEFAULT_ALLOWED_SIGNERS, matchesPatternList, readAllowedSigners, SIGNOFF_ROLES, type AllowedSigner, type SignoffRole } from "./allowed-signers";
import { APPROVALS_DIR, toAbsolute, verifyPackageFiles, walkPackage, type PackageProblem } from "./manifest";
import { SIGNOFF_NAMESPACE, verifyData } from "./ssh-keygen";
import { parseSshSignature, SshSignatureFormatError } from "./sshsig";

export type RejectionCode =
  | "bad-file-name"
  | "malformed"
  | "wrong-namespace"
  | "unknown-key"
  | "principal-mismatch"
  | "role-not-granted"
  | "namespace-not-allowed"
  | "not-yet-valid"
  | "expired"
  | "manifest-mismatch"
  | "refused-by-ssh-keygen"
  | "duplicate";

export interface SignatureCheck {
  /** Package path, e.g. `approvals/security-dana@example.com.sig`. */
  file: string;
  role?: SignoffRole;
  principal?: string;
  fingerprint?: string;
  valid: boolean;
  /** Set when the signature counts for nothing. */
  code?: RejectionCode;
  reason: string;
}

export interface RoleStatus {
  role: SignoffRole;
  required: number;
  valid: number;
  satisfied: boolean;
  /** Principals whose signature counted. */
  signers: string[];
  /** Why signatures for this role were refused. */
  refused: string[];
}

export interface SignoffReport {
  packageDir: string;
  stack: string;
  version?: string;
  /** sha256 of the manifest.json bytes that were checked. */
  manifestSha256?: string;
  package: { ok: boolean; problems: PackageProblem[] };
  signatures: SignatureCheck[];
  roles: RoleStatus[];
  /** GO: the package matches its manifest and every required role is satisfied. */
  go: boolean;
  /** Why not GO (empty when go). */
  reasons: string[];
}

export interface VerifySignoffsInput {
  packageDir: string;
  stack: string;
  cfg: Pick<StackConfig, "signoff">;
  /** Expected release version; checked against the manifest when given. */
  version?: string;
  allowedSignersPath?: string;
  /** The moment validity windows are judged at (default: now). */
  now?: Date;
}

const FILE_NAME = new RegExp(`^${APPROVALS_DIR}/(${SIGNOFF_ROLES.join("|")})-([^/]+)\\.sig$`);

type Explained = { ok: true; role: SignoffRole; principal: string; fingerprint: string; signature: string } | { ok: false; check: SignatureCheck };

/** Everything we can say about one approval file without cryptography. */
function explain(file: string, armored: string, signers: AllowedSigner[], now: Date): Explained {
  const reject = (code: RejectionCode, reason: string, extra: Partial<SignatureCheck> = {}): Explained => ({ ok: false, check: { file, valid: false, code, reason, ...extra } });
  const name = FILE_NAME.exec(file);
  if (!name?.[1] || !name[2]) return reject("bad-file-name", `not an approval: expected ${APPROVALS_DIR}/<${SIGNOFF_ROLES.join("|")}>-<principal>.sig`);
  const role = name[1] as SignoffRole;
  const principal = name[2];
  let env;
  try {
    env = parseSshSignature(armored);
  } catch (err) {
    if (err instanceof SshSignatureFormatError) return reject("malformed", `not an SSH signature: ${err.message}`, { role, principal });
    throw err;
  }
  const who = { role, principal, fingerprint: env.fingerprint };
  if (env.namespace !== SIGNOFF_NAMESPACE) return reject("wrong-namespace", `signed in namespace "${env.namespace}", sign-offs use "${SIGNOFF_NAMESPACE}"`, who);
  const byKey = signers.filter((s) => s.publicKey.equals(env.publicKey));
  if (byKey.length === 0) return reject("unknown-key", `key ${env.fingerprint} (${env.keyType}) is not in allowed_signers`, who);
  const mine = byKey.filter((s) => s.principal === principal);
  if (mine.length === 0) return reject("principal-mismatch", `key ${env.fingerprint} belongs to ${[...new Set(byKey.map((s) => s.principal))].join(", ")}, not ${principal}`, who);
  const withRole = mine.filter((s) => s.roles.includes(role));
  if (withRole.length === 0) return reject("role-not-granted", `${principal} may sign as ${[...new Set(mine.flatMap((s) => s.roles))].join(", ")}, not ${role} (allowed_signers line ${mine[0]?.line})`, who);
  const inNamespace = withRole.filter((s) => !s.namespaces || matchesPatternList(SIGNOFF_NAMESPACE, s.namespaces));
  if (inNamespace.length === 0) return reject("namespace-not-allowed", `allowed_signers line ${withRole[0]?.line} limits this key to namespaces "${withRole[0]?.namespaces?.join(",")}"`, who);
  const current = inNamespace.filter((s) => (!s.validAfter || s.validAfter <= now) && (!s.validBefore || now < s.validBefore));
  if (current.length === 0) {
    const early = inNamespace.find((s) => s.validAfter && s.validAfter > now);
    if (early?.validAfter) return reject("not-yet-valid", `key not yet valid: valid-after ${early.validAfter.toISOString()} (allowed_signers line ${early.line})`, who);
    const late = inNamespace.find((s) => s.validBefore && s.validBefore <= now);
    return reject("expired", `key expired: valid-before ${late?.validBefore?.toISOString()} (allowed_signers line ${late?.line})`, who);
  }
  return { ok: true, role, principal, fingerprint: env.fingerprint, signature: armored };
}

/** Verifies the package and its sign-offs; never throws for a bad signature, only reports it. */
export async function verifySignoffs(input: VerifySignoffsInput): Promise<SignoffReport> {
  const now = input.now ?? new Date();
  const allowedSignersPath = input.allowedSignersPath ?? DEFAULT_ALLOWED_SIGNERS;
  const signers = readAllowedSigners(allowedSignersPath);
  const pkg = verifyPackageFiles(input.packageDir);
  const problems = [...pkg.problems];
  const manifest = pkg.manifest;
  if (manifest && manifest.manifest.stack !== input.stack) {
    problems.push({ path: "manifest.json", kind: "manifest", message: `manifest.json is for stack "${manifest.manifest.stack}", not "${input.stack}"` });
  }
  if (manifest && input.version !== undefined && manifest.manifest.version !== input.version) {
    problems.push({ path: "manifest.json", kind: "manifest", message: `manifest.json is for version "${manifest.manifest.version}", not "${input.version}"` });
  }

  const signatures: SignatureCheck[] = [];
  if (manifest) {
    const files = walkPackage(input.packageDir).files.filter((f) => f.startsWith(`${APPROVALS_DIR}/`));
    const seen = new Map<SignoffRole, { principals: Map<string, string>; keys: Map<string, string> }>();
    for (const file of files) {
      const armored = readFileSync(toAbsolute(input.packageDir, file), "utf8");
      const e = explain(file, armored, signers, now);
      if (!e.ok) {
        signatures.push(e.check);
        continue;
      }
      const who = { role: e.role, principal: e.principal, fingerprint: e.fingerprint };
      const verdict = await verifyData({ allowedSigners: allowedSignersPath, principal: e.principal, signature: e.signature, data: manifest.bytes, at: now });
      if (!verdict.ok) {
        // Our checks passed, so a cryptographic failure means the signed bytes differ; anything else is ssh-keygen's own reason.
        const mismatch = /incorrect signature/i.test(verdict.message);
        const reason = mismatch ? `signature does not verify over this manifest.json (it signs other content): ssh-keygen: ${verdict.message}` : `ssh-keygen refused it: ${verdict.message}`;
        signatures.push({ file, ...who, valid: false, code: mismatch ? "manifest-mismatch" : "refused-by-ssh-keygen", reason });
        continue;
      }
      // One person counts once per role, whether they sign again under another principal or the same key.
      const role = seen.get(e.role) ?? { principals: new Map<string, string>(), keys: new Map<string, string>() };
      seen.set(e.role, role);
      const earlier = role.principals.get(e.principal) ?? role.keys.get(e.fingerprint);
      if (earlier) {
        signatures.push({ file, ...who, valid: false, code: "duplicate", reason: `${e.role} already signed by the same person (${earlier}); one person counts once per role` });
        continue;
      }
      role.principals.set(e.principal, file);
      role.keys.set(e.fingerprint, file);
      signatures.push({ file, ...who, valid: true, reason: `good signature by ${e.principal} as ${e.role} (${e.fingerprint})` });
    }
  }

  const roles: RoleStatus[] = SIGNOFF_ROLES.flatMap((role) => {
    const required = input.cfg.signoff.requiredRoles[role];
    if (!required) return [];
    const mine = signatures.filter((s) => s.role === role);
    const signers = mine.filter((s) => s.valid).map((s) => s.principal ?? "");
    return [{ role, required, valid: signers.length, satisfied: signers.length >= required, signers, refused: mine.filter((s) => !s.valid).map((s) => `${s.file}: ${s.reason}`) }];
  });

  const reasons = [
    ...problems.map((p) => `package: ${p.message}`),
    ...roles.filter((r) => !r.satisfied).map((r) => `role ${r.role}: ${r.valid} of ${r.required} valid sign-off(s)${r.refused.length ? `; refused: ${r.refused.join("; ")}` : ""}`),
  ];
  return {
    packageDir: input.packageDir,
    stack: input.stack,
    version: manifest?.manifest.version,
    manifestSha256: manifest?.sha256,
    package: { ok: problems.length === 0, problems },
    signatures,
    roles,
    go: reasons.length === 0,
    reasons,
  };
}
