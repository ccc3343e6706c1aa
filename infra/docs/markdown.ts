/** Just enough Markdown reading for the runbook checks: headings, anchors, links. */

export interface Heading {
  level: number;
  text: string;
  line: number;
  slug: string;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
export function githubSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Lines outside fenced code blocks, with their numbers. */
function proseLines(text: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  let fenced = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) out.push({ line, n: i + 1 });
  });
  return out;
}

export function headings(text: string): Heading[] {
  const counts = new Map<string, number>();
  const out: Heading[] = [];
  for (const { line, n } of proseLines(text)) {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = githubSlug(m[2]!);
    const seen = counts.get(base) ?? 0;
    counts.set(base, seen + 1);
    out.push({ level: m[1]!.length, text: m[2]!, line: n, slug: seen === 0 ? base : `${base}-${seen}` });
  }
  return out;
}

/** Every anchor a link can target in this file: heading slugs and explicit `<a id>`/`<a name>`. */
export function anchors(text: string): Set<string> {
  const out = new Set(headings(text).map((h) => h.slug));
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

export interface Link {
  target: string;
  line: number;
}

/** Inline Markdown links `[text](target)` outside code fences and inline code. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  for (const { line, n } of proseLines(text)) {
    const withoutCode = line.replace(/`[^`]*`/g, "");
    for (const m of withoutCode.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ target: m[1]!, line: n });
  }
  return out;
}
