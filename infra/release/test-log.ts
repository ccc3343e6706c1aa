/**
 * The BACK-PH5 log: one entry per release run appended to docs/Test_Result_Analysis.md (date,
 * version, commit, stack, each check's result with figures, smoke confirmations, the verdict).
 */
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../config/stack-file";
import type { StepResult } from "./types";

export const TEST_LOG = join(REPO_ROOT, "docs", "Test_Result_Analysis.md");

const HEADER = `# Test Result Analysis

Release readiness and smoke test confirmations, one entry per run of the release command
(\`npm run release -- --stack <stack> --version <version>\`), tagged \`BACK-PH5\`. Entries are
appended by the command; do not edit them by hand.
`;

export interface LogEntry {
  at: Date;
  version: string;
  stack: string;
  gitSha: string;
  results: StepResult[];
  verdict: "GO" | "NO-GO";
  reasons: string[];
  packageDir: string;
  smoke?: { name: string; ok: boolean; detail: string }[];
}

function figures(r: StepResult): string {
  const f = Object.entries(r.figures).map(([k, v]) => `${k}=${v}`);
  return f.length ? ` (${f.join(", ")})` : "";
}

export function renderEntry(e: LogEntry): string {
  const lines = [
    "",
    `## BACK-PH5 — ${e.version} on ${e.stack} — ${e.verdict}`,
    "",
    `- Tag: \`BACK-PH5\``,
    `- Date: ${e.at.toISOString()}`,
    `- Version: ${e.version}`,
    `- Commit: ${e.gitSha}`,
    `- Stack: ${e.stack}`,
    `- Package: \`${e.packageDir}\``,
    "",
    "| check | result | summary |",
    "|---|---|---|",
    ...e.results.map((r) => `| ${r.title} | ${r.status.toUpperCase()}${r.blocking ? "" : " (advisory)"} | ${r.summary.replace(/\|/g, "\\|")}${figures(r).replace(/\|/g, "\\|")} |`),
  ];
  if (e.smoke?.length) {
    lines.push("", "Smoke test confirmations:", "", ...e.smoke.map((c) => `- [${c.ok ? "x" : " "}] ${c.name}: ${c.detail}`));
  }
  lines.push("", `Verdict: **${e.verdict}**`);
  if (e.reasons.length) lines.push("", "Reasons:", "", ...e.reasons.map((r) => `- ${r}`));
  return `${lines.join("\n")}\n`;
}

export function appendEntry(e: LogEntry, file = TEST_LOG): void {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, renderEntry(e));
}
