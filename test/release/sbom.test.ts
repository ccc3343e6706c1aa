/**
 * The SBOM comes from package-lock.json alone: the same bytes with or without node_modules,
 * whatever flags npm wrote into the lockfile's entries, with the release version as its subject;
 * a valid CycloneDX 1.6 document; resolved as Node resolves inside the lockfile's tree.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { renderSbom, SbomError, sbomFromLockfile, type PackageLock } from "../../infra/release/sbom";
import { sha256Of } from "../../infra/signoff/manifest";

const bytes = readFileSync(join(REPO_ROOT, "package-lock.json"));
const lock = JSON.parse(bytes.toString("utf8")) as PackageLock;
const TOOL = { name: "backend-release", version: "1.4.0" };
const sbom = (l: PackageLock, version = "2.0.0") => renderSbom(sbomFromLockfile({ lock: l, lockfileSha256: sha256Of(bytes), workspace: "backend", version, tool: TOOL }));

interface Bom {
  metadata: { component: { name: string; group?: string; version: string } };
  components: { name: string; group?: string; version: string; purl: string; hashes?: { alg: string; content: string }[] }[];
  dependencies: { ref: string; dependsOn: string[] }[];
  serialNumber: string;
}

describe("SBOM from the lockfile", () => {
  it("is a valid CycloneDX 1.6 document whose subject is the release version", async () => {
    const text = sbom(lock, "2.0.0-rc.1");
    const doc = JSON.parse(text) as Bom;
    expect(doc.metadata.component).toMatchObject({ group: "@backend-release", name: "service", version: "2.0.0-rc.1" });
    const { Validation, Spec } = await import("@cyclonedx/cyclonedx-library");
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text)).toBeNull();
    // The production closure of the backend workspace: its dependencies and theirs, no dev tooling.
    const names = doc.components.map((c) => (c.group ? `${c.group}/${c.name}` : c.name));
    expect(names).toEqual(expect.arrayContaining(["pg", "node-pg-migrate", "zod", "pg-pool", "yargs", "glob"]));
    for (const dev of ["typescript", "@types/pg", "@types/node", "vitest", "@pulumi/pulumi"]) expect(names).not.toContain(dev);
    expect(doc.components.find((c) => c.name === "pg")?.hashes?.[0]).toEqual({ alg: "SHA-512", content: Buffer.from(lock.packages!["node_modules/pg"]!.integrity!.slice(7), "base64").toString("hex") });
  });

  it("gives the same bytes whatever npm wrote as dev/optional/peer flags, and changes only with the version", () => {
    const flipped = JSON.parse(bytes.toString("utf8")) as { packages: Record<string, Record<string, unknown>> };
    for (const entry of Object.values(flipped.packages)) {
      // What npm rewrites between the first install and later runs.
      if ("dev" in entry) delete entry.dev;
      else entry.dev = true;
      entry.optional = !entry.optional;
      entry.devOptional = true;
      entry.peer = true;
    }
    expect(sbom(flipped as PackageLock)).toBe(sbom(lock));
    expect(sbom(lock, "2.0.1")).not.toBe(sbom(lock, "2.0.0"));
    expect(sbom(lock)).toBe(sbom(JSON.parse(bytes.toString("utf8")) as PackageLock));
  });

  it("resolves nested versions, skips other platforms' optional packages and optional peers, and refuses a missing dependency", () => {
    const small: PackageLock = {
      lockfileVersion: 3,
      packages: {
        "": { name: "root" },
        app: { name: "@acme/app", version: "0.0.0", dependencies: { a: "^1", b: "^1" }, optionalDependencies: { "fsevents-like": "^1" } },
        "node_modules/@acme/app": { resolved: "app", link: true },
        "node_modules/a": { version: "1.0.0", integrity: "sha512-AAAA", license: "MIT" },
        "node_modules/b": { version: "1.2.0", license: "Apache-2.0 OR MIT", dependencies: { a: "^2" }, peerDependencies: { c: "*", d: "*" }, peerDependenciesMeta: { d: { optional: true } } },
        "node_modules/b/node_modules/a": { version: "2.0.0" },
        "node_modules/c": { version: "3.0.0" },
        "node_modules/d": { version: "4.0.0" },
        "node_modules/fsevents-like": { version: "1.0.0", os: ["darwin"], optional: true },
      },
    };
    const doc = sbomFromLockfile({ lock: small, lockfileSha256: "0".repeat(64), workspace: "app", version: "9.0.0", tool: TOOL }) as unknown as Bom;
    expect(doc.components.map((c) => `${c.name}@${c.version}`)).toEqual(["a@1.0.0", "a@2.0.0", "b@1.2.0", "c@3.0.0"]);
    expect(doc.dependencies).toEqual([
      { ref: "pkg:npm/%40acme/app@9.0.0", dependsOn: ["pkg:npm/a@1.0.0", "pkg:npm/b@1.2.0"] },
      { ref: "pkg:npm/a@1.0.0", dependsOn: [] },
      { ref: "pkg:npm/a@2.0.0", dependsOn: [] },
      { ref: "pkg:npm/b@1.2.0", dependsOn: ["pkg:npm/a@2.0.0", "pkg:npm/c@3.0.0"] },
      { ref: "pkg:npm/c@3.0.0", dependsOn: [] },
    ]);
    const broken = structuredClone(small);
    delete broken.packages!["node_modules/c"];
    expect(() => sbomFromLockfile({ lock: broken, lockfileSha256: "0".repeat(64), workspace: "app", version: "9.0.0", tool: TOOL })).toThrow(SbomError);
    expect(() => sbomFromLockfile({ lock: broken, lockfileSha256: "0".repeat(64), workspace: "app", version: "9.0.0", tool: TOOL })).toThrow('package-lock.json: "c", required by node_modules/b, is not in the lockfile');
  });
});
