/**
 * The release command's pipeline: builds the handoff package in a temporary directory, step by
 * step with progress, keeps every step's result, and moves the package into
 * `backend/outputs/phase-5/<version>/` only when it is complete. Every step runs even after a
 * blocking failure (people need the whole package to review and sign); the verdict names the
 * failures. An interrupted run leaves no package and no temporary directory behind.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Listr } from "listr2";
import type { BundlePaths } from "../../backend/src/migrate/paths";
import { namespaceValues, parseStackConfig } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { readStackFile, REPO_ROOT } from "../../config/stack-file";
import { APPROVALS_DIR, buildManifest, PACKAGE_ROOT, writeManifest } from "../signoff/manifest";
import { verifySignoffs, type SignoffReport } from "../signoff/verify";
import { apiStep } from "./api-step";
import { artifactsStep } from "./artifacts-step";
import { headCommit, type CommitInfo } from "./git";
import { governanceStep } from "./governance-step";
import { migrationsStep } from "./migrations-step";
import { documentsStep } from "./documents-step";
import { policyStep } from "./policy-step";
import { smokeStep, type SmokeCheck } from "./smoke-step";
import { appendEntry } from "./test-log";
import { writeStatus } from "./status";
import { toolVersions } from "./versions";
import { fail, step, type ImageReference, type ReleaseContext, type StepResult } from "./types";

export type ReleaseStep = (ctx: ReleaseContext) => Promise<StepResult>;

/** The steps, in the order the issue lists them; governance reads the others' results. */
export const DEFAULT_STEPS: ReleaseStep[] = [artifactsStep, migrationsStep, policyStep, smokeStep, apiStep, documentsStep, governanceStep];

export interface ReleaseOptions {
  stack: string;
  version: string;
  force?: boolean;
  /** Where packages go (tests use a temp dir). */
  outputRoot?: string;
  /** The BACK-PH5 log (tests use a temp file). */
  logFile?: string;
  steps?: ReleaseStep[];
  signal?: AbortSignal;
  /** "tty" shows the live task list; "plain" prints lines; "silent" prints nothing (JSON mode, tests). */
  display?: "tty" | "plain" | "silent";
  /** Injected for tests (commit identity, the config of the stack). */
  commit?: CommitInfo;
  cfg?: StackConfig;
  allowedSignersPath?: string;
  bundlePaths?: BundlePaths;
  /** Use this stack config file instead of Pulumi.<stack>.yaml (as `pulumi --config-file`). */
  configFile?: string;
  /** A directory of collected `<role>-<principal>.sig` files to put into the package's approvals/. */
  approvalsFrom?: string;
}

export interface ReleaseOutcome {
  verdict: "GO" | "NO-GO";
  reasons: string[];
  packageDir: string;
  results: StepResult[];
  signoffs: SignoffReport;
}

export class ReleaseRefusedError extends Error {
  override readonly name = "ReleaseRefusedError";
}

export class ReleaseInterruptedError extends Error {
  override readonly name = "ReleaseInterruptedError";
}

const PARTIAL = /^\.(.+)\.partial-(\d+)$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes temp directories of runs that were killed (SIGKILL leaves no chance to clean up). */
export function removeStalePartials(root: string): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const m = PARTIAL.exec(name);
    if (m && !alive(Number(m[2]))) {
      rmSync(join(root, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

export function imageReferences(cfg: StackConfig, stack: string, version: string, gitSha: string, region: string): ImageReference[] {
  return cfg.services.map((svc) => {
    const repository = `<account>.dkr.ecr.${region}.amazonaws.com/backend-release/${stack}/${svc.name}`;
    const tag = `v${version}-g${gitSha.slice(0, 12)}`;
    if (cfg.images.source === "promote") return { service: svc.name, repository, tag, digest: cfg.images.digests[svc.name] ?? null, source: "promote" };
    return { service: svc.name, repository, tag, digest: null, source: "build" };
  });
}

export async function runRelease(opts: ReleaseOptions): Promise<ReleaseOutcome> {
  const root = opts.outputRoot ?? join(REPO_ROOT, PACKAGE_ROOT);
  const finalDir = join(root, opts.version);
  if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(opts.version)) throw new ReleaseRefusedError(`invalid --version "${opts.version}": use a semantic version such as 1.4.0`);
  if (existsSync(finalDir) && !opts.force) {
    throw new ReleaseRefusedError(`${finalDir} already exists; re-run with --force to rebuild it (collected approvals/ are kept)`);
  }
  if (opts.approvalsFrom && !existsSync(opts.approvalsFrom)) {
    throw new ReleaseRefusedError(`--approvals-from ${opts.approvalsFrom}: no such directory (it holds the collected <role>-<principal>.sig files of this version)`);
  }
  const stackFile = readStackFile(opts.stack, REPO_ROOT, opts.configFile);
  const cfg = opts.cfg ?? parseStackConfig(namespaceValues(stackFile.config), opts.stack);
  const commit = opts.commit ?? headCommit();
  mkdirSync(root, { recursive: true });
  removeStalePartials(root);
  const dir = join(root, `.${opts.version}.partial-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const region = stackFile.config["aws:region"] ?? "us-east-1";
  const cleanups = new Set<() => Promise<void>>();
  const ctx: ReleaseContext = {
    stack: opts.stack,
    version: opts.version,
    cfg,
    commit,
    dir,
    finalDir,
    images: imageReferences(cfg, opts.stack, opts.version, commit.sha, region),
    results: [],
    progress: () => undefined,
    onInterrupt: (cleanup) => {
      cleanups.add(cleanup);
      return () => cleanups.delete(cleanup);
    },
    state: {},
    ...(opts.bundlePaths ? { bundlePaths: opts.bundlePaths } : {}),
    ...(opts.configFile ? { configFile: opts.configFile } : {}),
  };

  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // Interrupted: stop what the steps started (servers, their data directories), remove the
  // partial package, and exit with the conventional 128 + signal number.
  const onSignal = (signal: NodeJS.Signals) => {
    const deadline = new Promise((r) => setTimeout(r, 5000));
    void Promise.race([Promise.allSettled([...cleanups].map((c) => c())), deadline]).finally(() => {
      cleanup();
      process.exit(128 + (signal === "SIGINT" ? 2 : 15));
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const steps = opts.steps ?? DEFAULT_STEPS;
    const tasks = new Listr(
      steps.map((run) => ({
        title: stepTitle(run),
        task: async (_: unknown, task: { output: string; title: string }) => {
          if (opts.signal?.aborted) throw new ReleaseInterruptedError("release interrupted");
          ctx.progress = (message: string) => {
            task.output = message;
          };
          // A step that throws is a failed step, not a missing package: the report stays complete.
          const result = await run(ctx).catch((err: unknown) => fail(step(run.name.replace(/Step$/, ""), stepTitle(run)), `unexpected error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`));
          ctx.results.push(result);
          task.title = `${result.title}: ${result.status.toUpperCase()}${result.summary ? ` — ${result.summary}` : ""}`;
          if (opts.signal?.aborted) throw new ReleaseInterruptedError("release interrupted");
        },
      })),
      {
        concurrent: false,
        exitOnError: true,
        renderer: opts.display === "silent" ? "silent" : opts.display === "plain" ? "simple" : "default",
        fallbackRenderer: "simple",
        rendererOptions: { collapseSubtasks: false },
      },
    );
    await tasks.run();

    // Sign-offs collected for an earlier build of this version stay (they stay valid if the manifest is unchanged).
    if (opts.force && existsSync(join(finalDir, APPROVALS_DIR))) cpSync(join(finalDir, APPROVALS_DIR), join(dir, APPROVALS_DIR), { recursive: true });
    // Sign-offs collected elsewhere (CI: the approvals branch); verification below judges each one.
    if (opts.approvalsFrom) {
      mkdirSync(join(dir, APPROVALS_DIR), { recursive: true });
      for (const name of readdirSync(opts.approvalsFrom).filter((f) => f.endsWith(".sig"))) cpSync(join(opts.approvalsFrom, name), join(dir, APPROVALS_DIR, name));
    }
    const imageDigests = Object.fromEntries(ctx.images.filter((i) => i.digest).map((i) => [i.service, i.digest!]));
    const manifest = buildManifest({
      dir,
      version: opts.version,
      stack: opts.stack,
      gitSha: commit.sha,
      imageDigests,
      versions: toolVersions(),
      extra: {
        buildTime: commit.time.toISOString(),
        images: ctx.images,
        checks: ctx.results.map((r) => ({ id: r.id, status: r.status })),
      },
    });
    writeManifest(dir, manifest);

    const signoffs = await verifySignoffs({ packageDir: dir, stack: opts.stack, cfg, version: opts.version, ...(opts.allowedSignersPath ? { allowedSignersPath: opts.allowedSignersPath } : {}) });
    const reasons = [
      ...ctx.results.filter((r) => r.blocking && r.status !== "pass").flatMap((r) => (r.reasons.length ? r.reasons.map((x) => `${r.title}: ${x}`) : [`${r.title}: ${r.status}`])),
      ...signoffs.reasons.map((r) => `sign-off: ${r}`),
    ];
    const verdict = reasons.length === 0 && signoffs.go ? "GO" : "NO-GO";
    if (verdict === "NO-GO" && reasons.length === 0) reasons.push("sign-off verification did not pass");
    writeStatus(dir, { verdict, reasons, results: ctx.results, signoffs: { ...signoffs, packageDir: finalDir }, at: new Date() });

    if (opts.signal?.aborted) throw new ReleaseInterruptedError("release interrupted");
    // Swap in the complete package: the old one (if any) is only removed once the new one is in place.
    const old = `${finalDir}.old-${process.pid}`;
    // Approvals that arrived while this run worked are carried over too (none is ever dropped).
    if (opts.force && existsSync(join(finalDir, APPROVALS_DIR))) cpSync(join(finalDir, APPROVALS_DIR), join(dir, APPROVALS_DIR), { recursive: true, force: false });
    if (existsSync(finalDir)) renameSync(finalDir, old);
    renameSync(dir, finalDir);
    rmSync(old, { recursive: true, force: true });

    const smoke = ctx.results.find((r) => r.id === "smoke") as (StepResult & { checks?: SmokeCheck[] }) | undefined;
    appendEntry({ at: new Date(), version: opts.version, stack: opts.stack, gitSha: commit.sha, results: ctx.results, verdict, reasons, packageDir: finalDir.replace(`${REPO_ROOT}/`, ""), ...(smoke?.checks ? { smoke: smoke.checks } : {}) }, opts.logFile);
    return { verdict, reasons, packageDir: finalDir, results: ctx.results, signoffs };
  } catch (err) {
    cleanup();
    throw err;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

function stepTitle(run: ReleaseStep): string {
  const titles: Record<string, string> = {
    artifactsStep: "Artifacts",
    migrationsStep: "Migrations",
    policyStep: "Preview and policy",
    smokeStep: "Smoke test",
    apiStep: "API contract",
    documentsStep: "Documents",
    governanceStep: "Governance checklist",
  };
  return titles[run.name] ?? run.name;
}

