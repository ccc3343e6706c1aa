/**
 * The runbook checks the tests and `docs check` run: an entry per alert with the required
 * sections, generated parts up to date, and every link inside runbooks/ and the generated docs
 * resolving to a file and section in the repository.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { requiredAlertAnchors } from "../observability/alert-table";
import { ALERT_RUNBOOK } from "../observability/naming";
import { anchors, headings, links } from "./markdown";
import { begin, end } from "./markers";
import type { StackDocInput } from "./runbook-blocks";

export const REQUIRED_ALERT_SECTIONS = ["What it means", "Impact", "Thresholds", "Verify", "Likely causes", "Remediation", "Escalation"] as const;

/** The hand-written runbooks every stack needs, besides one alert entry per monitor kind. */
export const RUNBOOK_FILES = ["runbooks/README.md", "runbooks/startup.md", "runbooks/shutdown.md", "runbooks/scaling.md", "runbooks/incident-response.md", "runbooks/deploy-and-rollback.md", ALERT_RUNBOOK] as const;

export interface AlertEntry {
  anchor: string;
  title: string;
  line: number;
  sections: string[];
}

/** Alert entries: `<a id="<anchor>"></a>` followed by an `## ` heading, up to the next `## `. */
export function alertEntries(text: string): AlertEntry[] {
  const lines = text.split("\n");
  const hs = headings(text);
  const out: AlertEntry[] = [];
  lines.forEach((line, i) => {
    const m = /^<a id="([^"]+)"><\/a>\s*$/.exec(line);
    if (!m) return;
    const h2 = hs.find((h) => h.level === 2 && h.line > i + 1);
    if (!h2) return;
    const next = hs.find((h) => h.level <= 2 && h.line > h2.line);
    const sections = hs.filter((h) => h.level === 3 && h.line > h2.line && (!next || h.line < next.line)).map((h) => h.text);
    out.push({ anchor: m[1]!, title: h2.text, line: h2.line, sections });
  });
  return out;
}

/** What to write, and where, for an alert kind that has no runbook entry. */
export function missingEntryMessage(anchor: string, title: string, kinds: string[]): string {
  return [
    `${ALERT_RUNBOOK} has no entry for the alert "${title}" (monitor kind ${kinds.join(", ")}), which a stack config declares.`,
    `Write it in ${ALERT_RUNBOOK}: a line <a id="${anchor}"></a>, then "## ${title}", then the headings ${REQUIRED_ALERT_SECTIONS.map((s) => `"### ${s}"`).join(", ")};`,
    `put ${begin(`thresholds:${anchor}`)} ${end(`thresholds:${anchor}`)} under "### Thresholds" and ${begin(`verify:${anchor}`)} ${end(`verify:${anchor}`)} under "### Verify",`,
    "then run `npm run cli -- docs generate` to fill them.",
  ].join(" ");
}

export function checkAlertEntries(root: string, stacks: StackDocInput[]): string[] {
  const file = join(root, ALERT_RUNBOOK);
  if (!existsSync(file)) return [`${ALERT_RUNBOOK} is missing; it holds one entry per alert`];
  const entries = new Map(alertEntries(readFileSync(file, "utf8")).map((e) => [e.anchor, e]));
  const problems: string[] = [];
  for (const { anchor, title, kinds } of requiredAlertAnchors(stacks.map((s) => s.cfg))) {
    const entry = entries.get(anchor);
    if (!entry) {
      problems.push(missingEntryMessage(anchor, title, kinds));
      continue;
    }
    const missing = REQUIRED_ALERT_SECTIONS.filter((s) => !entry.sections.includes(s));
    if (missing.length > 0) problems.push(`${ALERT_RUNBOOK}:${entry.line} entry "${entry.title}" (#${anchor}) lacks the section(s) ${missing.map((s) => `"### ${s}"`).join(", ")}`);
  }
  return problems;
}

export function checkRunbookFiles(root: string): string[] {
  return RUNBOOK_FILES.filter((f) => !existsSync(join(root, f))).map((f) => `${f} is missing`);
}

function markdownFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return markdownFiles(p);
    return name.endsWith(".md") ? [p] : [];
  });
}

/** The files whose links must resolve: runbooks/ and the docs this project generates. */
export function linkCheckedFiles(root: string): string[] {
  return [...markdownFiles(join(root, "runbooks")), ...[join(root, "docs", "configuration.md")].filter(existsSync), ...markdownFiles(join(root, "docs", "handoff"))];
}

/** Relative links must name an existing file (inside the repository) and, with `#`, a section of it. */
export function checkLinks(root: string, files: string[] = linkCheckedFiles(root)): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const link of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // external (https:, mailto:): not resolvable offline
      const [path = "", anchor] = link.target.split("#");
      const target = path === "" ? file : resolve(dirname(file), decodeURI(path));
      const where = `${relative(root, file)}:${link.line}`;
      if (relative(root, target).startsWith("..")) {
        problems.push(`${where}: link "${link.target}" leaves the repository`);
        continue;
      }
      if (!existsSync(target)) {
        problems.push(`${where}: link "${link.target}" points at ${relative(root, target)}, which does not exist`);
        continue;
      }
      if (anchor && target.endsWith(".md") && !anchors(readFileSync(target, "utf8")).has(anchor)) {
        problems.push(`${where}: link "${link.target}" names section #${anchor}, which ${relative(root, target)} does not have`);
      }
    }
  }
  return problems;
}

export interface RunbookSection {
  heading: string;
  anchor: string;
  level: number;
}

export interface RunbookFile {
  file: string;
  title: string;
  sections: RunbookSection[];
}

/** Every runbook file with its sections (alert entries by their explicit anchors). */
export function runbookIndex(root: string): RunbookFile[] {
  return markdownFiles(join(root, "runbooks"))
    .sort()
    .map((file) => {
      const text = readFileSync(file, "utf8");
      const hs = headings(text);
      const explicit = new Map(alertEntries(text).map((e) => [e.line, e.anchor]));
      return {
        file: relative(root, file),
        title: hs.find((h) => h.level === 1)?.text ?? relative(root, file),
        sections: hs.filter((h) => h.level === 2).map((h) => ({ heading: h.text, anchor: explicit.get(h.line) ?? h.slug, level: h.level })),
      };
    });
}
