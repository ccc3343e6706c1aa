/**
 * The rollback strategy of a release (docs/rollback-strategy.md in the package) and the rollback
 * column of its migration plan, from what the runner does (backend/src/migrate):
 *
 * - expand/contract: every migration's class comes from the runner's own classification
 *   (rollout.ts), the same one recorded in the database when it is applied;
 * - a service rollback to release N−1 runs N−1's migration task against this database; that
 *   runner exits 0 with the schema unchanged when everything newer is expand-only (or a contract
 *   N−1 no longer needs), so the procedure never includes a schema rollback;
 * - `migrate down` is only ever advised for the migrations THIS release adds, and only after the
 *   service runs N−1: reverting anything older would break the release that serves.
 *
 * `rollbackProcedure()` is also the text of the rollback section of runbooks/deploy-and-rollback.md
 * (checked by test/backend/rollback-docs.test.ts).
 */
import { execFileSync } from "node:child_process";
import { REPO_ROOT } from "../../config/stack-file";
import type { MigrationPlan, PlannedMigration } from "../../backend/src/migrate/plan";
import { planMigrations } from "../../backend/src/migrate/plan";
import { previousTag } from "./git";
import type { ReleaseContext } from "./types";

/** The previous release (its tag) and the migrations and seeds its bundle held, from git; null for the first release. */
export interface PreviousRelease {
  tag: string;
  names: string[];
}

export function previousRelease(version: string): PreviousRelease | null {
  const tag = previousTag(version);
  if (!tag) return null;
  try {
    const manifest = JSON.parse(execFileSync("git", ["show", `${tag}:backend/migrations/manifest.json`], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })) as {
      migrations: Array<{ name: string }>;
      seeds: Array<{ name: string }>;
    };
    return { tag, names: [...manifest.migrations, ...manifest.seeds].map((e) => e.name) };
  } catch {
    return { tag, names: [] };
  }
}

/** The newest migration of the previous release: where a schema rollback of this release stops. */
export function previousLatest(plan: MigrationPlan, previous: PreviousRelease | null): string | null {
  if (!previous) return null;
  const names = new Set(previous.names);
  return plan.items.filter((i) => i.kind === "migrations" && names.has(i.name)).at(-1)?.name ?? null;
}

/** The rollback procedure, step by step, with the commands: the same text as the runbook's section. */
export function rollbackProcedure(): string[] {
  return [
    "1. **Roll the service back; never the schema first.** Deploy release N−1's image: revert the release commit, or set",
    "   its digest (`pulumi config set --path 'images.digests.<service>' sha256:<N−1 digest>`; prod's repository still",
    "   holds it, so the copy is skipped), then `pulumi up --stack <stack>`. The previous digest is in release N−1's",
    "   package (`manifest.json`, `imageDigests`) and in the release archive.",
    "2. **N−1's migration task runs first, against the database release N migrated.** Its runner finds the files N",
    "   added (it has no copy of them) and reads the class each one recorded when it was applied:",
    "   - all expand-only (or a contract whose `unused-since` migration N−1 contains): it exits 0 with the schema",
    "     unchanged (log: `the database is ahead of this bundle …`) and the service rolls back;",
    "   - any other contract migration: it exits 1 naming it, and `pulumi up` stops before the service changes.",
    "     Release N−1 cannot run on that schema: roll forward with a fix, or restore the database from the",
    "     snapshot taken before release N (point-in-time restore) and then deploy N−1.",
    "   This needs N−1's runner to read the recorded classes (releases built with this runner or later); an older",
    "   runner refuses any applied file it has no copy of, and only the emergency path below rolls back past it.",
    "3. **Verify:** `npm run cli -- verify-deploy --stack <stack> --version <N−1 version>`, healthy targets, error rate back to normal.",
    "4. **Optional, later: remove what release N added.** Only once the service runs N−1 (step 3 passed) — never while",
    "   release N serves, because its code uses what N's migrations added. List first, then revert only N's files:",
    "   `npm run cli -- migrate down --to <N−1's latest migration> --dry-run` (tables and columns it drops, with row counts),",
    "   then the same without `--dry-run`, with `--stack <stack>`: on a stack whose config says `profile: production`",
    "   it runs only when confirmed by naming the stack again, `--confirm <stack>`.",
    "   Data written into what N added is lost by that down. A down that stops half way says which statements ran;",
    "   `npm run cli -- migrate status` shows the migration as down-incomplete until `migrate down` is run again.",
  ];
}

function rollbackCell(m: PlannedMigration, previous: PreviousRelease | null, latest: string | null): string {
  if (previous?.names.includes(m.name)) return `none: already in ${previous.tag}, which needs it`;
  const serviceRollback = m.rollout === "expand" ? "service rollback needs nothing (expand: N−1 keeps working)" : `contract (removes ${m.removes.join(", ")}): service rollback works only to a release that contains ${m.unusedSince ?? "its unused-since migration"}`;
  if (!m.reversible) return `${serviceRollback}; irreversible: restore from the pre-deploy snapshot`;
  if (!previous) return `${serviceRollback}; first release: there is no N−1 to roll back to`;
  const lost = m.rollout === "contract" ? "; its down restores structure, not the removed data (snapshot)" : "";
  return `${serviceRollback}; optional cleanup once the service runs ${previous.tag}: \`migrate down --to ${latest ?? "0"}\`${lost}`;
}

export function renderRollbackCells(plan: MigrationPlan, previous: PreviousRelease | null): Map<string, string> {
  const latest = previousLatest(plan, previous);
  return new Map(plan.items.map((m) => [m.name, rollbackCell(m, previous, latest)]));
}

export async function renderRollbackStrategy(ctx: Pick<ReleaseContext, "version" | "stack" | "cfg" | "images"> & Partial<Pick<ReleaseContext, "bundlePaths">>): Promise<string> {
  const plan = await planMigrations(ctx.bundlePaths ? { paths: ctx.bundlePaths } : {});
  const previous = previousRelease(ctx.version);
  const cells = renderRollbackCells(plan, previous);
  const added = plan.items.filter((m) => !previous?.names.includes(m.name));
  const rows = plan.items.map((m) => {
    const cls = m.rollout === "contract" ? `contract: removes ${m.removes.join(", ")}${m.unusedSince ? `; unused since ${m.unusedSince}` : `; previous-release-safe: ${m.previousReleaseSafe ?? ""}`}` : "expand";
    return `| \`${m.name}\` | ${m.kind} | ${cls} | ${previous?.names.includes(m.name) ? "no" : "yes"} | ${cells.get(m.name)} |`;
  });
  const services = ctx.images.map((i) => `- ${i.service}: ${i.digest ? `approved digest \`${i.digest}\`` : "digest known after the staging build (stack output imageDigests)"}`);
  const contracts = added.filter((m) => m.rollout === "contract");
  return [
    `# Rollback strategy — ${ctx.version} (${ctx.stack})`,
    "",
    "## Service",
    "",
    "Automatic: the ECS deployment circuit breaker (enabled, rollback on) returns to the last steady task definition when new tasks fail their ALB health check (`/readyz`); `pulumi up` fails because the service waits for a steady state. The database is not touched.",
    "",
    "Images of this release:",
    "",
    ...services,
    "",
    "## Database: expand/contract",
    "",
    "Every migration is classified by the runner from its statements (and its header's `-- rollout:` declaration), and the class is recorded in the database when it is applied:",
    "",
    "- **expand** — adds only (tables, nullable columns, indexes, NOT VALID constraints, data). Release N−1 keeps working on the new schema.",
    "- **contract** — removes or changes what an older release may use. The runner applies it only once the release serving before it no longer needs what it removes (its `-- unused-since:` migration was applied by an earlier release), or with a reasoned `-- previous-release-safe:` exception.",
    "",
    `This release ${previous ? `adds ${added.length} file(s) since ${previous.tag}` : "is the first: every file is new and there is no N−1"}; ${contracts.length === 0 ? "none of them is a contract migration, so rolling the service back needs no schema change." : `${contracts.length} of them ${contracts.length === 1 ? "is a contract migration" : "are contract migrations"} (${contracts.map((c) => `\`${c.name}\``).join(", ")}).`}`,
    "",
    "| migration | kind | class | added by this release | rollback |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "## Procedure",
    "",
    ...rollbackProcedure(),
    "",
    `RDS keeps ${ctx.cfg.database.backupRetentionDays} days of automated backups for point-in-time restore; take a manual snapshot before a release that contains a contract or irreversible migration.`,
    "",
  ].join("\n");
}
