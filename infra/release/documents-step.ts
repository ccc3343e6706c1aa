/**
 * Step 5 — documents: release notes (conventional commits since the previous version's tag, the
 * API changes, known limitations), rollback strategy, on-call rotation, monitors and thresholds,
 * environment configuration requirements, the runbooks and their index, the CI/CD stages.
 * Everything is derived from the commit and the stack config, so a re-run writes the same bytes.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, stacksInPromotionOrder } from "../../config/stack-file";
import { fillHandoffTemplate, handoffFacts, HANDOFF_TEMPLATES, readHandoffTemplate } from "../docs/handoff";
import { alertTable, renderAlertTableMarkdown } from "../observability/alert-table";
import { rotationDocuments } from "../observability/rotation";
import { renderReleaseNotes } from "./release-notes";
import { renderRollbackStrategy } from "./rollback-strategy";
import { fail, step, type ReleaseContext, type StepResult } from "./types";

export function renderEnvironmentRequirements(): string {
  const envs = stacksInPromotionOrder().map(({ stack, cfg }) => ({ s: stack, cfg }));
  const row = (label: string, f: (c: (typeof envs)[number]["cfg"]) => string) => `| ${label} | ${envs.map((e) => f(e.cfg)).join(" | ")} |`;
  return [
    `# Environment configuration requirements`,
    "",
    "Every key is described in docs/configuration.md (generated from the schema). What each environment needs before `pulumi up`:",
    "",
    `| | ${envs.map((e) => `${e.s} (${e.cfg.profile})`).join(" | ")} |`,
    `|---|${envs.map(() => "---|").join("")}`,
    row("region", () => "from `aws:region`"),
    row("image source", (c) => (c.images.source === "promote" ? "promote the staging-validated digest" : "build backend/Dockerfile")),
    row("tasks (min/desired/max)", (c) => c.services.map((s) => `${s.name}: ${s.minCount}/${s.desiredCount}/${s.maxCount}`).join("; ")),
    row("database", (c) => `${c.database.instanceClass}, ${c.database.multiAz ? "Multi-AZ" : "single AZ"}, backups ${c.database.backupRetentionDays} d`),
    row("log retention", (c) => `${c.logs.retentionDays} d (CloudWatch), ${c.logs.datadogRetentionDays} d in Datadog index ${c.logs.datadogIndex}`),
    row("archive lock", (c) => `${c.archive.objectLockMode}, ${c.archive.retentionDays} d`),
    row("paging", (c) => `${c.oncall.urgency} urgency`),
    "",
    "## Secrets (never committed; set per stack)",
    "",
    "- `pulumi config set --secret datadog:apiKey <value>` and `datadog:appKey`",
    "- `pulumi config set --secret pagerduty:token <value>`",
    ...[...new Set(envs.flatMap((e) => e.cfg.services.flatMap((s) => s.secrets.map((n) => `- \`pulumi config set --secret --path 'runtimeSecrets.${s.name}.${n}' <value>\``))))],
    "",
    "The database master password is created and rotated by RDS in Secrets Manager; nobody sets it.",
    "",
  ].join("\n");
}

function headings(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => /^#{1,2} /.test(l))
    .map((l) => l.replace(/^#+ /, ""));
}

export function renderRunbookIndex(runbookDir: string): string {
  const files = existsSync(runbookDir) ? readdirSync(runbookDir).filter((f) => f.endsWith(".md")).sort() : [];
  return [
    "# Runbook index",
    "",
    "The runbooks ship in this package under `runbooks/`; monitors link to the same sections in the repository.",
    "",
    ...files.flatMap((f) => {
      const [title, ...sections] = headings(join(runbookDir, f));
      return [`- [${title ?? f}](runbooks/${f})${sections.length ? `: ${sections.slice(0, 12).join(" · ")}${sections.length > 12 ? " · …" : ""}` : ""}`];
    }),
    "",
  ].join("\n");
}

export async function documentsStep(ctx: ReleaseContext): Promise<StepResult> {
  const result = step("documents", "Documents: notes, rollback, on-call, monitors, configuration, runbooks, CI/CD");
  const dir = join(ctx.dir, "docs");
  mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    result.files.push(`docs/${name}`);
  };
  try {
    write("release-notes.md", await renderReleaseNotes(ctx));
    write("rollback-strategy.md", await renderRollbackStrategy(ctx));
    // From the commit time, not the wall clock: the package must be the same on a re-run.
    for (const [name, text] of rotationDocuments(ctx.cfg, ctx.stack, ctx.commit.time.getTime())) write(name, text);
    const stacks = stacksInPromotionOrder();
    const configs = stacks.map((s) => s.cfg);
    write("monitors-and-thresholds.md", `# Monitors and thresholds\n\nGenerated from ${stacks.map((s) => `Pulumi.${s.stack}.yaml`).join(", ")} through the definitions the Datadog monitors are declared from.\n\n${renderAlertTableMarkdown(alertTable(configs), configs.map((c) => c.environment), "../")}\n`);
    write("environment-configuration.md", renderEnvironmentRequirements());
    const runbooks = join(REPO_ROOT, "runbooks");
    if (existsSync(runbooks)) {
      cpSync(runbooks, join(ctx.dir, "runbooks"), { recursive: true });
      result.files.push("runbooks/");
    } else fail(result, "runbooks/ is missing");
    write("runbook-index.md", renderRunbookIndex(runbooks));
    for (const [src, name] of [
      [join(REPO_ROOT, "docs", "ci-cd.md"), "ci-cd-stages.md"],
      [join(REPO_ROOT, "docs", "configuration.md"), "configuration-reference.md"],
    ] as const) {
      if (existsSync(src)) write(name, readFileSync(src, "utf8"));
      else fail(result, `${src.replace(`${REPO_ROOT}/`, "")} is missing`);
    }
    // The knowledge-transfer templates, filled with what the release knows; date and
    // participants stay as visible placeholders for the session itself.
    mkdirSync(join(dir, "handoff"), { recursive: true });
    const facts = { ...handoffFacts(ctx.cfg, ctx.stack, { configs, runbookLinkPrefix: "../../", from: ctx.commit.time.getTime() }), version: ctx.version, gitSha: ctx.commit.sha };
    for (const name of HANDOFF_TEMPLATES) write(`handoff/${name}`, fillHandoffTemplate(readHandoffTemplate(name), facts));
    result.figures = { documents: result.files.length };
    result.summary = `${result.files.length} documents`;
  } catch (err) {
    fail(result, `documents: ${(err as Error).message.split("\n")[0]}`);
    result.summary = "documents could not be generated";
  }
  return result;
}
