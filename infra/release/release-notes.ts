/**
 * The release notes: every commit since the previous release (conventional ones grouped by
 * type, the others under "Other changes"), the migrations this release adds with their
 * expand/contract class, the configuration keys added, changed or removed, the API (the diff
 * against the previous release's OpenAPI document and the full operation list), and the known
 * limitations. Everything comes from git and the checkout, so a re-run writes the same bytes.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../../config/stack-file";
import { planMigrations, type PlannedMigration } from "../../backend/src/migrate/plan";
import { defaultBundlePaths, type BundlePaths } from "../../backend/src/migrate/paths";
import { contractReports, renderContractMarkdown } from "./api-contract";
import { parseConventionalCommit, type ConventionalCommit } from "./git";
import { commitsAfter, fileAtRef, filesAtRef, previousVersionTag } from "./previous-release";
import type { ReleaseContext } from "./types";

export interface ReleaseNotesOptions {
  /** The checkout (tests use a fixture repository). */
  root?: string;
  /** The previous version's tag; default: the newest `v*` tag before this version. null: none. */
  tag?: string | null;
}

type NotesContext = Pick<ReleaseContext, "version" | "stack" | "commit"> & Partial<Pick<ReleaseContext, "configFile" | "bundlePaths" | "finalDir">>;

/**
 * Section titles of the conventional types (commitlint's config-conventional), in the order they
 * are shown. A `component: subject` header with another word is not a conventional commit: it
 * goes under "Other changes" as written.
 */
const TYPE_TITLES: Record<string, string> = {
  feat: "Features",
  fix: "Fixes",
  perf: "Performance",
  refactor: "Refactoring",
  revert: "Reverts",
  docs: "Documentation",
  test: "Tests",
  build: "Build",
  ci: "CI",
  style: "Style",
  chore: "Chores",
};

const short = (sha: string) => sha.slice(0, 7);

export function renderCommits(commits: { sha: string; message: string }[]): string[] {
  const parsed = commits.map((c) => {
    const cc = parseConventionalCommit(c.sha, c.message);
    return { raw: c, cc: cc && cc.type in TYPE_TITLES ? cc : undefined };
  });
  const conventional = parsed.filter((p): p is { raw: (typeof p)["raw"]; cc: ConventionalCommit } => p.cc !== undefined).map((p) => p.cc);
  const other = parsed.filter((p) => p.cc === undefined).map((p) => p.raw);
  const line = (c: ConventionalCommit) => `- ${c.scope ? `**${c.scope}:** ` : ""}${c.subject} (${short(c.sha)})${c.breakingNote ? ` — BREAKING: ${c.breakingNote}` : ""}`;
  const section = (title: string, items: string[]) => (items.length ? [`### ${title}`, "", ...items, ""] : []);
  const types = Object.keys(TYPE_TITLES).filter((t) => conventional.some((c) => !c.breaking && c.type === t));
  return [
    ...section("Breaking changes", conventional.filter((c) => c.breaking).map(line)),
    ...types.flatMap((t) => section(TYPE_TITLES[t] ?? t, conventional.filter((c) => !c.breaking && c.type === t).map(line))),
    ...section("Other changes", other.map((c) => `- ${c.message.split("\n")[0]} (${short(c.sha)})`)),
  ];
}

/** The migration's rollout class, and whether the file declares it or the runner inferred it. */
function expandContractClass(m: PlannedMigration): string {
  const removes = m.rollout === "contract" && m.removes.length > 0 ? ` (removes ${m.removes.join(", ")})` : "";
  return `${m.rollout}${removes}${m.rolloutDeclared ? "" : ", inferred"}`;
}

async function renderMigrations(bundle: BundlePaths, root: string, tag: string | undefined): Promise<string[]> {
  const plan = await planMigrations({ paths: bundle });
  const before = tag ? new Set([...filesAtRef(tag, "backend/migrations", root), ...filesAtRef(tag, "backend/seeds", root)].map((f) => f.replace(/^.*\//, "").replace(/\.sql$/, ""))) : new Set<string>();
  const added = plan.items.filter((m) => !before.has(m.name));
  if (added.length === 0) return [`No migration or seed added since ${tag}.`, ""];
  return [
    tag ? `Added since ${tag}, in the order \`migrate up\` applies them:` : "First release: every migration and seed of the bundle, in the order `migrate up` applies them:",
    "",
    "| name | kind | expand/contract | runs | reversible | strongest lock |",
    "|---|---|---|---|---|---|",
    ...added.map((m) => `| \`${m.name}\` | ${m.kind} | ${expandContractClass(m)} | ${m.transactional ? "in a transaction" : "outside a transaction"} | ${m.reversible ? "yes" : "no"} | ${m.summary} |`),
    "",
  ];
}

/** Leaf paths of a stack file's `config` (list items named by their `name`), with their values. */
function configLeaves(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (text === undefined) return out;
  const doc = (parseYaml(text) ?? {}) as { config?: Record<string, unknown> };
  const walk = (value: unknown, path: string) => {
    const isPlain = typeof value === "object" && value !== null && !Array.isArray(value);
    if (isPlain && !("secure" in (value as object))) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, `${path}.${k}`);
    } else if (Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null && typeof (v as { name?: unknown }).name === "string")) {
      for (const v of value as Array<{ name: string }>) walk(v, `${path}[${v.name}]`);
    } else out.set(path, JSON.stringify(value));
  };
  for (const [k, v] of Object.entries(doc.config ?? {})) walk(v, k);
  return out;
}

/** Rows of the generated configuration reference: key → "type; default". */
function schemaKeys(text: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (text ?? "").split("\n")) {
    const m = /^\| `([^`]+)` \| (.*?) \| (.*?) \|/.exec(line);
    if (m) out.set(m[1]!, `${m[2]}; default ${m[3]}`);
  }
  return out;
}

function keyDiff(before: Map<string, string>, after: Map<string, string>, showValues: boolean): string[] {
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k));
  const list = (label: string, keys: string[], detail?: (k: string) => string) => (keys.length ? [`- ${label}: ${keys.map((k) => `\`${k}\`${detail ? ` (${detail(k)})` : ""}`).join(", ")}`] : []);
  const lines = [...list("added", added), ...list("changed", changed, showValues ? (k) => `${before.get(k)} → ${after.get(k)}` : undefined), ...list("removed", removed)];
  return lines.length ? lines : ["- no key added, changed or removed"];
}

function renderConfiguration(ctx: NotesContext, root: string, tag: string | undefined): string[] {
  const stackFile = ctx.configFile ?? join(root, `Pulumi.${ctx.stack}.yaml`);
  const current = existsSync(stackFile) ? readFileSync(stackFile, "utf8") : undefined;
  const reference = join(root, "docs", "configuration.md");
  if (!tag) {
    return [
      `First release: all ${configLeaves(current).size} keys set in \`Pulumi.${ctx.stack}.yaml\` and all ${schemaKeys(existsSync(reference) ? readFileSync(reference, "utf8") : undefined).size} keys the program reads are new (see configuration-reference.md).`,
      "",
    ];
  }
  return [
    `### \`Pulumi.${ctx.stack}.yaml\` since ${tag}`,
    "",
    // Values are left out: a stack file may hold secrets; the keys say what to review.
    ...keyDiff(configLeaves(fileAtRef(tag, `Pulumi.${ctx.stack}.yaml`, root)), configLeaves(current), false),
    "",
    `### Keys the program reads (docs/configuration.md) since ${tag}`,
    "",
    ...keyDiff(schemaKeys(fileAtRef(tag, "docs/configuration.md", root)), schemaKeys(existsSync(reference) ? readFileSync(reference, "utf8") : undefined), true),
    "",
  ];
}

export async function renderReleaseNotes(ctx: NotesContext, options: ReleaseNotesOptions = {}): Promise<string> {
  const root = options.root ?? REPO_ROOT;
  const tag = options.tag === undefined ? previousVersionTag(ctx.version, root) : (options.tag ?? undefined);
  const commits = commitsAfter(tag, root);
  const limitationsFile = join(root, "docs", "known-limitations.md");
  const limitations = existsSync(limitationsFile) ? readFileSync(limitationsFile, "utf8").replace(/^# .*\n/, "").trim() : "None recorded.";
  const bundle = ctx.bundlePaths ?? defaultBundlePaths(join(root, "backend"));
  const contracts = contractReports({ version: ctx.version, root, ...(tag ? { tag } : {}), ...(ctx.finalDir ? { packageRoot: dirname(ctx.finalDir) } : {}) });
  return [
    `# Release notes — backend ${ctx.version}`,
    "",
    `Commit ${ctx.commit.sha}, ${tag ? `changes since ${tag}` : "first release (all history)"}. Built for stack ${ctx.stack}.`,
    "",
    `## Changes (${commits.length} commit${commits.length === 1 ? "" : "s"})`,
    "",
    ...(commits.length ? renderCommits(commits) : ["No commit since the previous release.", ""]),
    "## Database migrations",
    "",
    ...(await renderMigrations(bundle, root, tag)),
    "## Configuration",
    "",
    ...renderConfiguration(ctx, root, tag),
    "## API",
    "",
    renderContractMarkdown(contracts, 3),
    "## Known limitations",
    "",
    limitations,
    "",
  ].join("\n");
}
