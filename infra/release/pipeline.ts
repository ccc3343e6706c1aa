/**
 * The release command's pipeline. Under the version's lock, it builds the handoff package in a
 * temporary directory, with progress (a failed step shows ✖), keeps every step's result, and
 * moves the package into `backend/outputs/phase-5/<version>/<stack>/` only when it is complete.
 * Steps run as soon as what they need has finished, several at once (schedule.ts); results,
 * records and the plain display keep the declared order. Every step runs even after a blocking
 * failure (people need the whole package to review and sign); the verdict names the failures.
 * An interrupted run leaves no package, no temporary directory, no server and no lock behind.
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { Listr } from "listr2";
import type { BundlePaths } from "../../backend/src/migrate/paths";
import { namespaceValues, parseStackConfig } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { readStackFile, REPO_ROOT } from "../../config/stack-file";
import { handleInterrupts, onInterrupt } from "../interrupt";
import { APPROVALS_DIR, buildManifest, PACKAGE_ROOT, STATUS_DIR, writeManifest } from "../signoff/manifest";
import { requiredRoles } from "../signoff/required-roles";
import { atCommit, type SignersSource } from "../signoff/trust";
import { AllowedSignersError } from "../signoff/allowed-signers";
import { verifySignoffsSync, type SignoffReport } from "../signoff/verify";
import { headCommit, type CommitInfo } from "./git";
import { acquireLock, lockFileFor } from "./lock";
import { RECORD_FILE, recordPath, renderRecord, writeWhole, type ReleaseRecord } from "./records";
import { DEFAULT_STEPS } from "./steps";
import { writeReport } from "./report-html";
import { writeStatus } from "./status";
import { TEST_LOG, writeLog } from "./test-log";
import { scheduleSteps, waitsFor, type ScheduledStep } from "./schedule";
import { sharedPostgres } from "./shared-postgres";
import { fail, step, type ImageReference, type ReleaseContext, type ReleaseStep, type StepResult } from "./types";
import { parseReleaseVersion, VersionError } from "./version";
import { toolVersions } from "./versions";

export type { ReleaseStep } from "./types";
export { DEFAULT_STEPS } from "./steps";

export interface ReleaseOptions {
  stack: string;
  version: string;
  force?: boolean;
  /** Where packages go (tests use a temp dir). */
  outputRoot?: string;
  /** The BACK-PH5 log (tests use a temp file); the records go beside it in `releases/` unless recordsDir says. */
  logFile?: string;
  recordsDir?: string;
  steps?: readonly ReleaseStep[];
  signal?: AbortSignal;
  /** "tty" shows the live task list; "plain" prints lines; "silent" prints nothing (JSON mode, tests). */
  display?: "tty" | "plain" | "silent";
  /** Injected for tests (commit identity, the config of the stack). */
  commit?: CommitInfo;
  cfg?: StackConfig;
  /** Where allowed_signers comes from (default: the release commit's config/allowed_signers). */
  signers?: SignersSource;
  allowedSignersPath?: string;
  bundlePaths?: BundlePaths;
  /** Use this stack config file instead of Pulumi.<stack>.yaml (as `pulumi --config-file`). */
  configFile?: string;
  /** A directory of collected `<role>-<principal>.sig` files to put into the package's approvals/. */
  approvalsFrom?: string;
  /** How long to wait for another run of this version to finish (default: refuse at once). */
  waitLockMs?: number;
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

/** A run's temporary package, or the previous package it was swapping out. */
const PARTIAL = /^\.(.+)\.(?:partial|old)-(\d+)$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes temp directories of runs that were killed (SIGKILL leaves no chance to clean up). */
export function removeStalePartials(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = PARTIAL.exec(name);
    if (m && !alive(Number(m[2]))) {
      rmSync(join(dir, name), { recursive: true, force: true });
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

const MARK = { pass: "✔", fail: "✖", skip: "↓" } as const;

export function stepLine(r: StepResult): string {
  return `${r.title}: ${r.status.toUpperCase()}${r.summary ? ` — ${r.summary}` : ""}`;
}

/** One line with every step's outcome, failures marked ✖ (the CLI prints it under the verdict). */
export function summaryLine(results: StepResult[]): string {
  const failed = results.filter((r) => r.status === "fail").length;
  const skipped = results.filter((r) => r.status === "skip").length;
  const counts = [`${results.length - failed - skipped} passed`, ...(failed ? [`${failed} failed`] : []), ...(skipped ? [`${skipped} skipped`] : [])].join(", ");
  return `Steps: ${counts} — ${results.map((r) => `${MARK[r.status]} ${r.id}`).join("  ")}`;
}

/** Whether `path` (package-relative) is one of the step's declared products. */
function declares(s: ReleaseStep, ctx: ReleaseContext, path: string): boolean {
  return s
    .produces(ctx)
    .flatMap((d) => [d.location, ...(d.also ?? [])])
    .some((loc) => (loc.endsWith("/") ? path === loc || path.startsWith(loc) : path === loc));
}

/** Runs one declared step: a throw is a failed step, and every file it wrote must be one it declares. */
async function runStep(s: ReleaseStep, ctx: ReleaseContext): Promise<StepResult> {
  const unexpected = (err: unknown) => fail(step(s.id, s.title, s.blocking), `unexpected error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  const result = await s.run(ctx).catch(unexpected);
  Object.assign(result, { id: s.id, title: s.title, blocking: s.blocking });
  try {
    const undeclared = result.files.filter((f) => !declares(s, ctx, f));
    if (undeclared.length > 0) fail(result, ...undeclared.map((f) => `wrote ${f}, which step "${s.id}" does not declare among what it produces (add it to its declaration)`));
  } catch (err) {
    fail(result, unexpected(err).reasons[0]!);
  }
  return result;
}

type ListrShown = { output: string; title: string; skip: (message?: string) => void };

/**
 * One display task per step, in declared order. Live (a terminal) they are shown running
 * side by side as they really do; otherwise (plain lines, CI logs) one after the other, each
 * replaying its progress messages, so the printed order does not depend on which finished first.
 */
function displayTask(run: ScheduledStep, aborted: () => boolean, live: boolean) {
  return async (_: unknown, task: ListrShown) => {
    if (live && !run.started() && run.waitsFor.length > 0) task.output = `waiting for ${run.waitsFor.join(", ")}`;
    const unfollow = run.follow((message) => {
      task.output = message;
    });
    const result = await run.done.finally(unfollow);
    if (!result || aborted()) throw new ReleaseInterruptedError("release interrupted");
    task.title = stepLine(result);
    // Shown as it is: a failed step is ✖ (and the next steps still run), a skipped one ↓.
    if (result.status === "fail") throw new Error(result.reasons[0] ?? "failed");
    if (result.status === "skip") task.skip(stepLine(result));
  };
}

/** Copies the regular `.sig` files of `from` into the package's approvals/ (links and the like are not approvals). */
/** The sign-off verdict; a trust source that cannot be read makes no signature count (a NO-GO with its reason), not a crash. */
function verifySignoffs(input: Parameters<typeof verifySignoffsSync>[0]): SignoffReport {
  try {
    return verifySignoffsSync(input);
  } catch (err) {
    if (!(err instanceof AllowedSignersError)) throw err;
    const report = verifySignoffsSync({ ...input, signers: { kind: "text", source: "no trusted signers", text: "" } });
    const reason = `allowed signers: ${err.message}${err.problems.length ? `: ${err.problems.join("; ")}` : ""}`;
    return { ...report, go: false, reasons: [reason, ...report.reasons] };
  }
}

function copyApprovals(from: string, packageDir: string, overwrite: boolean): void {
  if (!existsSync(from)) return;
  const to = join(packageDir, APPROVALS_DIR);
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (!name.endsWith(".sig") || !lstatSync(src).isFile()) continue;
    if (!overwrite && existsSync(join(to, name))) continue;
    copyFileSync(src, join(to, name));
  }
}

export async function runRelease(opts: ReleaseOptions): Promise<ReleaseOutcome> {
  let version: string;
  try {
    version = parseReleaseVersion(opts.version);
  } catch (err) {
    if (err instanceof VersionError) throw new ReleaseRefusedError(err.message);
    throw err;
  }
  if (opts.approvalsFrom && !existsSync(opts.approvalsFrom)) {
    throw new ReleaseRefusedError(`--approvals-from ${opts.approvalsFrom}: no such directory (it holds the collected <role>-<principal>.sig files of this version)`);
  }
  const steps = opts.steps ?? DEFAULT_STEPS;
  waitsFor(steps); // a step list whose needs cannot be met is refused before any work
  const stackFile = readStackFile(opts.stack, REPO_ROOT, opts.configFile);
  const cfg = opts.cfg ?? parseStackConfig(namespaceValues(stackFile.config), opts.stack);
  const root = opts.outputRoot ?? join(REPO_ROOT, PACKAGE_ROOT);
  const versionDir = join(root, version);
  const finalDir = join(versionDir, opts.stack);
  mkdirSync(versionDir, { recursive: true });

  // One run of a version at a time (sign-offs take the same lock): no package is swapped under another run, no approval lost.
  const lock = await acquireLock(lockFileFor(versionDir), { command: `release --stack ${opts.stack} --version ${version}`, waitMs: opts.waitLockMs ?? 0 });
  const stopHandling = handleInterrupts();
  const unregisterLock = onInterrupt(() => lock.release());
  const dir = join(versionDir, `.${opts.stack}.partial-${process.pid}`);
  const removePartial = () => rmSync(dir, { recursive: true, force: true });
  let unregisterPartial = () => {};
  const postgres = sharedPostgres();
  let runs: ScheduledStep[] = [];
  try {
    if (existsSync(finalDir) && !opts.force) {
      throw new ReleaseRefusedError(`${finalDir} already exists; re-run with --force to rebuild it (collected approvals/ are kept)`);
    }
    removeStalePartials(versionDir);
    const commit = opts.commit ?? headCommit();
    removePartial();
    mkdirSync(dir, { recursive: true });
    unregisterPartial = onInterrupt(removePartial);

    const region = stackFile.config["aws:region"] ?? "us-east-1";
    const ctx: ReleaseContext = {
      stack: opts.stack,
      version,
      cfg,
      commit,
      dir,
      finalDir,
      images: imageReferences(cfg, opts.stack, version, commit.sha, region),
      results: [],
      steps,
      progress: () => undefined,
      onInterrupt,
      postgres: postgres.get,
      state: {},
      ...(opts.bundlePaths ? { bundlePaths: opts.bundlePaths } : {}),
      ...(opts.configFile ? { configFile: opts.configFile } : {}),
    };
    const aborted = () => opts.signal?.aborted === true;

    runs = scheduleSteps(steps, {
      // Each step gets its own progress; everything else of the context is shared.
      run: (s, progress) => runStep(s, { ...ctx, progress }),
      mayStart: () => !aborted(),
      onResults: (results) => ctx.results.splice(0, ctx.results.length, ...results),
    });
    const live = opts.display === "tty" || (opts.display === undefined && process.stdout.isTTY === true);
    const tasks = new Listr(
      runs.map((run) => ({ title: run.step.title, task: displayTask(run, aborted, live) })),
      {
        concurrent: live,
        exitOnError: false,
        // Our interrupt handling runs the cleanup first; listr2's own would exit 127 before it.
        registerSignalListeners: false,
        renderer: opts.display === "silent" ? "silent" : opts.display === "plain" ? "simple" : "default",
        fallbackRenderer: "simple",
        rendererOptions: { collapseSubtasks: false, collapseErrors: false },
      },
    );
    await tasks.run();
    // Every started step has finished (a step the display gave up on included) before anything is judged or removed.
    await Promise.allSettled(runs.map((r) => r.done));
    // Nothing after the steps uses the server: its stop overlaps the verdict and the records.
    void postgres.stop();
    if (aborted()) throw new ReleaseInterruptedError("release interrupted");

    // Approvals collected for an earlier build of this stack's package (valid if the manifest is
    // unchanged), and those collected elsewhere (CI: the approvals branch). Under the lock, no
    // signer writes meanwhile. Verification below judges each one.
    if (opts.force) copyApprovals(join(finalDir, APPROVALS_DIR), dir, false);
    if (opts.approvalsFrom) copyApprovals(opts.approvalsFrom, dir, true);

    const roles = requiredRoles(cfg);
    const manifest = buildManifest({
      dir,
      version,
      stack: opts.stack,
      gitSha: commit.sha,
      imageDigests: Object.fromEntries(ctx.images.filter((i) => i.digest).map((i) => [i.service, i.digest!])),
      versions: toolVersions(),
      checks: ctx.results.map((r) => ({ id: r.id, title: r.title, status: r.status, blocking: r.blocking })),
      signoff: { tier: roles.tier, requiredRoles: roles.roles },
      extra: { buildTime: commit.time.toISOString(), images: ctx.images },
    });
    writeManifest(dir, manifest);

    const signers = opts.signers ?? (opts.allowedSignersPath ? { kind: "file" as const, path: opts.allowedSignersPath } : atCommit(commit.sha));
    const signoffs = verifySignoffs({ packageDir: dir, stack: opts.stack, cfg, version, commit: commit.sha, signers });
    const reasons = [
      ...ctx.results.filter((r) => r.blocking && r.status !== "pass").flatMap((r) => (r.reasons.length ? r.reasons.map((x) => `${r.title}: ${x}`) : [`${r.title}: ${r.status}`])),
      // The manifest's failed checks are the step reasons above; the rest is about the package and the signatures.
      ...signoffs.package.problems.map((p) => `sign-off: package: ${p.message}`),
      ...signoffs.reasons.filter((r) => r.startsWith("role ") || r.startsWith("allowed signers: ")).map((r) => `sign-off: ${r}`),
    ];
    const verdict = reasons.length === 0 && signoffs.go ? "GO" : "NO-GO";
    if (verdict === "NO-GO" && reasons.length === 0) reasons.push(...signoffs.reasons.map((r) => `sign-off: ${r}`));
    const at = new Date();
    writeStatus(dir, { verdict, reasons, results: ctx.results, signoffs: { ...signoffs, packageDir: finalDir }, at });
    const smoke = ctx.results.find((r) => r.id === "smoke") as (StepResult & { checks?: { name: string; ok: boolean; detail: string }[] }) | undefined;
    const record: ReleaseRecord = {
      tag: "BACK-PH5",
      stack: opts.stack,
      version,
      gitSha: commit.sha,
      at: at.toISOString(),
      package: finalDir.startsWith(`${REPO_ROOT}/`) ? finalDir.slice(REPO_ROOT.length + 1) : finalDir,
      verdict,
      reasons,
      checks: ctx.results.map((r) => ({ id: r.id, title: r.title, status: r.status, blocking: r.blocking, summary: r.summary, figures: r.figures })),
      ...(smoke?.checks ? { smoke: smoke.checks } : {}),
    };
    writeWhole(join(dir, STATUS_DIR, RECORD_FILE), renderRecord(record));
    writeReport(dir, cfg); // status/report.html: the verdict, checks and sign-offs above, as a page (outside the manifest like them)

    if (aborted()) throw new ReleaseInterruptedError("release interrupted");
    // Swap in the complete package: the old one is only removed once the new one is in place.
    const old = join(versionDir, `.${opts.stack}.old-${process.pid}`);
    if (existsSync(finalDir)) renameSync(finalDir, old);
    renameSync(dir, finalDir);
    unregisterPartial();
    rmSync(old, { recursive: true, force: true });

    // The shared record (one file per stack and version) and the log generated from all of them.
    const logFile = opts.logFile ?? TEST_LOG;
    const recordsDir = opts.recordsDir ?? join(dirname(logFile), "releases");
    writeWhole(recordPath(opts.stack, version, recordsDir), renderRecord(record));
    writeLog(logFile, recordsDir);
    return { verdict, reasons, packageDir: finalDir, results: ctx.results, signoffs };
  } catch (err) {
    // Before the package directory goes, nothing may still write into it.
    await Promise.allSettled(runs.map((r) => r.done));
    await postgres.stop();
    removePartial();
    throw err;
  } finally {
    await postgres.stop();
    unregisterPartial();
    unregisterLock();
    lock.release();
    stopHandling();
  }
}
