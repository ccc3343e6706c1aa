/**
 * The README's pictures: the HTML report of a package, and the pull-request comment (composed as
 * .github/workflows/pull-request.yml composes it: the preview diff, then the policy Markdown)
 * rendered in a GitHub-like page, both shot in headless Chromium.
 *
 *   npx tsx infra/release/report-screenshots.ts --package <dir> --stack <stack> \
 *     --diff <preview diff text> --policy <policy results.md> [--out docs/images]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { namespaceValues, parseStackConfig } from "../../config/load";
import { readStackFile } from "../../config/stack-file";
import { openChromium } from "./report-browser";
import { renderReportHtml } from "./report-html";
import { escapeHtml, markdownToHtml } from "./report-markdown";

/** The comment body the workflow posts for one stack. */
export function prCommentMarkdown(stack: string, diff: string, policy: string, commit = "0000000"): string {
  return [
    "## Offline preview and policy — passed",
    `Commit ${commit} · [workflow run](#)`,
    "",
    `### Stack \`${stack}\``,
    "",
    "<details open><summary>Resource changes against the base branch</summary>",
    "",
    "```",
    diff.trimEnd(),
    "```",
    "</details>",
    "",
    "#### Policy (SEC-OPS, DATA-OPS)",
    "",
    policy.trimEnd(),
    "",
  ].join("\n");
}

const COMMENT_CSS = `body{margin:0;padding:16px;background:#fff;font:14px/1.5 system-ui,"DejaVu Sans",sans-serif;color:#1f2328}
.comment{max-width:900px;border:1px solid #d0d7de;border-radius:6px}.head{background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:8px 16px;color:#59636e}
.body{padding:8px 16px}h2{font-size:20px;border-bottom:1px solid #d8dee4;padding-bottom:4px}h3{font-size:16px}h4{font-size:14px}
pre{background:#f6f8fa;padding:12px;border-radius:6px;overflow:auto;font:12px/1.45 ui-monospace,"DejaVu Sans Mono",monospace}
code{font:12px ui-monospace,"DejaVu Sans Mono",monospace;background:#eff1f3;padding:1px 4px;border-radius:4px}pre code{background:none;padding:0}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:4px 10px}th{background:#f6f8fa}a{color:#0969da}`;

export function prCommentHtml(markdown: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><style>${COMMENT_CSS}</style></head><body><div class="comment"><div class="head"><strong>github-actions</strong> bot commented</div><div class="body">${markdownToHtml(markdown)}</div></div><!-- ${escapeHtml("rendered from the PR comment Markdown")} --></body></html>`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { package: { type: "string" }, stack: { type: "string" }, diff: { type: "string" }, policy: { type: "string" }, out: { type: "string", default: "docs/images" } } });
  if (!values.package || !values.stack || !values.diff || !values.policy) {
    throw new Error("usage: report-screenshots.ts --package <dir> --stack <stack> --diff <preview diff text> --policy <policy results.md> [--out docs/images]");
  }
  const cfg = parseStackConfig(namespaceValues(readStackFile(values.stack).config), values.stack);
  const tmp = mkdtempSync(join(tmpdir(), "report-shots-"));
  const browser = await openChromium();
  try {
    const report = join(tmp, "report.html");
    writeFileSync(report, renderReportHtml(resolve(values.package), cfg));
    const comment = join(tmp, "comment.html");
    writeFileSync(comment, prCommentHtml(prCommentMarkdown(values.stack, readFileSync(values.diff, "utf8"), readFileSync(values.policy, "utf8"))));
    mkdirSync(values.out, { recursive: true });
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(report).href);
    // The top of the report: verdict, checks, sign-offs, policy and the graph.
    const graph = await page.locator("#graph").boundingBox();
    await page.screenshot({ path: join(values.out, "release-report.png"), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil((graph?.y ?? 1200) + (graph?.height ?? 400)) + 8 } });
    await page.setViewportSize({ width: 960, height: 600 });
    await page.goto(pathToFileURL(comment).href);
    await page.locator(".comment").screenshot({ path: join(values.out, "pr-comment.png") });
    if (browser.networkRequests.length) throw new Error(`pages tried the network: ${browser.networkRequests.join(", ")}`);
  } finally {
    await browser.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
