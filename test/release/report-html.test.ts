/**
 * The HTML release report (issue 18), opened in Debian's headless Chromium: the verdict, every
 * check, the sign-offs, the policy findings by severity, the resource graph, the on-call
 * calendar, the monitors and the migration plan render visibly, with no network. The package is
 * a fixture built here (no release run); a screenshot is kept in .tmp/report-html/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { namespaceValues, parseStackConfig } from "../../config/load";
import { readStackFile } from "../../config/stack-file";
import { alertTable } from "../../infra/observability/alert-table";
import { openChromium, type OpenBrowser } from "../../infra/release/report-browser";
import { oncallCalendar } from "../../infra/release/report-calendar";
import { componentGraph, graphResources } from "../../infra/release/report-graph";
import { headCommit } from "../../infra/release/git";
import { runRelease } from "../../infra/release/pipeline";
import { renderReportHtml, ReportError, writeReport } from "../../infra/release/report-html";

const cfg = parseStackConfig(namespaceValues(readStackFile("staging").config), "staging");
const ARTIFACTS = join(__dirname, "..", "..", ".tmp", "report-html");
const STACK = "urn:pulumi:staging::backend-release::pulumi:pulumi:Stack::backend-release-staging";
const urn = (type: string, name: string, parents: string[] = []) => `urn:pulumi:staging::backend-release::${[...parents, type].join("$")}::${name}`;

const DB = urn("backend-release:database:Database", "database");
const SVC = urn("backend-release:service:BackendService", "orders-api");
const KEYS = urn("backend-release:security:EncryptionKeys", "keys");
const DB_INSTANCE = urn("aws:rds/instance:Instance", "database-instance", ["backend-release:database:Database"]);
const KMS = urn("aws:kms/key:Key", "data-key", ["backend-release:security:EncryptionKeys"]);
const ECS = urn("aws:ecs/service:Service", "orders-api-service", ["backend-release:service:BackendService"]);

/** A package as the release leaves it, reduced to what the report reads. */
function fixturePackage(root: string): string {
  const dir = join(root, "7.1.0", "staging");
  const put = (file: string, content: unknown) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  };
  put("manifest.json", { version: "7.1.0", stack: "staging", gitSha: "0123456789abcdef0123456789abcdef01234567", files: [] });
  put("status/verdict.json", {
    verdict: "NO-GO",
    reasons: ["Smoke test: built service on a migrated database: GET /readyz answered 503 <script>alert(1)</script>", "sign-off: role operations: 0 of 1 valid sign-off(s)"],
    evaluatedAt: "2026-03-25T10:00:00.000Z",
    checks: [
      { id: "artifacts", status: "pass", summary: "backend-7.1.0.tar.gz, SBOM with 88 components", reasons: [] },
      { id: "migrations", status: "pass", summary: "6 migrations; lint clean", reasons: [] },
      { id: "smoke", status: "fail", summary: "11/12 checks passed", reasons: ["GET /readyz answered 503"] },
      { id: "documents", status: "skip", summary: "skipped for the test", reasons: [] },
    ],
    signoffs: {
      stack: "staging",
      version: "7.1.0",
      roles: [
        { role: "security", required: 1, valid: 1, satisfied: true, signers: ["sam@example.com"], refused: [] },
        { role: "operations", required: 1, valid: 0, satisfied: false, signers: [], refused: ["approvals/operations-kim@example.com.sig: signed another manifest"] },
      ],
      signatures: [
        { file: "approvals/security-sam@example.com.sig", valid: true, role: "security", principal: "sam@example.com" },
        { file: "approvals/operations-kim@example.com.sig", valid: false, role: "operations", principal: "kim@example.com", reason: "signed another manifest" },
      ],
    },
  });
  put("status/record.json", { version: "7.1.0", stack: "staging", checks: [{ id: "smoke", title: "Smoke test: built service on a migrated database" }, { id: "migrations", title: "Migrations: lint, verify round trip, plan" }] });
  put("policy/results.json", {
    violations: [
      { policyPack: "backend-release-sec-ops", policy: "SEC-KMS-01-rotation", urn: KMS, type: "aws:kms/key:Key", enforcementLevel: "mandatory", message: "Key rotation is off." },
      { policyPack: "backend-release-data-ops", policy: "DATA-RDS-02-deletion-protection", urn: DB_INSTANCE, type: "aws:rds/instance:Instance", enforcementLevel: "advisory", message: "Database can be deleted." },
      { policyPack: "backend-release-sec-ops", policy: "SEC-X-critical", urn: ECS, type: "aws:ecs/service:Service", enforcementLevel: "mandatory", severity: "critical", message: "Public task." },
    ],
    summary: { mandatory: 2, advisory: 1 },
  });
  // The JSON has no severity (except one finding); the policies' declared severities are in the SARIF rules.
  put("policy/results.sarif", {
    version: "2.1.0",
    runs: [
      { tool: { driver: { name: "backend-release-sec-ops", rules: [{ id: "SEC-KMS-01-rotation", properties: { severity: "high" } }] } }, results: [] },
      { tool: { driver: { name: "backend-release-data-ops", rules: [{ id: "DATA-RDS-02-deletion-protection", properties: { severity: "medium" } }] } }, results: [] },
    ],
  });
  put("preview/graph.json", {
    version: 3,
    deployment: {
      resources: [
        { urn: STACK, custom: false, type: "pulumi:pulumi:Stack" },
        { urn: "urn:pulumi:staging::backend-release::pulumi:providers:aws::default", custom: true, type: "pulumi:providers:aws" },
        { urn: KEYS, custom: false, type: "backend-release:security:EncryptionKeys", parent: STACK },
        { urn: KMS, custom: true, type: "aws:kms/key:Key", parent: KEYS },
        { urn: urn("aws:kms/alias:Alias", "data-alias", ["backend-release:security:EncryptionKeys"]), custom: true, type: "aws:kms/alias:Alias", parent: KEYS, dependencies: [KMS] },
        { urn: DB, custom: false, type: "backend-release:database:Database", parent: STACK },
        { urn: DB_INSTANCE, custom: true, type: "aws:rds/instance:Instance", parent: DB, dependencies: [KMS] },
        { urn: SVC, custom: false, type: "backend-release:service:BackendService", parent: STACK },
        { urn: ECS, custom: true, type: "aws:ecs/service:Service", parent: SVC, propertyDependencies: { taskDefinition: [DB_INSTANCE] } },
      ],
    },
  });
  put("migrations/migration-plan.md", "# Database migration plan — 7.1.0 (staging)\n\nThe migration task runs these in order.\n\n| # | kind | migration | rollback |\n|---|---|---|---|\n| 1 | migrations | `20250601090000_create_orders` | `npm run cli -- migrate down --to 0` |\n");
  put("api/api-diff.json", {
    version: "7.1.0",
    contracts: [
      {
        workspace: "backend",
        file: "backend/openapi.json",
        title: "orders-api",
        operations: [{ method: "GET", path: "/orders", summary: "List orders" }],
        previous: { version: "7.0.0" },
        diff: { changes: [{ operation: "GET /orders", kind: "changed", breaking: true, message: "response 200 body field orders[].status removed" }] },
        judgement: { summary: "1 breaking change, allowed by the major version bump" },
      },
    ],
  });
  return dir;
}

const root = mkdtempSync(join(tmpdir(), "report-html-"));
const pkg = fixturePackage(root);
let browser: OpenBrowser;
let page: Page;

beforeAll(async () => {
  writeReport(pkg, cfg);
  browser = await openChromium();
  page = await browser.context.newPage();
  await page.goto(pathToFileURL(join(pkg, "status", "report.html")).href, { waitUntil: "load" });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

async function visible(selector: string) {
  const el = page.locator(selector).first();
  const box = await el.boundingBox();
  expect(box, `${selector} has no box`).not.toBeNull();
  expect(box!.width).toBeGreaterThan(0);
  expect(box!.height).toBeGreaterThan(0);
  expect(await el.isVisible()).toBe(true);
  return el;
}

describe("release report in headless Chromium", () => {
  it("shows the verdict and why, including text that looks like markup (as text)", async () => {
    expect((await (await visible("#verdict")).innerText()).trim()).toMatch(/^NO-GO/);
    const why = await (await visible("#why")).innerText();
    expect(why).toContain("GET /readyz answered 503 <script>alert(1)</script>");
    expect(why).toContain("role operations: 0 of 1");
    expect(await page.locator("script").count()).toBe(0);
  });

  it("shows every check with ✔/✖ and its title", async () => {
    await visible("#checks-table");
    const rows = page.locator("#checks-table tr.check");
    expect(await rows.count()).toBe(4);
    expect(await page.locator('tr[data-check="smoke"]').innerText()).toMatch(/✖\s+Smoke test: built service on a migrated database\s+FAIL/);
    expect(await page.locator('tr[data-check="artifacts"]').innerText()).toMatch(/✔\s+artifacts\s+PASS/);
    expect(await page.locator('tr[data-check="documents"]').innerText()).toContain("SKIP");
  });

  it("shows sign-offs: who, role, valid or not and why", async () => {
    const text = await (await visible("#signoffs")).innerText();
    expect(text).toMatch(/✔\s+security\s+1 of 1\s+sam@example.com/);
    expect(text).toMatch(/✖\s+kim@example.com\s+operations\s+approvals\/operations-kim@example.com.sig\s+signed another manifest/);
  });

  it("groups policy findings by severity (the finding's own, else its policy's declared one), worst first", async () => {
    const text = await (await visible("#policy")).innerText();
    const order = ["critical (1)", "high (1)", "medium (1)"].map((s) => text.toLowerCase().indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain("SEC-KMS-01-rotation");
  });

  it("draws the resource graph: a visible box per component with its key resources, and the dependency arrows", async () => {
    await visible("#resource-graph");
    const boxes = page.locator("#resource-graph g.component");
    expect(await boxes.count()).toBe(3);
    for (const name of ["keys", "database", "orders-api"]) {
      const box = await page.locator(`#resource-graph g.component[data-urn$="::${name}"] rect`).boundingBox();
      expect(box && box.width > 100 && box.height > 30, `box of ${name}`).toBe(true);
    }
    expect(await page.locator("#resource-graph").textContent()).toContain("database-instance");
    // database → keys (KMS) and orders-api → database (property dependency); the alias' own dependency stays inside its component.
    const edges = await page.locator("#resource-graph path.edge title").allTextContents();
    expect(edges.sort()).toEqual(["database depends on keys", "orders-api depends on database"]);
    // Dependencies sit left of what depends on them.
    const x = async (name: string) => (await page.locator(`#resource-graph g.component[data-urn$="::${name}"] rect`).boundingBox())!.x;
    expect(await x("keys")).toBeLessThan(await x("database"));
    expect(await x("database")).toBeLessThan(await x("orders-api"));
  });

  it("shows who is on call each day (from the rotation code) and the monitors with thresholds (from the alert table)", async () => {
    await visible("#oncall table.calendar");
    const cal = oncallCalendar(cfg, Date.parse("2026-03-25T10:00:00Z"), 4);
    expect(await page.locator("#oncall td.day").count()).toBe(28);
    for (const day of [cal.days[0]!, cal.days[13]!, cal.days[27]!]) {
      const cell = await page.locator(`#oncall td[data-date="${day.date}"]`).innerText();
      for (const e of Object.values(day.schedules)) for (const p of e.people) expect(cell).toContain(p.split("@")[0]);
    }
    const rows = alertTable([cfg]);
    const monitors = await (await visible("#monitors")).innerText();
    expect(await page.locator("#monitors tbody tr").count()).toBe(rows.length);
    for (const r of rows) {
      expect(monitors).toContain(r.monitor);
      expect(monitors).toContain(r.environments.staging!.critical);
    }
  });

  it("renders the migration plan and the API changes", async () => {
    expect(await (await visible("#migrations table")).innerText()).toContain("20250601090000_create_orders");
    expect(await (await visible("#api")).innerText()).toContain("response 200 body field orders[].status removed");
  });

  it("needs no network to open", () => {
    expect(browser.networkRequests).toEqual([]);
    const html = readFileSync(join(pkg, "status", "report.html"), "utf8");
    expect(html).not.toMatch(/<(script|link)\b|@import|url\(\s*['"]?https?:/i);
    expect(existsSync(join(ARTIFACTS, "report.png"))).toBe(true);
  });
});

describe("release pipeline", () => {
  it("writes status/report.html into every package, outside the signed manifest, showing that run's verdict", async () => {
    const out = join(root, "pipeline");
    // No steps (the report only needs what the pipeline itself writes): a NO-GO for want of sign-offs.
    const outcome = await runRelease({ stack: "staging", version: "7.2.0", outputRoot: join(out, "phase-5"), logFile: join(out, "log.md"), steps: [], display: "silent", commit: { ...headCommit(), dirty: false, shallow: false }, signers: { kind: "text", source: "no signers (test)", text: "" } });
    const html = readFileSync(join(outcome.packageDir, "status", "report.html"), "utf8");
    expect(outcome.verdict).toBe("NO-GO");
    expect(html).toContain('<div id="verdict" class="verdict nogo"><span class="word">NO-GO</span>');
    for (const reason of outcome.reasons) expect(html).toContain(reason.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
    const manifest = JSON.parse(readFileSync(join(outcome.packageDir, "manifest.json"), "utf8")) as { files: { path: string }[] };
    expect(manifest.files.map((f) => f.path)).not.toContain("status/report.html");
  }, 60_000);
});

describe("report inputs", () => {
  it("builds the component graph from a graph.json, ignoring providers", () => {
    const g = componentGraph(graphResources(JSON.parse(readFileSync(join(pkg, "preview", "graph.json"), "utf8")), "graph.json"));
    expect(g.components.map((c) => c.name).sort()).toEqual(["database", "keys", "orders-api"]);
    expect(g.components.find((c) => c.name === "keys")!.keys.map((k) => k.name)).toEqual(["data-key"]);
    expect(g.components.find((c) => c.name === "keys")!.others).toBe(1);
    expect(() => graphResources({ deployment: {} }, "x/graph.json")).toThrow(/x\/graph.json: .*no resources array/);
  });

  it("refuses a package without a verdict or with a broken one, naming the file, and writes nothing", () => {
    const bad = mkdtempSync(join(root, "bad-"));
    expect(() => writeReport(bad, cfg)).toThrow(ReportError);
    expect(() => renderReportHtml(bad, cfg)).toThrow(/status\/verdict.json: missing/);
    mkdirSync(join(bad, "status"));
    writeFileSync(join(bad, "status", "verdict.json"), "{ not json");
    expect(() => writeReport(bad, cfg)).toThrow(/status\/verdict.json: not valid JSON/);
    expect(existsSync(join(bad, "status", "report.html"))).toBe(false);
  });
});
