/**
 * Step 6 — the governance checklist: every deliverable of the brief checked for presence in the
 * package (and, where a step judged it, its result), with its location, grouped under the
 * brief's standards. The sign-off status is not here: it changes as approvals arrive, and this
 * file is covered by the manifest that approvers sign (see status/verdict.md).
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

interface Deliverable {
  standard: "REL-BACKEND" | "DOC-RUNBOOK" | "OPS-API" | "SEC-OPS" | "DATA-OPS";
  item: string;
  /** Package-relative location. */
  location: string;
  /** The step whose result also has to be a pass. */
  check?: string;
}

export const DELIVERABLES: Deliverable[] = [
  { standard: "REL-BACKEND", item: "Versioned deployment artifact with checksums (Task 5.1)", location: "artifacts/SHA256SUMS", check: "artifacts" },
  { standard: "REL-BACKEND", item: "SBOM of the production dependencies", location: "artifacts/metadata.json", check: "artifacts" },
  { standard: "REL-BACKEND", item: "Release notes: changes, API, known limitations (Task 5.4)", location: "docs/release-notes.md" },
  { standard: "REL-BACKEND", item: "Rollback strategy: service and database", location: "docs/rollback-strategy.md" },
  { standard: "REL-BACKEND", item: "CI/CD stages reviewed: tests and security scans enforced (Task 5.2)", location: "docs/ci-cd-stages.md" },
  { standard: "DOC-RUNBOOK", item: "Runbooks: startup, shutdown, scaling, incident response, alerts (Task 5.3)", location: "runbooks/" },
  { standard: "DOC-RUNBOOK", item: "Runbook index", location: "docs/runbook-index.md" },
  { standard: "DOC-RUNBOOK", item: "Monitoring dashboards and alert thresholds", location: "docs/monitors-and-thresholds.md" },
  { standard: "DOC-RUNBOOK", item: "On-call rotation and escalation", location: "docs/oncall-rotation.md" },
  { standard: "DOC-RUNBOOK", item: "Knowledge transfer: agenda, minutes, action items", location: "docs/handoff/" },
  { standard: "OPS-API", item: "Smoke test of the built service on a migrated database", location: "smoke/smoke-test.json", check: "smoke" },
  { standard: "OPS-API", item: "Environment configuration requirements (Task 5.2)", location: "docs/environment-configuration.md" },
  { standard: "OPS-API", item: "Configuration reference", location: "docs/configuration-reference.md" },
  { standard: "SEC-OPS", item: "SEC-OPS policy pack results (Markdown, JSON, SARIF)", location: "policy/results.sarif", check: "policy" },
  { standard: "SEC-OPS", item: "Resource graph the policies judged", location: "preview/graph.json", check: "policy" },
  { standard: "DATA-OPS", item: "DATA-OPS policy pack results", location: "policy/results.json", check: "policy" },
  { standard: "DATA-OPS", item: "Database migration plan with rollback per migration (Task 5.1)", location: "migrations/migration-plan.md", check: "migrations" },
  { standard: "DATA-OPS", item: "Migration lint and up/down/up verification", location: "migrations/verify-report.json", check: "migrations" },
];

export async function governanceStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("governance", "Governance checklist");
  const statusOf = (id: string) => ctx.results.find((r) => r.id === id)?.status ?? "skip";
  const rows = DELIVERABLES.map((d) => {
    const present = existsSync(join(ctx.dir, d.location));
    const passed = d.check ? statusOf(d.check) === "pass" : true;
    // A failed check is already a reason of its own step; here it only leaves the box unticked.
    if (!present) fail(result, `${d.standard}: ${d.item}: missing at ${d.location}`);
    return { ...d, ok: present && passed, note: present && !passed ? ` (check "${d.check}" failed)` : "" };
  });
  const standards = [...new Set(DELIVERABLES.map((d) => d.standard))];
  const text = [
    `# Governance checklist — ${ctx.version} (${ctx.stack})`,
    "",
    "Cross-check of the release deliverables against the brief's standards, with their storage locations in this package (`backend/outputs/phase-5/" + ctx.version + "/`).",
    "",
    ...standards.flatMap((s) => [
      `## ${s}`,
      "",
      "| | deliverable | location |",
      "|---|---|---|",
      ...rows.filter((r) => r.standard === s).map((r) => `| ${r.ok ? "[x]" : "[ ]"} | ${r.item}${r.note} | \`${r.location}\` |`),
      "",
    ]),
    "## Sign-offs (Task 5.5)",
    "",
    `Required: ${Object.entries(ctx.cfg.signoff.requiredRoles).map(([role, n]) => `${role} × ${n}`).join(", ")}, as SSH signatures over manifest.json in \`approvals/\` (\`npm run cli -- signoff sign --role <role> --key <key> --version ${ctx.version}\`).`,
    "Their current status is in `status/verdict.md`, which every run and `signoff verify` rewrite; it is deliberately outside the signed manifest.",
    "",
    "## Archive",
    "",
    `\`pulumi up --stack ${ctx.stack}\` uploads this package to the release archive bucket under \`releases/<service>/${ctx.version}/\` with version metadata (object lock ${ctx.cfg.archive.objectLockMode}, ${ctx.cfg.archive.retentionDays} days).`,
    "",
  ].join("\n");
  writeFileSync(join(ctx.dir, "governance-checklist.md"), text);
  result.files.push("governance-checklist.md");
  const done = rows.filter((r) => r.ok).length;
  result.figures = { deliverables: rows.length, complete: done };
  result.summary = `${done}/${rows.length} deliverables present and passing${result.status === "pass" ? "" : `; ${result.reasons.length} missing`}`;
  return result;
}
