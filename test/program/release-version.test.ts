/**
 * Issue 15 item 15: the release a production-tier stack deploys and archives is the one the
 * pipeline names (RELEASE_VERSION), and without its package an update fails instead of archiving
 * nothing; a preview only warns.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { loadStackConfig } from "../../config/stack-file";
import { RELEASE_PACKAGE_ENV } from "../../infra/components/release-archive";
import { releaseProblems, releaseVersion } from "../../infra/context";
import { recordStack } from "../../infra/preview/record";
import { makePackage, tempDir } from "../signoff/fixtures";

const root = tempDir("release-version-");
afterAll(() => rmSync(root, { recursive: true, force: true }));
const prod = { stack: "prod", cfg: loadStackConfig("prod") };

describe("the release a production-tier stack deploys", () => {
  it("is RELEASE_VERSION, and an update without it is refused with the command to fix it", () => {
    vi.stubEnv("RELEASE_VERSION", "");
    try {
      const problems = releaseProblems({ ...prod, version: releaseVersion() }, {});
      expect(problems[0]).toMatch(/^RELEASE_VERSION is not set: a production-tier stack deploys and archives exactly the release the pipeline names \(export RELEASE_VERSION=<version> before `pulumi up --stack prod`\)/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("fails without that version's package, passes with it, and does not apply to a non-production stack", () => {
    const version = "9.8.7";
    vi.stubEnv(RELEASE_PACKAGE_ENV, "");
    try {
      expect(releaseProblems({ ...prod, version }, { RELEASE_VERSION: version })).toEqual([expect.stringMatching(/^nothing to archive for prod 9\.8\.7 \(no release package at .*9\.8\.7/)]);
      const dir = makePackage(join(root, version), { version, stack: "prod" }).dir;
      vi.stubEnv(RELEASE_PACKAGE_ENV, dir);
      expect(releaseProblems({ ...prod, version }, { RELEASE_VERSION: version })).toEqual([]);
      expect(releaseProblems({ stack: "staging", cfg: loadStackConfig("staging"), version }, {})).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("a preview warns (so everyone's preview still runs) and says `pulumi up` will fail", async () => {
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
    vi.stubEnv("RELEASE_VERSION", "");
    try {
      await recordStack({ stack: "prod" });
    } finally {
      spy.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(err.join("")).toMatch(/warning: RELEASE_VERSION is not set: .*\(`pulumi up` will fail\)/);
    expect(err.join("")).toMatch(/warning: nothing to archive for prod .*\(`pulumi up` will fail\)/);
  }, 120_000);
});
