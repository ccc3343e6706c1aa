/**
 * Runbooks match the deployed stacks: generated parts are current, every alert has an entry with
 * the required sections, links resolve, and the runbook values equal the config values.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MONITOR_CATALOG, MONITOR_KINDS } from "../../config/monitor-catalog";
import { loadStackConfig, REPO_ROOT } from "../../config/stack-file";
import { checkAlertEntries, checkLinks, REQUIRED_ALERT_SECTIONS, runbookIndex } from "../../infra/docs/runbook-check";
import { docStacks, planDocs, staleDocs } from "../../infra/docs/generate";
import { alertTable, renderAlertTableMarkdown } from "../../infra/observability/alert-table";
import { monitorDefinitions } from "../../infra/observability/monitors";
import { configurationRequirements, configKeys } from "../../infra/docs/configuration";
import { fillHandoffTemplate, handoffFacts, readHandoffTemplate } from "../../infra/docs/handoff";

const stacks = docStacks();
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A copy of what the checks read, to break on purpose. */
function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "runbooks-"));
  scratch.push(dir);
  for (const p of ["runbooks", "docs/configuration.md", "docs/handoff", "Pulumi.staging.yaml", "Pulumi.prod.yaml"]) cpSync(join(REPO_ROOT, p), join(dir, p), { recursive: true });
  return dir;
}

describe("generated parts", () => {
  it("are up to date: regenerating changes nothing", () => {
    const plan = planDocs(REPO_ROOT, stacks);
    expect(plan.problems).toEqual([]);
    expect(staleDocs(plan)).toEqual([]);
  });

  it("a changed threshold makes the runbooks stale", () => {
    const dir = copyRepo();
    const file = join(dir, "Pulumi.prod.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("errorRate: { warning: 0.5, critical: 1,", "errorRate: { warning: 0.5, critical: 2,"));
    expect(staleDocs(planDocs(dir, docStacks(dir)))).toContain("runbooks/alerts.md");
  });
});

describe("alert entries", () => {
  it("exist for every monitor kind of either stack, with every required section", () => {
    expect(checkAlertEntries(REPO_ROOT, stacks)).toEqual([]);
  });

  it("a monitor without an entry fails with what to write and where", () => {
    const dir = copyRepo();
    const file = join(dir, "runbooks/alerts.md");
    writeFileSync(file, readFileSync(file, "utf8").replace('<a id="db-deadlocks"></a>', ""));
    const [problem] = checkAlertEntries(dir, stacks);
    expect(problem).toContain('runbooks/alerts.md has no entry for the alert "Database deadlocks" (monitor kind dbDeadlocks)');
    expect(problem).toContain('<a id="db-deadlocks"></a>, then "## Database deadlocks"');
    for (const s of REQUIRED_ALERT_SECTIONS) expect(problem).toContain(`"### ${s}"`);
  });

  it("an entry lacking a section fails naming it", () => {
    const dir = copyRepo();
    const file = join(dir, "runbooks/alerts.md");
    const text = readFileSync(file, "utf8");
    const at = text.indexOf('<a id="migration-failed"></a>');
    writeFileSync(file, text.slice(0, at) + text.slice(at).replace("### Likely causes", "### Causes"));
    expect(checkAlertEntries(dir, stacks)).toEqual([expect.stringMatching(/entry "Migration task failed" \(#migration-failed\) lacks the section\(s\) "### Likely causes"/)]);
  });

  it("every monitor's runbook link points at an existing section of runbooks/alerts.md", () => {
    const anchors = new Set(runbookIndex(REPO_ROOT).find((f) => f.file === "runbooks/alerts.md")!.sections.map((s) => s.anchor));
    for (const { cfg } of stacks) {
      expect(cfg.observability.runbookBaseUrl.endsWith("/runbooks")).toBe(true);
      for (const d of monitorDefinitions(cfg)) expect(anchors).toContain(d.runbookUrl.split("#")[1]);
    }
    for (const kind of MONITOR_KINDS) expect(anchors).toContain(MONITOR_CATALOG[kind].runbookAnchor);
  });
});

describe("links", () => {
  it("inside runbooks and the generated docs resolve", () => {
    expect(checkLinks(REPO_ROOT)).toEqual([]);
  });

  it("a broken link or section is reported with file and line", () => {
    const dir = copyRepo();
    writeFileSync(join(dir, "runbooks/scaling.md"), `${readFileSync(join(dir, "runbooks/scaling.md"), "utf8")}\nSee [nowhere](missing.md) and [alerts](alerts.md#no-such-alert).\n`);
    const problems = checkLinks(dir);
    expect(problems).toEqual([expect.stringMatching(/^runbooks\/scaling\.md:\d+: link "missing\.md" points at runbooks\/missing\.md/), expect.stringMatching(/names section #no-such-alert/)]);
  });
});

describe.each(["staging", "prod"])("%s runbook values equal the config", (stack) => {
  const cfg = loadStackConfig(stack);
  const alerts = readFileSync(join(REPO_ROOT, "runbooks/alerts.md"), "utf8");
  const scaling = readFileSync(join(REPO_ROOT, "runbooks/scaling.md"), "utf8");
  const incident = readFileSync(join(REPO_ROOT, "runbooks/incident-response.md"), "utf8");
  const readme = readFileSync(join(REPO_ROOT, "runbooks/README.md"), "utf8");

  it("thresholds", () => {
    for (const [kind, t] of Object.entries(cfg.services[0]!.monitoring.monitors)) {
      const spec = MONITOR_CATALOG[kind as keyof typeof MONITOR_CATALOG];
      if ("requiresMultiAz" in spec && spec.requiresMultiAz && !cfg.database.multiAz) continue;
      const cmp = spec.direction === "above" ? ">=" : "<=";
      const row = `| ${stack} | orders-api | ${cmp} ${t!.warning} ${spec.unit} | ${cmp} ${t!.critical} ${spec.unit} | ${t!.warningRecovery} / ${t!.criticalRecovery} | ${t!.windowMinutes} min | ${t!.severity} (P${t!.priority}) |`;
      expect(alerts).toContain(row);
    }
  });

  it("scaling limits, schedules and log retention", () => {
    const svc = cfg.services[0]!;
    expect(scaling).toContain(`| ${stack} | ${svc.name} | ${svc.cpu} / ${svc.memoryMiB} MiB | ${svc.minCount} | ${svc.desiredCount} | ${svc.maxCount} | ${svc.cpuTargetPercent}% |`);
    expect(incident).toContain(`**${stack}** — team "${cfg.oncall.teamName}", time zone ${cfg.oncall.timeZone}, weekly handoff ${cfg.oncall.handoffDay} ${cfg.oncall.handoffTime}.`);
    expect(incident).toContain(`1 | 0 min | primary schedule (${cfg.oncall.primary.join(", ")})`);
    expect(readme).toContain(`| ${cfg.logs.retentionDays} days | ${cfg.logs.datadogIndex} | ${cfg.logs.datadogRetentionDays} days |`);
  });
});

describe("exports for the release command", () => {
  it("alert table rows carry thresholds per environment, severity, who is paged and the runbook section", () => {
    const rows = alertTable(stacks.map((s) => s.cfg));
    const error = rows.find((r) => r.kind === "errorRate")!;
    expect(error.environments.prod).toMatchObject({ critical: ">= 1 %", severity: "page", pages: "@pagerduty-orders-api-prod" });
    expect(error.environments.staging).toMatchObject({ critical: ">= 5 %", severity: "ticket", pages: null });
    expect(error.runbook).toBe("runbooks/alerts.md#error-rate");
    expect(rows.find((r) => r.kind === "dbReplicaLag")).toBeUndefined();
    expect(renderAlertTableMarkdown(rows, ["staging", "prod"])).toContain("[error-rate](../runbooks/alerts.md#error-rate)");
  });

  it("configuration docs list every schema key and every secret with its command", () => {
    const keys = configKeys().map((k) => k.path);
    expect(keys).toContain("services[].monitoring.monitors.errorRate.warning");
    expect(keys).toContain("oncall.supportHours.start");
    const doc = readFileSync(join(REPO_ROOT, "docs/configuration.md"), "utf8");
    for (const k of keys) expect(doc).toContain(`\`backend-release:${k}\``);
    expect(configurationRequirements(stacks[1]!.cfg, "prod").filter((r) => r.secret).map((r) => r.key)).toEqual(["datadog:apiKey", "datadog:appKey", "pagerduty:token", "backend-release:runtimeSecrets.orders-api.ORDERS_SIGNING_KEY"]);
  });

  it("handoff templates are filled with what the config knows and keep unknown placeholders", () => {
    const cfg = stacks[1]!.cfg;
    const filled = fillHandoffTemplate(readHandoffTemplate("agenda.md"), handoffFacts(cfg, "prod", { from: Date.parse("2025-03-24T09:00:00Z") }));
    expect(filled).toContain("backend-release {{version}} (prod)");
    expect(filled).toContain("primary kim.primary@example.com, secondary sam.secondary@example.com");
    expect(filled).toContain("| HTTP 5xx error rate | orders-api |");
  });
});
