/**
 * Issue 18 (ops): the offline diff reports replacements as the real providers decide them and
 * shows every changed property old → new. Each case takes the real prod or staging graph,
 * changes one thing in the base (what the branch had before), and asserts the exact verdict and
 * the exact line a reviewer reads.
 */
import { describe, expect, it } from "vitest";
import { SECRET_SIG, SIG_KEY, UNKNOWN, type Deployment } from "../../infra/preview/deployment";
import { diffDeployments, propertyLine, renderDiff, type DeploymentDiff, type ResourceChange } from "../../infra/preview/diff";
import { MAX_VALUE_CHARS } from "../../infra/preview/property-diff";
import { Graph, recordedGraph } from "../support/graph";

/** The stack's graph as head, and a copy changed by `base` (and `head`, when both sides need a value). */
async function diffAfter(stack: string, base: (g: Graph) => void, head?: (g: Graph) => void): Promise<DeploymentDiff> {
  const { deployment } = await recordedGraph(stack);
  const b = structuredClone(deployment) as Deployment;
  const h = structuredClone(deployment) as Deployment;
  base(new Graph(b));
  head?.(new Graph(h));
  return diffDeployments(b, h);
}

function only(diff: DeploymentDiff, name: string, type?: string): ResourceChange {
  const found = diff.changes.filter((c) => c.urn.endsWith(`::${name}`) && (!type || c.type === type));
  expect(found, name).toHaveLength(1);
  return found[0]!;
}

const lines = (c: ResourceChange) => (c.properties ?? []).map(propertyLine);
const halve = (v: unknown) => String(Number(v) / 2);
const containers = (g: Graph, name: string) => JSON.parse(String(g.one("aws:ecs/taskDefinition:TaskDefinition", name).inputs!.containerDefinitions)) as Array<Record<string, unknown>>;
function setContainers(g: Graph, name: string, edit: (c: Array<Record<string, unknown>>) => void): void {
  const td = g.one("aws:ecs/taskDefinition:TaskDefinition", name);
  const defs = containers(g, name);
  edit(defs);
  td.inputs!.containerDefinitions = JSON.stringify(defs);
}

describe("replacement verdicts on the real graphs", () => {
  it("task memory: the task definition is replaced, the service rolls to the new revision", async () => {
    const { deployment } = await recordedGraph("prod");
    const memory = String(new Graph(deployment).one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task").inputs!.memory);
    const diff = await diffAfter("prod", (g) => (g.one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task").inputs!.memory = halve(memory)));
    const td = only(diff, "orders-api-task");
    expect(td.kind).toBe("replace");
    expect(lines(td)).toEqual([`memory: "${halve(memory)}" → "${memory}"  (immutable: any change replaces it)`]);
    const svc = only(diff, "orders-api-service");
    expect(svc.kind).toBe("update");
    expect(lines(svc)).toEqual([expect.stringMatching(/^taskDefinition: "arn:aws:ecs:.*" → \(known after apply\) {2}\(known after apply: orders-api-task is replaced\)$/)]);
    expect(diff.summary).toMatchObject({ replace: 1, update: 1, "may-replace": 0, create: 0, delete: 0 });
  }, 120_000);

  it("task CPU: replace", async () => {
    const { deployment } = await recordedGraph("staging");
    const cpu = String(new Graph(deployment).one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task").inputs!.cpu);
    const diff = await diffAfter("staging", (g) => (g.one("aws:ecs/taskDefinition:TaskDefinition", "orders-api-task").inputs!.cpu = halve(cpu)));
    expect(only(diff, "orders-api-task").kind).toBe("replace");
    expect(lines(only(diff, "orders-api-task"))).toEqual([`cpu: "${halve(cpu)}" → "${cpu}"  (immutable: any change replaces it)`]);
  }, 120_000);

  it("a container's setting: the nested path inside the container definitions JSON, old → new", async () => {
    const diff = await diffAfter("prod", (g) =>
      setContainers(g, "orders-api-task", (defs) => {
        const env = defs[0]!.environment as { name: string; value: string }[];
        env.find((e) => e.name === "LOG_LEVEL")!.value = "debug";
        defs[0]!.stopTimeout = 30;
      }),
    );
    const { deployment } = await recordedGraph("prod");
    const env = containers(new Graph(deployment), "orders-api-task")[0]!.environment as { name: string }[];
    const at = env.findIndex((e) => e.name === "LOG_LEVEL");
    const stop = containers(new Graph(deployment), "orders-api-task")[0]!.stopTimeout;
    expect(lines(only(diff, "orders-api-task"))).toEqual([
      `containerDefinitions[0].environment[${at}].value: "debug" → "info"  (immutable: any change replaces it)`,
      `containerDefinitions[0].stopTimeout: 30 → ${String(stop)}  (immutable: any change replaces it)`,
    ]);
  }, 120_000);

  it("engine version: an in-place upgrade with downtime, not a replacement", async () => {
    const diff = await diffAfter("prod", (g) => (g.one("aws:rds/instance:Instance").inputs!.engineVersion = "15"));
    const db = only(diff, "database-instance");
    expect(db.kind).toBe("update");
    expect(lines(db)).toEqual([
      'engineVersion: "15" → "16"  (in-place engine upgrade: the instance restarts (downtime); a new major version needs allowMajorVersionUpgrade; applied in the maintenance window unless applyImmediately)',
    ]);
  }, 120_000);

  it("engine: replace, and Pulumi will refuse (the instance is protected)", async () => {
    const diff = await diffAfter("prod", (g) => (g.one("aws:rds/instance:Instance").inputs!.engine = "mysql"));
    const db = only(diff, "database-instance");
    expect(db.kind).toBe("replace");
    expect(lines(db)).toEqual(['engine: "mysql" → "postgres"  (forces replacement)']);
    expect(renderDiff(diff)).toContain("database-instance  [protected: pulumi will refuse to replace it]");
  }, 120_000);

  it("identifier: renamed in place by the provider (not ForceNew in provider 6)", async () => {
    const diff = await diffAfter("prod", (g) => (g.one("aws:rds/instance:Instance").inputs!.identifier = "old-name"));
    expect(only(diff, "database-instance").kind).toBe("update");
    expect(lines(only(diff, "database-instance"))[0]).toMatch(/^identifier: "old-name" → ".*" {2}\(renamed in place: the endpoint changes\)$/);
  }, 120_000);

  it("a bucket name: replace; what takes the bucket from it may be replaced (its name is known after apply)", async () => {
    const { deployment } = await recordedGraph("prod");
    const name = String(new Graph(deployment).one("aws:s3/bucket:Bucket", "access-logs-bucket").inputs!.bucket);
    const diff = await diffAfter("prod", (g) => (g.one("aws:s3/bucket:Bucket", "access-logs-bucket").inputs!.bucket = `${name}-old`));
    expect(only(diff, "access-logs-bucket").kind).toBe("replace");
    expect(lines(only(diff, "access-logs-bucket"))).toEqual([`bucket: "${name}-old" → "${name}"  (forces replacement)`]);
    const pab = only(diff, "access-logs-bucket-public-access");
    expect(pab.kind).toBe("may-replace");
    expect(lines(pab)).toEqual([`bucket: "${name}" → (known after apply)  (may replace: known after apply: access-logs-bucket is replaced; a new value replaces this)`]);
  }, 120_000);

  it("a monitor threshold: update; a monitor's type: replace, except between metric and query alert", async () => {
    const diff = await diffAfter("prod", (g) => {
      const m = g.one("datadog:index/monitor:Monitor", "orders-api-latencyP95-monitor");
      m.inputs!.monitorThresholds = { ...(m.inputs!.monitorThresholds as object), critical: "1000" };
    });
    const { deployment } = await recordedGraph("prod");
    const critical = (new Graph(deployment).one("datadog:index/monitor:Monitor", "orders-api-latencyP95-monitor").inputs!.monitorThresholds as { critical: string }).critical;
    expect(only(diff, "orders-api-latencyP95-monitor").kind).toBe("update");
    expect(lines(only(diff, "orders-api-latencyP95-monitor"))).toEqual([`monitorThresholds.critical: "1000" → "${critical}"`]);
    const typed = (type: string) => diffAfter("prod", (g) => (g.one("datadog:index/monitor:Monitor", "orders-api-latencyP95-monitor").inputs!.type = type));
    expect(only(await typed("metric alert"), "orders-api-latencyP95-monitor").kind).toBe("update");
    expect(lines(only(await typed("log alert"), "orders-api-latencyP95-monitor"))).toEqual(['type: "log alert" → "query alert"  (forces replacement)']);
  }, 120_000);

  it("a secret value: [secret] changed, never the value; a secret against the preview's placeholder is not judged", async () => {
    const marker = (ciphertext: string) => ({ [SIG_KEY]: SECRET_SIG, ciphertext });
    const secretVersion = (g: Graph) => g.one("aws:secretsmanager/secretVersion:SecretVersion", "orders-api-orders-signing-key-value");
    const diff = await diffAfter(
      "prod",
      (g) => (secretVersion(g).inputs!.secretString = marker("v1:AAAAold")),
      (g) => (secretVersion(g).inputs!.secretString = marker("v1:BBBBnew")),
    );
    const sv = only(diff, "orders-api-orders-signing-key-value");
    expect(sv.kind).toBe("replace");
    expect(lines(sv)).toEqual(["secretString: [secret] changed  (forces replacement)"]);
    expect(JSON.stringify(diff) + renderDiff(diff)).not.toMatch(/AAAAold|BBBBnew/);

    const unjudged = await diffAfter("prod", (g) => (secretVersion(g).inputs!.secretString = marker("v1:AAAAold")));
    expect(unjudged.changes).toEqual([]);
    expect(unjudged.secretsNotCompared).toBe(1);
    expect(renderDiff(unjudged)).toContain("1 secret value(s) not compared");
  }, 120_000);

  it("secrets by name: a password input and a DB_PASSWORD environment variable show [secret] changed", async () => {
    const env = (value: string) => (g: Graph) => setContainers(g, "orders-api-task", (defs) => (defs[0]!.environment as unknown[]).push({ name: "DB_PASSWORD", value }));
    const diff = await diffAfter(
      "prod",
      (g) => {
        env("hunter2-old")(g);
        g.one("aws:rds/instance:Instance").inputs!.password = "correct-horse-old";
      },
      (g) => {
        env("hunter2-new")(g);
        g.one("aws:rds/instance:Instance").inputs!.password = "correct-horse-new";
      },
    );
    expect(lines(only(diff, "orders-api-task"))).toEqual([expect.stringMatching(/^containerDefinitions\[0\]\.environment\[\d+\]\.value: \[secret\] changed {2}\(immutable: any change replaces it\)$/)]);
    expect(lines(only(diff, "database-instance"))).toEqual(["password: [secret] changed"]);
    expect(JSON.stringify(diff) + renderDiff(diff)).not.toMatch(/hunter2|correct-horse/);
  }, 120_000);

  it("engine options: ignoreChanges is not a change, replaceOnChanges replaces", async () => {
    const ignored = await diffAfter("prod", (g) => (g.one("aws:ecs/service:Service", "orders-api-service").inputs!.desiredCount = 99));
    expect(ignored.changes).toEqual([]);
    const run = await diffAfter("prod", (g) => (g.one("command:local:Command", "orders-api-migration-run").inputs!.triggers = ["sha256:old"]));
    const cmd = only(run, "orders-api-migration-run");
    expect(cmd.kind).toBe("replace");
    expect(lines(cmd)[0]).toMatch(/^triggers: \["sha256:old"\] → \["sha256:.*"\] {2}\(replaceOnChanges\)$/);
    expect(renderDiff(run)).toContain("[deleteBeforeReplace: deleted before its replacement exists (downtime)]");
  }, 120_000);

  it("what the offline preview cannot know is 'may replace': a type without a table, a ForceNew value unknown until apply", async () => {
    const stray = (value: string) => (g: Graph) => g.resources.push({ urn: "urn:pulumi:prod::backend-release::aws:sqs/queue:Queue::jobs", custom: true, type: "aws:sqs/queue:Queue", inputs: { delaySeconds: value } });
    const untyped = await diffAfter("prod", stray("1"), stray("2"));
    expect(only(untyped, "jobs").kind).toBe("may-replace");
    expect(lines(only(untyped, "jobs"))).toEqual(['delaySeconds: "1" → "2"  (may replace: no replacement table for aws:sqs/queue:Queue (add it to infra/preview/replacement-rules.ts))']);
    const unknown = await diffAfter("prod", () => undefined, (g) => (g.one("aws:s3/bucket:Bucket", "access-logs-bucket").inputs!.bucket = UNKNOWN));
    expect(only(unknown, "access-logs-bucket").kind).toBe("may-replace");
    expect(lines(only(unknown, "access-logs-bucket"))[0]).toMatch(/^bucket: ".*" → \(known after apply\) {2}\(may replace: the new value is known only after apply\)$/);
  }, 120_000);

  it("deleting a protected resource is flagged; long values are shortened in the middle", async () => {
    const diff = await diffAfter(
      "prod",
      (g) => (g.one("datadog:index/monitor:Monitor", "orders-api-latencyP95-monitor").inputs!.message = `old ${"x".repeat(300)} end`),
      (g) => g.resources.splice(g.resources.indexOf(g.one("aws:rds/instance:Instance")), 1),
    );
    expect(renderDiff(diff)).toMatch(/^- {3}delete {6}aws:rds\/instance:Instance {2}database-instance {2}\[protected: pulumi will refuse to delete it\]/m);
    const [message] = only(diff, "orders-api-latencyP95-monitor").properties!;
    expect(message!.old.length).toBeLessThanOrEqual(MAX_VALUE_CHARS);
    expect(message!.old).toMatch(/^"old x+…x+ end"$/);
  }, 120_000);

  it("a new default provider version is an upgrade, not a reason to replace what it manages", async () => {
    const diff = await diffAfter("prod", (g) => {
      for (const r of g.resources) {
        if (r.provider?.includes("::pulumi:providers:aws::default_")) r.provider = r.provider.replace(/default_[0-9_]+/, "default_7_0_0");
        if (r.type === "pulumi:providers:aws") r.urn = r.urn.replace(/default_[0-9_]+/, "default_7_0_0");
      }
    });
    expect(diff.changes.map((c) => `${c.kind} ${c.type}`)).toEqual(["delete pulumi:providers:aws", "create pulumi:providers:aws"]);
    // Moving a resource to another (explicit) provider is another matter: the engine may replace it.
    const moved = await diffAfter("prod", (g) => {
      const key = g.one("aws:kms/key:Key", "keys-data");
      key.provider = "urn:pulumi:prod::backend-release::pulumi:providers:aws::eu-west-1::00000000-0000-4000-8000-000000000001";
    });
    const key = only(moved, "keys-data", "aws:kms/key:Key");
    expect(key.kind).toBe("may-replace");
    expect(only(moved, "keys-data", "aws:kms/alias:Alias").kind).toBe("update");
    expect(lines(key)).toEqual([expect.stringMatching(/^\(provider\): "eu-west-1" → "default_[0-9_]+" {2}\(may replace: another provider manages it: the engine may replace it\)$/)]);
  }, 120_000);
});
