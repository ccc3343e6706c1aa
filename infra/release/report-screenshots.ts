/**
 * The README's pictures: the HTML report of a package, and the pull-request comment (composed as
 * .github/workflows/pull-request.yml composes it: a heading, then each stack's section written by
 * `preview --comment`) rendered in a GitHub-like page, Mermaid diagrams drawn by the bundled
 * mermaid (no network), both shot in headless Chromium.
 *
 *   npx tsx infra/release/report-screenshots.ts [--package <dir> --stack <stack>] \
 *     [--comment <preview --comment output> ...] [--out docs/images]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { namespaceValues, parseStackConfig } from "../../config/load";
import { readStackFile, REPO_ROOT } from "../../config/stack-file";
import { openChromium } from "./report-browser";
import { renderReportHtml } from "./report-html";
import { escapeHtml, markdownToHtml } from "./report-markdown";

/** The comment body the workflow posts: its heading, then one section per stack. */
export function prCommentMarkdown(sections: readonly string[], opts: { commit?: string; passed?: boolean } = {}): string {
  return [`## Offline preview and policy — ${opts.passed === false ? "**blocked**" : "passed"}`, `Commit ${opts.commit ?? "0000000"} · [workflow run](#)`, "", ...sections.map((s) => s.trimEnd()), ""].join("\n");
}

/** Mermaid's browser bundle, inlined so the page needs no network (GitHub draws the same blocks). */
function mermaidBundle(): string {
  const bundle = readFileSync(join(REPO_ROOT, "node_modules", "mermaid", "dist", "mermaid.min.js"), "utf8");
  if (/<\/script/i.test(bundle)) throw new Error("mermaid.min.js contains </script: it cannot be inlined");
  return bundle;
}

const COMMENT_CSS = `body{margin:0;padding:16px;background:#fff;font:14px/1.5 system-ui,"DejaVu Sans",sans-serif;color:#1f2328}
.comment{max-width:900px;border:1px solid #d0d7de;border-radius:6px}.head{background:#f6f8fa;border-bottom:1px solid #d0d7de;padding:8px 16px;color:#59636e}
.body{padding:8px 16px}h2{font-size:20px;border-bottom:1px solid #d8dee4;padding-bottom:4px}h3{font-size:16px}h4{font-size:14px}
pre{background:#f6f8fa;padding:12px;border-radius:6px;overflow:auto;font:12px/1.45 ui-monospace,"DejaVu Sans Mono",monospace}
code{font:12px ui-monospace,"DejaVu Sans Mono",monospace;background:#eff1f3;padding:1px 4px;border-radius:4px}pre code{background:none;padding:0}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:4px 10px}th{background:#f6f8fa}a{color:#0969da}
pre.mermaid{background:none;text-align:center}`;

/**
 * The comment as GitHub shows it. ```mermaid blocks become diagrams: mermaid renders them when
 * the page loads and sets `data-mermaid` on <body> to "done" (or "error: …").
 */
export function prCommentHtml(markdown: string): string {
  const body = markdownToHtml(markdown).replace(/<pre><code class="language-mermaid">([\s\S]*?)<\/code><\/pre>/g, '<pre class="mermaid">$1</pre>');
  const hasDiagram = body.includes('<pre class="mermaid">');
  const script = hasDiagram
    ? `<script>${mermaidBundle()}</script><script>mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: "default", flowchart: { htmlLabels: true } });
mermaid.run({ querySelector: "pre.mermaid" }).then(() => { document.body.dataset.mermaid = "done"; }, (e) => { document.body.dataset.mermaid = "error: " + (e && e.message ? e.message : String(e)); });</script>`
    : "";
  const csp = `default-src 'none'; style-src 'unsafe-inline'${hasDiagram ? "; script-src 'unsafe-inline'; img-src data:; font-src data:" : ""}`;
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><style>${COMMENT_CSS}</style></head><body${hasDiagram ? "" : ' data-mermaid="none"'}><div class="comment"><div class="head"><strong>github-actions</strong> bot commented</div><div class="body">${body}</div></div><!-- ${escapeHtml("rendered from the PR comment Markdown")} -->${script}</body></html>`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { package: { type: "string" }, stack: { type: "string" }, comment: { type: "string", multiple: true }, out: { type: "string", default: "docs/images" } } });
  const usage = "usage: report-screenshots.ts [--package <dir> --stack <stack>] [--comment <preview --comment output> ...] [--out docs/images]";
  if ((!values.package && !values.comment?.length) || (values.package && !values.stack)) throw new Error(usage);
  const tmp = mkdtempSync(join(tmpdir(), "report-shots-"));
  const browser = await openChromium();
  try {
    mkdirSync(values.out, { recursive: true });
    const page = await browser.context.newPage();
    if (values.package && values.stack) {
      const cfg = parseStackConfig(namespaceValues(readStackFile(values.stack).config), values.stack);
      const report = join(tmp, "report.html");
      writeFileSync(report, renderReportHtml(resolve(values.package), cfg));
      await page.goto(pathToFileURL(report).href);
      // The top of the report: verdict, checks, sign-offs, policy and the graph.
      const graph = await page.locator("#graph").boundingBox();
      await page.screenshot({ path: join(values.out, "release-report.png"), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil((graph?.y ?? 1200) + (graph?.height ?? 400)) + 8 } });
    }
    if (values.comment?.length) {
      const comment = join(tmp, "comment.html");
      writeFileSync(comment, prCommentHtml(prCommentMarkdown(values.comment.map((f) => readFileSync(f, "utf8")))));
      await page.setViewportSize({ width: 1100, height: 700 });
      await page.goto(pathToFileURL(comment).href);
      await page.waitForFunction("document.body.dataset.mermaid !== undefined", undefined, { timeout: 60_000 });
      const state = await page.evaluate("document.body.dataset.mermaid");
      if (state !== "done" && state !== "none") throw new Error(`the Mermaid diagram did not render: ${state}`);
      await page.locator(".comment").screenshot({ path: join(values.out, "pr-comment.png") });
    }
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
