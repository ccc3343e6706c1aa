/**
 * The release's API contracts: every workspace with an `openapi.json` beside its package.json (a
 * second service gets the diff, the judgement and the smoke test for free), each compared with
 * the previous release's copy of the same document.
 *
 * The previous copy comes from the previous version's tag (`git show v<prev>:<file>`); when the
 * tag has none, from the archived release package of an earlier version (`<outputs>/<version>/
 * api/<workspace>/openapi.json`, written by the api step). None at all: first contract, no diff.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";
import { assertOpenApi, diffOpenApi, judgeApiDiff, listOperations, parseVersion, type ApiDiff, type ApiJudgement, type OpenApiDocument, type OperationSummary } from "./api-diff";
import { fileAtRef, versionOfTag } from "./previous-release";

export interface ContractFile {
  /** The workspace directory, e.g. `backend`. */
  workspace: string;
  /** Repository-relative path of the document, e.g. `backend/openapi.json`. */
  file: string;
}

/** Workspaces (root package.json `workspaces`) that publish an OpenAPI document. */
export function contractFiles(root = REPO_ROOT): ContractFile[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  return (pkg.workspaces ?? [])
    .filter((ws) => existsSync(join(root, ws, "openapi.json")))
    .map((workspace) => ({ workspace, file: `${workspace}/openapi.json` }));
}

/** Where a package keeps its copy of a workspace's contract (the "archived package" source). */
export const packagedContractPath = (workspace: string) => join("api", workspace, "openapi.json");

export function parseContract(text: string, where: string): OpenApiDocument {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return assertOpenApi(json, where);
}

export interface PreviousContract {
  version: string;
  /** Where it was read from, for people: `git tag v1.3.0` or the package directory. */
  source: string;
  document: OpenApiDocument;
}

export interface PreviousContractQuery {
  contract: ContractFile;
  /** The previous version's tag, when there is one. */
  tag?: string;
  /** This release's version: archived packages of later or equal versions are ignored. */
  version: string;
  /** The directory holding release packages by version (backend/outputs/phase-5). */
  packageRoot?: string;
  /** The stack whose packages to look in (`<packageRoot>/<version>/<stack>/`). */
  stack?: string;
  cwd?: string;
}

function newestArchived(query: PreviousContractQuery): { version: string; path: string } | undefined {
  if (!query.packageRoot || !existsSync(query.packageRoot)) return undefined;
  const current = parseVersion(query.version);
  const older = (v: string) => {
    try {
      const p = parseVersion(v);
      return p.major !== current.major ? p.major < current.major : p.minor !== current.minor ? p.minor < current.minor : p.patch < current.patch;
    } catch {
      return false;
    }
  };
  const candidates = readdirSync(query.packageRoot)
    .filter((v) => older(v) && existsSync(join(query.packageRoot!, v, query.stack ?? "", packagedContractPath(query.contract.workspace))))
    .sort((a, b) => {
      const x = parseVersion(a);
      const y = parseVersion(b);
      return y.major - x.major || y.minor - x.minor || y.patch - x.patch;
    });
  const version = candidates[0];
  return version ? { version, path: join(query.packageRoot, version, query.stack ?? "", packagedContractPath(query.contract.workspace)) } : undefined;
}

/** The previous release's document, or undefined when no earlier release published one. */
export function previousContract(query: PreviousContractQuery): PreviousContract | undefined {
  if (query.tag) {
    const text = fileAtRef(query.tag, query.contract.file, query.cwd ?? REPO_ROOT);
    if (text !== undefined) return { version: versionOfTag(query.tag), source: `git tag ${query.tag}`, document: parseContract(text, `${query.contract.file} at ${query.tag}`) };
  }
  const archived = newestArchived(query);
  if (!archived) return undefined;
  return { version: archived.version, source: archived.path, document: parseContract(readFileSync(archived.path, "utf8"), archived.path) };
}

export interface ContractReport {
  contract: ContractFile;
  document: OpenApiDocument;
  operations: OperationSummary[];
  previous?: PreviousContract;
  diff?: ApiDiff;
  judgement?: ApiJudgement;
}

export interface ContractOptions {
  version: string;
  tag?: string;
  packageRoot?: string;
  stack?: string;
  root?: string;
}

/** Every contract of this checkout with its diff against the previous release and the judgement. */
export function contractReports(opts: ContractOptions): ContractReport[] {
  const root = opts.root ?? REPO_ROOT;
  return contractFiles(root).map((contract) => {
    const document = parseContract(readFileSync(join(root, contract.file), "utf8"), contract.file);
    const previous = previousContract({ contract, version: opts.version, cwd: root, ...(opts.tag ? { tag: opts.tag } : {}), ...(opts.packageRoot ? { packageRoot: opts.packageRoot } : {}), ...(opts.stack ? { stack: opts.stack } : {}) });
    const report: ContractReport = { contract, document, operations: listOperations(document) };
    if (!previous) return report;
    const diff = diffOpenApi(previous.document, document);
    return { ...report, previous, diff, judgement: judgeApiDiff(diff, previous.version, opts.version) };
  });
}

/** The API section of the release notes and the package's api/api-diff.md. */
export function renderContractMarkdown(reports: ContractReport[], headingLevel = 2): string {
  const h = "#".repeat(headingLevel);
  if (reports.length === 0) return `No workspace publishes an OpenAPI document (\`<workspace>/openapi.json\`).\n`;
  return reports
    .map((r) => {
      const title = `${r.document.info?.title ?? r.contract.workspace} (\`${r.contract.file}\`, OpenAPI ${r.document.openapi})`;
      const lines = [`${h} ${title}`, ""];
      if (!r.previous || !r.diff || !r.judgement) {
        lines.push("No earlier release published this document: every operation below is new to the contract.", "");
      } else {
        lines.push(`Compared with ${r.previous.version} (${r.previous.source}): ${r.judgement.summary}.`, "");
        const { added, removed, changed } = r.diff.operations;
        lines.push(`Operations: ${added.length} added, ${removed.length} removed, ${changed.length} changed.`, "");
        if (r.diff.breaking.length) {
          lines.push(`${h}# Breaking changes`, "", ...r.diff.breaking.map((c) => `- ${c.message} (\`${c.rule}\`)`), "");
        }
        const other = r.diff.changes.filter((c) => !c.breaking);
        if (other.length) lines.push(`${h}# Other changes`, "", ...other.map((c) => `- ${c.message} (\`${c.rule}\`)`), "");
        if (r.diff.changes.length === 0) lines.push("No operation, parameter or field changed.", "");
      }
      lines.push(`${h}# Operations`, "", "| method | path | operationId | summary |", "|---|---|---|---|");
      for (const o of r.operations) lines.push(`| ${o.method} | \`${o.path}\` | ${o.operationId ?? ""} | ${(o.summary ?? "").replace(/\|/g, "\\|")} |`);
      lines.push("");
      return lines.join("\n");
    })
    .join("\n");
}
