/**
 * The examples every command's --help shows, in one table keyed by the command's path
 * ("" is the program itself). main.ts appends them, then the exit codes, to each command's help;
 * test/cli/help.test.ts checks that every command and subcommand has examples and that each one
 * parses with the program.
 */
import type { Command } from "commander";
import { EXIT_CODES_HELP } from "./errors";

export interface Example {
  /** A command line as pasted into a shell (`npm run cli -- …` or `npm run release -- …`). */
  run: string;
  what: string;
}

export const EXAMPLES: Record<string, Example[]> = {
  "": [
    { run: "npm run cli -- preview --stack staging", what: "the resource tree of staging under the mock runtime, offline" },
    { run: "npm run cli -- policy --state graph.json --stack prod", what: "the policy packs on a graph, as a Markdown report" },
    { run: "npm run release -- --stack staging --version 1.4.0", what: "build the release package and decide GO / NO-GO" },
    { run: "PULUMI_STACK=prod npm run cli -- oncall coverage --weeks 4", what: "the stack from PULUMI_STACK, as pulumi reads it" },
  ],
  preview: [
    { run: "npm run cli -- preview --stack staging", what: "the resource tree and counts per type" },
    { run: "npm run cli -- preview --stack prod --out graph.json", what: "write the graph as `pulumi stack export` JSON (for policy)" },
    { run: "npm run cli -- preview --stack prod --base base.json --format json", what: "the changes against an earlier graph, as JSON" },
  ],
  policy: [
    { run: "npm run cli -- policy --state graph.json", what: "the stack is the one the graph's URNs name" },
    { run: "npm run cli -- policy --state graph.json --stack prod --format sarif --out policy.sarif", what: "SARIF 2.1.0 for code scanning, written whole or not at all" },
    { run: "npm run cli -- policy --state export.json --stack prod --format json --out -", what: "a `pulumi stack export` of the live stack; JSON on stdout, progress on stderr" },
    { run: "npm run cli -- policy --state graph.json --stack prod --report md=policy.md --report json=policy.json --report sarif=policy.sarif", what: "one evaluation, every format (what CI publishes)" },
  ],
  migrate: [
    { run: "npm run cli -- migrate plan --database-url postgres://app@db.internal:5432/orders", what: "what up would run: order, locks, rollout class, refusals" },
    { run: "npm run cli -- migrate verify", what: "up, down to zero and up again on an embedded PostgreSQL" },
    { run: "npm run cli -- migrate down --to 20250604090000_add_orders_amount_check --dry-run", what: "what a down would destroy, changing nothing" },
  ],
  "migrate plan": [
    { run: "npm run cli -- migrate plan", what: "against an empty database: the whole bundle" },
    { run: "npm run cli -- migrate plan --database-url postgres://app@db.internal:5432/orders --format json", what: "against a database, as JSON" },
  ],
  "migrate up": [{ run: "npm run cli -- migrate up --database-url postgres://app@localhost:5432/orders", what: "apply what is pending (DATABASE_URL or PGHOST/… work too)" }],
  "migrate down": [
    { run: "npm run cli -- migrate down --to 20250604090000_add_orders_amount_check --dry-run", what: "list the tables, columns and rows it would destroy" },
    { run: "npm run cli -- migrate down --to 0 --stack staging", what: "revert everything on a stack whose profile is not production" },
    { run: "npm run cli -- migrate down --stack prod --confirm prod", what: "revert the latest migration on a production-tier stack" },
  ],
  "migrate status": [{ run: "npm run cli -- migrate status --database-url postgres://app@localhost:5432/orders", what: "applied, pending, ahead and checksum mismatches" }],
  "migrate adopt": [{ run: "npm run cli -- migrate adopt --time-zone UTC", what: "take over a database an older runner migrated" }],
  "migrate lint": [
    { run: "npm run cli -- migrate lint", what: "the runner's rules and squawk on every file" },
    { run: "npm run cli -- migrate lint --format json", what: "the findings as JSON" },
  ],
  "migrate verify": [
    { run: "npm run cli -- migrate verify", what: "round trips on an embedded PostgreSQL, then with representative rows" },
    { run: "npm run cli -- migrate verify --database-url postgres://postgres@localhost:5432/scratch", what: "on a scratch database of your own" },
  ],
  "migrate manifest": [{ run: "npm run cli -- migrate manifest", what: "pin the bundle's files and checksums (after lint passes)" }],
  oncall: [{ run: "npm run cli -- oncall coverage --stack prod", what: "who is on call each day of the next 12 weeks, and the gaps" }],
  "oncall coverage": [
    { run: "npm run cli -- oncall coverage --stack prod --weeks 4", what: "the next 4 weeks" },
    { run: "npm run cli -- oncall coverage --stack staging --from 2025-03-24T00:00:00Z --format json", what: "a window from a date, as JSON" },
  ],
  docs: [{ run: "npm run cli -- docs check", what: "fail when a generated part of runbooks/ or docs/ is stale" }],
  "docs generate": [{ run: "npm run cli -- docs generate", what: "rewrite the generated parts from the stacks' config" }],
  "docs check": [{ run: "npm run cli -- docs check --format json", what: "the problems as JSON (exit 1 when there are any)" }],
  release: [
    { run: "npm run release -- --stack staging --version 1.4.0", what: "build the package of 1.4.0 for staging" },
    { run: "npm run release -- --stack prod --version v1.4.0 --approvals-from .approvals/1.4.0", what: "with the sign-offs collected elsewhere" },
    { run: "npm run cli -- release --stack staging --version 1.4.0 --force --format json", what: "rebuild it; the verdict as JSON, progress on stderr" },
  ],
  "release-log": [
    { run: "npm run cli -- release-log", what: "regenerate the BACK-PH5 log from the release records" },
    { run: "npm run cli -- release-log --check", what: "exit 1 when it is stale" },
  ],
  signoff: [
    { run: "npm run cli -- signoff sign --role security --key ~/.ssh/id_ed25519 --version 1.4.0 --stack prod", what: "sign the prod package of 1.4.0 as security" },
    { run: "npm run cli -- signoff verify --version 1.4.0 --stack prod", what: "GO (exit 0) or NO-GO (exit 1) with every reason" },
  ],
  "signoff sign": [
    { run: "npm run cli -- signoff sign --role security --key ~/.ssh/id_ed25519 --version 1.4.0 --stack prod", what: "writes approvals/security-<principal>.sig in the package" },
    { run: "npm run cli -- signoff sign --role operations --key ~/.ssh/id_ed25519.pub --version 1.4.0 --package ./pkg", what: "a key in ssh-agent; the stack from the package's manifest" },
  ],
  "signoff verify": [
    { run: "npm run cli -- signoff verify --version 1.4.0 --stack prod", what: "against config/allowed_signers of the manifest's commit" },
    { run: "npm run cli -- signoff verify --version 1.4.0 --stack prod --signers-ref origin/main --format json", what: "trusted signers from a protected ref, as JSON" },
  ],
  "verify-deploy": [
    { run: "npm run cli -- verify-deploy --stack prod --version 1.4.0", what: "each ECS service runs the approved digest (AWS credentials needed)" },
    { run: "npm run cli -- verify-deploy --stack staging --version 1.4.0 --region eu-central-1 --format json", what: "another region, as JSON" },
  ],
};

/** A command's path under the program: "" for the program, "migrate down" for a subcommand. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

export function renderExamples(examples: readonly Example[]): string {
  return `\nExamples:\n${examples.map((e) => `  # ${e.what}\n  $ ${e.run}`).join("\n")}`;
}

/** Appends, to `cmd` and every command under it, its examples and the exit codes. */
export function addHelpSections(cmd: Command): void {
  const examples = EXAMPLES[commandPath(cmd)];
  cmd.addHelpText("after", `${examples ? renderExamples(examples) : ""}\n${EXIT_CODES_HELP}`);
  for (const sub of cmd.commands) addHelpSections(sub);
}
