/**
 * The sign-off verdict of a release package. GO means all of:
 *
 * - the package matches its manifest, for the expected stack, version and commit;
 * - every check the build recorded in the manifest passed;
 * - every required role (config and manifest, never below the floor of the stack's tier) has
 *   enough valid signatures over that manifest, by keys trusted in `config/allowed_signers` as of
 *   the manifest's commit (or a protected ref), never the working tree;
 * - one person fills at most one role: the same principal or the same key counts once in the
 *   whole release, assigned where it satisfies the requirement.
 *
 * Each signature is first explained against allowed_signers (namespace, key, principal, role,
 * validity window) so a refusal says why; then `ssh-keygen -Y verify` gives the cryptographic
 * verdict, so nothing counts that OpenSSH would not accept. Synchronous, so the archive can run
 * it inside the Pulumi program.
 */
import { readFileSync } from "node:fs";
import type { StackConfig } from "../../config/schema";
import { matchesPatternList, SIGNOFF_ROLES, type AllowedSigner, type SignoffRole } from "./allowed-signers";
import { APPROVALS_DIR, sha256Of, toAbsolute, verifyPackageFiles, walkPackage, type PackageProblem } from "./manifest";
import { assignRoles, type Candidate } from "./one-role";
import { requiredRoles, type RoleCounts, type Tier } from "./required-roles";
import { SIGNOFF_NAMESPACE, verifyDataSync } from "./ssh-keygen";
import { parseSshSignature, SshSignatureFormatError } from "./sshsig";
import { atCommit, loadTrustedSigners, withSignersFile, type SignersSource, type TrustedSigners } from "./trust";

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
  | "duplicate"
  | "one-role-per-person";

export interface SignatureCheck {
  /** Package path, e.g. `approvals/security-dana@example.com.sig`. */
  file: string;
  role?: SignoffRole;
  principal?: string;
  fingerprint?: string;
  /** sha256 of the approval file's bytes as verified (the archive uploads exactly these). */
  sha256?: string;
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
  gitSha?: string;
  /** sha256 of the manifest.json bytes that were checked. */
  manifestSha256?: string;
  /** Where the trusted signers came from. */
  signersSource?: string;
  tier?: Tier;
  package: { ok: boolean; problems: PackageProblem[] };
  /** Checks the build recorded as failed (or, for a blocking one, not passed). */
  failedChecks: string[];
  signatures: SignatureCheck[];
  roles: RoleStatus[];
  /** GO: see the module comment. */
  go: boolean;
  /** Why not GO (empty when go). */
  reasons: string[];
}

export interface VerifySignoffsInput {
  packageDir: string;
  stack: string;
  cfg: Pick<StackConfig, "signoff" | "profile">;
  /** Expected release version; checked against the manifest when given. */
  version?: string;
  /** The commit being deployed or approved; NO-GO when the manifest was built from another. */
  commit?: string;
  /** Where allowed_signers comes from (default: the manifest's commit in this repository). */
  signers?: SignersSource;
  /** Shorthand for `signers: { kind: "file", path }` (tests, and files fetched from a trusted place). */
  allowedSignersPath?: string;
  /** The repository holding the manifest's commit (default: this one). */
  repo?: string;
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

/** Checks every approval file cryptographically; returns the refusals and the candidates that verified. */
function checkSignatures(packageDir: string, manifestBytes: Buffer, trusted: TrustedSigners, now: Date): { refused: SignatureCheck[]; candidates: Candidate[] } {
  const files = walkPackage(packageDir).files.filter((f) => f.startsWith(`${APPROVALS_DIR}/`));
  const refused: SignatureCheck[] = [];
  const candidates: Candidate[] = [];
  withSignersFile(trusted, (signersFile) => {
    for (const file of files) {
      const bytes = readFileSync(toAbsolute(packageDir, file));
      const sha256 = sha256Of(bytes);
      const e = explain(file, bytes.toString("utf8"), trusted.signers, now);
      if (!e.ok) {
        refused.push({ ...e.check, sha256 });
        continue;
      }
      const verdict = verifyDataSync({ allowedSigners: signersFile, principal: e.principal, signature: e.signature, data: manifestBytes, at: now });
      if (!verdict.ok) {
        // Our checks passed, so a cryptographic failure means the signed bytes differ; anything else is ssh-keygen's own reason.
        const mismatch = /incorrect signature/i.test(verdict.message);
        const reason = mismatch ? `signature does not verify over this manifest.json (it signs other content): ssh-keygen: ${verdict.message}` : `ssh-keygen refused it: ${verdict.message}`;
        refused.push({ file, role: e.role, principal: e.principal, fingerprint: e.fingerprint, sha256, valid: false, code: mismatch ? "manifest-mismatch" : "refused-by-ssh-keygen", reason });
        continue;
      }
      candidates.push({ file, role: e.role, principal: e.principal, fingerprint: e.fingerprint, sha256 });
    }
  });
  return { refused, candidates };
}

/** Verifies the package and its sign-offs; never throws for a bad signature, only reports it. */
export function verifySignoffsSync(input: VerifySignoffsInput): SignoffReport {
  const now = input.now ?? new Date();
  const pkg = verifyPackageFiles(input.packageDir);
  const problems = [...pkg.problems];
  const loaded = pkg.manifest;
  const manifest = loaded?.manifest;
  const note = (message: string) => problems.push({ path: "manifest.json", kind: "manifest", message });
  if (manifest && manifest.stack !== input.stack) note(`manifest.json is for stack "${manifest.stack}", not "${input.stack}"`);
  if (manifest && input.version !== undefined && manifest.version !== input.version) note(`manifest.json is for version "${manifest.version}", not "${input.version}"`);
  if (manifest && input.commit !== undefined && manifest.gitSha !== input.commit) note(`manifest.json was built from commit ${manifest.gitSha}, but the commit being deployed is ${input.commit}`);

  // A check that failed when the package was built can never be signed into a GO.
  const failedChecks = (manifest?.checks ?? []).filter((c) => c.status === "fail" || (c.blocking && c.status !== "pass")).map((c) => `${c.id}: ${c.status}`);
  if (manifest && manifest.checks.length === 0) failedChecks.push("(none): the manifest records no checks");

  const required = requiredRoles(input.cfg, manifest ? { tier: manifest.signoff.tier, roles: manifest.signoff.requiredRoles } : undefined);
  let signatures: SignatureCheck[] = [];
  let signersSource: string | undefined;
  if (loaded && manifest) {
    const source: SignersSource = input.signers ?? (input.allowedSignersPath ? { kind: "file", path: input.allowedSignersPath } : atCommit(manifest.gitSha, input.repo));
    // An unreadable or malformed trust source is bad input (AllowedSignersError), not a verdict.
    const trusted: TrustedSigners = loadTrustedSigners(source);
    signersSource = trusted.source;
    {
      const { refused, candidates } = checkSignatures(input.packageDir, loaded.bytes, trusted, now);
      signatures = [...refused, ...assignRoles(candidates, required.roles)].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    }
  }

  const roles: RoleStatus[] = SIGNOFF_ROLES.flatMap((role) => {
    const need = required.roles[role as keyof RoleCounts];
    if (!need) return [];
    const mine = signatures.filter((s) => s.role === role);
    const signers = mine.filter((s) => s.valid).map((s) => s.principal ?? "");
    return [{ role, required: need, valid: signers.length, satisfied: signers.length >= need, signers, refused: mine.filter((s) => !s.valid).map((s) => `${s.file}: ${s.reason}`) }];
  });

  const reasons = [
    ...problems.map((p) => `package: ${p.message}`),
    ...failedChecks.map((c) => `check ${c} when the package was built`),
    ...roles.filter((r) => !r.satisfied).map((r) => `role ${r.role}: ${r.valid} of ${r.required} valid sign-off(s)${r.refused.length ? `; refused: ${r.refused.join("; ")}` : ""}`),
  ];
  return {
    packageDir: input.packageDir,
    stack: input.stack,
    version: manifest?.version,
    gitSha: manifest?.gitSha,
    manifestSha256: loaded?.sha256,
    signersSource,
    tier: required.tier,
    package: { ok: problems.length === 0, problems },
    failedChecks,
    signatures,
    roles,
    go: reasons.length === 0,
    reasons,
  };
}

export async function verifySignoffs(input: VerifySignoffsInput): Promise<SignoffReport> {
  return verifySignoffsSync(input);
}
