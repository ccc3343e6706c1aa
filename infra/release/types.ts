/** The release pipeline's shared shapes: what a step gets and what it reports. */
import type { BundlePaths } from "../../backend/src/migrate/paths";
import type { EmbeddedPostgres } from "../../backend/src/testing/embedded-postgres";
import type { StackConfig } from "../../config/schema";
import type { CommitInfo } from "./git";

export type StepStatus = "pass" | "fail" | "skip";

/** The brief's standards the governance checklist groups deliverables under. */
export type Standard = "REL-BACKEND" | "DOC-RUNBOOK" | "OPS-API" | "SEC-OPS" | "DATA-OPS";

/** Something a step puts into the package, declared up front: the governance checklist is derived from these. */
export interface Deliverable {
  standard: Standard;
  item: string;
  /** Package-relative location; a trailing `/` is a directory. */
  location: string;
  /** Further files of the same deliverable (so every file a step writes is declared). */
  also?: string[];
}

/**
 * A release step as a declared object (goreleaser's "pipe"): it names itself, says whether a
 * failure blocks the release, declares what it produces, and runs. The pipeline checks that
 * every file a step writes is one it declared.
 */
export interface ReleaseStep {
  id: string;
  title: string;
  blocking: boolean;
  /**
   * The earlier steps of the run this one must wait for (what it reads from them, or a resource
   * it must not share with them at the same time); it starts as soon as they have finished,
   * alongside any other step that is ready. Absent: it waits for every step before it. A step
   * named here that is not part of the run is not waited for.
   */
  needs?: readonly string[];
  produces(ctx: Pick<ReleaseContext, "version" | "stack">): Deliverable[];
  run(ctx: ReleaseContext): Promise<StepResult>;
}

export interface StepResult {
  id: string;
  title: string;
  status: StepStatus;
  /** A blocking step that did not pass makes the verdict NO-GO. */
  blocking: boolean;
  /** One line for the console and the BACK-PH5 log. */
  summary: string;
  /** Measured figures (timings, counts) for the log. */
  figures: Record<string, string | number>;
  /** Why it failed or was skipped, one reason per line. */
  reasons: string[];
  /** Package-relative paths this step wrote. */
  files: string[];
}

export interface ImageReference {
  service: string;
  repository: string;
  /** Tag the build pushes (staging) — informational; deployments use the digest. */
  tag: string;
  /** `sha256:<64 hex>` when known: prod's promoted digest. Staging's is known after `pulumi up` builds it. */
  digest: string | null;
  source: "build" | "promote";
}

export interface ReleaseContext {
  stack: string;
  version: string;
  cfg: StackConfig;
  commit: CommitInfo;
  /** The package being written (a temporary directory until the run completes). */
  dir: string;
  /** Where it lands: backend/outputs/phase-5/<version>/. */
  finalDir: string;
  images: ImageReference[];
  /** Results of the steps finished so far, in the steps' declared order (not the order they finished in). */
  results: StepResult[];
  /** The steps of this run, in order (the governance checklist reads their declarations). */
  steps: readonly ReleaseStep[];
  progress: (message: string) => void;
  /** Registers cleanup that must run even if the run is interrupted (servers, temp dirs). */
  onInterrupt: (cleanup: () => Promise<void>) => () => void;
  /**
   * The run's one embedded PostgreSQL, started on first use and stopped by the pipeline when the
   * run ends: steps create their own databases on it rather than each starting a server.
   */
  postgres: () => Promise<EmbeddedPostgres>;
  /** Overrides for tests: another migration bundle, another stack config file. */
  bundlePaths?: BundlePaths;
  configFile?: string;
  /** Shared state between steps (the built artifact the smoke test starts). */
  state: Partial<ReleaseState>;
}

export interface ReleaseState {
  /** The backend archive in the package: what the smoke test unpacks and starts. */
  archiveFile: string;
}

export function step(id: string, title: string, blocking = true): StepResult {
  return { id, title, status: "pass", blocking, summary: "", figures: {}, reasons: [], files: [] };
}

export function fail(result: StepResult, ...reasons: string[]): StepResult {
  result.status = "fail";
  result.reasons.push(...reasons);
  return result;
}
