/**
 * The Markdown subset the release tooling writes (headings, paragraphs, lists, pipe tables,
 * fenced code, inline code/bold/links, <details>) rendered to HTML for the report and the PR
 * comment picture. Every piece of text is escaped: package files are data, never markup.
 */

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Inline spans: `code`, **bold**, [text](href) (only relative, http(s) and #anchor hrefs), ~~strike~~. */
export function inline(text: string): string {
  const out: string[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)|~~([^~]+)~~/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(escapeHtml(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(`<code>${escapeHtml(m[1])}</code>`);
    else if (m[2] !== undefined) out.push(`<strong>${inline(m[2])}</strong>`);
    else if (m[3] !== undefined) {
      const href = m[4]!;
      out.push(/^(https?:|#|\.{0,2}\/|[\w.-]+(\/|#|$))/.test(href) && !/^javascript:/i.test(href) ? `<a href="${escapeHtml(href)}">${inline(m[3])}</a>` : inline(m[3]));
    } else out.push(`<s>${escapeHtml(m[5]!)}</s>`);
    last = m.index + m[0].length;
  }
  out.push(escapeHtml(text.slice(last)));
  return out.join("");
}

function cells(row: string): string[] {
  const body = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  // Split on pipes that are not escaped as \|.
  return body.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

const isRule = (line: string) => /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$/.test(line.trim());

export function markdownToHtml(md: string): string {
  const lines = md.replace(/\r\n/g, "\n").split("\n");
  const html: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^```(\w*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
      i++;
      html.push(`<pre><code${fence[1] ? ` class="language-${escapeHtml(fence[1])}"` : ""}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      html.push(`<h${heading[1]!.length}>${inline(heading[2]!)}</h${heading[1]!.length}>`);
      i++;
      continue;
    }
    if (line.trim().startsWith("|") && i + 1 < lines.length && isRule(lines[i + 1]!)) {
      const head = cells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && lines[i]!.trim().startsWith("|"); i++) rows.push(cells(lines[i]!));
      html.push(`<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`);
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      for (; i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]!); i++) items.push(lines[i]!.replace(/^\s*([-*]|\d+\.)\s+/, ""));
      const tag = ordered ? "ol" : "ul";
      html.push(`<${tag}>${items.map((x) => `<li>${inline(x)}</li>`).join("")}</${tag}>`);
      continue;
    }
    const details = /^<details( open)?>(?:<summary>(.*)<\/summary>)?$|^<\/details>$|^<summary>(.*)<\/summary>$/.exec(line.trim());
    if (details) {
      // GitHub's collapsible sections: kept as elements (shown open), their text escaped.
      const summary = details[2] ?? details[3];
      html.push(line.trim() === "</details>" ? "</details>" : `${details[3] === undefined ? "<details open>" : ""}${summary !== undefined ? `<summary>${inline(summary)}</summary>` : ""}`);
      i++;
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const para: string[] = [];
    for (; i < lines.length && lines[i]!.trim() !== "" && !/^(#{1,6}\s|```|\s*([-*]|\d+\.)\s|\|)/.test(lines[i]!) && !/^<\/?(details|summary)[ >]/.test(lines[i]!.trim()); i++) para.push(lines[i]!);
    if (para.length === 0) {
      // A line no rule above takes (a lone pipe row): shown as text.
      html.push(`<p>${inline(line)}</p>`);
      i++;
    } else html.push(`<p>${inline(para.join(" "))}</p>`);
  }
  return html.join("\n");
}
