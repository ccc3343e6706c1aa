/**
 * The BACK-PH5 log is a view generated from the release records (issue 13): one record file per
 * stack and version, so releases made in two clones add two files and never conflict; the log
 * generated from the merged records is the same whichever clone generates it.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../config/stack-file";
import { readRecords, RecordError, RECORDS_DIR, TEST_LOG_PATH, writeRecord, type ReleaseRecord } from "../../infra/release/records";
import { logIsCurrent, renderLog, writeLog } from "../../infra/release/test-log";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "records-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function record(stack: string, version: string, at: string, verdict: "GO" | "NO-GO" = "NO-GO"): ReleaseRecord {
  return {
    tag: "BACK-PH5",
    stack,
    version,
    gitSha: "0123456789abcdef0123456789abcdef01234567",
    at,
    package: `backend/outputs/phase-5/${version}/${stack}`,
    verdict,
    reasons: verdict === "GO" ? [] : ["sign-off: role security: 0 of 1 valid sign-off(s)"],
    checks: [{ id: "artifacts", title: "Deployment artifacts", status: "pass", blocking: true, summary: "ok | fine", figures: { buildMs: 1200 } }],
    smoke: [{ name: "GET /healthz", ok: true, detail: "HTTP 200" }],
  };
}

describe("release records and the log generated from them", () => {
  it("two clones releasing two versions write two files; the merged log is the same from either", () => {
    const base = join(root, "base");
    writeRecord(record("staging", "1.4.0", "2026-01-01T10:00:00.000Z"), base);
    const [a, b] = [join(root, "clone-a"), join(root, "clone-b")];
    cpSync(base, a, { recursive: true });
    cpSync(base, b, { recursive: true });
    const fileA = writeRecord(record("prod", "1.4.0", "2026-01-03T10:00:00.000Z", "GO"), a);
    const fileB = writeRecord(record("staging", "1.5.0", "2026-01-02T10:00:00.000Z"), b);
    expect(fileA).not.toBe(fileB.replace(b, a)); // nothing for git to merge: distinct paths
    // The merge is the union of the record files, in either order.
    const [ab, ba] = [join(root, "merged-ab"), join(root, "merged-ba")];
    for (const [target, first, second] of [[ab, a, b], [ba, b, a]] as const) {
      cpSync(first, target, { recursive: true });
      cpSync(second, target, { recursive: true, force: false, errorOnExist: false });
    }
    const log = renderLog(readRecords(ab));
    expect(renderLog(readRecords(ba))).toBe(log);
    expect([...log.matchAll(/^## BACK-PH5 — (\S+) on (\S+) — (\S+)$/gm)].map((m) => m.slice(1).join(" "))).toEqual(["1.4.0 staging NO-GO", "1.5.0 staging NO-GO", "1.4.0 prod GO"]);
    expect(log).toContain("| Deployment artifacts | PASS | ok \\| fine (buildMs=1200) |");
  });

  it("a re-run of the same stack and version replaces its record, and writeLog regenerates the view", () => {
    const dir = join(root, "rerun");
    const logFile = join(root, "rerun.md");
    writeRecord(record("staging", "2.0.0", "2026-02-01T00:00:00.000Z"), dir);
    expect(writeLog(logFile, dir)).toBe(true);
    expect(writeLog(logFile, dir)).toBe(false);
    writeRecord(record("staging", "2.0.0", "2026-02-02T00:00:00.000Z", "GO"), dir);
    expect(logIsCurrent(logFile, dir)).toBe(false);
    writeLog(logFile, dir);
    const log = readFileSync(logFile, "utf8");
    expect(log.match(/^## BACK-PH5/gm)).toHaveLength(1);
    expect(log).toContain("## BACK-PH5 — 2.0.0 on staging — GO");
    expect(log).toContain("- Date: 2026-02-02T00:00:00.000Z");
  });

  it("refuses a malformed or misplaced record, naming the file", () => {
    const dir = join(root, "bad");
    mkdirSync(join(dir, "prod"), { recursive: true });
    writeFileSync(join(dir, "prod", "1.0.0.json"), JSON.stringify(record("staging", "1.0.0", "2026-01-01T00:00:00.000Z")));
    expect(() => readRecords(dir)).toThrow(RecordError);
    expect(() => readRecords(dir)).toThrow(/prod\/1\.0\.0\.json: holds staging 1\.0\.0; a record lives at docs\/releases\/<stack>\/<version>\.json/);
    writeFileSync(join(dir, "prod", "1.0.0.json"), "{}");
    expect(() => readRecords(dir)).toThrow(/prod\/1\.0\.0\.json: not a release record: tag: /);
  });

  it("the committed log is what the committed records generate", () => {
    expect(readFileSync(join(REPO_ROOT, TEST_LOG_PATH), "utf8")).toBe(renderLog(readRecords(join(REPO_ROOT, RECORDS_DIR))));
  });
});
