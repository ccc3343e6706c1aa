/**
 * The gate around the signatures (issue 16): a GO cannot be forged by the commit being approved
 * (role floor, allowed_signers as of the manifest's commit), by one person in several roles, by
 * overwriting someone's approval, or over a package whose build recorded a failed check or that
 * was built from another commit.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyDeploy } from "../../infra/cli/commands/verify-deploy";
import type { EcsReader } from "../../infra/signoff/deployed-digest";
import { readManifest } from "../../infra/signoff/manifest";
import { requiredRoles } from "../../infra/signoff/required-roles";
import { signManifest } from "../../infra/signoff/sign";
import { signData } from "../../infra/signoff/ssh-keygen";
import { atCommit } from "../../infra/signoff/trust";
import { verifySignoffs, type SignoffReport } from "../../infra/signoff/verify";
import { allowedSigners, FIXTURE_SHA, makeKey, makePackage, tempDir, type SignerLine, type TestKey } from "./fixtures";

let root: string;
let keys: Record<"ann" | "sam" | "olu" | "bob" | "bob2" | "mallory" | "tri", TestKey>;
let allowed: string;
let n = 0;

beforeAll(() => {
  root = tempDir("signoff-gate-");
  keys = { ann: makeKey(root, "ann"), sam: makeKey(root, "sam"), olu: makeKey(root, "olu"), bob: makeKey(root, "bob"), bob2: makeKey(root, "bob2"), mallory: makeKey(root, "mallory"), tri: makeKey(root, "tri") };
  allowed = allowedSigners(join(root, "allowed_signers"), [
    { principal: "ann@example.com", key: keys.ann, roles: ["architecture"] },
    { principal: "sam@example.com", key: keys.sam, roles: ["security"] },
    { principal: "olu@example.com", key: keys.olu, roles: ["operations"] },
    { principal: "bob@example.com", key: keys.bob, roles: ["security"] },
    { principal: "bob@example.com", key: keys.bob2, roles: ["security"] },
    { principal: "mallory@example.com", key: keys.mallory, roles: ["security"] },
    // One key granted every role: still one person.
    { principal: "tri@example.com", key: keys.tri, roles: ["architecture", "security", "operations"] },
  ]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PROD = (requiredRoles: Record<string, number>) => ({ profile: "production" as const, signoff: { requiredRoles } });
const STAGING = (requiredRoles: Record<string, number>) => ({ profile: "non-production" as const, signoff: { requiredRoles } });

function pkg(opts: Parameters<typeof makePackage>[1] = {}): string {
  return makePackage(join(root, `pkg-${++n}`), opts).dir;
}

async function sign(dir: string, role: string, key: TestKey, principal?: string): Promise<void> {
  await signManifest({ packageDir: dir, role, keyPath: key.path, principal, allowedSignersPath: allowed });
}

function verify(dir: string, cfg: ReturnType<typeof PROD>, extra: Partial<Parameters<typeof verifySignoffs>[0]> = {}): Promise<SignoffReport> {
  return verifySignoffs({ packageDir: dir, stack: "prod", cfg, version: "1.4.0", allowedSignersPath: allowed, ...extra });
}

describe("required roles: a floor no commit can lower", () => {
  it("raises an empty or one-person requirement to the floor of the stack's tier", () => {
    expect(requiredRoles(PROD({}))).toEqual({ tier: "production", roles: { security: 1, operations: 1 }, raised: [expect.stringMatching(/production-tier stack needs at least 2 distinct people; the config asks for 0, so security and operations are required too/)] });
    expect(requiredRoles(PROD({ architecture: 1 })).roles).toEqual({ architecture: 1, security: 1 });
    expect(requiredRoles(PROD({ security: 2 })).roles).toEqual({ security: 2 });
    expect(requiredRoles(STAGING({})).roles).toEqual({ security: 1 });
    expect(requiredRoles(STAGING({ operations: 1 }))).toEqual({ tier: "standard", roles: { operations: 1 }, raised: [] });
    // What the manifest recorded cannot be lowered by the config at verification time, nor its tier.
    expect(requiredRoles(STAGING({}), { tier: "production", roles: { architecture: 1, security: 1, operations: 1 } })).toMatchObject({ tier: "production", roles: { architecture: 1, security: 1, operations: 1 } });
  });

  it("a committed requiredRoles: {} is NO-GO without signatures, in prod and in staging", async () => {
    const dir = pkg({ signoff: { tier: "production", requiredRoles: {} } });
    const prod = await verify(dir, PROD({}));
    expect(prod.go).toBe(false);
    expect(prod.reasons).toEqual(["role security: 0 of 1 valid sign-off(s)", "role operations: 0 of 1 valid sign-off(s)"]);
    const staging = makePackage(join(root, `pkg-${++n}`), { stack: "staging", signoff: { tier: "standard", requiredRoles: {} } }).dir;
    const report = await verifySignoffs({ packageDir: staging, stack: "staging", cfg: STAGING({}), allowedSignersPath: allowed });
    expect(report.reasons).toEqual(["role security: 0 of 1 valid sign-off(s)"]);
    await sign(dir, "security", keys.sam);
    await sign(dir, "operations", keys.olu);
    expect((await verify(dir, PROD({}))).go).toBe(true);
  });

  it("holds the roles recorded in the manifest even when the config is lowered afterwards", async () => {
    const dir = pkg();
    await sign(dir, "security", keys.sam);
    await sign(dir, "operations", keys.olu);
    const report = await verify(dir, PROD({ security: 1, operations: 1 }));
    expect(report.reasons).toEqual(["role architecture: 0 of 1 valid sign-off(s)"]);
  });
});

describe("one person fills at most one role", () => {
  it("one key granted three roles counts once: NO-GO", async () => {
    const dir = pkg();
    for (const role of ["architecture", "security", "operations"]) await sign(dir, role, keys.tri);
    const report = await verify(dir, PROD({ architecture: 1, security: 1, operations: 1 }));
    expect(report.go).toBe(false);
    expect(report.signatures.filter((s) => s.valid).map((s) => s.file)).toEqual(["approvals/architecture-tri@example.com.sig"]);
    expect(report.signatures.filter((s) => s.code === "one-role-per-person").map((s) => s.reason)).toEqual([
      expect.stringMatching(/^tri@example\.com \(SHA256:\S+\) already fills architecture in this release \(approvals\/architecture-tri@example\.com\.sig\); one person fills at most one role$/),
      expect.stringMatching(/already fills architecture/),
    ]);
  });

  it("assigns people so that every role is filled when it can be, whatever the file order", async () => {
    const dir = pkg();
    // tri could fill any role; ann only architecture, sam only security: tri must take operations.
    for (const role of ["architecture", "security", "operations"]) await sign(dir, role, keys.tri);
    await sign(dir, "architecture", keys.ann);
    await sign(dir, "security", keys.sam);
    const report = await verify(dir, PROD({ architecture: 1, security: 1, operations: 1 }));
    expect(report.reasons).toEqual([]);
    expect(report.roles.map((r) => [r.role, r.signers])).toEqual([
      ["architecture", ["ann@example.com"]],
      ["security", ["sam@example.com"]],
      ["operations", ["tri@example.com"]],
    ]);
  });

  it("the same key under two principals, or two keys of one principal, is one person across roles", async () => {
    const dir = pkg();
    const bytes = readManifest(dir).bytes;
    mkdirSync(join(dir, "approvals"));
    // bob signs security with one key and, filed as operations, with his other key.
    writeFileSync(join(dir, "approvals", "security-bob@example.com.sig"), await signData(keys.bob.path, bytes));
    const twoKeys = allowedSigners(join(root, "allowed_signers.bob"), [
      { principal: "bob@example.com", key: keys.bob, roles: ["security"] },
      { principal: "bob@example.com", key: keys.bob2, roles: ["operations"] },
    ] satisfies SignerLine[]);
    writeFileSync(join(dir, "approvals", "operations-bob@example.com.sig"), await signData(keys.bob2.path, bytes));
    const report = await verifySignoffs({ packageDir: dir, stack: "prod", cfg: PROD({ security: 1, operations: 1 }), allowedSignersPath: twoKeys });
    expect(report.go).toBe(false);
    expect(report.signatures.map((s) => [s.file, s.valid, s.code])).toEqual([
      ["approvals/operations-bob@example.com.sig", false, "one-role-per-person"],
      ["approvals/security-bob@example.com.sig", true, undefined],
    ]);
  });
});

describe("sign never overwrites another's approval", () => {
  it("refuses a --principal the key does not belong to, and leaves bob's approval as it was", async () => {
    const dir = pkg();
    await sign(dir, "security", keys.bob, "bob@example.com");
    const before = readFileSync(join(dir, "approvals", "security-bob@example.com.sig"), "utf8");
    await expect(sign(dir, "security", keys.mallory, "bob@example.com")).rejects.toThrow(/key .*mallory \(SHA256:\S+\) does not belong to bob@example\.com in .*: it is listed for mallory@example\.com/);
    expect(readFileSync(join(dir, "approvals", "security-bob@example.com.sig"), "utf8")).toBe(before);
    // A key nobody listed is refused too.
    const stranger = makeKey(root, `stranger-${n}`);
    await expect(sign(dir, "security", stranger, "bob@example.com")).rejects.toThrow(/does not belong to bob@example\.com .*: it is not listed at all/);
  });

  it("replaces an approval only with the same key", async () => {
    const dir = pkg();
    await sign(dir, "security", keys.bob, "bob@example.com");
    // bob's second key is bob's too, but the approval there was made with the first: not replaced.
    await expect(sign(dir, "security", keys.bob2, "bob@example.com")).rejects.toThrow(/approvals\/security-bob@example\.com\.sig already holds an approval made with key SHA256:\S+; sign never replaces another key's approval/);
    const again = await signManifest({ packageDir: dir, role: "security", keyPath: keys.bob.path, principal: "bob@example.com", allowedSignersPath: allowed });
    expect(again).toMatchObject({ replaced: true, principal: "bob@example.com" });
    writeFileSync(join(dir, "approvals", "security-sam@example.com.sig"), "garbage\n");
    await expect(sign(dir, "security", keys.sam)).rejects.toThrow("approvals/security-sam@example.com.sig exists and is not an SSH signature; refusing to replace it");
  });
});

describe("allowed_signers comes from the manifest's commit, never the working tree", () => {
  let repo: string;
  let sha: string;

  beforeAll(() => {
    repo = join(root, "repo");
    mkdirSync(join(repo, "config"), { recursive: true });
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: repo, encoding: "utf8" }).trim();
    git("init", "-q");
    allowedSigners(join(repo, "config", "allowed_signers"), [
      { principal: "ann@example.com", key: keys.ann, roles: ["architecture"] },
      { principal: "olu@example.com", key: keys.olu, roles: ["operations"] },
    ]);
    git("add", "config/allowed_signers");
    git("commit", "-qm", "signers");
    sha = git("rev-parse", "HEAD");
    // Uncommitted: mallory adds herself as security.
    appendFileSync(join(repo, "config", "allowed_signers"), `mallory@example.com namespaces="backend-release-signoff" ${keys.mallory.publicKey} roles=security\n`);
  });

  it("an uncommitted key counts for nothing; the committed ones do", async () => {
    const dir = pkg({ gitSha: sha });
    const bytes = readManifest(dir).bytes;
    mkdirSync(join(dir, "approvals"));
    writeFileSync(join(dir, "approvals", "architecture-ann@example.com.sig"), await signData(keys.ann.path, bytes));
    writeFileSync(join(dir, "approvals", "operations-olu@example.com.sig"), await signData(keys.olu.path, bytes));
    writeFileSync(join(dir, "approvals", "security-mallory@example.com.sig"), await signData(keys.mallory.path, bytes));
    const report = await verifySignoffs({ packageDir: dir, stack: "prod", cfg: PROD({ architecture: 1, security: 1, operations: 1 }), version: "1.4.0", repo });
    expect(report.signersSource).toBe(`config/allowed_signers at commit ${sha}`);
    expect(report.signatures.map((s) => [s.file, s.valid, s.code])).toEqual([
      ["approvals/architecture-ann@example.com.sig", true, undefined],
      ["approvals/operations-olu@example.com.sig", true, undefined],
      ["approvals/security-mallory@example.com.sig", false, "unknown-key"],
    ]);
    expect(report.reasons).toEqual([expect.stringMatching(/^role security: 0 of 1 valid sign-off\(s\)/)]);
    // Signing as mallory is refused the same way: she is not in the committed list.
    await expect(signManifest({ packageDir: dir, role: "security", keyPath: keys.mallory.path, principal: "mallory@example.com", signers: atCommit(sha, repo) })).rejects.toThrow("is not listed at all");
  });

  it("a package whose commit is not in the repository cannot be verified (bad input, not GO)", async () => {
    const dir = pkg({ gitSha: "f".repeat(40) });
    await expect(verifySignoffs({ packageDir: dir, stack: "prod", cfg: PROD({}), repo })).rejects.toThrow(/cannot read config\/allowed_signers at f{40} in .*fetch the commit/);
  });
});

describe("the manifest's commit and recorded checks", () => {
  it("a signed manifest that records a failed check is NO-GO, in verify and in verify-deploy", async () => {
    const dir = pkg({ checks: [{ id: "artifacts", status: "pass", blocking: true }, { id: "migrations", status: "fail", blocking: true }] });
    for (const [role, key] of [["architecture", keys.ann], ["security", keys.sam], ["operations", keys.olu]] as const) await sign(dir, role, key);
    const report = await verify(dir, PROD({ architecture: 1, security: 1, operations: 1 }));
    expect(report.roles.every((r) => r.satisfied)).toBe(true);
    expect(report.go).toBe(false);
    expect(report.reasons).toEqual(["check migrations: fail when the package was built"]);
    const calls: string[] = [];
    const ecs: EcsReader = {
      describeServices: async () => (calls.push("describeServices"), { $metadata: {}, services: [] }),
      describeTaskDefinition: async () => (calls.push("describeTaskDefinition"), { $metadata: {} }),
    };
    const deployed = await verifyDeploy({ stack: "prod", version: "1.4.0", packageDir: dir, commit: FIXTURE_SHA, allowedSignersPath: allowed, ecs });
    expect(deployed).toMatchObject({ ok: false, approved: false });
    expect(calls).toEqual([]);
  });

  it("a package built from another commit than the one being deployed is NO-GO", async () => {
    const dir = pkg();
    for (const [role, key] of [["architecture", keys.ann], ["security", keys.sam], ["operations", keys.olu]] as const) await sign(dir, role, key);
    expect((await verify(dir, PROD({}), { commit: FIXTURE_SHA })).go).toBe(true);
    const other = await verify(dir, PROD({}), { commit: "a".repeat(40) });
    expect(other.go).toBe(false);
    expect(other.reasons).toEqual([`package: manifest.json was built from commit ${FIXTURE_SHA}, but the commit being deployed is ${"a".repeat(40)}`]);
  });
});
