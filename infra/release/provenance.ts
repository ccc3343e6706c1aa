/**
 * Build provenance for the artifact: an in-toto Statement v1 whose predicate is SLSA Provenance
 * v1 — the subject is the archive's digest, the resolved dependencies are the commit and the
 * lockfile, the builder is this release command at its version. It lives in the package, so the
 * manifest (and every sign-off) covers it.
 *
 * Nothing in it depends on the machine, the clock or the clone's remote URL: CI and a signer
 * building the same commit write the same bytes (the manifest must stay byte-identical).
 */

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** What a build of this type means: `npm run release` of this repository, by stack and version. */
export const BUILD_TYPE = "https://backend-release.invalid/release-command/v1";
export const BUILDER_ID = "https://backend-release.invalid/builder/release-command";

export interface ProvenanceInput {
  subject: { name: string; sha256: string }[];
  stack: string;
  version: string;
  gitSha: string;
  lockfileSha256: string;
  /** Versions that identify the builder (this tool, the compiler), from the lockfile. */
  builderVersion: Record<string, string>;
}

export function provenanceStatement(input: ProvenanceInput): Record<string, unknown> {
  return {
    _type: STATEMENT_TYPE,
    subject: input.subject.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPE,
        externalParameters: { stack: input.stack, version: input.version },
        internalParameters: { workspace: "backend", install: "npm ci --omit=dev (from package-lock.json)" },
        resolvedDependencies: [
          // By name and digest: the remote URL differs between clones (https, ssh) and would change the bytes.
          { name: "source", digest: { gitCommit: input.gitSha } },
          { name: "package-lock.json", digest: { sha256: input.lockfileSha256 } },
        ],
      },
      runDetails: {
        builder: { id: BUILDER_ID, version: input.builderVersion },
        // No invocation id or start time: they would make every run's bytes differ.
        metadata: {},
      },
    },
  };
}

export function renderProvenance(statement: Record<string, unknown>): string {
  return `${JSON.stringify(statement, null, 2)}\n`;
}
