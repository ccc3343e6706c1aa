/**
 * The release report: one self-contained HTML page (inline CSS and SVG, no scripts, fonts or
 * network) with the verdict and why, the checks, sign-offs, policy findings by severity, the
 * resource graph, the on-call calendar, the monitors and thresholds, the migration plan and the
 * API changes. A pure renderer of a package directory and the stack's config; it lives in
 * status/ beside the verdict it shows (outside the signed manifest, rewritten by every run).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "../../config/schema";
import { alertTable, type AlertThresholds } from "../observability/alert-table";
import { oncallCalendar, renderCalendarHtml } from "./report-calendar";
import { componentGraph, graphResources, renderGraphSvg } from "./report-graph";
import { escapeHtml, inline, markdownToHtml } from "./report-markdown";
import { REPORT_CSS } from "./report-style";

export const REPORT_FILE = join("status", "report.html");

export class ReportError extends Error {
  override readonly name = "ReportError";
}

export interface ReportOptions {
  /** Start of the on-call calendar (default: when the verdict was evaluated). */
  from?: number;
  /** Weeks of on-call calendar (default 4). */
  weeks?: number;
}

interface Verdict {
  verdict: "GO" | "NO-GO";
  reasons: string[];
  evaluatedAt: string;
  checks: { id: string; status: "pass" | "fail" | "skip"; summary: string; reasons: string[] }[];
  signoffs?: {
    stack?: string;
    version?: string;
    roles: { role: string; required: number; valid: number; satisfied: boolean; signers?: string[]; refused?: string[] }[];
    signatures: { file: string; valid: boolean; role?: string; principal?: string; reason?: string }[];
  };
}

interface Violation {
  policyPack?: string;
  policy: string;
  urn?: string;
  type?: string;
  enforcementLevel?: string;
  severity?: string;
  message: string;
}

function readJson<T>(dir: string, file: string, required: true): T;
function readJson<T>(dir: string, file: string, required: false): T | undefined;
function readJson<T>(dir: string, file: string, required: boolean): T | undefined {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (required) throw new ReportError(`${path}: missing; the report is rendered after the release writes ${file} (run the release for this version and stack)`);
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    throw new ReportError(`${path}: not valid JSON (${err instanceof Error ? err.message : String(err)}); re-run the release to rewrite it`);
  }
}

function readVerdict(dir: string): Verdict {
  const v = readJson<Partial<Verdict>>(dir, join("status", "verdict.json"), true);
  if ((v.verdict !== "GO" && v.verdict !== "NO-GO") || !Array.isArray(v.reasons) || !Array.isArray(v.checks) || typeof v.evaluatedAt !== "string") {
    throw new ReportError(`${join(dir, "status", "verdict.json")}: expected { verdict: "GO" | "NO-GO", reasons: [], checks: [], evaluatedAt } (what the release writes); re-run the release`);
  }
  return v as Verdict;
}

const MARK = { pass: "✔", fail: "✖", skip: "↓" } as const;
const SEVERITIES = ["critical", "high", "medium", "low", "info", "unspecified"] as const;
type Severity = (typeof SEVERITIES)[number];

/**
 * A finding's severity: its own when the JSON report carries one, else the severity its policy
 * declares (the SARIF rules carry it), else "unspecified" — never guessed from enforcement.
 */
export function severityOf(v: Violation, declared: ReadonlyMap<string, string>): Severity {
  const s = (v.severity ?? declared.get(`${v.policyPack ?? ""}/${v.policy}`) ?? declared.get(v.policy) ?? "").toLowerCase();
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : "unspecified";
}

/** Declared severity per policy, from policy/results.sarif (`<pack>/<policy>` and `<policy>`). */
function declaredSeverities(dir: string): Map<string, string> {
  const sarif = readJson<{ runs?: { tool?: { driver?: { name?: string; rules?: { id: string; properties?: { severity?: string } }[] } } }[] }>(dir, join("policy", "results.sarif"), false);
  const out = new Map<string, string>();
  for (const run of sarif?.runs ?? []) {
    for (const rule of run.tool?.driver?.rules ?? []) {
      const sev = rule.properties?.severity;
      if (!sev) continue;
      out.set(`${run.tool?.driver?.name ?? ""}/${rule.id}`, sev);
      if (!out.has(rule.id)) out.set(rule.id, sev);
    }
  }
  return out;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

const missing = (what: string) => `<p class="missing">Not in this package: ${escapeHtml(what)}.</p>`;

function verdictSection(v: Verdict, titles: Map<string, string>): string {
  const reasons = v.reasons.length ? `<ul class="reasons">${v.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul>` : `<p>Every check passed and every required sign-off is valid.</p>`;
  const checks = v.checks
    .map((c) => {
      const why = c.reasons.length ? `<ul>${c.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join("")}</ul>` : "";
      return `<tr class="check ${c.status}" data-check="${escapeHtml(c.id)}"><td class="mark">${MARK[c.status] ?? "?"}</td><td>${escapeHtml(titles.get(c.id) ?? c.id)}</td><td>${c.status.toUpperCase()}</td><td>${escapeHtml(c.summary)}${why}</td></tr>`;
    })
    .join("\n");
  return [
    `<div id="verdict" class="verdict ${v.verdict === "GO" ? "go" : "nogo"}"><span class="word">${v.verdict}</span><span class="when">evaluated ${escapeHtml(v.evaluatedAt)}</span></div>`,
    section("why", "Why", reasons),
    section("checks", "Checks", `<table id="checks-table"><thead><tr><th></th><th>check</th><th>result</th><th>summary</th></tr></thead><tbody>${checks}</tbody></table>`),
  ].join("\n");
}

function signoffSection(v: Verdict): string {
  const s = v.signoffs;
  if (!s) return section("signoffs", "Sign-offs", missing("sign-off status"));
  const roles = s.roles
    .map((r) => `<tr class="${r.satisfied ? "pass" : "fail"}"><td class="mark">${r.satisfied ? "✔" : "✖"}</td><td>${escapeHtml(r.role)}</td><td>${r.valid} of ${r.required}</td><td>${escapeHtml((r.signers ?? []).join(", ") || "—")}</td></tr>`)
    .join("");
  const sigs = s.signatures.length
    ? `<table><thead><tr><th></th><th>who</th><th>role</th><th>signature</th><th>why not valid</th></tr></thead><tbody>${s.signatures
        .map((x) => `<tr class="${x.valid ? "pass" : "fail"}"><td class="mark">${x.valid ? "✔" : "✖"}</td><td>${escapeHtml(x.principal ?? "?")}</td><td>${escapeHtml(x.role ?? "?")}</td><td><code>${escapeHtml(x.file)}</code></td><td>${escapeHtml(x.valid ? "" : (x.reason ?? ""))}</td></tr>`)
        .join("")}</tbody></table>`
    : `<p>No signatures collected yet.</p>`;
  return section("signoffs", "Sign-offs", `<table><thead><tr><th></th><th>role</th><th>valid</th><th>signed by</th></tr></thead><tbody>${roles}</tbody></table>\n${sigs}`);
}

function policySection(dir: string): string {
  const report = readJson<{ violations?: Violation[] }>(dir, join("policy", "results.json"), false);
  if (!report) return section("policy", "Policy findings", missing("policy/results.json"));
  const violations = report.violations ?? [];
  if (violations.length === 0) return section("policy", "Policy findings", "<p>No policy violations.</p>");
  const declared = declaredSeverities(dir);
  const bySeverity = SEVERITIES.map((sev) => [sev, violations.filter((x) => severityOf(x, declared) === sev)] as const).filter(([, xs]) => xs.length > 0);
  const counts = `<p class="counts">${bySeverity.map(([sev, xs]) => `<span class="sev ${sev}">${sev}: ${xs.length}</span>`).join(" ")}</p>`;
  const tables = bySeverity.map(
    ([sev, xs]) =>
      `<h3 class="sev ${sev}">${sev} (${xs.length})</h3><table><thead><tr><th>policy</th><th>enforcement</th><th>resource</th><th>finding</th></tr></thead><tbody>${xs
        .map((x) => `<tr><td><code>${escapeHtml(x.policy)}</code></td><td>${escapeHtml(x.enforcementLevel ?? "")}</td><td>${escapeHtml(x.urn ? x.urn.slice(x.urn.lastIndexOf("::") + 2) : "")}<br><small>${escapeHtml(x.type ?? "")}</small></td><td>${escapeHtml(x.message)}</td></tr>`)
        .join("")}</tbody></table>`,
  );
  return section("policy", "Policy findings", [counts, ...tables].join("\n"));
}

function graphSection(dir: string): string {
  const json = readJson<unknown>(dir, join("preview", "graph.json"), false);
  if (json === undefined) return section("graph", "Resource graph", missing("preview/graph.json"));
  const g = componentGraph(graphResources(json, join(dir, "preview", "graph.json")));
  const note = `<p class="note">${g.components.length} components (boxes: each with its key resources, the rest counted); an arrow A → B means B depends on A.${g.loose ? ` ${g.loose} resource(s) outside any component.` : ""}</p>`;
  return section("graph", "Resource graph", `${note}<div class="scroll">${renderGraphSvg(g)}</div>`);
}

function thresholdCell(t: AlertThresholds | undefined): string {
  if (!t) return "not monitored";
  const parts = [t.warning ? `warn ${t.warning}` : "", `crit ${t.critical}`].filter(Boolean).join(" / ");
  return `${escapeHtml(parts)}${t.windowMinutes ? `, ${t.windowMinutes} min` : ""}`;
}

function monitorsSection(cfg: StackConfig): string {
  const rows = alertTable([cfg]);
  const body = rows
    .map((r) => {
      const t = r.environments[cfg.environment];
      const sev = t ? `${t.severity === "page" ? `page ${t.pages ?? ""}` : "ticket"} (P${t.priority})` : "";
      return `<tr><td>${escapeHtml(r.monitor)}</td><td>${escapeHtml(r.service)}</td><td>${thresholdCell(t)}</td><td>${escapeHtml(sev)}</td><td><code>${escapeHtml(r.runbook)}</code></td></tr>`;
    })
    .join("");
  return section("monitors", `Monitors and thresholds (${cfg.environment})`, `<table><thead><tr><th>monitor</th><th>service</th><th>threshold</th><th>alerts</th><th>runbook</th></tr></thead><tbody>${body}</tbody></table>`);
}

function apiSection(dir: string): string {
  const diff = readJson<{ contracts?: { workspace: string; file: string; title?: string; operations?: { method: string; path: string; summary?: string }[]; previous?: unknown; diff?: { changes?: { operation: string; kind: string; breaking: boolean; message: string }[] } | null; judgement?: { summary?: string } | null }[] }>(dir, join("api", "api-diff.json"), false);
  if (!diff) return "";
  const parts = (diff.contracts ?? []).map((c) => {
    const changes = c.diff?.changes ?? [];
    const changeList = c.previous === null || c.previous === undefined ? "<p>First published contract: no earlier release to compare with.</p>" : changes.length === 0 ? "<p>No changes since the previous release.</p>" : `<table><thead><tr><th>operation</th><th>change</th><th>breaking</th><th>what</th></tr></thead><tbody>${changes.map((x) => `<tr class="${x.breaking ? "fail" : ""}"><td><code>${escapeHtml(x.operation)}</code></td><td>${escapeHtml(x.kind)}</td><td>${x.breaking ? "✖ yes" : "no"}</td><td>${escapeHtml(x.message)}</td></tr>`).join("")}</tbody></table>`;
    const ops = `<details><summary>${(c.operations ?? []).length} operations</summary><ul>${(c.operations ?? []).map((o) => `<li><code>${escapeHtml(o.method)} ${escapeHtml(o.path)}</code> ${escapeHtml(o.summary ?? "")}</li>`).join("")}</ul></details>`;
    return `<h3>${escapeHtml(c.title ?? c.workspace)} <small><code>${escapeHtml(c.file)}</code></small></h3>${c.judgement?.summary ? `<p>${inline(c.judgement.summary)}</p>` : ""}${changeList}${ops}`;
  });
  return section("api", "API changes", parts.join("\n") || "<p>No API contracts.</p>");
}

export function renderReportHtml(dir: string, cfg: StackConfig, opts: ReportOptions = {}): string {
  const v = readVerdict(dir);
  const record = readJson<{ checks?: { id: string; title: string }[]; version?: string; stack?: string }>(dir, join("status", "record.json"), false);
  const manifest = readJson<{ version?: string; stack?: string; gitSha?: string }>(dir, "manifest.json", false);
  const titles = new Map((record?.checks ?? []).map((c) => [c.id, c.title]));
  const version = manifest?.version ?? record?.version ?? v.signoffs?.version ?? "?";
  const stack = manifest?.stack ?? record?.stack ?? v.signoffs?.stack ?? cfg.environment;
  const from = opts.from ?? Date.parse(v.evaluatedAt);
  const cal = oncallCalendar(cfg, Number.isFinite(from) ? from : Date.now(), opts.weeks ?? 4);
  const planPath = join(dir, "migrations", "migration-plan.md");
  const plan = existsSync(planPath) ? markdownToHtml(readFileSync(planPath, "utf8").replace(/^# .*\n/, "")) : missing("migrations/migration-plan.md");
  const title = `Release ${version} (${stack}): ${v.verdict}`;
  const nav = [["why", "Why"], ["checks", "Checks"], ["signoffs", "Sign-offs"], ["policy", "Policy"], ["graph", "Resource graph"], ["oncall", "On call"], ["monitors", "Monitors"], ["migrations", "Migrations"], ["api", "API"]];
  return [
    "<!doctype html>",
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    // No network: nothing here may load from anywhere (a CSP says so to the browser too).
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title><style>${REPORT_CSS}</style></head><body>`,
    `<header><h1>Release ${escapeHtml(version)} <span class="stack">${escapeHtml(stack)}</span></h1>${manifest?.gitSha ? `<p class="commit">commit <code>${escapeHtml(manifest.gitSha)}</code></p>` : ""}<nav>${nav.map(([id, label]) => `<a href="#${id}">${label}</a>`).join("")}</nav></header><main>`,
    verdictSection(v, titles),
    signoffSection(v),
    policySection(dir),
    graphSection(dir),
    section("oncall", `On call, ${opts.weeks ?? 4} weeks from ${cal.days[0]?.date ?? ""}`, renderCalendarHtml(cal, new Date(from).toISOString().slice(0, 10))),
    monitorsSection(cfg),
    section("migrations", "Migration plan", plan),
    apiSection(dir),
    `</main><footer>Generated from this package's files (status/verdict.json, policy/, preview/graph.json, migrations/, api/) and the stack's config. The Markdown files stay the source for diffs and PR comments.</footer></body></html>`,
    "",
  ].join("\n");
}

/** Renders and writes status/report.html whole (a temp file renamed in place: no half-written report). */
export function writeReport(dir: string, cfg: StackConfig, opts: ReportOptions = {}): string {
  const html = renderReportHtml(dir, cfg, opts);
  const path = join(dir, REPORT_FILE);
  mkdirSync(join(dir, "status"), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, path);
  return path;
}
