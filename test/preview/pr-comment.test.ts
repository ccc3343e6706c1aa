/**
 * Issue 18 (ops): the PR comment section of one stack, as `preview --comment` writes it: counts,
 * a table of changes (symbol, resource, type, verdict, old → new), the policy findings read from
 * the report `policy --format json` writes (mandatory first), and a Mermaid diagram of what
 * changes, capped for big diffs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../infra/cli/main";
import { changeDiagram } from "../../infra/preview/change-diagram";
import type { Deployment } from "../../infra/preview/deployment";
import { diffDeployments } from "../../infra/preview/diff";
import { renderPolicyFindings } from "../../infra/preview/policy-findings";
import { renderStackComment } from "../../infra/preview/pr-comment";
import { Graph, recordedGraph } from "../support/graph";

const tmp = mkdtempSync(join(tmpdir(), "pr-comment-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let err: string[];
beforeEach(() => {
  err = [];
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

/** The staging graph with its task size halved and its engine one major version back: the base branch. */
async function baseFile(): Promise<{ file: string; cpu: string; memory: string }> {
  const { deployment } = await recordedGraph("staging");
  const base = structuredClone(deployment) as Deployment;
  const g = new Graph(base);
  const td = g.one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task");
  const cpu = String(td.inputs!.cpu);
  const memory = String(td.inputs!.memory);
  td.inputs!.cpu = String(Number(cpu) / 2);
  td.inputs!.memory = String(Number(memory) / 2);
  g.one("aws:rds/instance:Instance").inputs!.engineVersion = "15";
  const file = join(tmp, "base-staging.json");
  writeFileSync(file, JSON.stringify(base));
  return { file, cpu, memory };
}

describe("preview --comment", () => {
  it("writes the stack's section: counts, the change table, the diagram, and the policy report's findings", async () => {
    const { file: base, cpu, memory } = await baseFile();
    const head = join(tmp, "head-staging.json");
    expect(await main(["preview", "--stack", "staging", "--out", head])).toBe(0);
    const policy = join(tmp, "policy-staging.json");
    const policyExit = await main(["policy", "--state", head, "--stack", "staging", "--format", "json", "--out", policy]);
    expect([0, 1]).toContain(policyExit);
    const report = JSON.parse(readFileSync(policy, "utf8")) as { violations: { policy: string; enforcementLevel: string }[] };
    const comment = join(tmp, "comment-staging.md");
    expect(await main(["preview", "--stack", "staging", "--base", base, "--comment", comment, "--policy-json", policy])).toBe(0);
    const md = readFileSync(comment, "utf8");
    expect(md.startsWith("### Stack `staging`\n")).toBe(true);
    expect(md).toContain("🔴 **1 to replace** · 0 may replace · 0 to delete · 🟡 **2 to update** · 0 to create ·");
    expect(md).toContain(`| 🔴 \`+-\` | \`orders-api-task\` | \`ecs/TaskDefinition\` | **replace** | \`cpu\`: \`"${Number(cpu) / 2}"\` → \`"${cpu}"\` (immutable: any change replaces it) |`);
    expect(md).toContain(`| | | | | \`memory\`: \`"${Number(memory) / 2}"\` → \`"${memory}"\` (immutable: any change replaces it) |`);
    expect(md).toMatch(/\| 🟡 `~` \| `database-instance` \| `rds\/Instance` \| update \| `engineVersion`: `"15"` → `"16"` \(in-place engine upgrade: the instance restarts \(downtime\);/);
    expect(md).toMatch(/\| 🟡 `~` \| `orders-api-service` \| `ecs\/Service` \| update \| `taskDefinition`: `"arn:aws:ecs:.*"` → `\(known after apply\)` \(known after apply: orders-api-task is replaced\) \|/);
    expect(md).toContain("```mermaid\nflowchart LR\n");
    expect(md).toMatch(/n\d+\["\+- orders-api-task<br\/><small>ecs\/TaskDefinition<\/small>"\]:::replace/);
    expect(md).toMatch(/subgraph n\d+_g\["orders-api \(service\/BackendService\)"\]/);
    // The real report's findings, each policy named, in the section.
    expect(md).toContain("#### Policy findings");
    for (const v of report.violations) expect(md).toContain(`\`${v.policy}\``);
  }, 180_000);

  it("--graph reuses the recorded graph (no second recording) and gives the same section; a graph of another stack is refused", async () => {
    const { file: base } = await baseFile();
    const head = join(tmp, "head-graph-staging.json");
    expect(await main(["preview", "--stack", "staging", "--out", head])).toBe(0);
    const recorded = join(tmp, "comment-recorded.md");
    expect(await main(["preview", "--stack", "staging", "--base", base, "--comment", recorded])).toBe(0);
    err = [];
    const reused = join(tmp, "comment-reused.md");
    expect(await main(["preview", "--stack", "staging", "--graph", head, "--base", base, "--comment", reused])).toBe(0);
    expect(err.join("")).not.toContain("recording stack");
    expect(readFileSync(reused, "utf8")).toBe(readFileSync(recorded, "utf8"));
    const other = join(tmp, "comment-other.md");
    expect(await main(["preview", "--stack", "prod", "--graph", head, "--comment", other])).toBe(2);
    expect(err.join("")).toContain(`--graph ${head} is not a graph of stack "prod" (its URNs name staging)`);
    expect(existsSync(other)).toBe(false);
    // An output over one of the run's inputs is refused before anything is read or written.
    const before = readFileSync(base, "utf8");
    expect(await main(["preview", "--stack", "staging", "--graph", head, "--base", base, "--comment", base])).toBe(2);
    expect(err.join("")).toContain(`--comment ${base} is the --base input of this run: write the output elsewhere`);
    expect(readFileSync(base, "utf8")).toBe(before);
  }, 180_000);

  it("without a base graph says so, and still shows the policy findings", async () => {
    const policy = join(tmp, "policy-empty.json");
    writeFileSync(policy, JSON.stringify({ violations: [], summary: { mandatory: 0, advisory: 0 } }));
    const comment = join(tmp, "comment-nobase.md");
    expect(await main(["preview", "--stack", "staging", "--comment", comment, "--policy-json", policy])).toBe(0);
    expect(readFileSync(comment, "utf8")).toBe("### Stack `staging`\n\nNo base graph: the base branch could not produce an offline preview.\n\n#### Policy findings\n\n✅ No mandatory violation; 0 advisory.\n");
  }, 120_000);

  it("exits 2 on a --policy-json that is not a policy report, before recording, writing nothing", async () => {
    const policy = join(tmp, "policy-bad.json");
    writeFileSync(policy, JSON.stringify({ violations: [{ policy: "x" }], summary: { mandatory: 0, advisory: 0 } }));
    const comment = join(tmp, "comment-bad.md");
    expect(await main(["preview", "--stack", "staging", "--comment", comment, "--policy-json", policy])).toBe(2);
    expect(err.join("")).toMatch(/--policy-json: .*policy-bad\.json is not a policy report as `policy --format json` writes it: at violations\.0\.policyPack/);
    expect(err.join("")).not.toContain("recording stack");
    expect(existsSync(comment)).toBe(false);
    expect(await main(["preview", "--stack", "staging", "--policy-json", policy])).toBe(2);
    expect(err.join("")).toContain("--policy-json is shown only in the PR comment section: add --comment <file>");
  });
});

describe("policy findings", () => {
  it("lists mandatory first, then by severity, escaped for a table cell", () => {
    const v = (policy: string, enforcementLevel: "mandatory" | "advisory", severity: "critical" | "high" | "low", message: string) => ({
      policyPack: "sec-ops",
      policy,
      urn: `urn:pulumi:prod::backend-release::aws:s3/bucket:Bucket::${policy}-bucket`,
      type: "aws:s3/bucket:Bucket",
      enforcementLevel,
      severity,
      controls: [],
      message,
    });
    const md = renderPolicyFindings({
      violations: [v("a-low", "advisory", "low", "x"), v("b-adv-critical", "advisory", "critical", "pipe | in `code`"), v("c-mand-low", "mandatory", "low", "y"), v("d-mand-high", "mandatory", "high", "z")],
      summary: { mandatory: 2, advisory: 2 },
    });
    const rows = md.split("\n").filter((l) => l.startsWith("| **mandatory**") || l.startsWith("| advisory"));
    expect(rows.map((r) => /`([a-z-]+)`/.exec(r)![1])).toEqual(["d-mand-high", "c-mand-low", "b-adv-critical", "a-low"]);
    expect(md.startsWith("❌ **2 mandatory** violation(s) block the merge; 2 advisory.")).toBe(true);
    expect(rows[2]).toContain("| pipe \\| in 'code' |");
  });
});

describe("change diagram", () => {
  it("caps a huge diff and sums up the rest in one node", async () => {
    const { deployment } = await recordedGraph("prod");
    const empty = structuredClone(deployment) as Deployment;
    empty.deployment.resources = [];
    const diff = diffDeployments(empty, deployment);
    const mermaid = changeDiagram(diff, 10)!;
    expect(mermaid.match(/:::create/g)).toHaveLength(10);
    expect(mermaid).toContain(`more["…${diff.changes.length - 10} more change(s), listed in the table"]:::more`);
    const section = renderStackComment({ stack: "prod", diff });
    expect(section).toContain(`… and ${diff.changes.length - 60} more resource change(s)`);
    expect(section.length).toBeLessThan(60_000);
  }, 120_000);

  it("escapes what would break a Mermaid label", () => {
    const urn = 'urn:pulumi:prod::backend-release::aws:s3/bucket:Bucket::we"ird<name>';
    const mermaid = changeDiagram({ changes: [{ kind: "create", urn, type: "aws:s3/bucket:Bucket" }], summary: { create: 1, update: 0, replace: 0, "may-replace": 0, delete: 0, same: 0 }, secretsNotCompared: 0 })!;
    expect(mermaid).toContain('n0["+ we#34;ird#60;name#62;<br/><small>s3/Bucket</small>"]:::create');
  });
});
