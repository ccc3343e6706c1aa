/**
 * The BACK-PH5 log, docs/Test_Result_Analysis.md: a view generated from the release records
 * (infra/release/records.ts), one entry per stack and version, oldest run first. Generating it
 * is deterministic (the same records give the same bytes) and needs no merging: after records
 * from two branches meet, regenerate it (`npm run cli -- release-log`).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";
import { readRecords, RECORDS_DIR, TEST_LOG_PATH, writeWhole, type ReleaseRecord } from "./records";

export const TEST_LOG = join(REPO_ROOT, TEST_LOG_PATH);

const HEADER = `# Test Result Analysis

Release readiness and smoke test confirmations, tagged \`BACK-PH5\`: one entry per stack and
version, from the latest run of the release command
(\`npm run release -- --stack <stack> --version <version>\`), oldest first.

Generated from the release records in \`${RECORDS_DIR}/<stack>/<version>.json\` (also in each
package's \`status/record.json\`); do not edit it by hand — \`npm run cli -- release-log\`
regenerates it, \`--check\` fails when it is stale.
`;

function figures(r: ReleaseRecord["checks"][number]): string {
  const f = Object.entries(r.figures).map(([k, v]) => `${k}=${v}`);
  return f.length ? ` (${f.join(", ")})` : "";
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

export function renderEntry(e: ReleaseRecord): string {
  const lines = [
    "",
    `## BACK-PH5 — ${e.version} on ${e.stack} — ${e.verdict}`,
    "",
    `- Tag: \`BACK-PH5\``,
    `- Date: ${e.at}`,
    `- Version: ${e.version}`,
    `- Commit: ${e.gitSha}`,
    `- Stack: ${e.stack}`,
    `- Package: \`${e.package}\``,
    "",
    "| check | result | summary |",
    "|---|---|---|",
    ...e.checks.map((r) => `| ${r.title} | ${r.status === "fail" ? "✖ " : ""}${r.status.toUpperCase()}${r.blocking ? "" : " (advisory)"} | ${cell(r.summary)}${cell(figures(r))} |`),
  ];
  if (e.smoke?.length) {
    lines.push("", "Smoke test confirmations:", "", ...e.smoke.map((c) => `- [${c.ok ? "x" : " "}] ${c.name}: ${c.detail}`));
  }
  lines.push("", `Verdict: **${e.verdict}**`);
  if (e.reasons.length) lines.push("", "Reasons:", "", ...e.reasons.map((r) => `- ${r}`));
  return `${lines.join("\n")}\n`;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function renderLog(records: ReleaseRecord[]): string {
  const sorted = [...records].sort((a, b) => byCodeUnit(a.at, b.at) || byCodeUnit(a.stack, b.stack) || byCodeUnit(a.version, b.version));
  return HEADER + sorted.map(renderEntry).join("");
}

/** Regenerates the log from the records; returns whether it changed. */
export function writeLog(file = TEST_LOG, recordsDir = join(REPO_ROOT, RECORDS_DIR)): boolean {
  const text = renderLog(readRecords(recordsDir));
  if (existsSync(file) && readFileSync(file, "utf8") === text) return false;
  writeWhole(file, text);
  return true;
}

/** Whether the log is what the records generate. */
export function logIsCurrent(file = TEST_LOG, recordsDir = join(REPO_ROOT, RECORDS_DIR)): boolean {
  return existsSync(file) && readFileSync(file, "utf8") === renderLog(readRecords(recordsDir));
}
