/**
 * Issue 18: the PR comment as GitHub shows it, opened in Debian's headless Chromium (as the
 * README picture is taken): the change table, the policy table, and the Mermaid diagram drawn as
 * an SVG by the bundled mermaid, with no network. A screenshot is kept in .tmp/pr-comment/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../infra/preview/deployment";
import { diffDeployments } from "../../infra/preview/diff";
import { renderStackComment } from "../../infra/preview/pr-comment";
import { openChromium, type OpenBrowser } from "../../infra/release/report-browser";
import { prCommentHtml, prCommentMarkdown } from "../../infra/release/report-screenshots";
import { Graph, recordedGraph } from "../support/graph";

const ARTIFACTS = join(__dirname, "..", "..", ".tmp", "pr-comment");
const root = mkdtempSync(join(tmpdir(), "pr-comment-render-"));
let browser: OpenBrowser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await openChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("PR comment picture", () => {
  it("renders the change table, the policy findings and the Mermaid diagram as an SVG, offline", async () => {
    const { deployment } = await recordedGraph("prod");
    const base = structuredClone(deployment) as Deployment;
    const td = new Graph(base).one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task");
    td.inputs!.memory = String(Number(td.inputs!.memory) / 2);
    const section = renderStackComment({
      stack: "prod",
      diff: diffDeployments(base, deployment),
      policy: {
        violations: [{ policyPack: "sec-ops", policy: "SEC-KMS-01", urn: "urn:pulumi:prod::backend-release::aws:kms/key:Key::data-key", type: "aws:kms/key:Key", enforcementLevel: "mandatory", severity: "high", controls: [], message: "rotation <b>off</b> | now" }],
        summary: { mandatory: 1, advisory: 0 },
      },
    });
    const file = join(root, "comment.html");
    writeFileSync(file, prCommentHtml(prCommentMarkdown([section], { passed: false })));
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction("document.body.dataset.mermaid !== undefined", undefined, { timeout: 60_000 });
    expect(await page.evaluate("document.body.dataset.mermaid")).toBe("done");
    expect(await page.locator("details[open] summary").innerText()).toBe("Resource changes against the base branch");
    const firstRow = await page.locator("table").first().locator("tbody tr").first().locator("td").allInnerTexts();
    expect(firstRow.slice(1, 4)).toEqual(["orders-api-task", "ecs/TaskDefinition", "replace"]);
    expect(firstRow[4]).toMatch(/^memory: "\d+" → "\d+" \(immutable: any change replaces it\)$/);
    const svg = page.locator("pre.mermaid svg");
    await expect.poll(() => svg.count()).toBe(1);
    const box = (await svg.boundingBox())!;
    expect(box.width).toBeGreaterThan(100);
    expect(box.height).toBeGreaterThan(50);
    const labels = (await page.locator("pre.mermaid svg .node").allTextContents()).join(" | ");
    expect(labels).toContain("+- orders-api-taskecs/TaskDefinition");
    expect(labels).toContain("~ orders-api-serviceecs/Service");
    expect(await page.locator("table").last().locator("td").allInnerTexts()).toEqual(["mandatory", "high", "SEC-KMS-01", "data-key aws:kms/key:Key", "rotation <b>off</b> | now"]);
    await page.locator(".comment").screenshot({ path: join(ARTIFACTS, "pr-comment.png") });
    await page.close();
    expect(browser.networkRequests).toEqual([]);
  }, 120_000);
});
