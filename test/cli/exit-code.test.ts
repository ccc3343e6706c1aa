/** The CLI process keeps its exit code even after embedded PostgreSQL ran in it. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(__dirname, "..", "..");

it("exits with the command's code after an embedded PostgreSQL was started and stopped", () => {
  const script = `
    const { startEmbeddedPostgres } = require("./infra/postgres/embedded");
    const { runCli } = require("./infra/cli/main");
    startEmbeddedPostgres().then((pg) => pg.stop()).then(() => runCli(["policy", "--state", "/nonexistent/graph.json"]));
  `;
  const res = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  expect(res.stderr).toContain("cannot read /nonexistent/graph.json");
  expect(res.status).toBe(2);
});
