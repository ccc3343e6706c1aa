/**
 * The release records: one JSON file per stack and version — what a release run found (checks,
 * figures, smoke confirmations, verdict) — kept in the package (`status/record.json`) and in the
 * repository (`docs/releases/<stack>/<version>.json`). They are the team's shared record: two
 * releases made in two clones write two different files, so merging them never conflicts, and
 * the BACK-PH5 log (docs/Test_Result_Analysis.md) is a view generated from them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { z } from "zod";
import { REPO_ROOT } from "../../config/stack-file";

/** Repository-relative locations (forward slashes). */
export const RECORDS_DIR = "docs/releases";
export const TEST_LOG_PATH = "docs/Test_Result_Analysis.md";
export const RECORD_FILE = "record.json";

const check = z.looseObject({
  id: z.string(),
  title: z.string(),
  status: z.enum(["pass", "fail", "skip"]),
  blocking: z.boolean(),
  summary: z.string(),
  figures: z.record(z.string(), z.union([z.string(), z.number()])),
});

export const releaseRecordSchema = z.looseObject({
  tag: z.literal("BACK-PH5"),
  stack: z.string().min(1),
  version: z.string().min(1),
  gitSha: z.string().regex(/^[0-9a-f]{40}$/),
  /** When the run ended (ISO 8601). */
  at: z.iso.datetime(),
  /** The package, relative to the repository root. */
  package: z.string(),
  verdict: z.enum(["GO", "NO-GO"]),
  reasons: z.array(z.string()),
  checks: z.array(check),
  smoke: z.array(z.strictObject({ name: z.string(), ok: z.boolean(), detail: z.string() })).optional(),
});

export type ReleaseRecord = z.infer<typeof releaseRecordSchema>;

export class RecordError extends Error {
  override readonly name = "RecordError";
}

export function recordPath(stack: string, version: string, recordsDir = join(REPO_ROOT, RECORDS_DIR)): string {
  return join(recordsDir, stack, `${version}.json`);
}

export function renderRecord(r: ReleaseRecord): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** Writes a file whole (temp + rename): a reader never sees half a record. */
export function writeWhole(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${randomBytes(6).toString("hex")}.tmp`);
  writeFileSync(tmp, text, { flag: "wx" });
  renameSync(tmp, file);
}

export function writeRecord(r: ReleaseRecord, recordsDir = join(REPO_ROOT, RECORDS_DIR)): string {
  const file = recordPath(r.stack, r.version, recordsDir);
  writeWhole(file, renderRecord(r));
  return file;
}

/** Every record under `recordsDir` (`<stack>/<version>.json`); a malformed one is an error naming it. */
export function readRecords(recordsDir = join(REPO_ROOT, RECORDS_DIR)): ReleaseRecord[] {
  if (!existsSync(recordsDir)) return [];
  const out: ReleaseRecord[] = [];
  for (const stack of readdirSync(recordsDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const name of readdirSync(join(recordsDir, stack.name)).filter((n) => n.endsWith(".json"))) {
      const file = join(recordsDir, stack.name, name);
      let parsed;
      try {
        parsed = releaseRecordSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
      } catch (err) {
        throw new RecordError(`${file}: not JSON: ${(err as Error).message}`);
      }
      if (!parsed.success) throw new RecordError(`${file}: not a release record: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
      if (parsed.data.stack !== stack.name || `${parsed.data.version}.json` !== name) throw new RecordError(`${file}: holds ${parsed.data.stack} ${parsed.data.version}; a record lives at ${RECORDS_DIR}/<stack>/<version>.json`);
      out.push(parsed.data);
    }
  }
  return out;
}
