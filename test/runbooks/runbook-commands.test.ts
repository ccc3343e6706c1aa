/**
 * Every shell command in runbooks/ parses as shell, names no placeholder, and every `aws` call in
 * it names an operation the AWS CLI has, with the arguments its command model requires
 * (botocore's service data from Debian's python3-botocore / awscli).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { AwsCliModel, xformName } from "../../infra/docs/aws-cli-model";
import { extractCommands, parseCommand, placeholdersIn, type RunbookCommand } from "../../infra/docs/runbook-shell";

const model = AwsCliModel.locate();
if (!model) throw new Error("botocore's data is not installed: apt-get install python3-botocore (or awscli); .ci/run installs it");

const runbookFiles = readdirSync(join(REPO_ROOT, "runbooks")).filter((f) => f.endsWith(".md"));
const commands: RunbookCommand[] = runbookFiles.flatMap((f) => extractCommands(`runbooks/${f}`, readFileSync(join(REPO_ROOT, "runbooks", f), "utf8")));

/** Problems with one command line: parse errors, placeholders, AWS CLI calls the model refuses. */
function problemsOf(cmd: RunbookCommand): string[] {
  const where = `${cmd.file}:${cmd.line}`;
  const problems = placeholdersIn(cmd.text).map((p) => `${where}: placeholder ${p} in: ${cmd.text}`);
  let simple;
  try {
    simple = parseCommand(cmd);
  } catch (e) {
    return [...problems, (e as Error).message];
  }
  for (const c of simple) if (c.name === "aws") problems.push(...model!.check(c).map((p) => `${where}: ${p}`));
  return problems;
}

const line = (text: string): RunbookCommand => ({ file: "runbooks/x.md", line: 1, text });

describe("runbook commands", () => {
  it("the runbooks give the commands the on-call needs", () => {
    const all = commands.map((c) => c.text).join("\n");
    for (const needed of ["aws ecs list-tasks", "--force-new-deployment", "aws ecs list-task-definitions", "--task-definition \"$ROLLBACK\"", "aws application-autoscaling register-scalable-target", "--desired-count", "aws logs tail", "aws ecs execute-command"]) {
      expect(all, needed).toContain(needed);
    }
    expect(commands.length).toBeGreaterThan(40);
  });

  it("every command parses, has no placeholder, and every aws call passes the AWS CLI command model", () => {
    expect(commands.flatMap(problemsOf)).toEqual([]);
    // Not vacuous: the aws calls inside $(…) are checked too.
    const awsCalls = commands.flatMap((c) => parseCommand(c)).filter((c) => c.name === "aws");
    expect(awsCalls.length).toBeGreaterThan(commands.filter((c) => c.text.startsWith("aws ")).length);
  });

  it("refuses a placeholder, a missing required argument, a missing --cluster, an unknown operation or option", () => {
    expect(problemsOf(line("aws ecs update-service --cluster c --service s --task-definition <previous revision>")).join()).toMatch(/placeholder <previous revision>/);
    expect(problemsOf(line("aws ecs describe-services --cluster c --services s ... TODO")).join()).toMatch(/placeholder \.\.\..*placeholder TODO/);
    expect(problemsOf(line("aws ecs update-service --cluster c --force-new-deployment")).join()).toMatch(/missing required --service/);
    expect(problemsOf(line("aws ecs list-tasks --service-name s")).join()).toMatch(/missing required --cluster/);
    expect(problemsOf(line("X=$(aws ecs execute-command --cluster c --task t --command /bin/sh)")).join()).toMatch(/missing required --interactive/);
    expect(problemsOf(line("aws ecs restart-service --cluster c --service s")).join()).toMatch(/ecs has no operation restart-service/);
    expect(problemsOf(line("aws ecs update-service --cluster c --service s --force-redeploy")).join()).toMatch(/unknown option --force-redeploy/);
    expect(problemsOf(line("aws application-autoscaling register-scalable-target --service-namespace ecs --resource-id r")).join()).toMatch(/missing required --scalable-dimension/);
    expect(problemsOf(line("aws logs tail --since 15m --follow")).join()).toMatch(/missing group-name/);
    expect(problemsOf(line("aws s3 cp s3://bucket/releases/x/ --recursive")).join()).toMatch(/aws s3 cp: missing destination/);
    expect(problemsOf(line("aws s3 cp s3://bucket/k ./k --recurse")).join()).toMatch(/aws s3 cp: unknown option --recurse/);
    expect(problemsOf(line("aws ecs wait service-stable --cluster c --services s")).join()).toMatch(/no waiter/);
    expect(problemsOf(line("aws ecs update-service --cluster c --service 's")).join()).toMatch(/not valid shell/);
    expect(problemsOf(line("aws ecs register-task-definition --cli-input-json file://x.json"))).toEqual([]);
  });

  it("extracts fenced sh/bash blocks (continuations joined, comments dropped) and inline aws spans, not other code", () => {
    const md = ["Run `aws ecs list-tasks --cluster c` first.", "```sh", "# comment", "aws ecs update-service --cluster c \\", "  --service s --force-new-deployment", "```", "```json", '{"aws": 1}', "```", "`npm run cli -- docs check`"].join("\n");
    expect(extractCommands("f.md", md)).toEqual([
      { file: "f.md", line: 1, text: "aws ecs list-tasks --cluster c" },
      { file: "f.md", line: 4, text: "aws ecs update-service --cluster c --service s --force-new-deployment" },
    ]);
  });

  it("names operations and parameters as the CLI does (botocore xform_name)", () => {
    expect(xformName("ListTaskDefinitions")).toBe("list-task-definitions");
    expect(xformName("enableECSManagedTags")).toBe("enable-ecs-managed-tags");
    expect(xformName("RoleARN")).toBe("role-arn");
    expect(xformName("DescribeDBInstances")).toBe("describe-db-instances");
  });
});
