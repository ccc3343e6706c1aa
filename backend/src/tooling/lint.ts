/**
 * `migrate lint`: squawk over the up AND down sections of every migration and seed. Sections are
 * linted as separate files so a rule fires on the section that breaks it. Transactional files are
 * linted with --assume-in-transaction (the runner wraps them); no-transaction files without it.
 * Not shipped in the image (squawk is a development dependency).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadBundle } from "../migrate/manifest";
import { type BundlePaths, defaultBundlePaths } from "../migrate/paths";

const run = promisify(execFile);

/** The runner sets lock_timeout and statement_timeout on the session for every migration. */
export const EXCLUDED_RULES = ["require-timeout-settings", "require-lock-timeout", "require-statement-timeout"];
/** The PostgreSQL major version squawk checks against (the RDS engine version). */
export const PG_VERSION = "16";

export interface LintViolation {
  file: string;
  section: "up" | "down";
  line: number;
  rule: string;
  level: string;
  message: string;
  help: string | null;
}

export interface LintReport {
  ok: boolean;
  filesChecked: number;
  violations: LintViolation[];
}

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
  const files = [...loadBundle(paths.migrationsDir).map((f) => ({ f, dir: "migrations" })), ...loadBundle(paths.seedsDir).map((f) => ({ f, dir: "seeds" }))];
  const work = await mkdtemp(join(tmpdir(), "migrate-lint-"));
  try {
    const origin = new Map<string, { file: string; section: "up" | "down" }>();
    const groups = { tx: [] as string[], noTx: [] as string[] };
    for (const { f, dir } of files) {
      for (const section of ["up", "down"] as const) {
        const sql = section === "up" ? f.upSql : f.downSql;
        if (!sql.trim()) continue;
        const path = join(work, `${dir}__${f.name}.${section}.sql`);
        await writeFile(path, sql);
        origin.set(path, { file: `${dir}/${f.name}.sql`, section });
        (f.transactional ? groups.tx : groups.noTx).push(path);
      }
    }
    const findings = [...(await squawk(groups.tx, true)), ...(await squawk(groups.noTx, false))];
    const violations = findings.map((x) => {
      const o = origin.get(x.file) ?? { file: x.file, section: "up" as const };
      return { file: o.file, section: o.section, line: x.line + 1, rule: x.rule_name, level: x.level, message: x.message, help: x.help };
    });
    return { ok: violations.length === 0, filesChecked: files.length, violations };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
