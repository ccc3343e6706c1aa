/**
 * The last step — the governance checklist, derived from what the steps declare they produce
 * (no second list): each deliverable under the brief's standard, with its location, ticked when
 * it is in the package and the step that produced it passed. The sign-off status is not here: it
 * changes as approvals arrive, and this file is covered by the manifest approvers sign (see
 * status/verdict.md); the roles they must be is, because it is part of what they approve.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requiredRoles } from "../signoff/required-roles";
import { fail, step, type Deliverable, type ReleaseContext, type ReleaseStep, type Standard, type StepResult } from "./types";

const STANDARDS: readonly Standard[] = ["REL-BACKEND", "DOC-RUNBOOK", "OPS-API", "SEC-OPS", "DATA-OPS"];

export interface ChecklistRow extends Deliverable {
  step: string;
  present: boolean;
  passed: boolean;
}

/** Every deliverable the other steps of this run declare, with whether it is there and passed. */
export function checklist(ctx: Pick<ReleaseContext, "steps" | "results" | "dir" | "version" | "stack">): ChecklistRow[] {
  const statusOf = (id: string) => ctx.results.find((r) => r.id === id)?.status ?? "skip";
  return ctx.steps
    .filter((s) => s.id !== governance.id)
    .flatMap((s) =>
      s.produces(ctx).map((d) => ({ ...d, step: s.id, present: existsSync(join(ctx.dir, d.location)), passed: statusOf(s.id) === "pass" })),
    );
}

async function run(ctx: ReleaseContext): Promise<StepResult> {
  const result = step(governance.id, governance.title, governance.blocking);
  const rows = checklist(ctx);
  // A failed step is already a reason of its own; here it only leaves the box unticked.
  for (const r of rows.filter((x) => !x.present)) fail(result, `${r.standard}: ${r.item}: missing at ${r.location}`);
  const roles = requiredRoles(ctx.cfg);
  const text = [
    `# Governance checklist — ${ctx.version} (${ctx.stack})`,
    "",
    "Cross-check of the release deliverables against the brief's standards, with their storage locations in this package (`backend/outputs/phase-5/" + ctx.version + "/" + ctx.stack + "/`). Derived from what each release step declares it produces.",
    "",
    ...STANDARDS.filter((s) => rows.some((r) => r.standard === s)).flatMap((s) => [
      `## ${s}`,
      "",
      "| | deliverable | location | step |",
      "|---|---|---|---|",
      ...rows.filter((r) => r.standard === s).map((r) => `| ${r.present && r.passed ? "[x]" : "[ ]"} | ${r.item}${r.present && !r.passed ? ` (step "${r.step}" did not pass)` : ""} | \`${r.location}\` | ${r.step} |`),
      "",
    ]),
    "## Sign-offs (Task 5.5)",
    "",
    `Required (${roles.tier} tier, floor included): ${Object.entries(roles.roles).map(([role, n]) => `${role} × ${n}`).join(", ")}, by distinct people (one person fills at most one role), as SSH signatures over manifest.json in \`approvals/\` (\`npm run cli -- signoff sign --role <role> --key <key> --version ${ctx.version} --stack ${ctx.stack}\`). The same requirement is recorded in manifest.json (\`signoff\`).`,
    ...roles.raised.map((r) => `Raised above the config: ${r}.`),
    "Keys are trusted as listed in `config/allowed_signers` of this release's commit. The current status is in `status/verdict.md`, which every run rewrites; it is deliberately outside the signed manifest.",
    "",
    "## Archive",
    "",
    `\`pulumi up --stack ${ctx.stack}\` uploads this package — only when it is GO for this stack, version and commit — to the release archive bucket under \`releases/<service>/${ctx.version}/\`, each object with its manifest sha256 as its S3 checksum (object lock ${ctx.cfg.archive.objectLockMode}, ${ctx.cfg.archive.retentionDays} days).`,
    "",
  ].join("\n");
  writeFileSync(join(ctx.dir, "governance-checklist.md"), text);
  result.files.push("governance-checklist.md");
  const done = rows.filter((r) => r.present && r.passed).length;
  result.figures = { deliverables: rows.length, complete: done };
  result.summary = `${done}/${rows.length} deliverables present and passing${result.status === "pass" ? "" : `; ${result.reasons.length} missing`}`;
  return result;
}

export const governance: ReleaseStep = {
  id: "governance",
  title: "Governance checklist",
  blocking: true,
  produces: () => [{ standard: "REL-BACKEND", item: "Governance checklist (this file's source)", location: "governance-checklist.md" }],
  run,
};

/** The step as a function, for callers of the old shape. */
export const governanceStep = governance.run;
