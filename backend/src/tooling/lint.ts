/**
 * `migrate lint`: the runner's own checks (rules.ts safety rules, rollout.ts declarations — the
 * very checks `up` refuses a file on) plus squawk over the up AND down sections of every
 * migration and seed. Sections are linted as separate files so a rule fires on the section that
 * breaks it. Transactional files are linted with --assume-in-transaction (the runner wraps them);
 * no-transaction files without it. Not shipped in the image (squawk is a development dependency).
 *
 * One exception syntax for both: `-- allow <rule>: <reason>` in the file's header. In up
 * sections squawk's own `-- squawk-ignore` is refused (an exception must carry its reason and is
 * shown by plan and the release package). squawk's findings about removing what release N−1 uses
 * (ban-drop-column, renaming-column, …) are answered by the file's rollout declaration.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { orderSteps } from "../migrate/bundle";
import { loadBundle } from "../migrate/manifest";
import { type BundlePaths, defaultBundlePaths } from "../migrate/paths";
import { onInterrupt } from "../process/interrupt";
import { contractOps, rolloutOf, unusedSinceProblems } from "../migrate/rollout";
import { checkRules, RULES } from "../migrate/rules";

const run = promisify(execFile);

/** The runner sets lock_timeout and statement_timeout on the session for every migration. */
export const EXCLUDED_RULES = ["require-timeout-settings", "require-lock-timeout", "require-statement-timeout"];
/** The PostgreSQL major version squawk checks against (the RDS engine version). */
export const PG_VERSION = "16";

export interface LintViolation {
  file: string;
  section: "up" | "down";
  /** 1-based line in the section (squawk) or statement number (runner rules); 0 for the file header. */
  line: number;
  rule: string;
  /** "squawk" or "runner" (the checks `up` enforces). */
  source: "squawk" | "runner";
  level: string;
  message: string;
  help: string | null;
}

export interface LintException {
  file: string;
  rule: string;
  reason: string;
}

export interface LintReport {
  ok: boolean;
  filesChecked: number;
  violations: LintViolation[];
  /** Findings accepted by a reasoned `-- allow` line or a contract declaration. */
  exceptions: LintException[];
}

/** squawk rules about removing or renaming what an older release uses: rollout.ts answers them. */
const CONTRACT_RULES = new Set(["ban-drop-column", "ban-drop-table", "renaming-column", "renaming-table", "ban-truncate-cascade"]);

interface SquawkFinding {
  file: string;
  line: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

/**
 * squawk's native binary. We depend on the platform package directly (optional, linux-x64): the
 * `squawk-cli` wrapper lists every platform as optional, and the registry this project installs
 * from serves only linux-x64, so a lockfile with the wrapper cannot pass `npm ci`.
 */
function squawkBin(): string {
  const pkg = `@squawk-cli/${process.platform}-${process.arch}`;
  try {
    return require.resolve(`${pkg}/bin/squawk`, { paths: [process.cwd(), __dirname] });
  } catch {
    throw new Error(`squawk is not installed for ${process.platform}-${process.arch}: add ${pkg} (same version as @squawk-cli/linux-x64 in package.json) to optionalDependencies`);
  }
}

async function squawk(files: string[], inTransaction: boolean): Promise<SquawkFinding[]> {
  if (files.length === 0) return [];
  const args = ["--reporter", "json", `--pg-version=${PG_VERSION}`, `--exclude=${EXCLUDED_RULES.join(",")}`, ...(inTransaction ? ["--assume-in-transaction"] : []), ...files];
  try {
    const { stdout } = await run(squawkBin(), args, { maxBuffer: 16 * 2 ** 20 });
    return stdout.trim() ? (JSON.parse(stdout) as SquawkFinding[]) : [];
  } catch (err) {
    const stdout = (err as { stdout?: string }).stdout ?? "";
    if (stdout.trim().startsWith("[")) return JSON.parse(stdout) as SquawkFinding[];
    throw new Error(`squawk failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
}

export async function lintMigrations(paths: BundlePaths = defaultBundlePaths()): Promise<LintReport> {
  const steps = orderSteps(loadBundle(paths.migrationsDir), loadBundle(paths.seedsDir));
  const violations: LintViolation[] = [];
  const exceptions: LintException[] = [];
  const runner = (file: string, line: number, rule: string, message: string, help: string | null = null) =>
    violations.push({ file, section: "up", line, rule, source: "runner", level: "Error", message, help });

  // The runner's own checks: exactly what `up` refuses a pending file for.
  for (const { kind, file: f } of steps) {
    const file = `${kind}/${f.name}.sql`;
    for (const p of f.problems) runner(file, 0, "header", p);
    const rules = checkRules(f);
    for (const p of rules.problems) runner(file, 0, "allow", p);
    for (const b of rules.blocking) runner(file, b.statement, b.rule, `${b.message}: \`${b.sql}\``, RULES[b.rule]?.help ?? null);
    for (const e of rules.excepted) exceptions.push({ file, rule: e.rule, reason: e.reason });
    const rollout = rolloutOf(f);
    for (const p of rollout.problems) runner(file, 0, "rollout", p);
    if (rollout.rollout === "contract" && rollout.problems.length === 0) {
      exceptions.push({ file, rule: "rollout: contract", reason: rollout.previousReleaseSafe ?? `removes ${rollout.removes.join(", ")}; unused since ${rollout.unusedSince}` });
    }
    if (/squawk-ignore/i.test(f.upSql)) runner(file, 0, "squawk-ignore", "`-- squawk-ignore` in an up section: write `-- allow <rule>: <reason>` in the header instead (the reason is shown by plan and the release package)");
  }
  for (const p of unusedSinceProblems(steps.map((s) => s.file))) runner(p.split(":")[0] ?? "bundle", 0, "rollout", p);

  const work = await mkdtemp(join(tmpdir(), "migrate-lint-"));
  // Interrupted (the release lints while it builds), the sections written for squawk go too:
  // no further file is written, and a removal that met one being written is retried.
  let interrupted = false;
  const unregister = onInterrupt(async () => {
    interrupted = true;
    await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  });
  try {
    const origin = new Map<string, { file: string; section: "up" | "down"; step: (typeof steps)[number] }>();
    const groups = { tx: [] as string[], noTx: [] as string[] };
    for (const step of steps) {
      const { kind, file: f } = step;
      for (const section of ["up", "down"] as const) {
        const sql = section === "up" ? f.upSql : f.downSql;
        if (!sql.trim()) continue;
        const path = join(work, `${kind}__${f.name}.${section}.sql`);
        if (interrupted) throw new Error("lint interrupted");
        await writeFile(path, sql);
        origin.set(path, { file: `${kind}/${f.name}.sql`, section, step });
        (f.transactional ? groups.tx : groups.noTx).push(path);
      }
    }
    const findings = [...(await squawk(groups.tx, true)), ...(await squawk(groups.noTx, false))];
    for (const x of findings) {
      const o = origin.get(x.file);
      if (!o) continue;
      if (o.section === "up") {
        const f = o.step.file;
        // Covered when the runner's rules found the same rule (reported or excepted above) …
        if (checkRules(f).blocking.some((b) => b.rule === x.rule_name)) continue;
        const allowed = f.directives.allow.find((a) => a.rule === x.rule_name);
        if (allowed) {
          if (!RULES[x.rule_name]) exceptions.push({ file: o.file, rule: x.rule_name, reason: allowed.reason });
          continue;
        }
        // … or by the rollout check, which refuses the removal unless it is a declared contract.
        if (CONTRACT_RULES.has(x.rule_name) && contractOps(f.up).length > 0) continue;
      }
      violations.push({ file: o.file, section: o.section, line: x.line + 1, rule: x.rule_name, source: "squawk", level: x.level, message: x.message, help: x.help });
    }
    return { ok: violations.length === 0, filesChecked: steps.length, violations, exceptions };
  } finally {
    unregister();
    await rm(work, { recursive: true, force: true });
  }
}
