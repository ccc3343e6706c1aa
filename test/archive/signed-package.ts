/**
 * A release package as `pulumi up` meets it: built for a stack, version and commit, and signed
 * off by one person per role with keys listed in a test allowed_signers file (named to the
 * program through RELEASE_SIGNERS, as an operator names a protected source).
 */
import { join } from "node:path";
import { RELEASE_SIGNERS_ENV } from "../../infra/components/release-archive";
import type { ManifestCheck, ManifestSignoff } from "../../infra/signoff/manifest";
import { signManifest } from "../../infra/signoff/sign";
import { allowedSigners, FIXTURE_SHA, makeKey, makePackage, type TestKey } from "../signoff/fixtures";

export interface SignedPackage {
  dir: string;
  allowed: string;
  keys: Record<"ann" | "sam" | "olu" | "mallory", TestKey>;
}

let made = 0;

export async function signedPackage(root: string, dir: string, opts: { version: string; stack: string; imageDigests?: Record<string, string>; checks?: ManifestCheck[]; signoff?: ManifestSignoff; sign?: boolean }): Promise<SignedPackage> {
  const n = ++made;
  const keys = { ann: makeKey(root, `ann-${n}`), sam: makeKey(root, `sam-${n}`), olu: makeKey(root, `olu-${n}`), mallory: makeKey(root, `mallory-${n}`) };
  const allowed = allowedSigners(join(root, `allowed_signers-${n}`), [
    { principal: "ann@example.com", key: keys.ann, roles: ["architecture"] },
    { principal: "sam@example.com", key: keys.sam, roles: ["security"] },
    { principal: "olu@example.com", key: keys.olu, roles: ["operations"] },
  ]);
  makePackage(dir, { version: opts.version, stack: opts.stack, gitSha: FIXTURE_SHA, ...(opts.imageDigests ? { imageDigests: opts.imageDigests } : {}), ...(opts.checks ? { checks: opts.checks } : {}), ...(opts.signoff ? { signoff: opts.signoff } : {}) });
  if (opts.sign !== false) {
    for (const [role, key] of [["architecture", keys.ann], ["security", keys.sam], ["operations", keys.olu]] as const) {
      await signManifest({ packageDir: dir, role, keyPath: key.path, allowedSignersPath: allowed });
    }
  }
  return { dir, allowed, keys };
}

/** Points the program at the package, its commit and the test signers. */
export function useRelease(version: string, pkg: { dir: string; allowed: string }): void {
  process.env.RELEASE_VERSION = version;
  process.env.RELEASE_GIT_SHA = FIXTURE_SHA;
  process.env.RELEASE_PACKAGE_DIR = pkg.dir;
  process.env[RELEASE_SIGNERS_ENV] = `file:${pkg.allowed}`;
}

export function forgetRelease(): void {
  for (const k of ["RELEASE_VERSION", "RELEASE_GIT_SHA", "RELEASE_PACKAGE_DIR", RELEASE_SIGNERS_ENV]) delete process.env[k];
}
