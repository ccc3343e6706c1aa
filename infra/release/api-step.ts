/**
 * Release step — the API contract: each published OpenAPI document must match its code (the
 * workspace's `openapi:check` script, run as `npm run` would, without the npm CLI's start) and is
 * compared with the previous release's. Breaking
 * changes without a major version bump are blocking findings, one per change. The package gets
 * the contract (`api/<workspace>/openapi.json`, the copy a later release can diff against),
 * the diff as JSON (for reports) and as Markdown.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";
import { contractFiles, contractReports, packagedContractPath, renderContractMarkdown, type ContractFile } from "./api-contract";
import { previousTag } from "./git";
import { fail, step, type ReleaseContext, type StepResult } from "./types";
import { runWorkspaceScript, type ScriptOptions } from "./workspace-script";

export interface ApiStepOptions {
  /** The checkout to read (tests use a fixture repository). */
  root?: string;
  /** The previous version's tag; default: the newest `v*` tag before this version. */
  tag?: string | null;
}

/** Runs the workspace's `openapi:check`; returns the problem (its last line of output), or undefined when the document is current. */
export async function contractFreshness(contract: ContractFile, root = REPO_ROOT, options: ScriptOptions = {}): Promise<string | undefined> {
  const pkg = JSON.parse(readFileSync(join(root, contract.workspace, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  if (!pkg.scripts?.["openapi:check"]) return `${contract.file}: cannot check it against the code: ${contract.workspace}/package.json has no "openapi:check" script`;
  const run = await runWorkspaceScript(root, contract.workspace, "openapi:check", options);
  if (run.code === 0) return undefined;
  const said = `${run.stdout}\n${run.stderr}`.split("\n").map((l) => l.trim()).filter(Boolean);
  return said.at(-1) ?? `${contract.file}: ${run.failed ?? "openapi:check"} exited with code ${run.code}`;
}

export async function apiStep(ctx: ReleaseContext, options: ApiStepOptions = {}): Promise<StepResult> {
  const result = step("api", "API contract: OpenAPI documents and changes since the previous release");
  const root = options.root ?? REPO_ROOT;
  try {
    const contracts = contractFiles(root);
    if (contracts.length === 0) {
      fail(result, "no workspace publishes an OpenAPI document (<workspace>/openapi.json): generate it with `npm run -w backend openapi` and commit it");
      result.summary = "no API contract";
      return result;
    }
    for (const contract of contracts) {
      ctx.progress(`checking ${contract.file} against the code`);
      const problem = await contractFreshness(contract, root, { onInterrupt: ctx.onInterrupt });
      if (problem) fail(result, problem);
    }
    const tag = options.tag === undefined ? previousTag(ctx.version) : (options.tag ?? undefined);
    // Packages live at <packageRoot>/<version>/<stack>/: look in this stack's earlier packages.
    const reports = contractReports({ version: ctx.version, root, packageRoot: dirname(dirname(ctx.finalDir)), stack: ctx.stack, ...(tag ? { tag } : {}) });
    const dir = join(ctx.dir, "api");
    for (const r of reports) {
      const own = join(ctx.dir, packagedContractPath(r.contract.workspace));
      mkdirSync(dirname(own), { recursive: true });
      writeFileSync(own, readFileSync(join(root, r.contract.file)));
      result.files.push(packagedContractPath(r.contract.workspace));
      if (r.judgement?.blocking) fail(result, ...r.judgement.findings);
    }
    mkdirSync(dir, { recursive: true });
    const json = reports.map((r) => ({
      workspace: r.contract.workspace,
      file: r.contract.file,
      title: r.document.info?.title ?? null,
      operations: r.operations,
      previous: r.previous ? { version: r.previous.version, source: r.previous.source.replace(`${REPO_ROOT}/`, "") } : null,
      diff: r.diff ?? null,
      judgement: r.judgement ?? null,
    }));
    writeFileSync(join(dir, "api-diff.json"), `${JSON.stringify({ version: ctx.version, contracts: json }, null, 2)}\n`);
    writeFileSync(join(dir, "api-diff.md"), `# API changes — ${ctx.version}\n\n${renderContractMarkdown(reports)}`);
    result.files.push("api/api-diff.json", "api/api-diff.md");
    const count = (f: (r: (typeof reports)[number]) => number) => reports.reduce((n, r) => n + f(r), 0);
    result.figures = {
      contracts: reports.length,
      operations: count((r) => r.operations.length),
      added: count((r) => r.diff?.operations.added.length ?? 0),
      removed: count((r) => r.diff?.operations.removed.length ?? 0),
      changed: count((r) => r.diff?.operations.changed.length ?? 0),
      breaking: count((r) => r.diff?.breaking.length ?? 0),
    };
    result.summary = reports.map((r) => `${r.contract.file}: ${r.operations.length} operations; ${r.judgement ? r.judgement.summary : "first published contract"}`).join("; ");
  } catch (err) {
    fail(result, `api: ${(err as Error).message.split("\n")[0]}`);
    result.summary = "the API contract could not be judged";
  }
  return result;
}
