/**
 * Sign-offs with real ed25519 keys: a valid set gives GO; each forgery is refused with its reason;
 * a tampered package fails the manifest check.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../infra/cli/main";
import { AllowedSignersError, parseAllowedSigners } from "../../infra/signoff/allowed-signers";
import { readManifest, verifyPackageFiles } from "../../infra/signoff/manifest";
import { signManifest, SignoffInputError } from "../../infra/signoff/sign";
import { signData } from "../../infra/signoff/ssh-keygen";
import { verifySignoffs, type SignoffReport } from "../../infra/signoff/verify";
import { allowedSigners, copyPackage, makeKey, makePackage, tempDir, type TestKey } from "./fixtures";

const ONE_EACH = { profile: "production" as const, signoff: { requiredRoles: { architecture: 1, security: 1, operations: 1 } } };
let root: string;
let base: string;
let allowed: string;
let keys: Record<"ann" | "sam" | "olu" | "stranger" | "eve" | "neo" | "rui", TestKey>;
let counter = 0;

beforeAll(() => {
  root = tempDir("signoff-test-");
  keys = {
    ann: makeKey(root, "ann"),
    sam: makeKey(root, "sam"),
    olu: makeKey(root, "olu"),
    stranger: makeKey(root, "stranger"),
    eve: makeKey(root, "eve"),
    neo: makeKey(root, "neo"),
    rui: makeKey(root, "rui"),
  };
  base = makePackage(join(root, "base")).dir;
  allowed = allowedSigners(join(root, "allowed_signers"), [
    { principal: "ann@example.com", key: keys.ann, roles: ["architecture"] },
    { principal: "sam@example.com", key: keys.sam, roles: ["security"] },
    // The same person under a second principal: must not count twice for one role.
    { principal: "sam.alt@example.com", key: keys.sam, roles: ["security"] },
    { principal: "olu@example.com", key: keys.olu, roles: ["operations"] },
    { principal: "eve@example.com", key: keys.eve, roles: ["security"], options: 'namespaces="backend-release-signoff",valid-before="20200101Z"' },
    { principal: "neo@example.com", key: keys.neo, roles: ["security"], options: 'namespaces="backend-release-signoff",valid-after="20990101Z"' },
    { principal: "rui@example.com", key: keys.rui, roles: ["security"], options: 'namespaces="git"' },
  ]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh copy of the base package. */
function pkg(): string {
  return copyPackage(base, join(root, `pkg-${++counter}`));
}

async function sign(dir: string, role: string, key: TestKey, principal?: string): Promise<string> {
  return (await signManifest({ packageDir: dir, role, keyPath: key.path, principal, allowedSignersPath: allowed })).file;
}

async function signValidSet(dir: string): Promise<void> {
  await sign(dir, "architecture", keys.ann);
  await sign(dir, "security", keys.sam, "sam@example.com");
  await sign(dir, "operations", keys.olu);
}

/** Writes a hand-made signature as an approval file. */
function plant(dir: string, file: string, signature: string): void {
  mkdirSync(join(dir, "approvals"), { recursive: true });
  writeFileSync(join(dir, "approvals", file), signature);
}

function verify(dir: string, cfg = ONE_EACH): Promise<SignoffReport> {
  return verifySignoffs({ packageDir: dir, stack: "prod", cfg, version: "1.4.0", allowedSignersPath: allowed });
}

function rejection(report: SignoffReport, file: string) {
  const check = report.signatures.find((s) => s.file === `approvals/${file}`);
  expect(check, `no check for ${file}`).toBeDefined();
  return check!;
}

describe("sign-offs", () => {
  it("a valid set of signatures gives GO with every role satisfied", async () => {
    const dir = pkg();
    await signValidSet(dir);
    const report = await verify(dir);
    expect(report.reasons).toEqual([]);
    expect(report.go).toBe(true);
    expect(report.roles.map((r) => [r.role, r.valid, r.satisfied, r.signers])).toEqual([
      ["architecture", 1, true, ["ann@example.com"]],
      ["security", 1, true, ["sam@example.com"]],
      ["operations", 1, true, ["olu@example.com"]],
    ]);
    expect(report.manifestSha256).toBe(readManifest(dir).sha256);
    // The approval is a plain SSH signature: ssh-keygen verifies it with the same allowed_signers.
    const out = execFileSync("ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", "sam@example.com", "-n", "backend-release-signoff", "-s", join(dir, "approvals", "security-sam@example.com.sig")], {
      input: readFileSync(join(dir, "manifest.json")),
    }).toString();
    expect(out).toContain('Good "backend-release-signoff" signature for sam@example.com');
  });

  it("refuses a signature over another manifest", async () => {
    const other = makePackage(join(root, `other-${++counter}`), { version: "1.3.9" }).dir;
    const dir = pkg();
    await signValidSet(dir);
    plant(dir, "security-sam@example.com.sig", await signData(keys.sam.path, readManifest(other).bytes));
    const report = await verify(dir);
    expect(rejection(report, "security-sam@example.com.sig")).toMatchObject({ valid: false, code: "manifest-mismatch" });
    expect(rejection(report, "security-sam@example.com.sig").reason).toMatch(/does not verify over this manifest\.json/);
    expect(report.go).toBe(false);
    expect(report.reasons).toEqual([expect.stringMatching(/^role security: 0 of 1 valid sign-off\(s\); refused: .*security-sam@example\.com\.sig/)]);
  });

  it("refuses an unknown key", async () => {
    const dir = pkg();
    plant(dir, "security-sam@example.com.sig", await signData(keys.stranger.path, readManifest(dir).bytes));
    const check = rejection(await verify(dir), "security-sam@example.com.sig");
    expect(check.code).toBe("unknown-key");
    expect(check.reason).toMatch(/^key SHA256:\S+ \(ssh-ed25519\) is not in allowed_signers$/);
  });

  it("refuses a signature made in another namespace", async () => {
    const dir = pkg();
    plant(dir, "security-sam@example.com.sig", await signData(keys.sam.path, readManifest(dir).bytes, "git"));
    const check = rejection(await verify(dir), "security-sam@example.com.sig");
    expect(check).toMatchObject({ code: "wrong-namespace", reason: 'signed in namespace "git", sign-offs use "backend-release-signoff"' });
  });

  it("refuses a key whose allowed_signers line does not admit the sign-off namespace", async () => {
    const dir = pkg();
    await sign(dir, "security", keys.rui);
    expect(rejection(await verify(dir), "security-rui@example.com.sig").code).toBe("namespace-not-allowed");
  });

  it("refuses an expired key and a key not yet valid", async () => {
    const dir = pkg();
    await sign(dir, "security", keys.eve);
    await sign(dir, "security", keys.neo);
    const report = await verify(dir);
    expect(rejection(report, "security-eve@example.com.sig")).toMatchObject({ code: "expired", reason: "key expired: valid-before 2020-01-01T00:00:00.000Z (allowed_signers line 6)" });
    expect(rejection(report, "security-neo@example.com.sig")).toMatchObject({ code: "not-yet-valid", reason: "key not yet valid: valid-after 2099-01-01T00:00:00.000Z (allowed_signers line 7)" });
    // ssh-keygen agrees once the window is right: the same file verifies at a time inside it.
    const inWindow = await verifySignoffs({ packageDir: dir, stack: "prod", cfg: ONE_EACH, allowedSignersPath: allowed, now: new Date("2019-06-01T00:00:00Z") });
    expect(rejection(inWindow, "security-eve@example.com.sig").valid).toBe(true);
  });

  it("counts one person once per role, even under a second principal", async () => {
    const dir = pkg();
    await sign(dir, "security", keys.sam, "sam@example.com");
    await sign(dir, "security", keys.sam, "sam.alt@example.com");
    const report = await verify(dir, { profile: "production", signoff: { requiredRoles: { architecture: 1, security: 2, operations: 1 } } });
    const dupe = rejection(report, "security-sam@example.com.sig");
    expect(rejection(report, "security-sam.alt@example.com.sig").valid).toBe(true);
    expect(dupe).toMatchObject({ code: "duplicate", reason: "security already signed by the same person (approvals/security-sam.alt@example.com.sig); one person counts once per role" });
    expect(report.roles.find((r) => r.role === "security")).toMatchObject({ required: 2, valid: 1, satisfied: false });
  });

  it("refuses a role the signer does not hold, and a key filed under someone else's name", async () => {
    const dir = pkg();
    await expect(sign(dir, "security", keys.olu, "olu@example.com")).rejects.toThrow("olu@example.com may not sign as security in");
    plant(dir, "security-olu@example.com.sig", await signData(keys.olu.path, readManifest(dir).bytes));
    plant(dir, "architecture-ann@example.com.sig", await signData(keys.sam.path, readManifest(dir).bytes));
    plant(dir, "notes.txt", "not a signature");
    const report = await verify(dir);
    expect(rejection(report, "security-olu@example.com.sig")).toMatchObject({ code: "role-not-granted", reason: "olu@example.com may sign as operations, not security (allowed_signers line 5)" });
    expect(rejection(report, "architecture-ann@example.com.sig")).toMatchObject({ code: "principal-mismatch" });
    expect(rejection(report, "architecture-ann@example.com.sig").reason).toMatch(/belongs to sam@example\.com, sam\.alt@example\.com, not ann@example\.com$/);
    expect(rejection(report, "notes.txt").code).toBe("bad-file-name");
  });

  it("a tampered, missing or extra package file fails the manifest check with its path", async () => {
    const dir = pkg();
    await signValidSet(dir);
    appendFileSync(join(dir, "reports", "policy.json"), " ");
    unlinkSync(join(dir, "README.md"));
    writeFileSync(join(dir, "smuggled.sh"), "echo hi\n");
    mkdirSync(join(dir, "status"));
    writeFileSync(join(dir, "status", "status.md"), "# NO-GO\n"); // regenerated per run, deliberately unsigned
    const report = await verify(dir);
    expect(report.go).toBe(false);
    expect(report.roles.every((r) => r.satisfied)).toBe(true); // the signatures are fine; the package is not
    expect(report.package.problems.map((p) => [p.path, p.kind])).toEqual([
      ["README.md", "missing"],
      ["reports/policy.json", "modified"],
      ["smuggled.sh", "extra"],
    ]);
    expect(report.reasons[1]).toMatch(/^package: reports\/policy\.json: sha256 [0-9a-f]{64} \(19 bytes\) differs from the manifest's [0-9a-f]{64} \(18 bytes\)$/);
    await expect(sign(dir, "security", keys.sam, "sam@example.com")).rejects.toThrow(SignoffInputError);
  });

  it("the manifest itself must be for this stack and version", async () => {
    const dir = pkg();
    await signValidSet(dir);
    const report = await verifySignoffs({ packageDir: dir, stack: "staging", cfg: ONE_EACH, version: "2.0.0", allowedSignersPath: allowed });
    expect(report.package.problems.map((p) => p.message)).toEqual(['manifest.json is for stack "prod", not "staging"', 'manifest.json is for version "1.4.0", not "2.0.0"']);
    expect(verifyPackageFiles(dir).ok).toBe(true);
  });

  it("finds the signer's principal by key and role, and refuses a key without that role", async () => {
    const dir = pkg();
    expect(await sign(dir, "operations", keys.olu)).toBe("approvals/operations-olu@example.com.sig");
    await expect(sign(dir, "security", keys.sam)).rejects.toThrow(/listed for security under sam@example\.com, sam\.alt@example\.com: pass --principal/);
    await expect(sign(dir, "architecture", keys.olu)).rejects.toThrow(/has no architecture entry in .* \(it is listed for operations\)/);
    await expect(sign(dir, "release-manager", keys.olu)).rejects.toThrow(/--role must be one of architecture, security, operations/);
  });
});

describe("allowed_signers", () => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDO0VQD9TIdICZLWFWwtf7s8/aENve8twGTEmNV0myh5";

  it("reads options and roles the way ssh-keygen lays them out", () => {
    const [entry] = parseAllowedSigners(`# c\n"dana@example.com" namespaces="backend-release-signoff",valid-after="202601011200Z" ${key} roles=security,operations dana laptop\n`);
    expect(entry).toMatchObject({ line: 2, principal: "dana@example.com", namespaces: ["backend-release-signoff"], roles: ["security", "operations"], keyType: "ssh-ed25519" });
    expect(entry?.validAfter?.toISOString()).toBe("2026-01-01T12:00:00.000Z");
    expect(entry?.fingerprint).toBe("SHA256:QAtqtvvCePelMMUNPP7madH2zNa1ATxX1nt9L/0C5+M");
  });

  it("reports every bad line with its number", () => {
    const text = [`*@example.com ${key} roles=security`, `ann@example.com ${key}`, `bob@example.com cert-authority ${key} roles=security`, `cy@example.com valid-before="2026" ${key} roles=ops`].join("\n");
    try {
      parseAllowedSigners(text, "signers");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AllowedSignersError);
      expect((err as AllowedSignersError).problems).toEqual([
        'line 1: "*@example.com": one literal principal per line (no lists or wildcard patterns)',
        "line 2: no roles: add roles=<architecture|security|operations>[,…] after the key",
        "line 3: cert-authority is not accepted for sign-offs: list each person's key",
        'line 4: valid-before="2026" is not YYYYMMDD[HHMM[SS]][Z]',
      ]);
    }
  });
});

describe("signoff CLI", () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const log = vi.spyOn(console, "log").mockImplementation((...parts: unknown[]) => void (stdout += `${parts.join(" ")}\n`));
    try {
      return { code: await main(args), stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
      log.mockRestore();
    }
  }

  it("signs and verifies: exit 0 on GO, 1 on NO-GO, 2 on a missing package", async () => {
    // The package of the checked-out commit: verify checks the manifest's commit against it.
    const head = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const dir = makePackage(join(root, `head-${++counter}`), { gitSha: head }).dir;
    const common = ["--version", "1.4.0", "--package", dir, "--allowed-signers", allowed];
    const signed = await cli(["signoff", "sign", "--role", "architecture", "--key", keys.ann.path, "--stack", "prod", ...common]);
    expect(signed).toMatchObject({ code: 0 });
    expect(signed.stdout).toMatch(/as architecture for ann@example\.com: approvals\/architecture-ann@example\.com\.sig/);

    const noGo = await cli(["signoff", "verify", ...common]);
    expect(noGo.code).toBe(1);
    expect(noGo.stdout).toContain("✗ security: 0/1");
    expect(noGo.stderr).toMatch(/^blocked: release 1\.4\.0 is NO-GO: 2 reason\(s\)/);

    await cli(["signoff", "sign", "--role", "security", "--key", keys.sam.path, "--principal", "sam@example.com", ...common]);
    await cli(["signoff", "sign", "--role", "operations", "--key", keys.olu.path, ...common]);
    const go = await cli(["signoff", "verify", "--format", "json", "--stack", "prod", ...common]);
    expect(go.code).toBe(0);
    expect(JSON.parse(go.stdout)).toMatchObject({ go: true, stack: "prod", version: "1.4.0", reasons: [] });

    const missing = await cli(["signoff", "verify", "--version", "9.9.9", "--package", join(root, "nope"), "--allowed-signers", allowed]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: no release package at /);
  });
});
